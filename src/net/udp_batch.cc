#include "net/udp_batch.h"

#include <netinet/udp.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>
#include <utility>

namespace causeway::net {

namespace {

constexpr size_t kMaxGsoSegments = 64;        // UDP_MAX_SEGMENTS in the kernel
constexpr size_t kMaxGsoBytes = 65000;        // under 64 KiB with the UDP and IPv6 headers
constexpr size_t kMaxMessagesPerCall = 1024;  // UIO_MAXIOV

std::string errnoText(int e) { return std::strerror(e); }

// Sets a buffer size, first with the *FORCE option that ignores the rmem_max/wmem_max limits
// (needs CAP_NET_ADMIN), then with the ordinary one.
void setBuffer(int fd, int force_option, int option, int bytes) {
  if (::setsockopt(fd, SOL_SOCKET, force_option, &bytes, sizeof bytes) == 0) return;
  (void)::setsockopt(fd, SOL_SOCKET, option, &bytes, sizeof bytes);
}

}  // namespace

// ---- UdpSocket

Result<UdpSocket> UdpSocket::bind(const SocketAddress& local, const UdpOptions& options) {
  if (local.empty()) return Status::invalidArgument("cannot bind a UDP socket: no address");
  int fd = ::socket(local.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) return Status::ioError("cannot open a UDP socket: " + errnoText(errno));
  auto fail = [&](const std::string& what) {
    int e = errno;
    ::close(fd);
    return Status::ioError("cannot " + what + " for UDP " + local.toString() + ": " + errnoText(e));
  };
  int one = 1;
  if (options.reuse_port && ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    return fail("set SO_REUSEPORT");
  }
  if (local.isV6()) {
    int v6_only = options.v6_only ? 1 : 0;
    if (::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6_only, sizeof v6_only) != 0) {
      return fail("set IPV6_V6ONLY");
    }
  }
  if (options.buffer_bytes > 0) {
    setBuffer(fd, SO_RCVBUFFORCE, SO_RCVBUF, options.buffer_bytes);
    setBuffer(fd, SO_SNDBUFFORCE, SO_SNDBUF, options.buffer_bytes);
  }
  if (::bind(fd, local.sockaddrPtr(), local.sockaddrLength()) != 0) return fail("bind");

  sockaddr_in6 bound{};
  socklen_t bound_length = sizeof bound;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length) != 0) {
    return fail("read the bound address");
  }
  auto bound_address =
      SocketAddress::fromSockaddr(reinterpret_cast<sockaddr*>(&bound), bound_length);

  bool gro = options.gro && ::setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof one) == 0;
  bool gso = false;
  if (options.gso) {
    int segment = 0;
    socklen_t length = sizeof segment;
    gso = ::getsockopt(fd, SOL_UDP, UDP_SEGMENT, &segment, &length) == 0;
  }
  return UdpSocket(fd, bound_address.value_or(local), gro, gso);
}

UdpSocket::UdpSocket(UdpSocket&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      local_(o.local_),
      gro_(o.gro_),
      gso_(o.gso_),
      stats_(o.stats_) {}

UdpSocket& UdpSocket::operator=(UdpSocket&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    local_ = o.local_;
    gro_ = o.gro_;
    gso_ = o.gso_;
    stats_ = o.stats_;
  }
  return *this;
}

UdpSocket::~UdpSocket() {
  if (fd_ >= 0) ::close(fd_);
}

// ---- RecvBatch

struct RecvBatch::Slot {
  iovec iov;
  SocketAddress source;
  alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(int)) * 2];
};

RecvBatch::RecvBatch(size_t messages, size_t slot_bytes)
    : messages_(std::max<size_t>(messages, 1)),
      slot_bytes_(std::max<size_t>(slot_bytes, 64)),
      storage_(std::make_unique_for_overwrite<uint8_t[]>(messages_ * slot_bytes_)),
      slots_(std::make_unique<Slot[]>(messages_)),
      headers_(std::make_unique<mmsghdr[]>(messages_)) {
  // A GRO message holds at most 64 datagrams; more only if a slot is smaller than that.
  datagrams_.reserve(messages_ * kMaxGsoSegments);
  for (size_t i = 0; i < messages_; ++i) {
    slots_[i].iov = {storage_.get() + i * slot_bytes_, slot_bytes_};
  }
}

