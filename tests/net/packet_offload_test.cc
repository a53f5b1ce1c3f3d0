#include "net/packet_offload.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "test_packets.h"

namespace causeway::net {
namespace {

using namespace testing;  // NOLINT: the helpers of test_packets.h

// A TSO super-packet as the kernel hands it over: headers of the first segment, the whole
// payload, IP lengths of the whole, the TCP checksum partial.
struct SuperPacket {
  VirtioNetHeader header;
  std::vector<uint8_t> bytes;
};

SuperPacket tsoPacket(const FlowSpec& f, uint32_t seq, uint8_t flags, size_t payload_size,
                      uint16_t gso_size, std::vector<uint8_t> options = {}, uint16_t id = 100) {
  auto payload = payloadBytes(payload_size, seq);
  SuperPacket s;
  s.bytes = tcpPacket(f, seq, 7777, flags, payload, std::move(options), id);
  makePartial(s.bytes, 16);
  const size_t hl = ipHeaderLength(s.bytes);
  s.header.flags = VirtioNetHeader::kNeedsChecksum;
  s.header.gso_type = f.v6 ? VirtioNetHeader::kGsoTcpV6 : VirtioNetHeader::kGsoTcpV4;
  s.header.hdr_len = static_cast<uint16_t>(hl + (s.bytes[hl + 12] >> 4) * 4);
  s.header.gso_size = gso_size;
  s.header.csum_start = static_cast<uint16_t>(hl);
  s.header.csum_offset = 16;
  return s;
}

TEST(ChecksumTest, MatchesTheReferenceForEveryLengthAndStart) {
  std::mt19937 rng(1);
  std::vector<uint8_t> data(3000);
  for (auto& b : data) b = uint8_t(rng());
  for (size_t start = 0; start < 4; start += 2) {
    for (size_t length = 0; length < 300; ++length) {
      std::span<const uint8_t> s(data.data() + start, length);
      uint16_t ours = checksumFinish(checksumAdd(s));
      uint16_t expected = static_cast<uint16_t>(~referenceFold(referenceSum(s)));
      uint8_t bytes[2];
      std::memcpy(bytes, &ours, 2);
      ASSERT_EQ(get16(bytes, 0), expected) << "length " << length;
    }
  }
  // Sums can be chained (even-length parts) and seeded.
  std::span<const uint8_t> all(data);
  uint16_t whole = checksumFinish(checksumAdd(all));
  uint16_t chained = checksumFinish(checksumAdd(all.subspan(1000), checksumAdd(all.first(1000))));
  EXPECT_EQ(whole, chained);
  // All ones in: no overflow, folds to 0xffff.
  std::vector<uint8_t> ones(65536, 0xff);
  EXPECT_EQ(checksumFold(checksumAdd(ones)), 0xffff);
}

void expectSegments(const SuperPacket& s, const PacketSegments& out, size_t payload_size,
                    uint16_t gso_size) {
  const bool v6 = isV6(s.bytes);
  const size_t hl = ipHeaderLength(s.bytes);
  const size_t headers = s.header.hdr_len;
  const size_t count = (payload_size + gso_size - 1) / gso_size;
  ASSERT_EQ(out.size(), count);
  const uint32_t seq = get32(s.bytes, hl + 4);
  const uint8_t flags = s.bytes[hl + 13];
  for (size_t i = 0; i < count; ++i) {
    std::span<const uint8_t> seg = out[i];
    const size_t part = std::min<size_t>(gso_size, payload_size - i * gso_size);
    SCOPED_TRACE("segment " + std::to_string(i));
    ASSERT_EQ(seg.size(), headers + part);
    EXPECT_TRUE(checksumsValid(seg));
    if (v6) {
      EXPECT_EQ(get16(seg, 4), seg.size() - 40);
    } else {
      EXPECT_EQ(get16(seg, 2), seg.size());
      EXPECT_EQ(get16(seg, 4), uint16_t(get16(s.bytes, 4) + i));
      EXPECT_EQ(get16(seg, 6), 0x4000);  // DF kept
    }
    EXPECT_EQ(get32(seg, hl + 4), uint32_t(seq + i * gso_size));
    EXPECT_EQ(get32(seg, hl + 8), get32(s.bytes, hl + 8));  // ack
    uint8_t expected_flags = flags;
    if (i > 0) expected_flags &= ~kCwr;
    if (i + 1 < count) expected_flags &= ~(kFin | kPsh);
    EXPECT_EQ(seg[hl + 13], expected_flags);
    // Options and ports unchanged; the payload is the right slice.
    EXPECT_EQ(0, std::memcmp(seg.data() + hl, s.bytes.data() + hl, 4));
    EXPECT_EQ(0, std::memcmp(seg.data() + hl + 20, s.bytes.data() + hl + 20, headers - hl - 20));
    EXPECT_EQ(0, std::memcmp(seg.data() + headers, s.bytes.data() + headers + i * gso_size, part));
  }
}

class SegmentTest : public ::testing::TestWithParam<bool> {};

TEST_P(SegmentTest, SplitsATsoPacketIntoChecksummedSegments) {
  FlowSpec f;
  f.v6 = GetParam();
  const std::vector<uint8_t> timestamps = {1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2};
  PacketSegments out;
  for (size_t payload : {1u, 1388u, 1389u, 5000u, 65000u - 60u}) {
    SCOPED_TRACE("payload " + std::to_string(payload));
    auto s =
        tsoPacket(f, 0xfffff000u, kAck | kPsh | kFin | kCwr, payload, 1388, timestamps, 0xfffe);
    ASSERT_TRUE(segmentPacket(s.header, s.bytes, out).isOk());
    expectSegments(s, out, payload, 1388);
  }
}

TEST_P(SegmentTest, SplitsUdpGso) {
  FlowSpec f;
  f.v6 = GetParam();
  auto payload = payloadBytes(3000, 9);
  auto p = udpPacket(f, payload);
  makePartial(p, 6);
  const size_t hl = ipHeaderLength(p);
  VirtioNetHeader h;
  h.flags = VirtioNetHeader::kNeedsChecksum;
  h.gso_type = VirtioNetHeader::kGsoUdpL4;
  h.gso_size = 1200;
  h.csum_start = static_cast<uint16_t>(hl);
  h.csum_offset = 6;
  PacketSegments out;
  ASSERT_TRUE(segmentPacket(h, p, out).isOk());
  ASSERT_EQ(out.size(), 3u);
  size_t offset = 0;
  for (auto seg : out) {
    EXPECT_TRUE(checksumsValid(seg));
    EXPECT_EQ(get16(seg, hl + 4), seg.size() - hl);
    EXPECT_EQ(0, std::memcmp(seg.data() + hl + 8, payload.data() + offset, seg.size() - hl - 8));
    offset += seg.size() - hl - 8;
  }
  EXPECT_EQ(offset, payload.size());
}

TEST_P(SegmentTest, FinishesAPartialChecksumInPlace) {
  FlowSpec f;
  f.v6 = GetParam();
  for (bool tcp : {true, false}) {
    auto payload = payloadBytes(333, 5);  // odd length
    auto p = tcp ? tcpPacket(f, 1, 2, kAck | kPsh, payload) : udpPacket(f, payload);
    const auto valid = p;
    const size_t offset = tcp ? 16 : 6;
    makePartial(p, offset);
    VirtioNetHeader h;
    h.flags = VirtioNetHeader::kNeedsChecksum;
    h.csum_start = static_cast<uint16_t>(ipHeaderLength(p));
    h.csum_offset = static_cast<uint16_t>(offset);
    PacketSegments out;
    ASSERT_TRUE(segmentPacket(h, p, out).isOk());
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out[0].data(), p.data());  // no copy
    EXPECT_EQ(p, valid);
  }
}

INSTANTIATE_TEST_SUITE_P(IpVersions, SegmentTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "v6" : "v4"; });

