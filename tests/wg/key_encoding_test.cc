#include "wg/key_encoding.h"

#include <gtest/gtest.h>

#include "wg/deterministic_env.h"
#include "wg/x25519.h"

namespace causeway::wg {
namespace {

TEST(KeyEncoding, RoundTrips) {
  DeterministicEnv env(3);
  for (int i = 0; i < 50; ++i) {
    const KeyPair kp = generateKeyPair(env);
    const std::string pub = encodeKey(kp.public_key);
    ASSERT_EQ(pub.size(), 44u);
    EXPECT_EQ(pub.back(), '=');
    EXPECT_EQ(decodePublicKey(pub), kp.public_key);
    const std::optional<Key> priv = decodeSecretKey(encodeKey(kp.private_key));
    ASSERT_TRUE(priv);
    EXPECT_TRUE(constantTimeEqual(priv->span(), kp.private_key.span()));
  }
}

TEST(KeyEncoding, KnownValue) {
  PublicKey zero{};
  EXPECT_EQ(encodeKey(zero), "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");
  PublicKey ff;
  ff.fill(0xff);
  EXPECT_EQ(encodeKey(ff), "//////////////////////////////////////////8=");
  PublicKey counting;
  for (size_t i = 0; i < 32; ++i) counting[i] = uint8_t(i);
  EXPECT_EQ(encodeKey(counting), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=");
}

TEST(KeyEncoding, StrictDecoding) {
  const std::string good = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  EXPECT_TRUE(decodePublicKey(good));
  EXPECT_FALSE(decodePublicKey(""));
  EXPECT_FALSE(decodePublicKey(good.substr(0, 43)));                              // no padding
  EXPECT_FALSE(decodePublicKey(good + "="));                                      // too long
  EXPECT_FALSE(decodePublicKey(" " + good.substr(1)));                            // whitespace
  EXPECT_FALSE(decodePublicKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh-="));  // url alphabet
  EXPECT_FALSE(decodePublicKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9="));  // stray bits
  EXPECT_FALSE(decodePublicKey("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdH==="));  // 31 bytes
  EXPECT_FALSE(decodeSecretKey("not a key"));
}

}  // namespace
}  // namespace causeway::wg
