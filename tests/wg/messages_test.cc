#include "wg/messages.h"

#include <gtest/gtest.h>

#include <vector>

namespace causeway::wg {
namespace {

template <size_t N>
std::array<uint8_t, N> pattern(uint8_t seed) {
  std::array<uint8_t, N> a;
  for (size_t i = 0; i < N; ++i) a[i] = uint8_t(seed + 7 * i);
  return a;
}

Initiation sampleInitiation() {
  Initiation m;
  m.sender_index = 0x11223344;
  m.ephemeral = pattern<32>(1);
  m.encrypted_static = pattern<48>(2);
  m.encrypted_timestamp = pattern<28>(3);
  m.mac1 = pattern<16>(4);
  m.mac2 = pattern<16>(5);
  return m;
}

TEST(Messages, InitiationLayout) {
  const auto bytes = serialize(sampleInitiation());
  ASSERT_EQ(bytes.size(), 148u);
  EXPECT_EQ(bytes[0], 1);
  EXPECT_EQ(bytes[1] | bytes[2] | bytes[3], 0);
  EXPECT_EQ(bytes[4], 0x44);  // little-endian sender index
  EXPECT_EQ(bytes[7], 0x11);
  EXPECT_EQ(bytes[8], 1);    // ephemeral starts at 8
  EXPECT_EQ(bytes[40], 2);   // static at 40
  EXPECT_EQ(bytes[88], 3);   // timestamp at 88
  EXPECT_EQ(bytes[116], 4);  // mac1 at 116
  EXPECT_EQ(bytes[132], 5);  // mac2 at 132
  EXPECT_EQ(mac1Offset(bytes.size()), 116u);
  EXPECT_EQ(mac2Offset(bytes.size()), 132u);
  const std::optional<Initiation> back = parseInitiation(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(serialize(*back), bytes);
  EXPECT_EQ(messageType(bytes), MessageType::kInitiation);
}

TEST(Messages, ResponseLayout) {
  Response m;
  m.sender_index = 0xaabbccdd;
  m.receiver_index = 0x01020304;
  m.ephemeral = pattern<32>(9);
  m.encrypted_nothing = pattern<16>(10);
  m.mac1 = pattern<16>(11);
  m.mac2 = pattern<16>(12);
  const auto bytes = serialize(m);
  ASSERT_EQ(bytes.size(), 92u);
  EXPECT_EQ(bytes[0], 2);
  EXPECT_EQ(bytes[4], 0xdd);
  EXPECT_EQ(bytes[8], 0x04);
  EXPECT_EQ(bytes[12], 9);
  EXPECT_EQ(bytes[44], 10);
  EXPECT_EQ(bytes[60], 11);
  EXPECT_EQ(bytes[76], 12);
  const std::optional<Response> back = parseResponse(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(serialize(*back), bytes);
}

TEST(Messages, CookieReplyLayout) {
  CookieReply m;
  m.receiver_index = 7;
  m.nonce = pattern<24>(20);
  m.encrypted_cookie = pattern<32>(21);
  const auto bytes = serialize(m);
  ASSERT_EQ(bytes.size(), 64u);
  EXPECT_EQ(bytes[0], 3);
  EXPECT_EQ(bytes[4], 7);
  EXPECT_EQ(bytes[8], 20);
  EXPECT_EQ(bytes[32], 21);
  const std::optional<CookieReply> back = parseCookieReply(bytes);
  ASSERT_TRUE(back);
  EXPECT_EQ(serialize(*back), bytes);
}

TEST(Messages, TransportHeader) {
  std::vector<uint8_t> bytes(32, 0xee);
  writeTransportHeader({0x0a0b0c0d, 0x0102030405060708ull},
                       std::span<uint8_t, kTransportHeaderSize>(bytes.data(), 16));
  EXPECT_EQ(bytes[0], 4);
  EXPECT_EQ(bytes[4], 0x0d);
  EXPECT_EQ(bytes[8], 0x08);
  EXPECT_EQ(bytes[15], 0x01);
  const std::optional<TransportHeader> h = parseTransportHeader(bytes);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->receiver_index, 0x0a0b0c0du);
  EXPECT_EQ(h->counter, 0x0102030405060708ull);
  bytes.resize(31);  // shorter than a keepalive
  EXPECT_FALSE(parseTransportHeader(bytes));
}

TEST(Messages, StrictSizesAndReservedBytes) {
  auto init = serialize(sampleInitiation());
  std::vector<uint8_t> v(init.begin(), init.end());
  v.push_back(0);
  EXPECT_FALSE(parseInitiation(v)) << "one byte too long";
  v.resize(147);
  EXPECT_FALSE(parseInitiation(v)) << "one byte too short";
  for (size_t i = 1; i < 4; ++i) {
    auto bad = init;
    bad[i] = 1;
    EXPECT_FALSE(parseInitiation(bad)) << "reserved byte " << i;
    EXPECT_FALSE(messageType(bad));
  }
  auto wrong_type = init;
  wrong_type[0] = 2;
  EXPECT_FALSE(parseInitiation(wrong_type));
  EXPECT_FALSE(parseResponse(wrong_type));
  const std::vector<uint8_t> type5 = {5, 0, 0, 0};
  EXPECT_FALSE(messageType(type5));
  const std::vector<uint8_t> type0 = {0, 0, 0, 0};
  EXPECT_FALSE(messageType(type0));
  EXPECT_FALSE(messageType(std::vector<uint8_t>{1, 0, 0}));
  std::vector<uint8_t> data(40, 0);
  data[0] = 4;
  data[2] = 1;
  EXPECT_FALSE(parseTransportHeader(data));
  std::vector<uint8_t> cookie(65, 0);
  cookie[0] = 3;
  EXPECT_FALSE(parseCookieReply(cookie));
  cookie.resize(64);
  EXPECT_TRUE(parseCookieReply(cookie));
}

}  // namespace
}  // namespace causeway::wg
