// Admission of mesh sidecars by dataplane token: the certificate they get (SPIFFE ID, lifetime,
// CAs), the Dataplane they register, and every refusal (bad or revoked token, wrong mesh, name or
// service, missing mesh); renewal by csr, and after a CA rotation.
#include "cp/mesh_channel.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cp/mesh_identity.h"
#include "mesh_fixture.h"
#include "pki/certificate.h"
#include "pki/csr.h"
#include "pki/keys.h"
#include "pki/spiffe.h"

namespace causeway::cp {
namespace {

using Json = nlohmann::json;

std::string freshCsr() {
  auto key = pki::KeyPair::generate();
  EXPECT_TRUE(key.isOk());
  auto csr = pki::makeCsr(key.value(), "web-01");
  EXPECT_TRUE(csr.isOk());
  return csr.isOk() ? csr.value() : std::string();
}

Json hello(const std::string& token, const Json& dataplane, const std::string& csr) {
  return Json{{"type", "hello"},
              {"id", "node-1"},
              {"capabilities", {"mesh"}},
              {"mesh", {{"token", token}, {"dataplane", dataplane}, {"csr", csr}}}};
}

class MeshChannelTest : public MeshStoreTest {
 protected:
  void SetUp() override {
    MeshStoreTest::SetUp();
    ASSERT_EQ(call("PUT", "/meshes/default", meshWithBackends({"ca-1"}, "ca-1")).status, 201);
  }

