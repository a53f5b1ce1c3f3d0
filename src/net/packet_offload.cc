#include "net/packet_offload.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace causeway::net {

namespace {

constexpr uint8_t kProtoTcp = 6;
constexpr uint8_t kProtoUdp = 17;
constexpr uint8_t kTcpFin = 0x01;
constexpr uint8_t kTcpPsh = 0x08;
constexpr uint8_t kTcpAck = 0x10;
constexpr uint8_t kTcpCwr = 0x80;
constexpr size_t kIpv6HeaderSize = 40;
constexpr size_t kMaxIpLength = 65535;
constexpr uint32_t kNone = UINT32_MAX;

uint16_t load16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
uint32_t load32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}
void store16(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void store32(uint8_t* p, uint32_t v) {
  store16(p, v >> 16);
  store16(p + 2, v);
}
void storeChecksum(uint8_t* p, uint16_t c) { std::memcpy(p, &c, sizeof c); }

// The pseudo-header sum of an L4 packet whose IP header starts at `ip`.
uint64_t pseudoHeaderSum(const uint8_t* ip, bool v6, uint8_t protocol, size_t l4_length) {
  uint64_t sum = v6 ? checksumAdd({ip + 8, 32}) : checksumAdd({ip + 12, 8});
  return sum + htons(protocol) + htons(static_cast<uint16_t>(l4_length));
}

void setIpv4HeaderChecksum(uint8_t* ip, size_t header_length) {
  ip[10] = ip[11] = 0;
  storeChecksum(ip + 10, checksumFinish(checksumAdd({ip, header_length})));
}

Status malformed(const char* why) {
  return Status::invalidArgument(std::string("cannot segment a TUN packet: ") + why);
}

}  // namespace

uint64_t checksumAdd(std::span<const uint8_t> bytes, uint64_t sum) {
  // Sums 32-bit words into 64-bit accumulators in memory order: the one's complement sum does
  // not depend on byte order as long as the result is stored back the same way.
  const uint8_t* p = bytes.data();
  size_t n = bytes.size();
  uint64_t a = sum & 0xffffffff, b = sum >> 32, c = 0, d = 0;
  while (n >= 16) {
    uint64_t w[2];
    std::memcpy(w, p, 16);
    a += w[0] & 0xffffffff;
    b += w[0] >> 32;
    c += w[1] & 0xffffffff;
    d += w[1] >> 32;
    p += 16;
    n -= 16;
  }
  if (n > 0) {
    uint64_t w[2] = {0, 0};
    std::memcpy(w, p, n);
    a += w[0] & 0xffffffff;
    b += w[0] >> 32;
    c += w[1] & 0xffffffff;
    d += w[1] >> 32;
  }
  // Each accumulator is below 2^63 for any span shorter than 2^33 bytes; fold them into 64 bits
  // with end-around carry.
  uint64_t s = a + b;
  uint64_t t = c + d;
  s += t;
  if (s < t) ++s;
  return s;
}

uint16_t checksumFold(uint64_t sum) {
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffffffff) + (sum >> 32);
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

// ---- segmentation

PacketSegments::PacketSegments() {
  arena_.resize(128 << 10);
  packets_.reserve(128);
}

