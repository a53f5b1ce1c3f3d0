// Test helpers: hand-built IPv4/IPv6 TCP and UDP packets, and an Internet checksum written the
// plain RFC 1071 way (16-bit big-endian words), independent of net/packet_offload.cc.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace causeway::net::testing {

inline uint32_t referenceSum(std::span<const uint8_t> bytes, uint32_t sum = 0) {
  for (size_t i = 0; i + 1 < bytes.size(); i += 2) sum += uint32_t(bytes[i]) << 8 | bytes[i + 1];
  if (bytes.size() % 2) sum += uint32_t(bytes.back()) << 8;
  return sum;
}
inline uint16_t referenceFold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}
inline uint16_t get16(std::span<const uint8_t> p, size_t at) {
  return static_cast<uint16_t>(p[at] << 8 | p[at + 1]);
}
inline uint32_t get32(std::span<const uint8_t> p, size_t at) {
  return uint32_t(get16(p, at)) << 16 | get16(p, at + 2);
}
inline void put16(std::vector<uint8_t>& p, size_t at, uint32_t v) {
  p[at] = uint8_t(v >> 8);
  p[at + 1] = uint8_t(v);
}
inline void put32(std::vector<uint8_t>& p, size_t at, uint32_t v) {
  put16(p, at, v >> 16);
  put16(p, at + 2, v);
}

inline bool isV6(std::span<const uint8_t> ip) { return (ip[0] >> 4) == 6; }
inline size_t ipHeaderLength(std::span<const uint8_t> ip) {
  return isV6(ip) ? 40 : size_t(ip[0] & 0x0f) * 4;
}
inline uint8_t ipProtocol(std::span<const uint8_t> ip) { return isV6(ip) ? ip[6] : ip[9]; }

// The pseudo-header sum for the L4 part of `ip` (no extension headers).
inline uint32_t referencePseudo(std::span<const uint8_t> ip) {
  const size_t l4_length = ip.size() - ipHeaderLength(ip);
  uint32_t sum = isV6(ip) ? referenceSum(ip.subspan(8, 32)) : referenceSum(ip.subspan(12, 8));
  return sum + ipProtocol(ip) + uint32_t(l4_length >> 16) + uint32_t(l4_length & 0xffff);
}
// True when the IPv4 header checksum (always true for IPv6) and the TCP/UDP/ICMP checksum verify.
inline bool checksumsValid(std::span<const uint8_t> ip) {
  const size_t hl = ipHeaderLength(ip);
  if (!isV6(ip) && referenceFold(referenceSum(ip.first(hl))) != 0xffff) return false;
  const uint8_t proto = ipProtocol(ip);
  auto l4 = ip.subspan(hl);
  if (proto == 1) return referenceFold(referenceSum(l4)) == 0xffff;  // ICMPv4: no pseudo-header
  return referenceFold(referenceSum(l4, referencePseudo(ip))) == 0xffff;
}

struct FlowSpec {
  bool v6 = false;
  uint16_t source_port = 40000;
  uint16_t destination_port = 5201;
  uint8_t ttl = 64;
  uint8_t tos = 0;
};