  std::string refusal(const Json& h) {
    MeshChannel channel(*store_);
    auto admitted = channel.admit(h);
    EXPECT_FALSE(admitted.isOk());
    return admitted.isOk() ? "" : admitted.status().message();
  }
};

TEST_F(MeshChannelTest, AdmitsWithACertificateAndRegistersTheDataplane) {
  const std::string token = issueToken("default", {"web"}, "web-01");
  const Json dp = dataplaneJson("web-01", "default", "web");
  MeshChannel channel(*store_);
  auto admitted = channel.admit(hello(token, dp, freshCsr()));
  ASSERT_TRUE(admitted.isOk()) << admitted.status().toString();
  EXPECT_EQ(admitted->labels.at("dataplane"), "web-01");
  EXPECT_EQ(admitted->labels.at("mesh"), "default");
  ASSERT_EQ(admitted->messages.size(), 1u);
  Json msg = Json::parse(admitted->messages[0]);
  EXPECT_EQ(msg["type"], "certificate");
  ASSERT_EQ(msg["ca"].size(), 1u);
  EXPECT_EQ(msg["ca"][0], record(kMeshTrustKind, "default/ca-1")["cert"]);
  const std::string cert = msg["cert"];
  auto id = pki::verifyWorkloadCertificate(cert, {msg["ca"][0]}, pki::unixNow(), "default");
  ASSERT_TRUE(id.isOk()) << id.status().toString();
  EXPECT_EQ(id->toString(), "spiffe://default/web");
  auto info = pki::certificateInfo(cert);
  ASSERT_TRUE(info.isOk());
  EXPECT_NEAR(double(info->not_after - info->not_before), 2 * 3600 + 60, 2);  // dpCert 2h
  // Registered as PUT /meshes/default/dataplanes/web-01 would.
  EXPECT_EQ(call("GET", "/meshes/default/dataplanes/web-01").json, dp);
  const int64_t after = revision();
  ASSERT_TRUE(channel.admit(hello(token, dp, freshCsr())).isOk());
  EXPECT_EQ(revision(), after) << "the same Dataplane again: no new revision";
}

TEST_F(MeshChannelTest, RefusesBadTokensAndClaimsTheTokenDoesNotAllow) {
  const Json dp = dataplaneJson("web-01", "default", "web");
  EXPECT_NE(refusal(hello("not.a.token", dp, freshCsr())).find("token"), std::string::npos);
  EXPECT_NE(refusal(hello("", dp, freshCsr())).find("token"), std::string::npos);
  // Wrong service tag.
  EXPECT_NE(refusal(hello(issueToken("default", {"backend"}), dp, freshCsr()))
                .find("does not allow service 'web'"),
            std::string::npos);
  // Bound to another name.
  EXPECT_NE(refusal(hello(issueToken("default", {"web"}, "web-02"), dp, freshCsr()))
                .find("for dataplane 'web-02'"),
            std::string::npos);
  // A token of another mesh.
  ASSERT_EQ(call("PUT", "/meshes/other", Json{{"type", "Mesh"}}).status, 201);
  EXPECT_NE(refusal(hello(issueToken("other", {"web"}), dp, freshCsr())).find("mesh"),
            std::string::npos);
  // A mesh that does not exist (the token names it too).
  auto keys = loadOrCreateTokenKeys(*store_, pki::unixNow());
  ASSERT_TRUE(keys.isOk());
  pki::DataplaneTokenClaims claims;
  claims.mesh = "ghost";
  claims.tags["kuma.io/service"] = {"web"};
  auto ghost =
      pki::issueDataplaneToken(keys->signing, claims, pki::unixNow(), std::chrono::hours(1));
  ASSERT_TRUE(ghost.isOk());
  EXPECT_NE(refusal(hello(ghost.value(), dataplaneJson("web-01", "ghost", "web"), freshCsr()))
                .find("mesh 'ghost' does not exist"),
            std::string::npos);
  // An invalid Dataplane.
  Json bad = dp;
  bad["networking"]["inbound"][0]["port"] = "eighty";
  EXPECT_NE(refusal(hello(issueToken("default", {"web"}), bad, freshCsr())).find("invalid"),
            std::string::npos);
  // Nothing was registered.
  EXPECT_EQ(call("GET", "/meshes/default/dataplanes").json["total"], 0);
}

TEST_F(MeshChannelTest, RefusesRevokedTokensAtHelloAndAtRenewal) {
  const std::string token = issueToken("default", {"web"});
  const Json h = hello(token, dataplaneJson("web-01", "default", "web"), freshCsr());
  MeshChannel channel(*store_);
  ASSERT_TRUE(channel.admit(h).isOk());
  auto keys = loadOrCreateTokenKeys(*store_, pki::unixNow());
  auto claims = pki::verifyDataplaneToken(keys->verify, token, pki::unixNow(), {});
  ASSERT_TRUE(claims.isOk());
  ASSERT_EQ(
      call("POST", "/tokens/dataplane/revocations", Json{{"mesh", "default"}, {"id", claims->jti}})
          .status,
      200);
  EXPECT_NE(refusal(h).find("revoked"), std::string::npos);
  ChannelReply reply = channel.onMessage(h, Json{{"type", "csr"}, {"csr", freshCsr()}});
  EXPECT_TRUE(reply.messages.empty());
  EXPECT_NE(reply.refuse.find("revoked"), std::string::npos);
}

TEST_F(MeshChannelTest, MtlsOffAdmitsWithoutACertificate) {
  ASSERT_EQ(call("PUT", "/meshes/default", meshWithBackends({}, "")).status, 200);
  MeshChannel channel(*store_);
  auto admitted = channel.admit(
      hello(issueToken("default", {"web"}), dataplaneJson("web-01", "default", "web"), ""));
  ASSERT_TRUE(admitted.isOk()) << admitted.status().toString();
  EXPECT_TRUE(admitted->messages.empty());
}

TEST_F(MeshChannelTest, RenewsByCsrAndFollowsACaRotation) {
  const Json h =
      hello(issueToken("default", {"web"}), dataplaneJson("web-01", "default", "web"), freshCsr());
  MeshChannel channel(*store_);
  ASSERT_TRUE(channel.admit(h).isOk());
  ChannelReply renewed = channel.onMessage(h, Json{{"type", "csr"}, {"csr", freshCsr()}});
  ASSERT_EQ(renewed.messages.size(), 1u);
  EXPECT_EQ(Json::parse(renewed.messages[0])["type"], "certificate");

  ASSERT_EQ(call("PUT", "/meshes/default", meshWithBackends({"ca-1", "ca-2"}, "ca-2")).status, 200);
  ChannelReply rotated = channel.onMessage(h, Json{{"type", "csr"}, {"csr", freshCsr()}});
  ASSERT_EQ(rotated.messages.size(), 1u);
  Json msg = Json::parse(rotated.messages[0]);
  EXPECT_EQ(msg["ca"].size(), 2u);
  const std::string ca2 = record(kMeshTrustKind, "default/ca-2")["cert"];
  EXPECT_TRUE(pki::verifyChain(msg["cert"].get<std::string>(), ca2, pki::unixNow()).isOk())
      << "signed by the enabled backend's CA";

  ChannelReply garbage = channel.onMessage(h, Json{{"type", "csr"}, {"csr", "junk"}});
  ASSERT_EQ(garbage.messages.size(), 1u);
  EXPECT_EQ(Json::parse(garbage.messages[0])["type"], "error");
  EXPECT_TRUE(garbage.refuse.empty());
  EXPECT_TRUE(channel.onMessage(h, Json{{"type", "something"}}).messages.empty());
}

}  // namespace
}  // namespace causeway::cp
