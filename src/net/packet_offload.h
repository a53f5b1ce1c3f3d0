// Offloads of a TUN device with virtio-net headers, done in user space and with no I/O:
//  - segmentPacket(): what the kernel hands over (one IP packet with a partial checksum to
//    finish, or a TSO/USO super-packet of up to 64 KB) becomes complete, checksummed IP packets
//    no larger than the MTU the kernel segmented for, ready to encrypt.
//  - TunWriteBatch: the other way, decrypted packets the caller writes into the batch; runs of
//    in-order TCP segments of one flow are coalesced into one super-packet with a TCP GSO header
//    (like Linux GRO and wireguard-go's tcpGRO), so the kernel takes 64 KB per write.
// Header fields of a virtio_net_hdr are in host byte order (the TUN default on little-endian
// hosts, and what the kernel uses without TUNSETVNETLE/BE).
// Nothing here allocates per packet once its buffers have grown to the largest packet seen.
// Not thread-safe: a PacketSegments or TunWriteBatch belongs to one thread at a time.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"

namespace causeway::net {

// struct virtio_net_hdr (linux/virtio_net.h), 10 bytes.
struct VirtioNetHeader {
  static constexpr uint8_t kNeedsChecksum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM
  static constexpr uint8_t kDataValid = 2;      // VIRTIO_NET_HDR_F_DATA_VALID
  static constexpr uint8_t kGsoNone = 0;
  static constexpr uint8_t kGsoTcpV4 = 1;
  static constexpr uint8_t kGsoUdp = 3;  // UFO (IP fragmentation): never enabled here
  static constexpr uint8_t kGsoTcpV6 = 4;
  static constexpr uint8_t kGsoUdpL4 = 5;  // USO: UDP segmentation, IPv4 or IPv6
  static constexpr uint8_t kGsoEcn = 0x80;