Status segmentPacket(const VirtioNetHeader& header, std::span<uint8_t> packet,
                     PacketSegments& out) {
  out.packets_.clear();
  const uint8_t gso = header.gso_type & static_cast<uint8_t>(~VirtioNetHeader::kGsoEcn);
  const bool needs_checksum = header.flags & VirtioNetHeader::kNeedsChecksum;

  if (gso == VirtioNetHeader::kGsoNone) {
    if (needs_checksum) {
      size_t start = header.csum_start;
      size_t field = start + header.csum_offset;
      if (field + 2 > packet.size()) return malformed("checksum field past the end");
      // The field holds the pseudo-header sum: summing from csum_start includes it.
      uint16_t c = checksumFinish(checksumAdd(packet.subspan(start)));
      if (c == 0 && header.csum_offset == 6) c = 0xffff;  // UDP sends 0 as all ones
      storeChecksum(packet.data() + field, c);
    }
    out.packets_.push_back(packet);
    return Status::ok();
  }

  if (packet.empty()) return malformed("empty packet");
  const int version = packet[0] >> 4;
  uint8_t protocol;
  if (gso == VirtioNetHeader::kGsoTcpV4 || gso == VirtioNetHeader::kGsoTcpV6) {
    protocol = kProtoTcp;
    if ((gso == VirtioNetHeader::kGsoTcpV4) != (version == 4)) {
      return malformed("GSO type does not match the IP version");
    }
  } else if (gso == VirtioNetHeader::kGsoUdpL4) {
    protocol = kProtoUdp;
  } else {
    return malformed("unsupported GSO type");
  }
  if (header.gso_size == 0) return malformed("GSO size 0");

  const bool v6 = version == 6;
  size_t ip_header_length;
  if (version == 4) {
    if (packet.size() < 20) return malformed("short IPv4 header");
    ip_header_length = size_t(packet[0] & 0x0f) * 4;
    if (ip_header_length < 20 || packet[9] != protocol) return malformed("bad IPv4 header");
  } else if (v6) {
    ip_header_length = kIpv6HeaderSize;
  } else {
    return malformed("not an IP packet");
  }
  // The L4 header starts at csum_start (past any IPv6 extension headers).
  size_t l4 = needs_checksum ? header.csum_start : ip_header_length;
  if (l4 < ip_header_length || (version == 4 && l4 != ip_header_length)) {
    return malformed("csum_start is not the L4 header");
  }
  if (v6 && l4 == kIpv6HeaderSize && packet.size() >= kIpv6HeaderSize && packet[6] != protocol) {
    return malformed("IPv6 next header does not match the GSO type");
  }
  size_t headers_length;
  if (protocol == kProtoTcp) {
    if (packet.size() < l4 + 20) return malformed("short TCP header");
    size_t tcp_length = size_t(packet[l4 + 12] >> 4) * 4;
    if (tcp_length < 20) return malformed("bad TCP data offset");
    headers_length = l4 + tcp_length;
  } else {
    headers_length = l4 + 8;
  }
  if (packet.size() < headers_length) return malformed("headers past the end");

  const size_t payload = packet.size() - headers_length;
  const size_t segment = header.gso_size;
  const size_t count = payload == 0 ? 1 : (payload + segment - 1) / segment;
  const size_t needed = count * headers_length + payload;
  if (out.arena_.size() < needed) out.arena_.resize(needed);

  const uint16_t first_id = version == 4 ? load16(packet.data() + 4) : 0;
  const uint32_t first_seq = protocol == kProtoTcp ? load32(packet.data() + l4 + 4) : 0;
  uint8_t* dst = out.arena_.data();
  for (size_t i = 0; i < count; ++i) {
    const size_t offset = i * segment;
    const size_t part = std::min(segment, payload - std::min(payload, offset));
    const size_t length = headers_length + part;
    std::memcpy(dst, packet.data(), headers_length);
    std::memcpy(dst + headers_length, packet.data() + headers_length + offset, part);
    if (v6) {
      store16(dst + 4, static_cast<uint32_t>(length - kIpv6HeaderSize));
    } else {
      store16(dst + 2, static_cast<uint32_t>(length));
      store16(dst + 4, static_cast<uint32_t>(first_id + i));
      setIpv4HeaderChecksum(dst, ip_header_length);
    }
    uint8_t* l4p = dst + l4;
    size_t checksum_field;
    if (protocol == kProtoTcp) {
      store32(l4p + 4, first_seq + static_cast<uint32_t>(offset));
      if (i > 0) l4p[13] &= static_cast<uint8_t>(~kTcpCwr);
      if (i + 1 < count) l4p[13] &= static_cast<uint8_t>(~(kTcpFin | kTcpPsh));
      checksum_field = 16;
    } else {
      store16(l4p + 4, static_cast<uint32_t>(length - l4));
      checksum_field = 6;
    }
    l4p[checksum_field] = l4p[checksum_field + 1] = 0;
    uint64_t sum = pseudoHeaderSum(dst, v6, protocol, length - l4);
    uint16_t c = checksumFinish(checksumAdd({l4p, length - l4}, sum));
    if (c == 0 && protocol == kProtoUdp) c = 0xffff;
    storeChecksum(l4p + checksum_field, c);
    out.packets_.emplace_back(dst, length);
    dst += length;
  }
  return Status::ok();
}