RecvBatch::~RecvBatch() = default;

Result<size_t> UdpSocket::receive(RecvBatch& batch) {
  batch.datagrams_.clear();
  for (size_t i = 0; i < batch.messages_; ++i) {
    RecvBatch::Slot& slot = batch.slots_[i];
    msghdr& h = batch.headers_[i].msg_hdr;
    h.msg_name = &slot.source.storage_;
    h.msg_namelen = sizeof slot.source.storage_;
    h.msg_iov = &slot.iov;
    h.msg_iovlen = 1;
    h.msg_control = slot.control;
    h.msg_controllen = sizeof slot.control;
    h.msg_flags = 0;
    batch.headers_[i].msg_len = 0;
  }
  int n;
  do {
    n = ::recvmmsg(fd_, batch.headers_.get(), static_cast<unsigned>(batch.messages_), MSG_DONTWAIT,
                   nullptr);
  } while (n < 0 && errno == EINTR);
  ++stats_.receive_calls;
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t{0};
    return Status::ioError("recvmmsg on UDP " + local_.toString() + ": " + errnoText(errno));
  }
  for (int i = 0; i < n; ++i) {
    RecvBatch::Slot& slot = batch.slots_[i];
    msghdr& h = batch.headers_[i].msg_hdr;
    size_t length = batch.headers_[i].msg_len;
    if (h.msg_flags & MSG_TRUNC) {
      ++stats_.receive_truncated;
      continue;
    }
    slot.source.normalize(h.msg_namelen);
    size_t segment = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&h); c != nullptr; c = CMSG_NXTHDR(&h, c)) {
      if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO &&
          c->cmsg_len >= CMSG_LEN(sizeof(int))) {
        int gso_size;
        std::memcpy(&gso_size, CMSG_DATA(c), sizeof gso_size);
        if (gso_size > 0) segment = static_cast<size_t>(gso_size);
      }
    }
    if (segment == 0) segment = length;
    ++stats_.received_messages;
    uint8_t* data = static_cast<uint8_t*>(slot.iov.iov_base);
    if (length == 0) {
      batch.datagrams_.push_back({std::span<uint8_t>(data, 0), &slot.source});
      continue;
    }
    for (size_t offset = 0; offset < length; offset += segment) {
      batch.datagrams_.push_back(
          {std::span<uint8_t>(data + offset, std::min(segment, length - offset)), &slot.source});
    }
  }
  stats_.received_datagrams += batch.datagrams_.size();
  return batch.datagrams_.size();
}

// ---- SendBatch

struct SendBatch::Control {
  alignas(cmsghdr) uint8_t bytes[CMSG_SPACE(sizeof(uint16_t))];
};

SendBatch::SendBatch(size_t max_datagrams, size_t buffer_bytes)
    : max_datagrams_(std::max<size_t>(max_datagrams, 1)),
      buffer_bytes_(std::max<size_t>(buffer_bytes, 64)),
      buffer_(std::make_unique_for_overwrite<uint8_t[]>(buffer_bytes_)),
      headers_(std::make_unique<mmsghdr[]>(std::min(max_datagrams_, kMaxMessagesPerCall))),
      iovecs_(std::make_unique<iovec[]>(std::min(max_datagrams_, kMaxMessagesPerCall))),
      controls_(std::make_unique<Control[]>(std::min(max_datagrams_, kMaxMessagesPerCall))),
      message_ends_(std::make_unique<uint32_t[]>(std::min(max_datagrams_, kMaxMessagesPerCall))) {
  entries_.reserve(max_datagrams_);
}

SendBatch::~SendBatch() = default;

std::span<uint8_t> SendBatch::append(const SocketAddress& destination, size_t size) {
  if (size == 0 || entries_.size() >= max_datagrams_ || buffer_bytes_ - used_ < size) return {};
  entries_.push_back({static_cast<uint32_t>(used_), static_cast<uint32_t>(size), destination});
  std::span<uint8_t> room(buffer_.get() + used_, size);
  used_ += size;
  return room;
}

bool SendBatch::append(const SocketAddress& destination, std::span<const uint8_t> bytes) {
  auto room = append(destination, bytes.size());
  if (room.empty()) return false;
  std::memcpy(room.data(), bytes.data(), bytes.size());
  return true;
}

