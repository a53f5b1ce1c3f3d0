#include "transit/mss_clamp.h"

#include <gtest/gtest.h>

#include <vector>

namespace causeway::transit {
namespace {

uint16_t tcpChecksum(const std::vector<uint8_t>& p) {
  // IPv4 pseudo-header + TCP segment.
  const size_t tcp_len = p.size() - 20;
  uint32_t sum = 0;
  auto add = [&](uint16_t w) { sum += w; };
  for (int i = 12; i < 20; i += 2) add(uint16_t(p[i] << 8 | p[i + 1]));
  add(6);
  add(uint16_t(tcp_len));
  for (size_t i = 20; i < p.size(); i += 2) {
    add(uint16_t(p[i] << 8 | (i + 1 < p.size() ? p[i + 1] : 0)));
  }
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(~sum);
}

// A SYN with options laid out so that the MSS sits at `nops` bytes of padding before it.
std::vector<uint8_t> syn(uint16_t mss, int nops) {
  const size_t opt_len = (size_t(nops) + 4 + 3) / 4 * 4;
  std::vector<uint8_t> p(20 + 20 + opt_len, 0);
  p[0] = 0x45;
  p[3] = uint8_t(p.size());
  p[8] = 64;
  p[9] = 6;
  p[12] = 10, p[15] = 1, p[16] = 10, p[19] = 2;
  p[20] = 0x30, p[21] = 0x39, p[22] = 0, p[23] = 80;
  p[32] = uint8_t((20 + opt_len) / 4 << 4);
  p[33] = 0x02;  // SYN
  size_t o = 40;
  for (int i = 0; i < nops; ++i) p[o++] = 1;
  p[o++] = 2, p[o++] = 4, p[o++] = uint8_t(mss >> 8), p[o++] = uint8_t(mss);
  while (o < p.size()) p[o++] = 0;
  const uint16_t c = tcpChecksum(p);
  p[36] = uint8_t(c >> 8), p[37] = uint8_t(c);
  return p;
}

TEST(MssClamp, LowersTheOptionAndKeepsTheChecksumValid) {
  for (int nops : {0, 1, 2, 3}) {
    std::vector<uint8_t> p = syn(1460, nops);
    ASSERT_EQ(tcpChecksum(p), 0) << "the test's own packet";
    EXPECT_TRUE(clampMss(p, 1380, 1360)) << nops;
    const size_t at = 40 + size_t(nops) + 2;
    EXPECT_EQ(uint16_t(p[at] << 8 | p[at + 1]), 1380);
    EXPECT_EQ(tcpChecksum(p), 0) << "checksum after clamping, MSS at offset " << nops;
  }
}

TEST(MssClamp, LeavesSmallerMssAndNonSynAlone) {
  std::vector<uint8_t> p = syn(1200, 0);
  const std::vector<uint8_t> copy = p;
  EXPECT_FALSE(clampMss(p, 1380, 1360));
  EXPECT_EQ(p, copy);
  std::vector<uint8_t> ack = syn(1460, 0);
  ack[33] = 0x10;
  EXPECT_FALSE(clampMss(ack, 1380, 1360));
}

TEST(MssClamp, LeavesFragmentsPastTheFirstAlone) {
  // The payload of a later fragment may look like a SYN with an MSS option: it is data.
  std::vector<uint8_t> p = syn(1460, 0);
  p[7] = 0x10;  // fragment offset 16 * 8 bytes
  const std::vector<uint8_t> copy = p;
  EXPECT_FALSE(clampMss(p, 1380, 1360));
  EXPECT_EQ(p, copy);
}

TEST(MssClamp, SurvivesTruncatedAndHostileOptions) {
  std::vector<uint8_t> p = syn(1460, 0);
  p[41] = 0;  // option length 0 would loop forever
  EXPECT_FALSE(clampMss(p, 1380, 1360));
  std::vector<uint8_t> q = syn(1460, 0);
  q.resize(42);
  EXPECT_FALSE(clampMss(q, 1380, 1360));
  EXPECT_EQ(maxSegmentSize(1420, false), 1380);
  EXPECT_EQ(maxSegmentSize(1420, true), 1360);
}

}  // namespace
}  // namespace causeway::transit
