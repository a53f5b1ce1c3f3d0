#include "pki/dataplane_token.h"

#include <gtest/gtest.h>

#include <regex>
#include <string>

namespace causeway::pki {
namespace {

constexpr int64_t kNow = 1767225600;  // 2026-01-01 00:00:00 UTC
constexpr auto kDay = std::chrono::hours(24);

const TokenSigningKey& cpKey() {
  static const TokenSigningKey key{"1", JwtSigningKey::generate(JwsAlgorithm::kRs256).value()};
  return key;
}

std::map<std::string, JwtVerifyKey> trusted() { return {{"1", cpKey().key.verifyKey()}}; }

DataplaneTokenClaims backend() {
  DataplaneTokenClaims claims;
  claims.mesh = "default";
  claims.tags = {{kServiceTag, {"backend"}}};
  return claims;
}

TEST(DataplaneToken, RoundTrips) {
  DataplaneTokenClaims wanted = backend();
  wanted.name = "backend-1";
  auto token = issueDataplaneToken(cpKey(), wanted, kNow, kDay);
  ASSERT_TRUE(token.isOk()) << token.status().message();
  EXPECT_EQ(jwtKeyId(token.value()).value(), "1");
  auto claims = verifyDataplaneToken(trusted(), token.value(), kNow + 10, {}, "default");
  ASSERT_TRUE(claims.isOk()) << claims.status().message();
  EXPECT_EQ(claims->name, "backend-1");
  EXPECT_EQ(claims->mesh, "default");
  EXPECT_EQ(claims->type, "dataplane");
  EXPECT_EQ(claims->tags.at("kuma.io/service"), std::vector<std::string>{"backend"});
  EXPECT_EQ(claims->issued_at, kNow);
  EXPECT_EQ(claims->expires_at, kNow + 24 * 3600);
  EXPECT_TRUE(std::regex_match(
      claims->jti,
      std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << claims->jti;
  // Every token gets its own id.
  auto again = issueDataplaneToken(cpKey(), wanted, kNow, kDay);
  EXPECT_NE(verifyDataplaneToken(trusted(), again.value(), kNow, {})->jti, claims->jti);
}

TEST(DataplaneToken, RefusesARevokedToken) {
  std::string token = issueDataplaneToken(cpKey(), backend(), kNow, kDay).value();
  auto claims = verifyDataplaneToken(trusted(), token, kNow, {});
  ASSERT_TRUE(claims.isOk());
  std::set<std::string> revoked = {"something-else", claims->jti};
  auto refused = verifyDataplaneToken(trusted(), token, kNow, revoked);
  ASSERT_FALSE(refused.isOk());
  EXPECT_NE(refused.status().message().find("revoked"), std::string::npos);
}

TEST(DataplaneToken, RefusesAnExpiredToken) {
  std::string token = issueDataplaneToken(cpKey(), backend(), kNow, kDay).value();
  auto refused = verifyDataplaneToken(trusted(), token, kNow + 24 * 3600, {});
  ASSERT_FALSE(refused.isOk());
  EXPECT_NE(refused.status().message().find("expired"), std::string::npos);
}

TEST(DataplaneToken, RefusesAnotherMesh) {
  std::string token = issueDataplaneToken(cpKey(), backend(), kNow, kDay).value();
  auto refused = verifyDataplaneToken(trusted(), token, kNow, {}, "payments");
  ASSERT_FALSE(refused.isOk());
  EXPECT_NE(refused.status().message().find("mesh 'default', not 'payments'"), std::string::npos);
}

TEST(DataplaneToken, RefusesUnknownKeysAndWrongSignatures) {
  std::string token = issueDataplaneToken(cpKey(), backend(), kNow, kDay).value();
  auto unknown = verifyDataplaneToken({}, token, kNow, {});
  ASSERT_FALSE(unknown.isOk());
  EXPECT_NE(unknown.status().message().find("unknown key '1'"), std::string::npos);

  // Same kid, another key: as if a token were forged with a key of the attacker's.
  auto impostor = JwtSigningKey::generate(JwsAlgorithm::kEs256).value();
  auto forged = issueDataplaneToken({"1", impostor}, backend(), kNow, kDay);
  ASSERT_TRUE(forged.isOk());
  auto refused = verifyDataplaneToken(trusted(), forged.value(), kNow, {});
  ASSERT_FALSE(refused.isOk());
  EXPECT_NE(refused.status().message().find("refused"), std::string::npos);

  EXPECT_FALSE(verifyDataplaneToken(trusted(), "garbage", kNow, {}).isOk());
  // After a key rotation both keys verify.
  TokenSigningKey next{"2", JwtSigningKey::generate(JwsAlgorithm::kEs256).value()};
  auto keys = trusted();
  keys.emplace("2", next.key.verifyKey());
  auto from_next = issueDataplaneToken(next, backend(), kNow, kDay).value();
  EXPECT_TRUE(verifyDataplaneToken(keys, from_next, kNow, {}).isOk());
  EXPECT_TRUE(verifyDataplaneToken(keys, token, kNow, {}).isOk());
}

TEST(DataplaneToken, RefusesOtherTokenTypesAndBadClaims) {
  auto sign = [](const std::string& claims) { return signJwt(cpKey().key, claims, "1").value(); };
  std::string exp = std::to_string(kNow + 60);
  auto zone = verifyDataplaneToken(
      trusted(), sign(R"({"Mesh":"default","Type":"zone","jti":"a","exp":)" + exp + "}"), kNow, {});
  ASSERT_FALSE(zone.isOk());
  EXPECT_NE(zone.status().message().find("type 'zone'"), std::string::npos);
  EXPECT_FALSE(verifyDataplaneToken(
                   trusted(), sign(R"({"Type":"dataplane","jti":"a","exp":)" + exp + "}"), kNow, {})
                   .isOk());
  EXPECT_FALSE(
      verifyDataplaneToken(
          trusted(), sign(R"({"Mesh":"default","Type":"dataplane","exp":)" + exp + "}"), kNow, {})
          .isOk());
  EXPECT_FALSE(verifyDataplaneToken(trusted(),
                                    sign(R"({"Mesh":"default","Type":"dataplane","jti":"a",)"
                                         R"("Tags":{"kuma.io/service":"x"},"exp":)" +
                                         exp + "}"),
                                    kNow, {})
                   .isOk());
  // Without a kid the key cannot be chosen.
  std::string no_kid = signJwt(cpKey().key, R"({"Mesh":"default","Type":"dataplane","jti":"a",)"
                                            R"("exp":)" +
                                                exp + "}")
                           .value();
  EXPECT_FALSE(verifyDataplaneToken(trusted(), no_kid, kNow, {}).isOk());

  DataplaneTokenClaims no_mesh;
  EXPECT_FALSE(issueDataplaneToken(cpKey(), no_mesh, kNow, kDay).isOk());
  EXPECT_FALSE(issueDataplaneToken(cpKey(), backend(), kNow, std::chrono::seconds(0)).isOk());
  EXPECT_FALSE(issueDataplaneToken({"", cpKey().key}, backend(), kNow, kDay).isOk());
}

}  // namespace
}  // namespace causeway::pki
