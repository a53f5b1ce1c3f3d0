#include "wg/chacha20poly1305.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <string_view>
#include <vector>

namespace causeway::wg {
namespace {

std::vector<uint8_t> hex(std::string_view h) {
  std::vector<uint8_t> out;
  std::string digits;
  for (char c : h) {
    if (std::isxdigit(static_cast<unsigned char>(c))) digits += c;
  }
  for (size_t i = 0; i + 1 < digits.size(); i += 2) {
    out.push_back(uint8_t(std::stoi(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

std::vector<uint8_t> bytes(std::string_view s) { return {s.begin(), s.end()}; }

Key rangeKey(uint8_t first) {
  Key k;
  for (size_t i = 0; i < 32; ++i) k[i] = uint8_t(first + i);
  return k;
}

constexpr std::string_view kSunscreen =
    "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, "
    "sunscreen would be it.";

// RFC 8439 section 2.8.2.
TEST(ChaCha20Poly1305, Rfc8439Vector) {
  const Key key = rangeKey(0x80);
  const std::vector<uint8_t> nonce = hex("07000000 4041424344454647");
  const std::vector<uint8_t> ad = hex("50515253 c0c1c2c3 c4c5c6c7");
  const std::vector<uint8_t> plain = bytes(kSunscreen);
  const std::vector<uint8_t> expected =
      hex("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
          "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
          "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
          "3ff4def08e4b7a9de576d26586cec64b6116"
          "1ae10b594f09e26a7e902ecbd0600691");
  AeadKey k(key);
  ASSERT_TRUE(k.valid());
  std::vector<uint8_t> sealed(plain.size() + kAeadTagSize);
  ASSERT_TRUE(k.sealWithNonce(std::span<const uint8_t, 12>(nonce.data(), 12), plain, ad, sealed));
  EXPECT_EQ(sealed, expected);
  std::vector<uint8_t> opened(plain.size());
  ASSERT_TRUE(k.openWithNonce(std::span<const uint8_t, 12>(nonce.data(), 12), sealed, ad, opened));
  EXPECT_EQ(opened, plain);
}

TEST(ChaCha20Poly1305, CounterIsLittleEndianAfterFourZeroBytes) {
  const Key key = rangeKey(1);
  const std::vector<uint8_t> nonce = hex("00000000 0807060504030201");
  const std::vector<uint8_t> plain = bytes("hello");
  std::vector<uint8_t> a(plain.size() + kAeadTagSize), b(a.size());
  AeadKey k(key);
  ASSERT_TRUE(k.sealWithNonce(std::span<const uint8_t, 12>(nonce.data(), 12), plain, {}, a));
  ASSERT_TRUE(aeadSeal(key, 0x0102030405060708ull, plain, {}, b));
  EXPECT_EQ(a, b);
}

TEST(ChaCha20Poly1305, EveryTamperedByteIsRefused) {
  const Key key = rangeKey(3);
  const std::vector<uint8_t> plain = bytes("some inner packet");
  const std::vector<uint8_t> ad = bytes("ad");
  std::vector<uint8_t> sealed(plain.size() + kAeadTagSize);
  ASSERT_TRUE(aeadSeal(key, 9, plain, ad, sealed));
  std::vector<uint8_t> out(plain.size());
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::vector<uint8_t> bad = sealed;
    bad[i] ^= 0x20;
    EXPECT_FALSE(aeadOpen(key, 9, bad, ad, out)) << i;
    EXPECT_EQ(out, std::vector<uint8_t>(plain.size(), 0)) << "no unauthenticated plaintext";
  }
  EXPECT_FALSE(aeadOpen(key, 10, sealed, ad, out)) << "wrong counter";
  EXPECT_FALSE(aeadOpen(key, 9, sealed, bytes("AD"), out)) << "wrong additional data";
  EXPECT_FALSE(aeadOpen(rangeKey(4), 9, sealed, ad, out)) << "wrong key";
  ASSERT_TRUE(aeadOpen(key, 9, sealed, ad, out));
  EXPECT_EQ(out, plain);
}

TEST(ChaCha20Poly1305, EmptyPlaintextIsATag) {
  const Key key = rangeKey(5);
  uint8_t tag[kAeadTagSize];
  ASSERT_TRUE(aeadSeal(key, 0, {}, bytes("hash"), tag));
  EXPECT_TRUE(aeadOpen(key, 0, tag, bytes("hash"), std::span<uint8_t>()));
  EXPECT_FALSE(aeadOpen(key, 0, tag, bytes("hasH"), std::span<uint8_t>()));
  EXPECT_FALSE(aeadOpen(key, 0, std::span<const uint8_t>(tag, 15), {}, std::span<uint8_t>()));
}

TEST(ChaCha20Poly1305, InPlaceAndContextReuse) {
  const Key key = rangeKey(6);
  AeadKey k(key);
  for (uint64_t counter = 0; counter < 4; ++counter) {
    std::vector<uint8_t> buf = bytes("in place, message #");
    buf.push_back(uint8_t('0' + counter));
    const std::vector<uint8_t> plain = buf;
    buf.resize(plain.size() + kAeadTagSize);
    ASSERT_TRUE(k.seal(counter, std::span(buf).first(plain.size()), {}, buf));
    std::vector<uint8_t> fresh(buf.size());
    ASSERT_TRUE(aeadSeal(key, counter, plain, {}, fresh));
    EXPECT_EQ(buf, fresh);
    ASSERT_TRUE(k.open(counter, buf, {}, std::span(buf).first(plain.size())));
    EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + plain.size()), plain);
  }
}

TEST(ChaCha20Poly1305, WrongOutputSizeRefused) {
  const Key key = rangeKey(7);
  std::vector<uint8_t> out(10);
  EXPECT_FALSE(aeadSeal(key, 0, bytes("12345"), {}, out));
}

// draft-irtf-cfrg-xchacha-03 section 2.2.1.
TEST(XChaCha20Poly1305, HChaCha20Vector) {
  const Key key = rangeKey(0);
  const std::vector<uint8_t> nonce = hex("000000090000004a0000000031415927");
  const Key subkey = hchacha20(key, std::span<const uint8_t, 16>(nonce.data(), 16));
  // The draft's "HChaCha state after 20 rounds", rows one and four, in the byte order of its
  // figure (the order the draft's own XChaCha20-Poly1305 vector below depends on).
  const std::vector<uint8_t> want =
      hex("82413b42 27b27bfe d30e4250 8a877d73 a0f9e4d5 8a74a853 c12ec413 26d3ecdc");
  EXPECT_EQ(std::vector<uint8_t>(subkey.data(), subkey.data() + 32), want);
}

// draft-irtf-cfrg-xchacha-03 appendix A.3.1.
TEST(XChaCha20Poly1305, DraftVector) {
  const Key key = rangeKey(0x80);
  XNonce nonce;
  for (size_t i = 0; i < 24; ++i) nonce[i] = uint8_t(0x40 + i);
  const std::vector<uint8_t> ad = hex("50515253 c0c1c2c3 c4c5c6c7");
  const std::vector<uint8_t> plain = bytes(kSunscreen);
  const std::vector<uint8_t> expected =
      hex("bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb"
          "731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452"
          "2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff9"
          "21f9664c97637da9768812f615c68b13b52e"
          "c0875924c1c7987947deafd8780acf49");
  std::vector<uint8_t> sealed(plain.size() + kAeadTagSize);
  ASSERT_TRUE(xaeadSeal(key, nonce, plain, ad, sealed));
  EXPECT_EQ(sealed, expected);
  std::vector<uint8_t> opened(plain.size());
  ASSERT_TRUE(xaeadOpen(key, nonce, sealed, ad, opened));
  EXPECT_EQ(opened, plain);
  sealed[0] ^= 1;
  EXPECT_FALSE(xaeadOpen(key, nonce, sealed, ad, opened));
}

}  // namespace
}  // namespace causeway::wg