// ---- coalescing

// What prepareWrites() needs to know of one packet.
struct TunWriteBatch::Parsed {
  uint8_t* data;
  uint32_t size;
  bool tcp;        // IPv4/IPv6 TCP with sane headers: has a flow
  bool candidate;  // may join a run
  bool v6;
  bool psh;
  uint16_t ip_header_length;
  uint16_t tcp_header_length;
  uint32_t payload;
  uint32_t seq;
  uint64_t flow_hash;
};

// A run of packets of one flow that goes out as one GSO write.
struct TunWriteBatch::Run {
  uint32_t head;
  uint32_t last;
  uint32_t count;
  uint32_t next_seq;
  uint32_t payload_total;
  uint32_t segment;  // payload size of the head: every segment but the last has it
  bool psh;
};

namespace {

// Flow addresses and ports: IPv4 saddr+daddr (8 bytes at 12), IPv6 (32 bytes at 8).
size_t addressOffset(bool v6) { return v6 ? 8 : 12; }
size_t addressLength(bool v6) { return v6 ? 32 : 8; }

uint64_t hashFlow(const uint8_t* ip, bool v6, size_t l4) {
  uint64_t h = 0xcbf29ce484222325ull;
  auto mix = [&](const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  };
  mix(ip + addressOffset(v6), addressLength(v6));
  mix(ip + l4, 4);
  return h;
}

bool sameFlow(const uint8_t* a, const uint8_t* b, bool v6, size_t l4) {
  return std::memcmp(a + addressOffset(v6), b + addressOffset(v6), addressLength(v6)) == 0 &&
         std::memcmp(a + l4, b + l4, 4) == 0;
}

}  // namespace

TunWriteBatch::TunWriteBatch(size_t max_packets, size_t buffer_bytes)
    : max_packets_(std::max<size_t>(max_packets, 1)) {
  buffer_.resize(std::max<size_t>(buffer_bytes, 2048));
  packets_.reserve(max_packets_);
  parsed_.reserve(max_packets_);
  runs_.reserve(max_packets_);
  run_of_.resize(max_packets_);
  next_in_run_.resize(max_packets_);
  open_runs_.reserve(kMaxCoalescedSegments);
  headers_.resize(max_packets_);
  iovecs_.resize(2 * max_packets_);
  writes_.reserve(max_packets_);
}

TunWriteBatch::~TunWriteBatch() = default;
TunWriteBatch::TunWriteBatch(TunWriteBatch&&) noexcept = default;
TunWriteBatch& TunWriteBatch::operator=(TunWriteBatch&&) noexcept = default;

std::span<uint8_t> TunWriteBatch::reserve(size_t max_size) {
  reserved_ = 0;
  if (max_size == 0 || max_size > kMaxIpLength || packets_.size() >= max_packets_ ||
      buffer_.size() - used_ < max_size) {
    return {};
  }
  reserved_ = max_size;
  return {buffer_.data() + used_, max_size};
}

void TunWriteBatch::commit(size_t size) {
  if (size == 0 || size > reserved_) {
    reserved_ = 0;
    return;
  }
  packets_.push_back({static_cast<uint32_t>(used_), static_cast<uint32_t>(size)});
  used_ += size;
  reserved_ = 0;
}

bool TunWriteBatch::append(std::span<const uint8_t> packet) {
  auto room = reserve(packet.size());
  if (room.empty()) return false;
  std::memcpy(room.data(), packet.data(), packet.size());
  commit(packet.size());
  return true;
}

void TunWriteBatch::clear() {
  packets_.clear();
  used_ = 0;
  reserved_ = 0;
  writes_.clear();
}

