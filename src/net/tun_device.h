// TunDevice: a Linux TUN interface (IFF_TUN | IFF_NO_PI | IFF_VNET_HDR) on a non-blocking fd.
// Every packet crosses with a virtio_net_hdr in front of it. With offloads the kernel may hand
// over unfinished checksums and TCP (and, on kernels that have it, UDP) super-packets of up to
// 64 KB: segmentPacket() (packet_offload.h) makes MTU-sized packets of them. Writing a
// TunWriteBatch coalesces TCP segments back into super-packets, so the kernel sees few, large
// packets both ways. The device exists as long as the fd is open.
//
// Address, MTU, link state and routes are set through Netlink (netlink.h). The caller waits for
// readability itself (epoll, Asio's posix::stream_descriptor) and reads until read() returns 0.
// Not thread-safe: one thread reads and writes a device at a time (reads and writes on the fd
// from two threads are safe in the kernel, but the counters here are not shared).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include "base/status.h"
#include "net/packet_offload.h"

namespace causeway::net {

struct TunOptions {
  // Ask for TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN (and TUN_F_USO4 | TUN_F_USO6
  // when `udp_offloads` and the kernel accepts them). Without, every packet read is complete and
  // writes are never coalesced.
  bool offloads = true;
  bool udp_offloads = true;
  // Coalesce TCP runs into GSO writes (when the TCP offloads were accepted). A switch for
  // measurements and for a kernel that mishandles them.
  bool coalesce_writes = true;
};

struct TunStats {
  uint64_t read_packets = 0;  // reads that returned a packet (a super-packet counts once)
  uint64_t read_bytes = 0;
  uint64_t writes = 0;  // write system calls that succeeded
  uint64_t written_packets = 0;
  uint64_t write_errors = 0;  // packets dropped because a write failed
  int last_write_errno = 0;
};

// One packet read from the device: its virtio header and the bytes after it (at most 64 KB).
class TunPacket {
 public:
  static constexpr size_t kMaxSize = 65535 + 1024;
  TunPacket();
  const VirtioNetHeader& header() const { return header_; }
  std::span<uint8_t> bytes() const { return {storage_.get(), size_}; }

 private:
  friend class TunDevice;
  VirtioNetHeader header_;
  std::unique_ptr<uint8_t[]> storage_;
  size_t size_ = 0;
};

// What one write of a batch did.
struct TunWriteResult {
  size_t packets = 0;  // packets of the batch written
  size_t writes = 0;   // system calls
  size_t dropped = 0;  // packets of failed writes
  int error = 0;       // errno of the last failure
};

class TunDevice {
 public:
  // Creates TUN interface `name` ("" or a pattern like "cw%d": the kernel picks the number).
  static Result<TunDevice> open(std::string_view name, const TunOptions& options = {});

  TunDevice(TunDevice&& o) noexcept;
  TunDevice& operator=(TunDevice&& o) noexcept;
  TunDevice(const TunDevice&) = delete;
  TunDevice& operator=(const TunDevice&) = delete;
  ~TunDevice();

  int fd() const { return fd_; }
  const std::string& name() const { return name_; }
  int index() const { return index_; }
  // The TUN_F_* flags the kernel accepted (0 without offloads).
  unsigned offloadFlags() const { return offload_flags_; }
  bool tcpOffloads() const;  // TSO4 and TSO6 (and checksum)
  bool udpOffloads() const;  // USO4 and USO6
  const TunStats& stats() const { return stats_; }

  // Reads one packet into `packet`. Returns its size: 0 when none is waiting (EAGAIN). Errors
  // (the interface went away: EBADFD, EIO) are returned.
  Result<size_t> read(TunPacket& packet);
  // Writes one complete IP packet (with an all-zero virtio header).
  Status write(std::span<const uint8_t> ip_packet);
  // Writes every packet of `batch`, coalescing TCP runs when the device has TCP offloads, then
  // clears it. A failed write drops its packets (counted) and the rest go on: a TUN write
  // fails for a malformed packet or a device that is down, not because a queue is full.
  TunWriteResult write(TunWriteBatch& batch);

 private:
  TunDevice(int fd, std::string name, int index, unsigned offload_flags, bool coalesce)
      : fd_(fd),
        name_(std::move(name)),
        index_(index),
        offload_flags_(offload_flags),
        coalesce_(coalesce) {}

  int fd_ = -1;
  std::string name_;
  int index_ = 0;
  unsigned offload_flags_ = 0;
  bool coalesce_ = false;
  TunStats stats_;
};

}  // namespace causeway::net
