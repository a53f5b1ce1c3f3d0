#include "pki/jwt.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

namespace causeway::pki {
namespace {

constexpr int64_t kNow = 1767225600;  // 2026-01-01 00:00:00 UTC

const JwtSigningKey& rsaKey() {
  static const JwtSigningKey key = JwtSigningKey::generate(JwsAlgorithm::kRs256).value();
  return key;
}

const JwtSigningKey& ecKey() {
  static const JwtSigningKey key = JwtSigningKey::generate(JwsAlgorithm::kEs256).value();
  return key;
}

JwtVerifyOptions at(int64_t now) {
  JwtVerifyOptions options;
  options.now = now;
  return options;
}

std::string claims(int64_t exp) {
  return R"({"sub":"backend","iat":)" + std::to_string(kNow) + R"(,"exp":)" + std::to_string(exp) +
         "}";
}

struct Split {
  std::string header, payload, signature;
};

Split split(const std::string& token) {
  size_t a = token.find('.');
  size_t b = token.find('.', a + 1);
  return {token.substr(0, a), token.substr(a + 1, b - a - 1), token.substr(b + 1)};
}

TEST(Base64Url, IsStrict) {
  EXPECT_EQ(base64UrlEncode("a"), "YQ");
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(base64UrlDecode("YQ").value(), "a");
  EXPECT_EQ(base64UrlDecode("-_8").value(), "\xfb\xff");
  EXPECT_EQ(base64UrlDecode("").value(), "");
  EXPECT_FALSE(base64UrlDecode("YQ==").isOk());  // padding
  EXPECT_FALSE(base64UrlDecode("YR").isOk());    // non-canonical trailing bits
  EXPECT_FALSE(base64UrlDecode("+/8").isOk());   // standard alphabet
  EXPECT_FALSE(base64UrlDecode("Y").isOk());     // impossible length
  EXPECT_FALSE(base64UrlDecode("Y Q").isOk());
}

TEST(Jwt, RoundTripsWithRs256AndEs256) {
  for (const JwtSigningKey* key : {&rsaKey(), &ecKey()}) {
    auto token = signJwt(*key, claims(kNow + 600), "key-1");
    ASSERT_TRUE(token.isOk()) << token.status().message();
    EXPECT_EQ(jwtKeyId(token.value()).value(), "key-1");
    auto header = base64UrlDecode(split(token.value()).header).value();
    EXPECT_NE(header.find(std::string("\"alg\":\"") + jwsAlgorithmName(key->algorithm()) + "\""),
              std::string::npos);
    auto payload = verifyJwt(key->verifyKey(), token.value(), at(kNow));
    ASSERT_TRUE(payload.isOk()) << payload.status().message();
    EXPECT_NE(payload->find("\"sub\":\"backend\""), std::string::npos);
  }
  EXPECT_EQ(base64UrlDecode(split(signJwt(ecKey(), claims(kNow + 1)).value()).signature)->size(),
            64u);
  EXPECT_EQ(rsaKey().verifyKey().algorithm(), JwsAlgorithm::kRs256);
  EXPECT_EQ(ecKey().verifyKey().algorithm(), JwsAlgorithm::kEs256);
}

TEST(Jwt, KeysSurvivePem) {
  auto rsa = JwtSigningKey::fromPem(rsaKey().toPem().view());
  ASSERT_TRUE(rsa.isOk()) << rsa.status().message();
  auto pub = JwtVerifyKey::fromPem(rsaKey().verifyKey().toPem());
  ASSERT_TRUE(pub.isOk());
  auto token = signJwt(rsa.value(), claims(kNow + 60));
  ASSERT_TRUE(token.isOk());
  EXPECT_TRUE(verifyJwt(pub.value(), token.value(), at(kNow)).isOk());
  EXPECT_FALSE(JwtSigningKey::generate(JwsAlgorithm::kRs256, 1024).isOk());
}

TEST(Jwt, RefusesATamperedPayloadOrSignature) {
  for (const JwtSigningKey* key : {&rsaKey(), &ecKey()}) {
    std::string token = signJwt(*key, claims(kNow + 600)).value();
    Split parts = split(token);
    std::string other_payload =
        base64UrlEncode(R"({"sub":"admin","exp":)" + std::to_string(kNow + 600) + "}");
    std::string swapped = parts.header + "." + other_payload + "." + parts.signature;
    auto refused = verifyJwt(key->verifyKey(), swapped, at(kNow));
    ASSERT_FALSE(refused.isOk());
    EXPECT_NE(refused.status().message().find("signature"), std::string::npos);

    std::string sig = base64UrlDecode(parts.signature).value();
    sig[sig.size() / 2] = char(sig[sig.size() / 2] ^ 0x01);
    EXPECT_FALSE(verifyJwt(key->verifyKey(),
                           parts.header + "." + parts.payload + "." + base64UrlEncode(sig),
                           at(kNow))
                     .isOk());
    EXPECT_FALSE(
        verifyJwt(key->verifyKey(), parts.header + "." + parts.payload + ".", at(kNow)).isOk());
    EXPECT_FALSE(verifyJwt(key->verifyKey(), token + "=", at(kNow)).isOk());
    EXPECT_FALSE(verifyJwt(key->verifyKey(), token + ".x", at(kNow)).isOk());
  }
  // A token from another key of the same type.
  auto stranger = JwtSigningKey::generate(JwsAlgorithm::kEs256).value();
  EXPECT_FALSE(
      verifyJwt(ecKey().verifyKey(), signJwt(stranger, claims(kNow + 60)).value(), at(kNow))
          .isOk());
}

TEST(Jwt, RefusesAlgNone) {
  std::string payload = base64UrlEncode(claims(kNow + 600));
  std::string none = base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".";
  for (const JwtSigningKey* key : {&rsaKey(), &ecKey()}) {
    auto refused = verifyJwt(key->verifyKey(), none, at(kNow));
    ASSERT_FALSE(refused.isOk());
    EXPECT_NE(refused.status().message().find("'none' refused"), std::string::npos)
        << refused.status().message();
  }
  // Even with a valid signature of the same input: the header decides nothing.
  std::string input = base64UrlEncode(R"({"alg":"none"})") + "." + payload;
  std::string real = signJwt(ecKey(), claims(kNow + 600)).value();
  EXPECT_FALSE(
      verifyJwt(ecKey().verifyKey(), input + "." + split(real).signature, at(kNow)).isOk());
}

TEST(Jwt, RefusesAlgorithmConfusion) {
  // The classic attack: HS256 with the RSA public key (which everyone has) as the HMAC secret.
  std::string public_pem = rsaKey().verifyKey().toPem();
  std::string input =
      base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." + base64UrlEncode(claims(kNow + 600));
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  ASSERT_NE(HMAC(EVP_sha256(), public_pem.data(), int(public_pem.size()),
                 reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len),
            nullptr);
  std::string forged =
      input + "." + base64UrlEncode(std::string(reinterpret_cast<char*>(mac), mac_len));
  auto refused = verifyJwt(rsaKey().verifyKey(), forged, at(kNow));
  ASSERT_FALSE(refused.isOk());
  EXPECT_NE(refused.status().message().find("'HS256' refused"), std::string::npos);

  // An ES256 token relabelled RS256, or checked with an RSA key, and the other way round.
  std::string es = signJwt(ecKey(), claims(kNow + 600)).value();
  Split parts = split(es);
  std::string relabelled = base64UrlEncode(R"({"alg":"RS256","typ":"JWT"})") + "." + parts.payload +
                           "." + parts.signature;
  EXPECT_FALSE(verifyJwt(ecKey().verifyKey(), relabelled, at(kNow)).isOk());
  EXPECT_FALSE(verifyJwt(rsaKey().verifyKey(), es, at(kNow)).isOk());
  EXPECT_FALSE(
      verifyJwt(ecKey().verifyKey(), signJwt(rsaKey(), claims(kNow + 600)).value(), at(kNow))
          .isOk());
  // Unknown critical extensions are refused.
  std::string crit = base64UrlEncode(R"({"alg":"ES256","crit":["x"],"x":1})") + "." + parts.payload;
  EXPECT_FALSE(verifyJwt(ecKey().verifyKey(), crit + "." + parts.signature, at(kNow)).isOk());
}

TEST(Jwt, ChecksExpNbfAndIat) {
  std::string token = signJwt(ecKey(), claims(kNow + 600)).value();
  EXPECT_TRUE(verifyJwt(ecKey().verifyKey(), token, at(kNow + 599)).isOk());
  auto expired = verifyJwt(ecKey().verifyKey(), token, at(kNow + 600));
  ASSERT_FALSE(expired.isOk());
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);
  JwtVerifyOptions lenient = at(kNow + 600);
  lenient.leeway = 30;
  EXPECT_TRUE(verifyJwt(ecKey().verifyKey(), token, lenient).isOk());

