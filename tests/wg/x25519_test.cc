#include "wg/x25519.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "wg/deterministic_env.h"

namespace causeway::wg {
namespace {

std::array<uint8_t, 32> hex32(std::string_view hex) {
  std::array<uint8_t, 32> out{};
  for (size_t i = 0; i < 32; ++i)
    out[i] = uint8_t(std::stoi(std::string(hex.substr(2 * i, 2)), nullptr, 16));
  return out;
}

Key keyFromHex(std::string_view hex) {
  Key k;
  k.assign(hex32(hex));
  return k;
}

// RFC 7748 section 6.1.
constexpr std::string_view kAlicePrivate =
    "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
constexpr std::string_view kAlicePublic =
    "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
constexpr std::string_view kBobPrivate =
    "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
constexpr std::string_view kBobPublic =
    "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
constexpr std::string_view kShared =
    "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

TEST(X25519, PublicKeysOfRfc7748Example) {
  EXPECT_EQ(publicKeyOf(keyFromHex(kAlicePrivate)), hex32(kAlicePublic));
  EXPECT_EQ(publicKeyOf(keyFromHex(kBobPrivate)), hex32(kBobPublic));
}

TEST(X25519, SharedSecretOfRfc7748Example) {
  const std::optional<Key> ab = dh(keyFromHex(kAlicePrivate), hex32(kBobPublic));
  const std::optional<Key> ba = dh(keyFromHex(kBobPrivate), hex32(kAlicePublic));
  ASSERT_TRUE(ab && ba);
  const Key expected = keyFromHex(kShared);
  EXPECT_TRUE(constantTimeEqual(ab->span(), expected.span()));
  EXPECT_TRUE(constantTimeEqual(ba->span(), expected.span()));
}

TEST(X25519, Rfc7748FunctionVector) {
  // Section 5.2, first vector: the scalar is clamped by X25519 itself.
  const std::optional<Key> out =
      dh(keyFromHex("a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4"),
         hex32("e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c"));
  ASSERT_TRUE(out);
  const Key expected =
      keyFromHex("c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552");
  EXPECT_TRUE(constantTimeEqual(out->span(), expected.span()));
}

TEST(X25519, LowOrderPointRefused) {
  PublicKey zero{};  // u = 0 has order 4: every product is zero
  EXPECT_FALSE(dh(keyFromHex(kAlicePrivate), zero));
  PublicKey one{};
  one[0] = 1;  // u = 1 has order 1
  EXPECT_FALSE(dh(keyFromHex(kAlicePrivate), one));
}

TEST(X25519, GeneratedKeysAreClampedAndAgree) {
  DeterministicEnv env(7);
  const KeyPair a = generateKeyPair(env);
  const KeyPair b = generateKeyPair(env);
  EXPECT_EQ(a.private_key[0] & 7, 0);
  EXPECT_EQ(a.private_key[31] & 0x80, 0);
  EXPECT_EQ(a.private_key[31] & 0x40, 0x40);
  const std::optional<Key> ab = dh(a.private_key, b.public_key);
  const std::optional<Key> ba = dh(b.private_key, a.public_key);
  ASSERT_TRUE(ab && ba);
  EXPECT_TRUE(constantTimeEqual(ab->span(), ba->span()));
}

TEST(SecretBytes, MoveWipesTheSource) {
  Key k = keyFromHex(kAlicePrivate);
  Key moved(std::move(k));
  EXPECT_TRUE(k.isZero());  // NOLINT(bugprone-use-after-move): the point of the test
  EXPECT_FALSE(moved.isZero());
  moved.wipe();
  EXPECT_TRUE(moved.isZero());
}

}  // namespace
}  // namespace causeway::wg