std::span<const TunWriteBatch::Write> TunWriteBatch::prepareWrites(bool coalesce) {
  writes_.clear();
  parsed_.clear();
  runs_.clear();
  for (size_t i = 0; i < packets_.size(); ++i) {
    Parsed p{};
    p.data = buffer_.data() + packets_[i].offset;
    p.size = packets_[i].size;
    const uint8_t* ip = p.data;
    run_of_[i] = kNone;
    next_in_run_[i] = kNone;
    if (coalesce && p.size >= 20) {
      const int version = ip[0] >> 4;
      if (version == 4 && (ip[0] & 0x0f) == 5 && ip[9] == kProtoTcp && load16(ip + 2) == p.size) {
        p.ip_header_length = 20;
        p.tcp = true;
        // Only DF packets without fragmentation: resegmenting may renumber their ids.
        p.candidate = load16(ip + 6) == 0x4000;
      } else if (version == 6 && p.size >= kIpv6HeaderSize && ip[6] == kProtoTcp &&
                 load16(ip + 4) + kIpv6HeaderSize == p.size) {
        p.ip_header_length = kIpv6HeaderSize;
        p.v6 = true;
        p.tcp = true;
        p.candidate = true;
      }
      if (p.tcp) {
        const size_t l4 = p.ip_header_length;
        if (p.size < l4 + 20 || size_t(ip[l4 + 12] >> 4) * 4 < 20 ||
            p.size < l4 + size_t(ip[l4 + 12] >> 4) * 4) {
          p.tcp = p.candidate = false;
        } else {
          p.tcp_header_length = static_cast<uint16_t>(size_t(ip[l4 + 12] >> 4) * 4);
          p.payload = p.size - l4 - p.tcp_header_length;
          p.seq = load32(ip + l4 + 4);
          const uint8_t flags = ip[l4 + 13];
          p.psh = flags & kTcpPsh;
          p.candidate = p.candidate && (flags & ~(kTcpAck | kTcpPsh)) == 0 && (flags & kTcpAck) &&
                        p.payload > 0;
          // Coalescing gives the merged packet a fresh checksum (the kernel completes it): a
          // segment that arrived corrupt would become valid. Like Linux GRO and wireguard-go,
          // merge only segments whose checksums hold (the IPv4 header's too).
          if (p.candidate) {
            const size_t l4_length = p.size - l4;
            const bool tcp_ok = checksumFold(checksumAdd(
                                    {ip + l4, l4_length},
                                    pseudoHeaderSum(ip, p.v6, kProtoTcp, l4_length))) == 0xffff;
            const bool ip_ok = p.v6 || checksumFold(checksumAdd({ip, 20})) == 0xffff;
            p.candidate = tcp_ok && ip_ok;
          }
          p.flow_hash = hashFlow(ip, p.v6, l4);
        }
      }
    }
    parsed_.push_back(p);
  }
  if (coalesce) coalesceRuns(parsed_);

  for (size_t i = 0; i < packets_.size(); ++i) {
    const uint32_t r = run_of_[i];
    if (r != kNone && runs_[r].head != i) continue;  // carried by its run's write
    if (r != kNone && runs_[r].count > 1) {
      emitRun(runs_[r], parsed_[i]);
      continue;
    }
    VirtioNetHeader& h = headers_[writes_.size()];
    h = VirtioNetHeader{};
    const size_t iov = nextIovec();
    iovecs_[iov] = {&h, sizeof h};
    iovecs_[iov + 1] = {parsed_[i].data, parsed_[i].size};
    writes_.push_back({std::span<const iovec>(&iovecs_[iov], 2), 1});
  }
  return writes_;
}