TEST(SegmentTest, PassesACompletePacketThrough) {
  auto p = tcpPacket({}, 1, 2, kAck, payloadBytes(100, 1));
  const auto copy = p;
  PacketSegments out;
  ASSERT_TRUE(segmentPacket(VirtioNetHeader{}, p, out).isOk());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(std::vector<uint8_t>(out[0].begin(), out[0].end()), copy);
}

TEST(SegmentTest, RefusesMalformedInput) {
  PacketSegments out;
  auto s = tsoPacket({}, 1, kAck, 4000, 1000);
  auto bad = s;
  bad.header.gso_size = 0;
  EXPECT_FALSE(segmentPacket(bad.header, bad.bytes, out).isOk());
  bad = s;
  bad.header.gso_type = VirtioNetHeader::kGsoTcpV6;  // v4 packet
  EXPECT_FALSE(segmentPacket(bad.header, bad.bytes, out).isOk());
  bad = s;
  bad.header.gso_type = VirtioNetHeader::kGsoUdp;  // UFO
  EXPECT_FALSE(segmentPacket(bad.header, bad.bytes, out).isOk());
  bad = s;
  bad.bytes.resize(30);  // TCP header cut
  EXPECT_FALSE(segmentPacket(bad.header, bad.bytes, out).isOk());
  bad = s;
  bad.bytes[32] = 0x10;  // data offset 4 words
  EXPECT_FALSE(segmentPacket(bad.header, bad.bytes, out).isOk());
  bad = s;
  bad.header.csum_start = 24;  // not where TCP starts
  EXPECT_FALSE(segmentPacket(bad.header, bad.bytes, out).isOk());
  VirtioNetHeader partial;
  partial.flags = VirtioNetHeader::kNeedsChecksum;
  partial.csum_start = 60;
  partial.csum_offset = 16;
  std::vector<uint8_t> small(50, 0x45);
  EXPECT_FALSE(segmentPacket(partial, small, out).isOk());
  EXPECT_TRUE(out.empty());
  // Fuzz-ish: random bytes under a GSO header never crash and never write past the arena.
  std::mt19937 rng(7);
  for (int i = 0; i < 2000; ++i) {
    std::vector<uint8_t> junk(rng() % 200);
    for (auto& b : junk) b = uint8_t(rng());
    VirtioNetHeader h;
    h.flags = uint8_t(rng() % 2);
    h.gso_type = uint8_t(rng() % 6);
    h.gso_size = uint16_t(rng() % 64);
    h.csum_start = uint16_t(rng() % 80);
    h.csum_offset = uint16_t(rng() % 20);
    (void)segmentPacket(h, junk, out);
  }
}

