// Batched UDP I/O for the tunnel data path: one non-blocking socket, many datagrams per system
// call. Receiving is one recvmmsg() into a RecvBatch; with UDP_GRO the kernel hands over runs of
// same-size datagrams coalesced into one buffer, which the batch splits again. Sending goes
// through a SendBatch the caller writes datagrams into; flush() groups consecutive datagrams to
// the same destination into UDP_SEGMENT (GSO) messages and sends them all with one sendmmsg().
// Both offloads are probed when the socket is bound and fall back cleanly when the kernel lacks
// them (or, for GSO, when a route cannot take it: the socket then stops using it).
//
// The socket is a plain fd: the caller waits for readability/writability (epoll, Asio's
// posix::stream_descriptor) and calls receive()/flush(). Nothing here throws or allocates per
// datagram. Not thread-safe: a socket and its batches belong to one thread at a time.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "net/socket_address.h"

namespace causeway::net {

struct UdpOptions {
  bool gro = true;              // receive coalesced datagrams (UDP_GRO) when the kernel can
  bool gso = true;              // send with UDP_SEGMENT when the kernel can
  int buffer_bytes = 16 << 20;  // SO_RCVBUF/SO_SNDBUF (the *FORCE variants when permitted)
  bool reuse_port = false;      // SO_REUSEPORT
  bool v6_only = false;         // IPV6_V6ONLY for an IPv6 address ([::] then takes IPv4 too)
};

// Counters of one socket; read them from the socket's thread.
struct UdpStats {
  uint64_t received_datagrams = 0;
  uint64_t received_messages = 0;  // recvmmsg slots filled (one GRO message = many datagrams)
  uint64_t receive_truncated = 0;  // messages larger than a slot, dropped
  uint64_t receive_calls = 0;
  uint64_t sent_datagrams = 0;
  uint64_t sent_messages = 0;  // one GSO message = many datagrams
  uint64_t send_calls = 0;
  uint64_t send_dropped = 0;      // datagrams the kernel refused (error other than EAGAIN)
  uint64_t send_would_block = 0;  // flushes that stopped on EAGAIN
  int last_send_errno = 0;
};

class RecvBatch;
class SendBatch;

class UdpSocket {
 public:
  // Opens a non-blocking UDP socket bound to `local` (port 0: the kernel picks one).
  static Result<UdpSocket> bind(const SocketAddress& local, const UdpOptions& options = {});

  UdpSocket(UdpSocket&& o) noexcept;
  UdpSocket& operator=(UdpSocket&& o) noexcept;
  UdpSocket(const UdpSocket&) = delete;
  UdpSocket& operator=(const UdpSocket&) = delete;
  ~UdpSocket();

  int fd() const { return fd_; }
  const SocketAddress& localAddress() const { return local_; }  // with the bound port
  bool groEnabled() const { return gro_; }
  bool gsoEnabled() const { return gso_; }
  const UdpStats& stats() const { return stats_; }

  // One recvmmsg(MSG_DONTWAIT) into `batch`, replacing its previous content. Returns how many
  // datagrams it now holds: 0 when nothing was waiting. An error other than EAGAIN/EINTR is
  // returned as a Status (the batch is then empty).
  Result<size_t> receive(RecvBatch& batch);

 private:
  friend class SendBatch;
  UdpSocket(int fd, SocketAddress local, bool gro, bool gso)
      : fd_(fd), local_(local), gro_(gro), gso_(gso) {}

  int fd_ = -1;
  SocketAddress local_;
  bool gro_ = false;
  bool gso_ = false;
  UdpStats stats_;
};

// One received datagram: its bytes (writable, so it can be decrypted in place) and its source.
// Both point into the RecvBatch and stay valid until its next receive.
struct ReceivedDatagram {
  std::span<uint8_t> bytes;
  const SocketAddress* source = nullptr;
};

// The buffers of one recvmmsg: `messages` slots of `slot_bytes` each (64 KiB fits the largest
// GRO message), allocated once.
class RecvBatch {
 public:
  static constexpr size_t kDefaultMessages = 64;
  static constexpr size_t kDefaultSlotBytes = 65536;

