// SidecarCpClient against a real ClusterServer: the identity it gets (key generated locally),
// the resources of its own mesh only, a CA added to the mesh trusted without a new certificate,
// a new certificate when the enabled backend changes, and a restart while the CP is away that
// serves the saved identity and snapshot.
#include "cli/sidecar_cp.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>

#include "../cp/mesh_fixture.h"
#include "cp/cluster_server.h"
#include "cp/config_state.h"
#include "cp/mesh_channel.h"
#include "cp/mesh_identity.h"
#include "pki/cert_init.h"
#include "pki/certificate.h"
#include "pki/files.h"
#include "sync/cluster_tls.h"

namespace causeway::cli {
namespace {

using Json = nlohmann::json;

class SidecarCpTest : public cp::MeshStoreTest {
 protected:
  void SetUp() override {
    MeshStoreTest::SetUp();
    certs_ = dir_ + "/certs";
    ASSERT_TRUE(pki::certInit(certs_, pki::CertInitOptions{}).isOk());
    ASSERT_EQ(call("PUT", "/meshes/default", cp::meshWithBackends({"ca-1"}, "ca-1")).status, 201);
    ASSERT_EQ(call("PUT", "/meshes/other", Json{{"type", "Mesh"}}).status, 201);
    ASSERT_EQ(call("PUT", "/meshes/other/dataplanes/elsewhere",
                   cp::dataplaneJson("elsewhere", "other", "db"))
                  .status,
              201);
    gateway_config_ = std::make_unique<cp::ConfigState>(*store_);
    mesh_config_ = std::make_unique<cp::ConfigState>(*store_, 64, cp::isMeshChannelKind);
    channel_ = std::make_unique<cp::MeshChannel>(*store_);
    ASSERT_TRUE(gateway_config_->load().isOk());
    ASSERT_TRUE(mesh_config_->load().isOk());
    auto tls = sync::makeClusterServerContext(certs_);
    ASSERT_TRUE(tls.isOk());
    server_ = std::make_unique<cp::ClusterServer>(io_, *gateway_config_, tls.value());
    server_->addChannel(
        "mesh", *mesh_config_, [this](const Json& hello) { return channel_->admit(hello); },
        channel_->channelOptions());
    ASSERT_TRUE(
        server_->listen(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)).isOk());
    token_file_ = dir_ + "/token";
    ASSERT_TRUE(
        pki::writeFileAtomically(token_file_, issueToken("default", {"web"}) + "\n", 0600, true)
            .isOk());
  }

  void TearDown() override {
    server_.reset();
    io_.run_for(std::chrono::milliseconds(50));
    channel_.reset();
    mesh_config_.reset();
    gateway_config_.reset();
    MeshStoreTest::TearDown();
  }

  bool runUntil(const std::function<bool()>& done) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(std::chrono::milliseconds(20));
    }
    return done();
  }

  // What the CP does after a store change: refresh, push.
  void storeChanged() {
    ASSERT_TRUE(mesh_config_->refresh().isOk());
    server_->configChanged();
  }

  SidecarCpOptions options(uint16_t port) {
    SidecarCpOptions o;
    o.cp_url = "wss://127.0.0.1:" + std::to_string(port);
    o.ca_cert = certs_ + "/" + pki::kCaCertFile;
    o.token_file = token_file_;
    o.dataplane = cp::dataplaneJson("web-01", "default", "web");
    o.data_dir = dir_ + "/sidecar";
    return o;
  }

  std::string certs_, token_file_;
  asio::io_context io_;
  std::unique_ptr<cp::ConfigState> gateway_config_, mesh_config_;
  std::unique_ptr<cp::MeshChannel> channel_;
  std::unique_ptr<cp::ClusterServer> server_;
  std::vector<mesh::Identity> identities_;
  std::optional<model::mesh::MeshResources> resources_;
};