// ---- coalescing

// The bytes of each write of a batch, flattened (virtio header first).
struct FlatWrite {
  VirtioNetHeader header;
  std::vector<uint8_t> packet;
  uint32_t packets;
};

std::vector<FlatWrite> writesOf(TunWriteBatch& batch, bool coalesce = true) {
  std::vector<FlatWrite> out;
  for (const auto& w : batch.prepareWrites(coalesce)) {
    FlatWrite f;
    EXPECT_EQ(w.parts[0].iov_len, sizeof(VirtioNetHeader));
    std::memcpy(&f.header, w.parts[0].iov_base, sizeof f.header);
    for (size_t i = 1; i < w.parts.size(); ++i) {
      auto* p = static_cast<const uint8_t*>(w.parts[i].iov_base);
      f.packet.insert(f.packet.end(), p, p + w.parts[i].iov_len);
    }
    f.packets = w.packets;
    out.push_back(std::move(f));
  }
  batch.clear();
  return out;
}

// What the kernel would make of a write: a GSO write is segmented again.
std::vector<std::vector<uint8_t>> resegment(std::vector<FlatWrite>& writes) {
  std::vector<std::vector<uint8_t>> packets;
  PacketSegments out;
  for (auto& w : writes) {
    EXPECT_TRUE(segmentPacket(w.header, w.packet, out).isOk());
    for (auto p : out) packets.emplace_back(p.begin(), p.end());
  }
  return packets;
}

