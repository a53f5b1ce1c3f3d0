// POST /tokens/dataplane (Kuma's body, the token as text/plain, Kuma's errors) and the
// revocation endpoints.
#include "cp/token_api.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cp/mesh_identity.h"
#include "mesh_fixture.h"
#include "pki/certificate.h"
#include "pki/dataplane_token.h"

namespace causeway::cp {
namespace {

using Json = nlohmann::json;

class TokenApiTest : public MeshStoreTest {
 protected:
  void SetUp() override {
    MeshStoreTest::SetUp();
    ASSERT_EQ(call("PUT", "/meshes/default", meshWithBackends({"ca-1"}, "ca-1")).status, 201);
  }

  Result<pki::DataplaneTokenClaims> verify(const std::string& token) {
    auto keys = loadOrCreateTokenKeys(*store_, pki::unixNow());
    if (!keys.isOk()) return keys.status();
    auto revoked = revokedTokenIds(*store_, "default");
    if (!revoked.isOk()) return revoked.status();
    return pki::verifyDataplaneToken(keys->verify, token, pki::unixNow(), revoked.value());
  }
};

TEST_F(TokenApiTest, IssuesAKumaDataplaneTokenAsPlainText) {
  Json body = {{"name", "web-01"},
               {"mesh", "default"},
               {"tags", {{"kuma.io/service", {"backend", "web"}}}},
               {"type", "dataplane"},
               {"validFor", "24h"}};
  auto a = call("POST", "/tokens/dataplane", body);
  ASSERT_EQ(a.status, 200) << a.text;
  EXPECT_EQ(a.content_type.rfind("text/plain", 0), 0u);
  EXPECT_EQ(std::count(a.text.begin(), a.text.end(), '.'), 2);
  auto claims = verify(a.text);
  ASSERT_TRUE(claims.isOk()) << claims.status().toString();
  EXPECT_EQ(claims->mesh, "default");
  EXPECT_EQ(claims->name, "web-01");
  EXPECT_EQ(claims->tags.at("kuma.io/service"), (std::vector<std::string>{"backend", "web"}));
  EXPECT_NEAR(double(claims->expires_at - claims->issued_at), 86400, 1);
  EXPECT_FALSE(claims->jti.empty());
  // The mesh defaults to "default"; the name and tags are optional.
  auto plain = call("POST", "/tokens/dataplane", Json{{"validFor", "1h"}});
  ASSERT_EQ(plain.status, 200) << plain.text;
  EXPECT_EQ(verify(plain.text)->mesh, "default");
}

TEST_F(TokenApiTest, RefusesBadRequestsWithKumasErrorShape) {
  auto field = [](const TokenApiTest::Answer& a) {
    return a.json.value("invalid_parameters", Json::array()).empty()
               ? std::string()
               : a.json["invalid_parameters"][0].value("field", "");
  };
  auto noMesh = call("POST", "/tokens/dataplane", Json{{"mesh", "nope"}, {"validFor", "1h"}});
  EXPECT_EQ(noMesh.status, 400);
  EXPECT_EQ(field(noMesh), "mesh");
  EXPECT_TRUE(noMesh.json.contains("title"));
  auto noValidity = call("POST", "/tokens/dataplane", Json{{"mesh", "default"}});
  EXPECT_EQ(noValidity.status, 400);
  EXPECT_EQ(field(noValidity), "validFor");
  EXPECT_EQ(field(call("POST", "/tokens/dataplane", Json{{"validFor", "soon"}})), "validFor");
  EXPECT_EQ(field(call("POST", "/tokens/dataplane", Json{{"validFor", "1h"}, {"type", "ingress"}})),
            "type");
  EXPECT_EQ(field(call("POST", "/tokens/dataplane",
                       Json{{"validFor", "1h"}, {"tags", {{"kuma.io/service", "web"}}}})),
            "tags.kuma.io/service");
  EXPECT_EQ(call("POST", "/tokens/dataplane", Json::array()).status, 400);
  EXPECT_EQ(call("GET", "/tokens/dataplane").status, 405);
  EXPECT_EQ(call("POST", "/tokens/zone").status, 404);
}

TEST_F(TokenApiTest, RevocationIsStoredPerMeshAndRefusesTheToken) {
  const std::string token = issueToken("default", {"web"});
  auto claims = verify(token);
  ASSERT_TRUE(claims.isOk());
  auto r =
      call("POST", "/tokens/dataplane/revocations", Json{{"mesh", "default"}, {"id", claims->jti}});
  ASSERT_EQ(r.status, 200) << r.text;
  EXPECT_EQ(r.json, (Json{{"mesh", "default"}, {"ids", {claims->jti}}}));
  EXPECT_EQ(
      call("POST", "/tokens/dataplane/revocations", Json{{"mesh", "default"}, {"id", claims->jti}})
          .json["ids"]
          .size(),
      1u);
  EXPECT_EQ(call("GET", "/tokens/dataplane/revocations/default").json["ids"], Json{claims->jti});
  EXPECT_EQ(call("GET", "/tokens/dataplane/revocations/other").json["ids"], Json::array());
  auto refused = verify(token);
  ASSERT_FALSE(refused.isOk());
  EXPECT_NE(refused.status().message().find("revoked"), std::string::npos);
  EXPECT_EQ(call("POST", "/tokens/dataplane/revocations", Json{{"mesh", "default"}}).status, 400);
}

TEST_F(TokenApiTest, TheAdminTokenAppliesAsEverywhere) {
  ASSERT_TRUE(AdminApi::createToken(*store_, "ops", AdminApi::Role::kReadOnly).isOk());
  EXPECT_EQ(call("POST", "/tokens/dataplane", Json{{"validFor", "1h"}}).status, 401);
}

}  // namespace
}  // namespace causeway::cp
