// The cluster port with real TLS: a SyncClient in token mode (the cluster CA only, no client
// certificate) is admitted on the mesh channel, gets its certificate before its first snapshot
// (the mesh kinds and trust records, no keys), renews by csr, and shows in the registry; a
// gateway without a client certificate is refused with the reason, one with it is served.
#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "cp/cluster_server.h"
#include "cp/config_state.h"
#include "cp/mesh_channel.h"
#include "cp/mesh_identity.h"
#include "mesh_fixture.h"
#include "pki/cert_init.h"
#include "pki/csr.h"
#include "pki/keys.h"
#include "pki/spiffe.h"
#include "sync/cluster_tls.h"
#include "sync/sync_client.h"

namespace causeway::cp {
namespace {

using Json = nlohmann::json;

class ClusterMeshTest : public MeshStoreTest {
 protected:
  void SetUp() override {
    MeshStoreTest::SetUp();
    certs_ = dir_ + "/certs";
    ASSERT_TRUE(pki::certInit(certs_, pki::CertInitOptions{}).isOk());
    ASSERT_EQ(call("PUT", "/meshes/default", meshWithBackends({"ca-1"}, "ca-1")).status, 201);
    gateway_config_ = std::make_unique<ConfigState>(*store_);
    mesh_config_ = std::make_unique<ConfigState>(*store_, 64, isMeshChannelKind);
    channel_ = std::make_unique<MeshChannel>(*store_);
    ASSERT_TRUE(gateway_config_->load().isOk());
    ASSERT_TRUE(mesh_config_->load().isOk());
    auto tls = sync::makeClusterServerContext(certs_);
    ASSERT_TRUE(tls.isOk()) << tls.status().toString();
    server_ = std::make_unique<ClusterServer>(io_, *gateway_config_, tls.value());
    server_->addChannel(
        "mesh", *mesh_config_, [this](const Json& hello) { return channel_->admit(hello); },
        channel_->channelOptions());
    ASSERT_TRUE(
        server_->listen(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)).isOk());
    url_ = "wss://127.0.0.1:" + std::to_string(server_->localEndpoint().port());
  }

  void TearDown() override {
    server_.reset();
    io_.run_for(std::chrono::milliseconds(50));
    channel_.reset();
    mesh_config_.reset();
    gateway_config_.reset();
    MeshStoreTest::TearDown();
  }

  // Runs the io_context until `done` or 15 s.
  bool runUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(std::chrono::milliseconds(20));
    }
    return done();
  }

  sync::SyncClientOptions clientOptions(const std::string& name) {
    sync::SyncClientOptions o;
    o.cp_url = url_;
    o.data_dir = dir_ + "/" + name;
    o.hostname = name;
    return o;
  }

  std::string certs_, url_;
  asio::io_context io_;
  std::unique_ptr<ConfigState> gateway_config_, mesh_config_;
  std::unique_ptr<MeshChannel> channel_;
  std::unique_ptr<ClusterServer> server_;
};