class CoalesceTest : public ::testing::TestWithParam<bool> {};

TEST_P(CoalesceTest, RoundTripGivesBackTheSegments) {
  FlowSpec a;
  a.v6 = GetParam();
  FlowSpec b = a;
  b.source_port = 40001;
  const std::vector<uint8_t> timestamps = {1, 1, 8, 10, 0, 0, 1, 0, 0, 0, 0, 9};
  // Two interleaved flows of full segments, each ending with a short PSH segment, plus a UDP
  // packet and a pure ACK in between.
  std::vector<std::vector<uint8_t>> originals;
  uint32_t seq_a = 1000, seq_b = 0xffffff00u;  // b wraps its sequence number
  uint16_t id = 10;
  for (int i = 0; i < 20; ++i) {
    originals.push_back(tcpPacket(a, seq_a, 5, kAck, payloadBytes(1380, seq_a), timestamps, id++));
    seq_a += 1380;
    originals.push_back(tcpPacket(b, seq_b, 6, kAck, payloadBytes(1380, seq_b), {}, id++));
    seq_b += 1380;
    if (i == 7) originals.push_back(udpPacket(a, payloadBytes(99, 1)));
  }
  originals.push_back(tcpPacket(a, seq_a, 5, kAck | kPsh, payloadBytes(500, 1), timestamps, id++));
  originals.push_back(tcpPacket(b, seq_b, 6, kAck | kPsh, payloadBytes(17, 2), {}, id++));
  originals.push_back(tcpPacket(b, seq_b + 17, 6, kAck, {}, {}, id++));  // pure ACK

  TunWriteBatch batch;
  for (auto& p : originals) ASSERT_TRUE(batch.append(p));
  auto writes = writesOf(batch);
  // Flow a: one GSO write of 21; flow b: one of 21; the UDP packet; the pure ACK.
  ASSERT_EQ(writes.size(), 4u);
  EXPECT_EQ(writes[0].packets, 21u);
  EXPECT_EQ(writes[0].header.gso_type,
            a.v6 ? VirtioNetHeader::kGsoTcpV6 : VirtioNetHeader::kGsoTcpV4);
  EXPECT_EQ(writes[0].header.gso_size, 1380);
  EXPECT_EQ(writes[0].header.flags, VirtioNetHeader::kNeedsChecksum);
  EXPECT_EQ(writes[1].packets, 21u);
  for (int i : {0, 1}) {
    // CHECKSUM_PARTIAL: the TCP checksum field holds the folded pseudo-header sum of the whole.
    const auto& p = writes[i].packet;
    EXPECT_EQ(get16(p, ipHeaderLength(p) + 16), referenceFold(referencePseudo(p)));
    EXPECT_EQ(writes[i].header.csum_start, ipHeaderLength(p));
    EXPECT_EQ(writes[i].header.csum_offset, 16);
    EXPECT_EQ(writes[i].header.hdr_len, ipHeaderLength(p) + (p[ipHeaderLength(p) + 12] >> 4) * 4);
    if (!isV6(p)) {
      EXPECT_EQ(get16(p, 2), p.size());
      EXPECT_EQ(referenceFold(referenceSum(std::span(p).first(20))), 0xffff);
    } else {
      EXPECT_EQ(get16(p, 4), p.size() - 40);
    }
    EXPECT_TRUE(p[ipHeaderLength(p) + 13] & kPsh);  // from the last segment
  }
  EXPECT_EQ(writes[2].header.gso_type, VirtioNetHeader::kGsoNone);
  EXPECT_EQ(writes[3].packets, 1u);

  // Segmented again, each flow's packets come back byte for byte, but for IPv4 ids: the kernel
  // numbers segments from the first one's id (these DF packets had ids of two interleaved flows).
  auto back = resegment(writes);
  ASSERT_EQ(back.size(), originals.size());
  auto key = [](std::vector<uint8_t> p) {
    if (!isV6(p)) {
      p[4] = p[5] = p[10] = p[11] = 0;  // id and header checksum
    }
    return p;
  };
  std::vector<std::vector<uint8_t>> expected_a, expected_b, got_a, got_b;
  std::vector<std::vector<uint8_t>> expected_other, got_other;
  auto classify = [&](const std::vector<uint8_t>& p, auto& flow_a, auto& flow_b, auto& other) {
    if (ipProtocol(p) != 6) {
      other.push_back(key(p));
    } else {
      (get16(p, ipHeaderLength(p)) == 40000 ? flow_a : flow_b).push_back(key(p));
    }
  };
  for (auto& p : originals) classify(p, expected_a, expected_b, expected_other);
  for (auto& p : back) {
    EXPECT_TRUE(checksumsValid(p));
    classify(p, got_a, got_b, got_other);
  }
  EXPECT_TRUE(got_a == expected_a);  // (EXPECT_EQ would print megabytes)
  EXPECT_TRUE(got_b == expected_b);
  EXPECT_TRUE(got_other == expected_other);
}