  explicit RecvBatch(size_t messages = kDefaultMessages, size_t slot_bytes = kDefaultSlotBytes);
  RecvBatch(RecvBatch&&) noexcept = default;
  RecvBatch& operator=(RecvBatch&&) noexcept = default;
  ~RecvBatch();

  size_t size() const { return datagrams_.size(); }
  bool empty() const { return datagrams_.empty(); }
  const ReceivedDatagram& operator[](size_t i) const { return datagrams_[i]; }
  auto begin() const { return datagrams_.begin(); }
  auto end() const { return datagrams_.end(); }

 private:
  friend class UdpSocket;
  struct Slot;
  size_t messages_;
  size_t slot_bytes_;
  std::unique_ptr<uint8_t[]> storage_;
  std::unique_ptr<Slot[]> slots_;
  std::unique_ptr<mmsghdr[]> headers_;
  std::vector<ReceivedDatagram> datagrams_;
};

// What one flush did.
struct FlushResult {
  size_t sent = 0;           // datagrams handed to the kernel
  size_t dropped = 0;        // datagrams refused with an error (counted, then forgotten)
  bool would_block = false;  // the socket buffer is full: the rest is still pending
  int error = 0;             // errno of the last refusal, 0 when none
};

// Datagrams waiting to be sent, written by the caller straight into the batch's buffer.
// Consecutive datagrams to the same destination of the same size (the last of a run may be
// shorter) leave as one GSO message of up to 64 segments and 64 KB.
class SendBatch {
 public:
  static constexpr size_t kDefaultMaxDatagrams = 1024;
  static constexpr size_t kDefaultBufferBytes = 2 << 20;

  explicit SendBatch(size_t max_datagrams = kDefaultMaxDatagrams,
                     size_t buffer_bytes = kDefaultBufferBytes);
  SendBatch(SendBatch&&) noexcept = default;
  SendBatch& operator=(SendBatch&&) noexcept = default;
  ~SendBatch();

  // Room for a datagram of `size` bytes to `destination`; the caller fills it before flush().
  // Empty when the batch is full (flush it first) or size is 0.
  std::span<uint8_t> append(const SocketAddress& destination, size_t size);
  // Copies `bytes` in; false when the batch is full.
  bool append(const SocketAddress& destination, std::span<const uint8_t> bytes);
  // Shortens the last appended datagram (to 0: removes it).
  void shrinkLast(size_t size);

  size_t size() const { return entries_.size() - first_pending_; }  // datagrams pending
  bool empty() const { return size() == 0; }
  void clear();  // forgets every pending datagram

  // Sends the pending datagrams with as few sendmmsg() calls as it takes. On EAGAIN it stops
  // and keeps the rest pending (would_block): wait for writability and flush again, or clear()
  // to drop them. Datagrams the kernel refuses otherwise are dropped and counted. A GSO message
  // the kernel refuses (EIO: no checksum offload on the route; EINVAL/EMSGSIZE: a segment over
  // the path MTU) is sent again as single datagrams; after EIO the socket stops using GSO.
  FlushResult flush(UdpSocket& socket);

 private:
  struct Entry {
    uint32_t offset;
    uint32_t size;
    SocketAddress destination;
  };
  struct Control;
  size_t max_datagrams_;
  size_t buffer_bytes_;
  std::unique_ptr<uint8_t[]> buffer_;
  size_t used_ = 0;  // bytes of buffer_ in use
  std::vector<Entry> entries_;
  size_t first_pending_ = 0;
  // Per-flush scratch, allocated once.
  std::unique_ptr<mmsghdr[]> headers_;
  std::unique_ptr<iovec[]> iovecs_;
  std::unique_ptr<Control[]> controls_;
  std::unique_ptr<uint32_t[]> message_ends_;  // entry index after each built message
};

}  // namespace causeway::net