TEST_F(ClusterMeshTest, ASidecarWithATokenGetsItsCertificateAndTheMeshKinds) {
  const std::string token = issueToken("default", {"web"});
  auto options = clientOptions("sidecar");
  options.ca_file = certs_ + "/" + pki::kCaCertFile;
  options.capabilities = {"mesh"};
  int hellos = 0;
  options.extend_hello = [&](Json& hello) {
    ++hellos;
    auto key = pki::KeyPair::generate();
    hello["mesh"] = {{"token", token},
                     {"dataplane", dataplaneJson("web-01", "default", "web")},
                     {"csr", pki::makeCsr(key.value(), "web-01").value()}};
  };
  std::vector<Json> certificates;
  bool snapshot_after_certificate = false;
  options.on_message = [&](const std::string& type, const Json& msg) {
    if (type == "certificate") certificates.push_back(msg);
  };
  std::optional<sync::EntitySet> received;
  sync::SyncHandler handler;
  handler.snapshot = [&](const sync::EntitySet& set, const Json&, const std::string&) {
    snapshot_after_certificate = !certificates.empty();
    received = set;
    return Status::ok();
  };
  handler.delta = [&](const sync::EntitySet& set, const sync::SyncHandler::Touched&,
                      const std::string&) {
    received = set;
    return Status::ok();
  };
  sync::SyncClient client(io_, options, handler);
  ASSERT_TRUE(client.start().isOk());
  ASSERT_TRUE(runUntil([&] { return received.has_value(); })) << client.status().dump();
  EXPECT_EQ(hellos, 1);
  ASSERT_EQ(certificates.size(), 1u);
  EXPECT_TRUE(snapshot_after_certificate);
  const Json& cert = certificates[0];
  auto id = pki::verifyWorkloadCertificate(
      cert["cert"].get<std::string>(), cert["ca"].get<std::vector<std::string>>(), pki::unixNow());
  ASSERT_TRUE(id.isOk()) << id.status().toString();
  EXPECT_EQ(id->toString(), "spiffe://default/web");
  EXPECT_NE(received->find("meshes", "default"), nullptr);
  EXPECT_NE(received->find(kMeshTrustKind, "default/ca-1"), nullptr);
  EXPECT_EQ(received->find(kMeshCaKeysKind, "default/ca-1"), nullptr);
  EXPECT_EQ(received->declarativeText().find("PRIVATE KEY"), std::string::npos);

  // The registry names it.
  Json planes = server_->dataPlanes();
  ASSERT_EQ(planes.size(), 1u);
  EXPECT_EQ(planes[0]["dataplane"], "web-01");
  EXPECT_EQ(planes[0]["mesh"], "default");
  EXPECT_EQ(planes[0]["connected"], true);

  // Renewal on the open stream.
  auto key = pki::KeyPair::generate();
  ASSERT_TRUE(client.send(
      Json{{"type", "csr"}, {"csr", pki::makeCsr(key.value(), "web-01").value()}}.dump()));
  ASSERT_TRUE(runUntil([&] { return certificates.size() == 2; }));
  auto renewed_key = pki::certificatePublicKey(certificates[1]["cert"].get<std::string>());
  ASSERT_TRUE(renewed_key.isOk());
  EXPECT_TRUE(renewed_key.value() == key->publicKey());

  // The Dataplane it registered reaches it (and every sidecar) once the CP refreshes.
  ASSERT_TRUE(mesh_config_->refresh().isOk());
  server_->configChanged();
  ASSERT_TRUE(runUntil([&] { return received->find("dataplanes", "default/web-01") != nullptr; }));

  client.stop();
  ASSERT_TRUE(runUntil([&] { return server_->connectedCount() == 0; }));
  EXPECT_EQ(server_->dataPlanes()[0]["dataplane"], "web-01") << "stays registered";
  EXPECT_FALSE(client.send("{}"));
}

TEST_F(ClusterMeshTest, ASidecarWithoutAValidTokenIsRefused) {
  auto options = clientOptions("intruder");
  options.ca_file = certs_ + "/" + pki::kCaCertFile;
  options.capabilities = {"mesh"};
  options.extend_hello = [&](Json& hello) {
    hello["mesh"] = {{"token", "bad.to.ken"},
                     {"dataplane", dataplaneJson("web-01", "default", "web")}};
  };
  sync::SyncHandler handler;
  handler.snapshot = [](const sync::EntitySet&, const Json&, const std::string&) {
    ADD_FAILURE() << "a refused sidecar got a config";
    return Status::ok();
  };
  handler.delta = nullptr;
  sync::SyncClient client(io_, options, handler);
  ASSERT_TRUE(client.start().isOk());
  ASSERT_TRUE(runUntil([&] {
    return client.status()["last_error"].get<std::string>().find("4001") != std::string::npos;
  }));
  EXPECT_NE(client.status()["last_error"].get<std::string>().find("token"), std::string::npos);
  client.stop();
  EXPECT_EQ(server_->dataPlanes().size(), 0u) << "not registered";
}

TEST_F(ClusterMeshTest, AGatewayWithoutAClientCertificateIsRefusedOneWithItIsServed) {
  auto options = clientOptions("gateway-nocert");
  options.ca_file = certs_ + "/" + pki::kCaCertFile;
  bool applied = false;
  sync::SyncClient bare(io_, options, [&](const model::kong::Config&, const std::string&) {
    applied = true;
    return Status::ok();
  });
  ASSERT_TRUE(bare.start().isOk());
  ASSERT_TRUE(runUntil([&] {
    return bare.status()["last_error"].get<std::string>().find("4001") != std::string::npos;
  }));
  EXPECT_NE(bare.status()["last_error"].get<std::string>().find("client certificate"),
            std::string::npos)
      << bare.status().dump();
  EXPECT_FALSE(applied);
  bare.stop();
  EXPECT_EQ(server_->dataPlanes().size(), 0u);

  auto with_cert = clientOptions("gateway");
  with_cert.cert_dir = certs_;
  bool served = false;
  sync::SyncClient gateway(io_, with_cert, [&](const model::kong::Config&, const std::string&) {
    served = true;
    return Status::ok();
  });
  ASSERT_TRUE(gateway.start().isOk());
  ASSERT_TRUE(runUntil([&] { return served; })) << gateway.status().dump();
  EXPECT_EQ(server_->connectedCount(), 1u);
  EXPECT_EQ(server_->dataPlanes()[0]["sync_status"], "normal");
  gateway.stop();
}

}  // namespace
}  // namespace causeway::cp