  uint8_t flags = 0;
  uint8_t gso_type = kGsoNone;
  uint16_t hdr_len = 0;      // IP + L4 header bytes (a hint only)
  uint16_t gso_size = 0;     // L4 payload bytes per segment
  uint16_t csum_start = 0;   // where the checksummed L4 part starts
  uint16_t csum_offset = 0;  // where its checksum field is, from csum_start
};
static_assert(sizeof(VirtioNetHeader) == 10);

// The Internet checksum: checksumAdd() sums bytes (an even number of them, except in the last
// call) onto a running sum; checksumFinish() folds it and takes the complement, returning the
// 16-bit value in the byte order it is stored in (write it with memcpy).
uint64_t checksumAdd(std::span<const uint8_t> bytes, uint64_t sum = 0);
uint16_t checksumFold(uint64_t sum);  // folded, not complemented (a partial checksum)
inline uint16_t checksumFinish(uint64_t sum) { return static_cast<uint16_t>(~checksumFold(sum)); }
// RFC 1624 incremental update: the checksum after one 16-bit word of the summed data changed
// from `old_word` to `new_word`. All three values in the same (host) byte order.
inline uint16_t checksumReplace(uint16_t checksum, uint16_t old_word, uint16_t new_word) {
  uint32_t sum = uint16_t(~checksum) + uint32_t(uint16_t(~old_word)) + new_word;
  sum = (sum & 0xffff) + (sum >> 16);
  sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// The IP packets that came out of one segmentPacket(). Each is writable; they point into this
// object, or for a packet that needed no segmentation into the input packet itself.
class PacketSegments {
 public:
  PacketSegments();
  size_t size() const { return packets_.size(); }
  bool empty() const { return packets_.empty(); }
  std::span<uint8_t> operator[](size_t i) const { return packets_[i]; }
  auto begin() const { return packets_.begin(); }
  auto end() const { return packets_.end(); }
  void clear() { packets_.clear(); }

 private:
  friend Status segmentPacket(const VirtioNetHeader&, std::span<uint8_t>, PacketSegments&);
  std::vector<uint8_t> arena_;
  std::vector<std::span<uint8_t>> packets_;
};

// Turns what a TUN read returned into complete IP packets in `out` (replacing its content):
//  - no GSO: the packet itself, its checksum finished in place when the header asks for it;
//  - TCPv4/TCPv6 GSO: segments of gso_size payload bytes, each with its own IP total/payload
//    length, IPv4 id (+1 per segment) and header checksum, TCP sequence number, flags (CWR on
//    the first only, FIN and PSH on the last only) and a full TCP checksum;
//  - UDP L4 GSO (USO): datagrams of gso_size payload bytes with their own UDP length and
//    checksum.
// Refuses (invalidArgument, `out` empty) what it cannot parse: a non-IP packet under a GSO
// header, headers past the end, an unknown GSO type, a zero gso_size.
Status segmentPacket(const VirtioNetHeader& header, std::span<uint8_t> packet, PacketSegments& out);

// IP packets to write to a TUN device, written by the caller straight into the batch (decrypted
// in place), then grouped by prepareWrites() into writes of one virtio header and the bytes that
// follow it. TunDevice::write(TunWriteBatch&) does both and the writes.
class TunWriteBatch {
 public:
  static constexpr size_t kDefaultMaxPackets = 1024;
  static constexpr size_t kDefaultBufferBytes = 2 << 20;
  static constexpr size_t kMaxCoalescedSegments = 64;

  explicit TunWriteBatch(size_t max_packets = kDefaultMaxPackets,
                         size_t buffer_bytes = kDefaultBufferBytes);
  TunWriteBatch(TunWriteBatch&&) noexcept;
  TunWriteBatch& operator=(TunWriteBatch&&) noexcept;
  ~TunWriteBatch();

  // Room for one packet of up to `max_size` bytes; commit() keeps it. Empty when the batch is
  // full (write it first). A reserve() without commit(), or commit(0), adds nothing.
  std::span<uint8_t> reserve(size_t max_size);
  void commit(size_t size);
  bool append(std::span<const uint8_t> packet);  // reserve + copy + commit; false when full

  size_t size() const { return packets_.size(); }
  bool empty() const { return packets_.empty(); }
  void clear();

  // One write: `parts[0]` is the virtio header, the rest the packet bytes, for writev().
  struct Write {
    std::span<const iovec> parts;
    uint32_t packets;  // how many of the batch's packets it carries
  };
  // Groups the packets into writes, in order per flow. With `coalesce`, runs of TCP segments
  // of one flow (same addresses, ports, ACK, window, options, IP TOS/TTL; in sequence; only ACK
  // or ACK|PSH, PSH ending a run; equal payload sizes with only the last shorter; at most 64
  // segments and 64 KB) become one TCP GSO write whose checksum the kernel finishes; every other
  // packet is a write of its own. Rewrites the headers of coalesced packets in place.
  std::span<const Write> prepareWrites(bool coalesce = true);

 private:
  struct Packet {
    uint32_t offset;
    uint32_t size;
  };
  struct Parsed;
  struct Run;
  void coalesceRuns(std::span<const Parsed> parsed);
  void emitRun(const Run& run, const Parsed& head);
  size_t nextIovec() const;  // where the next write's iovecs start

  size_t max_packets_;
  std::vector<uint8_t> buffer_;
  size_t used_ = 0;
  size_t reserved_ = 0;  // bytes of the open reserve(), 0 when none
  std::vector<Packet> packets_;
  // Scratch for prepareWrites(), sized once.
  std::vector<Parsed> parsed_;
  std::vector<Run> runs_;
  std::vector<uint32_t> run_of_;  // per packet: its run, or kNoRun
  std::vector<uint32_t> next_in_run_;
  std::vector<uint32_t> open_runs_;
  std::vector<VirtioNetHeader> headers_;
  std::vector<iovec> iovecs_;
  std::vector<Write> writes_;
};

}  // namespace causeway::net