TEST_P(CoalesceTest, KeepsApartWhatMustNotMerge) {
  FlowSpec f;
  f.v6 = GetParam();
  auto data = payloadBytes(1000, 3);
  auto run = [&](std::vector<std::vector<uint8_t>> packets) {
    TunWriteBatch batch;
    for (auto& p : packets) EXPECT_TRUE(batch.append(p));
    std::vector<uint32_t> sizes;
    for (auto& w : writesOf(batch)) sizes.push_back(w.packets);
    return sizes;
  };
  using V = std::vector<uint32_t>;
  // Baseline: three in sequence merge.
  EXPECT_EQ(run({tcpPacket(f, 0, 1, kAck, data), tcpPacket(f, 1000, 1, kAck, data),
                 tcpPacket(f, 2000, 1, kAck, data)}),
            V({3}));
  // A gap in sequence.
  EXPECT_EQ(run({tcpPacket(f, 0, 1, kAck, data), tcpPacket(f, 1001, 1, kAck, data)}), V({1, 1}));
  // Different ACK numbers, windows, options.
  EXPECT_EQ(run({tcpPacket(f, 0, 1, kAck, data), tcpPacket(f, 1000, 2, kAck, data)}), V({1, 1}));
  EXPECT_EQ(run({tcpPacket(f, 0, 1, kAck, data), tcpPacket(f, 1000, 1, kAck, data, {}, 1, 9)}),
            V({1, 1}));
  EXPECT_EQ(run({tcpPacket(f, 0, 1, kAck, data, {1, 1, 1, 1}),
                 tcpPacket(f, 1000, 1, kAck, data, {1, 1, 1, 0})}),
            V({1, 1}));
  // PSH ends a run; a PSH packet does not start one.
  EXPECT_EQ(run({tcpPacket(f, 0, 1, kAck | kPsh, data), tcpPacket(f, 1000, 1, kAck, data),
                 tcpPacket(f, 2000, 1, kAck | kPsh, data), tcpPacket(f, 3000, 1, kAck, data)}),
            V({1, 2, 1}));
  // A shorter segment ends a run; a longer one cannot join.
  EXPECT_EQ(run({tcpPacket(f, 0, 1, kAck, data), tcpPacket(f, 1000, 1, kAck, payloadBytes(10, 1)),
                 tcpPacket(f, 1010, 1, kAck, data)}),
            V({2, 1}));
  EXPECT_EQ(run({tcpPacket(f, 0, 1, kAck, payloadBytes(10, 1)), tcpPacket(f, 10, 1, kAck, data)}),
            V({1, 1}));
  // SYN, FIN, CWR packets stand alone.
  EXPECT_EQ(run({tcpPacket(f, 0, 1, kAck, data), tcpPacket(f, 1000, 1, kAck | kFin, data)}),
            V({1, 1}));
  // A pure ACK of the flow in between: order kept, no merge across it.
  EXPECT_EQ(run({tcpPacket(f, 0, 1, kAck, data), tcpPacket(f, 1000, 1, kAck, {}),
                 tcpPacket(f, 1000, 1, kAck, data)}),
            V({1, 1, 1}));
  // A segment that arrived corrupt (its TCP checksum fails) is not merged: the merged packet
  // would get a fresh, valid checksum.
  auto corrupt = tcpPacket(f, 1000, 1, kAck, data);
  corrupt.back() ^= 0x01;
  EXPECT_EQ(run({tcpPacket(f, 0, 1, kAck, data), corrupt, tcpPacket(f, 2000, 1, kAck, data)}),
            V({1, 1, 1}));
  if (!f.v6) {  // and an IPv4 header checksum that fails
    auto bad_header = tcpPacket(f, 1000, 1, kAck, data);
    bad_header[10] ^= 0x01;
    EXPECT_EQ(run({tcpPacket(f, 0, 1, kAck, data), bad_header}), V({1, 1}));
  }
  // TTL differs.
  FlowSpec g = f;
  g.ttl = 3;
  EXPECT_EQ(run({tcpPacket(f, 0, 1, kAck, data), tcpPacket(g, 1000, 1, kAck, data)}), V({1, 1}));
  // No more than 64 segments in one write, and no more than 64 KB.
  std::vector<std::vector<uint8_t>> many;
  for (uint32_t i = 0; i < 70; ++i)
    many.push_back(tcpPacket(f, i * 100, 1, kAck, payloadBytes(100, i)));
  EXPECT_EQ(run(many), V({64, 6}));
  std::vector<std::vector<uint8_t>> big;
  for (uint32_t i = 0; i < 50; ++i)
    big.push_back(tcpPacket(f, i * 1400, 1, kAck, payloadBytes(1400, i)));
  auto sizes = run(big);
  ASSERT_EQ(sizes.size(), 2u);
  EXPECT_EQ(sizes[0] + sizes[1], 50u);
  EXPECT_LE(sizes[0] * 1400 + 60, 65535u);
  // Without coalescing: one write per packet.
  TunWriteBatch batch;
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(batch.append(tcpPacket(f, i * 1000, 1, kAck, data)));
  EXPECT_EQ(writesOf(batch, false).size(), 3u);
}