TEST_F(SidecarCpTest, FollowsTheControlPlaneAndRestartsWithoutIt) {
  auto client = std::make_unique<SidecarCpClient>(
      io_, options(server_->localEndpoint().port()),
      [&](mesh::Identity id) { identities_.push_back(std::move(id)); },
      [&](model::mesh::MeshResources r) {
        resources_ = std::move(r);
        return Status::ok();
      });
  ASSERT_TRUE(client->start().isOk());
  ASSERT_TRUE(runUntil([&] { return !identities_.empty() && resources_.has_value(); }))
      << client->status().dump();
  EXPECT_EQ(identities_[0].spiffe_id, "spiffe://default/web");
  EXPECT_EQ(identities_[0].trusted_ca_pems.size(), 1u);
  EXPECT_EQ(client->status()["identity"]["spiffe_id"], "spiffe://default/web");
  ASSERT_EQ(resources_->meshes.size(), 1u) << "its own mesh only";
  EXPECT_EQ(resources_->meshes[0].name, "default");
  EXPECT_TRUE(resources_->dataplanes.empty());
  struct stat st {};
  ASSERT_EQ(::stat((dir_ + "/sidecar/mesh-identity.key").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  storeChanged();  // its own Dataplane, registered at admission
  ASSERT_TRUE(runUntil([&] { return resources_->dataplanes.size() == 1; }));
  EXPECT_EQ(resources_->dataplanes[0].name, "web-01");

  // A second CA listed: trusted with the same certificate.
  const std::string first_cert = identities_.back().cert_pem;
  ASSERT_EQ(call("PUT", "/meshes/default", cp::meshWithBackends({"ca-1", "ca-2"}, "ca-1")).status,
            200);
  storeChanged();
  ASSERT_TRUE(runUntil([&] { return identities_.back().trusted_ca_pems.size() == 2; }));
  EXPECT_EQ(identities_.back().cert_pem, first_cert);

  // The enabled backend switched: a new certificate from ca-2's CA.
  ASSERT_EQ(call("PUT", "/meshes/default", cp::meshWithBackends({"ca-1", "ca-2"}, "ca-2")).status,
            200);
  storeChanged();
  ASSERT_TRUE(runUntil([&] { return identities_.back().cert_pem != first_cert; }));
  const std::string ca2 = record(cp::kMeshTrustKind, "default/ca-2")["cert"];
  EXPECT_TRUE(pki::verifyChain(identities_.back().cert_pem, ca2, pki::unixNow()).isOk());
  const mesh::Identity last = identities_.back();

  client->stop();
  client.reset();
  server_.reset();
  io_.run_for(std::chrono::milliseconds(50));

  // The CP is gone: the restarted sidecar serves what it saved.
  identities_.clear();
  resources_.reset();
  auto restarted = std::make_unique<SidecarCpClient>(
      io_, options(1), [&](mesh::Identity id) { identities_.push_back(std::move(id)); },
      [&](model::mesh::MeshResources r) {
        resources_ = std::move(r);
        return Status::ok();
      });
  ASSERT_TRUE(restarted->start().isOk());
  ASSERT_EQ(identities_.size(), 1u);
  EXPECT_EQ(identities_[0].cert_pem, last.cert_pem);
  EXPECT_EQ(identities_[0].key_pem.str(), last.key_pem.str());
  EXPECT_EQ(identities_[0].trusted_ca_pems.size(), 2u);
  ASSERT_TRUE(resources_.has_value());
  EXPECT_EQ(resources_->dataplanes.size(), 1u);
  restarted->stop();
  io_.run_for(std::chrono::milliseconds(50));
}

TEST_F(SidecarCpTest, RefusesBadOptions) {
  SidecarCpOptions o = options(1);
  o.dataplane = Json::object();
  SidecarCpClient no_name(io_, o, nullptr, nullptr);
  EXPECT_FALSE(no_name.start().isOk());
  o = options(1);
  o.token_file = dir_ + "/missing";
  SidecarCpClient no_token(io_, o, nullptr, nullptr);
  EXPECT_FALSE(no_token.start().isOk());
}

}  // namespace
}  // namespace causeway::cli