void TunWriteBatch::coalesceRuns(std::span<const Parsed> parsed) {
  open_runs_.clear();
  for (uint32_t i = 0; i < parsed.size(); ++i) {
    const Parsed& p = parsed[i];
    if (!p.tcp) continue;
    // The open run of this flow, if any (one at most: a new run closes the old one).
    size_t slot = open_runs_.size();
    for (size_t k = 0; k < open_runs_.size(); ++k) {
      const Parsed& head = parsed[runs_[open_runs_[k]].head];
      if (head.flow_hash == p.flow_hash && head.v6 == p.v6 &&
          sameFlow(head.data, p.data, p.v6, p.ip_header_length)) {
        slot = k;
        break;
      }
    }
    if (slot < open_runs_.size()) {
      Run& run = runs_[open_runs_[slot]];
      const Parsed& head = parsed[run.head];
      const uint8_t* h = head.data;
      const uint8_t* d = p.data;
      const size_t l4 = p.ip_header_length;
      bool joins =
          p.candidate && p.seq == run.next_seq && p.payload <= run.segment &&
          run.count < kMaxCoalescedSegments &&
          head.ip_header_length + head.tcp_header_length + run.payload_total + p.payload <=
              kMaxIpLength &&
          p.tcp_header_length == head.tcp_header_length &&
          std::memcmp(h + l4 + 8, d + l4 + 8, 4) == 0 &&                          // ack
          h[l4 + 13] == (d[l4 + 13] & ~kTcpPsh) &&                                // flags but PSH
          std::memcmp(h + l4 + 14, d + l4 + 14, 2) == 0 &&                        // window
          std::memcmp(h + l4 + 20, d + l4 + 20, p.tcp_header_length - 20u) == 0;  // options
      if (joins) {
        joins = p.v6 ? std::memcmp(h, d, 4) == 0 && h[7] == d[7]  // class, flow label, hops
                     : h[1] == d[1] && h[8] == d[8];              // TOS, TTL
      }
      if (joins) {
        next_in_run_[run.last] = i;
        run_of_[i] = open_runs_[slot];
        run.last = i;
        ++run.count;
        run.next_seq = p.seq + p.payload;
        run.payload_total += p.payload;
        run.psh = p.psh;
        if (p.psh || p.payload < run.segment || run.count == kMaxCoalescedSegments) {
          open_runs_.erase(open_runs_.begin() + static_cast<ptrdiff_t>(slot));
        }
        continue;
      }
      // Anything else of this flow ends its run, so the flow's packets stay in order.
      open_runs_.erase(open_runs_.begin() + static_cast<ptrdiff_t>(slot));
    }
    if (!p.candidate || p.psh) continue;
    if (open_runs_.size() == kMaxCoalescedSegments) open_runs_.erase(open_runs_.begin());
    run_of_[i] = static_cast<uint32_t>(runs_.size());
    open_runs_.push_back(static_cast<uint32_t>(runs_.size()));
    runs_.push_back({i, i, 1, p.seq + p.payload, p.payload, p.payload, false});
  }
}

size_t TunWriteBatch::nextIovec() const {
  if (writes_.empty()) return 0;
  const Write& previous = writes_.back();
  return static_cast<size_t>(previous.parts.data() - iovecs_.data()) + previous.parts.size();
}

void TunWriteBatch::emitRun(const Run& run, const Parsed& head) {
  uint8_t* ip = head.data;
  const size_t l4 = head.ip_header_length;
  const size_t tcp_length = head.tcp_header_length + run.payload_total;
  if (head.v6) {
    store16(ip + 4, static_cast<uint32_t>(tcp_length));
  } else {
    store16(ip + 2, static_cast<uint32_t>(l4 + tcp_length));
    setIpv4HeaderChecksum(ip, l4);
  }
  uint8_t* tcp = ip + l4;
  if (run.psh) tcp[13] |= kTcpPsh;
  // CHECKSUM_PARTIAL: the field holds the folded pseudo-header sum; the kernel adds the rest.
  storeChecksum(tcp + 16, checksumFold(pseudoHeaderSum(ip, head.v6, kProtoTcp, tcp_length)));

  VirtioNetHeader& h = headers_[writes_.size()];
  h = VirtioNetHeader{};
  h.flags = VirtioNetHeader::kNeedsChecksum;
  h.gso_type = head.v6 ? VirtioNetHeader::kGsoTcpV6 : VirtioNetHeader::kGsoTcpV4;
  h.hdr_len = static_cast<uint16_t>(l4 + head.tcp_header_length);
  h.gso_size = static_cast<uint16_t>(run.segment);
  h.csum_start = static_cast<uint16_t>(l4);
  h.csum_offset = 16;

  size_t iov = nextIovec();
  const size_t first = iov;
  iovecs_[iov++] = {&h, sizeof h};
  iovecs_[iov++] = {ip, head.size};
  for (uint32_t k = next_in_run_[run.head]; k != kNone; k = next_in_run_[k]) {
    const Parsed& p = parsed_[k];
    const size_t headers = size_t(p.ip_header_length) + p.tcp_header_length;
    iovecs_[iov++] = {p.data + headers, p.payload};
  }
  writes_.push_back({std::span<const iovec>(&iovecs_[first], iov - first), run.count});
}

}  // namespace causeway::net