// One IP header for `l4_length` bytes of protocol `proto`, header checksum set (IPv4, DF).
inline std::vector<uint8_t> ipHeader(const FlowSpec& f, uint8_t proto, size_t l4_length,
                                     uint16_t id = 0x1234) {
  if (f.v6) {
    std::vector<uint8_t> h(40, 0);
    h[0] = 0x60;
    put16(h, 4, static_cast<uint32_t>(l4_length));
    h[6] = proto;
    h[7] = f.ttl;
    const uint8_t src[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    const uint8_t dst[16] = {0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2};
    std::copy(src, src + 16, h.begin() + 8);
    std::copy(dst, dst + 16, h.begin() + 24);
    return h;
  }
  std::vector<uint8_t> h(20, 0);
  h[0] = 0x45;
  h[1] = f.tos;
  put16(h, 2, static_cast<uint32_t>(20 + l4_length));
  put16(h, 4, id);
  put16(h, 6, 0x4000);  // DF
  h[8] = f.ttl;
  h[9] = proto;
  const uint8_t addrs[8] = {10, 0, 0, 1, 10, 0, 0, 2};
  std::copy(addrs, addrs + 8, h.begin() + 12);
  put16(h, 10, static_cast<uint16_t>(~referenceFold(referenceSum(h))));
  return h;
}

inline std::vector<uint8_t> payloadBytes(size_t size, uint32_t seed) {
  std::vector<uint8_t> p(size);
  for (size_t i = 0; i < size; ++i) p[i] = uint8_t((seed + i) * 131 + (i >> 8));
  return p;
}

constexpr uint8_t kFin = 0x01, kSyn = 0x02, kPsh = 0x08, kAck = 0x10, kCwr = 0x80;

// A complete TCP packet with valid checksums. `options` is padded to a multiple of 4.
inline std::vector<uint8_t> tcpPacket(const FlowSpec& f, uint32_t seq, uint32_t ack, uint8_t flags,
                                      std::span<const uint8_t> payload,
                                      std::vector<uint8_t> options = {}, uint16_t id = 0x1234,
                                      uint16_t window = 502) {
  while (options.size() % 4) options.push_back(1);  // NOP
  const size_t tcp_length = 20 + options.size();
  auto p = ipHeader(f, 6, tcp_length + payload.size(), id);
  const size_t l4 = p.size();
  p.resize(l4 + tcp_length, 0);
  put16(p, l4, f.source_port);
  put16(p, l4 + 2, f.destination_port);
  put32(p, l4 + 4, seq);
  put32(p, l4 + 8, ack);
  p[l4 + 12] = uint8_t((tcp_length / 4) << 4);
  p[l4 + 13] = flags;
  put16(p, l4 + 14, window);
  std::copy(options.begin(), options.end(), p.begin() + l4 + 20);
  p.insert(p.end(), payload.begin(), payload.end());
  put16(p, l4 + 16,
        static_cast<uint16_t>(
            ~referenceFold(referenceSum(std::span(p).subspan(l4), referencePseudo(p)))));
  return p;
}

inline std::vector<uint8_t> udpPacket(const FlowSpec& f, std::span<const uint8_t> payload) {
  auto p = ipHeader(f, 17, 8 + payload.size());
  const size_t l4 = p.size();
  p.resize(l4 + 8, 0);
  put16(p, l4, f.source_port);
  put16(p, l4 + 2, f.destination_port);
  put16(p, l4 + 4, static_cast<uint32_t>(8 + payload.size()));
  p.insert(p.end(), payload.begin(), payload.end());
  uint16_t c = static_cast<uint16_t>(
      ~referenceFold(referenceSum(std::span(p).subspan(l4), referencePseudo(p))));
  put16(p, l4 + 6, c == 0 ? 0xffff : c);
  return p;
}

// Recomputes the IPv4 header checksum and the TCP/UDP checksum of a packet after an edit.
inline void refreshChecksums(std::vector<uint8_t>& p) {
  const size_t hl = ipHeaderLength(p);
  if (!isV6(p)) {
    p[10] = p[11] = 0;
    put16(p, 10, static_cast<uint16_t>(~referenceFold(referenceSum(std::span(p).first(hl)))));
  }
  const size_t field = hl + (ipProtocol(p) == 6 ? 16 : 6);
  p[field] = p[field + 1] = 0;
  uint16_t c = static_cast<uint16_t>(
      ~referenceFold(referenceSum(std::span(p).subspan(hl), referencePseudo(p))));
  put16(p, field, c == 0 && ipProtocol(p) == 17 ? 0xffff : c);
}

// Replaces the L4 checksum of a valid packet with the kernel's CHECKSUM_PARTIAL form: the
// folded pseudo-header sum, not complemented.
inline void makePartial(std::vector<uint8_t>& p, size_t checksum_offset) {
  const size_t l4 = ipHeaderLength(p);
  put16(p, l4 + checksum_offset, referenceFold(referencePseudo(p)));
}

}  // namespace causeway::net::testing