INSTANTIATE_TEST_SUITE_P(IpVersions, CoalesceTest, ::testing::Values(false, true),
                         [](const auto& info) { return info.param ? "v6" : "v4"; });

TEST(TunWriteBatchTest, ReserveCommitAndLimits) {
  TunWriteBatch batch(3, 4096);
  auto room = batch.reserve(1500);
  ASSERT_EQ(room.size(), 1500u);
  batch.commit(0);  // dropped (say, a packet that did not authenticate)
  EXPECT_TRUE(batch.empty());
  room = batch.reserve(1500);
  batch.commit(100);
  EXPECT_EQ(batch.size(), 1u);
  EXPECT_EQ(batch.reserve(5000).size(), 0u);  // not enough bytes left
  EXPECT_TRUE(batch.append(std::vector<uint8_t>(100, 0x45)));
  EXPECT_TRUE(batch.append(std::vector<uint8_t>(100, 0x45)));
  EXPECT_FALSE(batch.append(std::vector<uint8_t>(100, 0x45)));  // 3 packets at most
  batch.commit(50);  // no open reservation: nothing happens
  EXPECT_EQ(batch.size(), 3u);
  EXPECT_EQ(batch.prepareWrites().size(), 3u);  // garbage is written as it is
  batch.clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.reserve(4096).size(), 4096u);
}

}  // namespace
}  // namespace causeway::net