  // iat in the future.
  EXPECT_FALSE(verifyJwt(ecKey().verifyKey(), token, at(kNow - 10)).isOk());
  std::string later = signJwt(ecKey(), R"({"nbf":)" + std::to_string(kNow + 100) + R"(,"exp":)" +
                                           std::to_string(kNow + 600) + "}")
                          .value();
  auto early = verifyJwt(ecKey().verifyKey(), later, at(kNow));
  ASSERT_FALSE(early.isOk());
  EXPECT_NE(early.status().message().find("not valid before"), std::string::npos);
  EXPECT_TRUE(verifyJwt(ecKey().verifyKey(), later, at(kNow + 100)).isOk());

  std::string forever = signJwt(ecKey(), R"({"sub":"x"})").value();
  EXPECT_FALSE(verifyJwt(ecKey().verifyKey(), forever, at(kNow)).isOk());
  JwtVerifyOptions no_exp = at(kNow);
  no_exp.require_exp = false;
  EXPECT_TRUE(verifyJwt(ecKey().verifyKey(), forever, no_exp).isOk());

  std::string bad_exp = signJwt(ecKey(), R"({"exp":"tomorrow"})").value();
  EXPECT_FALSE(verifyJwt(ecKey().verifyKey(), bad_exp, at(kNow)).isOk());
  EXPECT_FALSE(signJwt(ecKey(), "[1,2]").isOk());
  EXPECT_FALSE(signJwt(ecKey(), "{").isOk());
}

}  // namespace
}  // namespace causeway::pki