void SendBatch::shrinkLast(size_t size) {
  if (entries_.size() <= first_pending_) return;
  Entry& last = entries_.back();
  if (size >= last.size) return;
  used_ -= last.size - size;
  last.size = static_cast<uint32_t>(size);
  if (size == 0) entries_.pop_back();
}

void SendBatch::clear() {
  entries_.clear();
  first_pending_ = 0;
  used_ = 0;
}

FlushResult SendBatch::flush(UdpSocket& socket) {
  FlushResult result;
  const bool v6_socket = socket.local_.isV6();
  // Entries before this index go out one datagram per message (a GSO message was refused).
  size_t no_gso_until = first_pending_;
  size_t next = first_pending_;
  const size_t max_messages = std::min(max_datagrams_, kMaxMessagesPerCall);
  while (next < entries_.size()) {
    // Build as many messages as one call takes, starting at entry `next`.
    size_t count = 0;
    size_t e = next;
    while (e < entries_.size() && count < max_messages) {
      Entry& first = entries_[e];
      if (v6_socket && first.destination.isV4()) first.destination = first.destination.toV6Mapped();
      size_t end = e + 1;
      size_t bytes = first.size;
      if (socket.gso_ && e >= no_gso_until) {
        // Extend while same destination and same size; a shorter datagram ends the run.
        while (end < entries_.size() && end - e < kMaxGsoSegments) {
          Entry& candidate = entries_[end];
          if (candidate.size > first.size || bytes + candidate.size > kMaxGsoBytes) break;
          if (v6_socket && candidate.destination.isV4()) {
            candidate.destination = candidate.destination.toV6Mapped();
          }
          if (candidate.destination != first.destination) break;
          bytes += candidate.size;
          ++end;
          if (candidate.size < first.size) break;
        }
      }
      mmsghdr& m = headers_[count];
      m = mmsghdr{};
      iovecs_[count] = {buffer_.get() + first.offset, bytes};
      m.msg_hdr.msg_name = const_cast<sockaddr*>(first.destination.sockaddrPtr());
      m.msg_hdr.msg_namelen = first.destination.sockaddrLength();
      m.msg_hdr.msg_iov = &iovecs_[count];
      m.msg_hdr.msg_iovlen = 1;
      if (end - e > 1) {
        Control& control = controls_[count];
        m.msg_hdr.msg_control = control.bytes;
        m.msg_hdr.msg_controllen = sizeof control.bytes;
        cmsghdr* c = CMSG_FIRSTHDR(&m.msg_hdr);
        c->cmsg_level = SOL_UDP;
        c->cmsg_type = UDP_SEGMENT;
        c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t segment = static_cast<uint16_t>(first.size);
        std::memcpy(CMSG_DATA(c), &segment, sizeof segment);
      }
      message_ends_[count] = static_cast<uint32_t>(end);
      ++count;
      e = end;
    }

    int n;
    do {
      n = ::sendmmsg(socket.fd_, headers_.get(), static_cast<unsigned>(count), MSG_DONTWAIT);
    } while (n < 0 && errno == EINTR);
    ++socket.stats_.send_calls;
    if (n > 0) {
      size_t sent_to = message_ends_[n - 1];
      result.sent += sent_to - next;
      socket.stats_.sent_messages += static_cast<uint64_t>(n);
      next = sent_to;
      continue;
    }
    int error = n < 0 ? errno : EIO;
    if (error == EAGAIN || error == EWOULDBLOCK) {
      result.would_block = true;
      ++socket.stats_.send_would_block;
      break;
    }
    size_t first_end = message_ends_[0];
    bool was_gso = first_end - next > 1;
    if (was_gso && (error == EIO || error == EINVAL || error == EMSGSIZE)) {
      if (error == EIO) socket.gso_ = false;  // no checksum offload on this route: for good
      no_gso_until = first_end;
      continue;
    }
    // The first message is refused: drop it and go on with the rest.
    result.dropped += first_end - next;
    result.error = error;
    next = first_end;
  }

  socket.stats_.sent_datagrams += result.sent;
  socket.stats_.send_dropped += result.dropped;
  if (result.error != 0) socket.stats_.last_send_errno = result.error;
  if (next >= entries_.size()) {
    clear();
  } else {
    first_pending_ = next;
  }
  return result;
}

}  // namespace causeway::net
