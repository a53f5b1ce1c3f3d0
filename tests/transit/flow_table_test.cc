#include "transit/flow_table.h"

#include <gtest/gtest.h>

#include <vector>

namespace causeway::transit {
namespace {

using namespace std::chrono_literals;

std::vector<uint8_t> tcp(uint8_t last_src_octet, uint16_t sport) {
  std::vector<uint8_t> p(40, 0);
  p[0] = 0x45, p[9] = 6;
  p[12] = 10, p[13] = 1, p[15] = last_src_octet;
  p[16] = 10, p[17] = 2, p[19] = 10;
  p[20] = uint8_t(sport >> 8), p[21] = uint8_t(sport), p[23] = 80;
  return p;
}

TEST(FlowTable, CountsExpiresWhenIdleAndReportsActiveFlows) {
  FlowTable t(FlowOptions{10s, 60s, 100});
  const TimePoint t0{std::chrono::hours(1)};
  auto a = tcp(1, 1000), b = tcp(2, 2000);
  auto pa = parsePacket(a), pb = parsePacket(b);
  t.record(*pa, 100, t0, "prod", "shared", true, "");
  t.record(*pa, 200, t0 + 1s, "prod", "shared", true, "");
  t.record(*pb, 50, t0 + 1s, "prod", "dev", false, "domain");
  std::vector<FlowRecord> out;
  t.expire(t0 + 5s, out);
  EXPECT_TRUE(out.empty());
  t.record(*pb, 50, t0 + 8s, "prod", "dev", false, "domain");
  t.expire(t0 + 11s, out);  // a idle 10 s, b only 3 s
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].packets, 2u);
  EXPECT_EQ(out[0].bytes, 300u);
  const std::string json = flowJson(out[0], "s1", 1000.0, t0 + 11s);
  EXPECT_EQ(json,
            "{\"gateway\":\"s1\",\"src\":\"10.1.0.1\",\"dst\":\"10.2.0.10\",\"proto\":\"tcp\","
            "\"sport\":1000,\"dport\":80,\"packets\":2,\"bytes\":300,\"first_seen\":989.000,"
            "\"last_seen\":990.000,\"src_domain\":\"prod\",\"dst_domain\":\"shared\","
            "\"verdict\":\"allow\",\"reason\":null}");
  out.clear();
  t.drain(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_FALSE(out[0].allowed);
  EXPECT_EQ(out[0].reason, "domain");
  EXPECT_TRUE(t.flows().empty());
}

TEST(FlowTable, ActiveTimeoutExportsAndRestartsCounting) {
  FlowTable t(FlowOptions{100s, 60s, 100});
  const TimePoint t0{std::chrono::hours(1)};
  auto a = tcp(1, 1000);
  for (int s = 0; s <= 61; ++s)
    t.record(*parsePacket(a), 10, t0 + std::chrono::seconds(s), "", "", true, "");
  std::vector<FlowRecord> out;
  t.expire(t0 + 61s, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].packets, 62u);
  t.record(*parsePacket(a), 10, t0 + 62s, "", "", true, "");
  out.clear();
  t.drain(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].packets, 1u);
}

TEST(FlowTable, BoundedByMaxFlows) {
  FlowTable t(FlowOptions{10s, 60s, 2});
  const TimePoint t0{std::chrono::hours(1)};
  for (uint16_t port = 1; port <= 5; ++port) {
    auto p = tcp(1, port);
    t.record(*parsePacket(p), 1, t0, "", "", true, "");
  }
  EXPECT_EQ(t.flows().size(), 2u);
  EXPECT_EQ(t.overflows(), 3u);
}

TEST(PacketInfo, RefusesShortAndForeignPackets) {
  EXPECT_FALSE(parsePacket(std::vector<uint8_t>{}).has_value());
  EXPECT_FALSE(parsePacket(std::vector<uint8_t>(19, 0x45)).has_value());
  std::vector<uint8_t> v5(40, 0);
  v5[0] = 0x55;
  EXPECT_FALSE(parsePacket(v5).has_value());
  std::vector<uint8_t> bad_ihl = tcp(1, 1);
  bad_ihl[0] = 0x4f;  // 60-byte header in a 40-byte packet
  EXPECT_FALSE(parsePacket(bad_ihl).has_value());
}

}  // namespace
}  // namespace causeway::transit
