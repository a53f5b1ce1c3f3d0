#include "wg/blake2s.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace causeway::wg {
namespace {

std::vector<uint8_t> hex(std::string_view h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) {
    out.push_back(uint8_t(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  }
  return out;
}

template <class T>
std::vector<uint8_t> vec(const T& a) {
  return {a.data(), a.data() + a.size()};
}

Bytes text(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

std::vector<uint8_t> counting(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(i);
  return v;
}

TEST(Blake2s, Rfc7693Abc) {
  EXPECT_EQ(vec(blake2s({text("abc")})),
            hex("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982"));
}

TEST(Blake2s, PartsHashAsTheirConcatenation) {
  EXPECT_EQ(blake2s({text("a"), text(""), text("bc")}), blake2s({text("abc")}));
}

// The first keyed known answer of the BLAKE2 reference (key 00..1f, empty input), and the same
// key over 00 01 02.
TEST(Blake2s, KeyedKnownAnswers) {
  const std::vector<uint8_t> key = counting(32);
  EXPECT_EQ(vec(blake2sMac32(key, {})),
            hex("48a8997da407876b3d79c0d92325ad3b89cbb754d86ab71aee047ad345fd2c49"));
  const std::vector<uint8_t> in = counting(3);
  EXPECT_EQ(vec(blake2sMac32(key, {in})),
            hex("1d220dbe2ee134661fdf6d9e74b41704710556f2f6e5a091b227697445dbea6b"));
}

TEST(Blake2s, SixteenByteMacIsItsOwnFunction) {
  // BLAKE2s with a 16-byte output length parameter (key 00..0f, input 00..3f); computed with
  // Python's hashlib.blake2s(digest_size=16). Not a truncation of the 32-byte output.
  const std::vector<uint8_t> key = counting(16);
  const std::vector<uint8_t> in = counting(64);
  EXPECT_EQ(vec(blake2sMac16(key, {in})), hex("dd55c51c98f8ab96ed272882941f0b6a"));
  const Hash full = blake2sMac32(key, {in});
  EXPECT_NE(vec(blake2sMac16(key, {in})), std::vector<uint8_t>(full.begin(), full.begin() + 16));
}

// Expected values from Python's hmac.new(key, msg, hashlib.blake2s), an independent HMAC.
TEST(HmacBlake2s, MatchesRfc2104Construction) {
  EXPECT_EQ(vec(hmacBlake2s(counting(32), {text("WireGuard HMAC-"), text("BLAKE2s test")})),
            hex("99cfd769283cbc506e6f2248d79ff61d599bc5d65db46aa7a2b0b99b54b854d0"));
  // A key longer than the 64-byte block is hashed first.
  EXPECT_EQ(vec(hmacBlake2s(counting(100), {text("WireGuard HMAC-BLAKE2s test")})),
            hex("bb0fb66a8102820e8c066bee69938c48553a981eda05fa606afcf4c46100d7cb"));
}

// Expected values from the KDF written out in Python over hmac/hashlib.
TEST(Kdf, ChainsOfHmac) {
  const Key zero;
  const Kdf3Out k3 = kdf3(zero, text("input"));
  EXPECT_EQ(vec(k3.first), hex("fbff6119f265251560576e82518f61aeb420cff55b5dcf649475b758a01f3951"));
  EXPECT_EQ(vec(k3.second),
            hex("a534dd2f7d3e7e614508dba7c675d5cf1008b383670cd8fd46231aa38bbfb618"));
  EXPECT_EQ(vec(k3.third), hex("618328297d2af9af1df2c2ef6bba1ab41ddfb8e0fd0ee8bdb7ef237790eba011"));
  const Kdf2Out k2 = kdf2(zero, text("input"));
  EXPECT_EQ(vec(k2.first), vec(k3.first));
  EXPECT_EQ(vec(k2.second), vec(k3.second));
  EXPECT_EQ(vec(kdf1(zero, text("input"))), vec(k3.first));

  Key key;
  key.assign(std::span<const uint8_t, 32>(counting(32).data(), 32));
  const Kdf2Out empty = kdf2(key, {});
  EXPECT_EQ(vec(empty.first),
            hex("7a38c34bf2b8738d7374ca77c44ecb309a11d2b2528304fa86052c365e722624"));
  EXPECT_EQ(vec(empty.second),
            hex("1a17621f346abdc520746a9fb64d8eb03231d674fc15687537b0780fd9c060fd"));
}

TEST(Blake2s, ProtocolInitialChainingKeyAndHash) {
  // HASH(CONSTRUCTION) and HASH(that || IDENTIFIER): every WireGuard handshake starts from them.
  const Hash c = blake2s({text("Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s")});
  EXPECT_EQ(vec(c), hex("60e26daef327efc02ec335e2a025d2d016eb4206f87277f52d38d1988b78cd36"));
  EXPECT_EQ(vec(blake2s({c, text("WireGuard v1 zx2c4 Jason@zx2c4.com")})),
            hex("2211b361081ac566691243db458ad5322d9c6c662293e8b70ee19c65ba079ef3"));
}

TEST(Crypto, SelfTestPasses) { EXPECT_TRUE(cryptoSelfTest().isOk()) << cryptoSelfTest().message(); }

}  // namespace
}  // namespace causeway::wg
