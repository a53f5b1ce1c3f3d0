#include "wg/cookie.h"

#include <gtest/gtest.h>

#include "wg/constants.h"
#include "wg/deterministic_env.h"
#include "wg/x25519.h"

namespace causeway::wg {
namespace {

using namespace std::chrono_literals;

struct CookieTest : ::testing::Test {
  DeterministicEnv env{11};
  KeyPair responder = generateKeyPair(env);
  CookieChecker checker{responder.public_key};
  MacSigner signer{responder.public_key};
  TimePoint t0{std::chrono::hours(1)};
  std::vector<uint8_t> source = {10, 0, 0, 1, 0xca, 0x6c};

  std::array<uint8_t, kInitiationSize> message(uint8_t fill = 0x5a) {
    std::array<uint8_t, kInitiationSize> m;
    m.fill(fill);
    m[0] = 1;
    m[1] = m[2] = m[3] = 0;
    return m;
  }
};

TEST_F(CookieTest, Mac1ChecksAndBindsTheMessage) {
  auto m = message();
  signer.sign(m, t0);
  EXPECT_TRUE(checker.checkMac1(m));
  for (size_t i = 0; i < kInitiationSize - kMacSize; ++i) {
    auto bad = m;
    bad[i] ^= 1;
    EXPECT_FALSE(checker.checkMac1(bad)) << i;  // byte i changes mac1's input or mac1 itself
  }
  // mac2 is outside mac1's input.
  auto other_mac2 = m;
  other_mac2[kInitiationSize - 1] ^= 1;
  EXPECT_TRUE(checker.checkMac1(other_mac2));
  // Addressed to another key.
  const KeyPair other = generateKeyPair(env);
  CookieChecker other_checker(other.public_key);
  EXPECT_FALSE(other_checker.checkMac1(m));
}

TEST_F(CookieTest, Mac2IsZeroWithoutCookie) {
  auto m = message();
  signer.sign(m, t0);
  for (size_t i = mac2Offset(m.size()); i < m.size(); ++i) EXPECT_EQ(m[i], 0);
  EXPECT_FALSE(checker.checkMac2(m, source, t0));
}

TEST_F(CookieTest, CookieRoundTrip) {
  auto m = message();
  signer.sign(m, t0);
  const CookieReply reply = checker.makeReply(m, 42, source, t0, env);
  EXPECT_EQ(reply.receiver_index, 42u);
  ASSERT_TRUE(signer.consumeReply(reply, t0 + 1s));
  EXPECT_FALSE(signer.consumeReply(reply, t0 + 1s)) << "a reply answers one message";
  EXPECT_TRUE(signer.hasFreshCookie(t0 + 1s));

  auto retry = message(0x33);
  signer.sign(retry, t0 + 2s);
  EXPECT_TRUE(checker.checkMac1(retry));
  EXPECT_TRUE(checker.checkMac2(retry, source, t0 + 2s));
  // The cookie is tied to the source address.
  const std::vector<uint8_t> elsewhere = {10, 0, 0, 2, 0xca, 0x6c};
  EXPECT_FALSE(checker.checkMac2(retry, elsewhere, t0 + 2s));
  // And to the message.
  retry[10] ^= 1;
  EXPECT_FALSE(checker.checkMac2(retry, source, t0 + 2s));
}

TEST_F(CookieTest, ReplyBoundToTheMac1ItAnswers) {
  auto m = message();
  signer.sign(m, t0);
  auto first = m;
  auto later = message(0x77);
  signer.sign(later, t0);  // the signer now waits for a reply to `later`
  const CookieReply stale = checker.makeReply(first, 1, source, t0, env);
  EXPECT_FALSE(signer.consumeReply(stale, t0));
  CookieReply tampered = checker.makeReply(later, 1, source, t0, env);
  tampered.encrypted_cookie[3] ^= 1;
  EXPECT_FALSE(signer.consumeReply(tampered, t0));
  EXPECT_TRUE(signer.consumeReply(checker.makeReply(later, 1, source, t0, env), t0));
}

TEST_F(CookieTest, CookiesAndSecretsExpire) {
  auto m = message();
  signer.sign(m, t0);
  ASSERT_TRUE(signer.consumeReply(checker.makeReply(m, 1, source, t0, env), t0));
  auto late = message();
  signer.sign(late, t0 + kCookieLifetime);
  for (size_t i = mac2Offset(late.size()); i < late.size(); ++i) EXPECT_EQ(late[i], 0);

  // The responder's secret (made at t0) renews after its lifetime: cookies from it stop working.
  auto m2 = message(1);
  signer.sign(m2, t0 + 1s);
  ASSERT_TRUE(signer.consumeReply(checker.makeReply(m2, 1, source, t0 + 1s, env), t0 + 1s));
  auto ok = message(2);
  signer.sign(ok, t0 + 100s);
  EXPECT_TRUE(checker.checkMac2(ok, source, t0 + 100s));
  EXPECT_FALSE(checker.checkMac2(ok, source, t0 + kCookieLifetime));
}

}  // namespace
}  // namespace causeway::wg
