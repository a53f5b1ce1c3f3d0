#include "net/tun_device.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace causeway::net {

namespace {

// Newer than the kernel headers of Debian 12 (Linux 6.2+).
#ifndef TUN_F_USO4
constexpr unsigned TUN_F_USO4 = 0x20;
#endif
#ifndef TUN_F_USO6
constexpr unsigned TUN_F_USO6 = 0x40;
#endif

constexpr unsigned kTcpOffloads = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
constexpr unsigned kUdpOffloads = TUN_F_USO4 | TUN_F_USO6;

std::string errnoText(int e) { return std::strerror(e); }

}  // namespace

TunPacket::TunPacket() : storage_(std::make_unique_for_overwrite<uint8_t[]>(kMaxSize)) {}

Result<TunDevice> TunDevice::open(std::string_view name, const TunOptions& options) {
  if (name.size() >= IFNAMSIZ) {
    return Status::invalidArgument("TUN name '" + std::string(name) + "' is longer than " +
                                   std::to_string(IFNAMSIZ - 1) + " characters");
  }
  int fd = ::open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Status::ioError("cannot open /dev/net/tun: " + errnoText(errno));
  auto fail = [&](const std::string& what) {
    int e = errno;
    ::close(fd);
    return Status::ioError("cannot " + what + " for TUN '" + std::string(name) +
                           "': " + errnoText(e));
  };
  ifreq request{};
  std::memcpy(request.ifr_name, name.data(), name.size());
  request.ifr_flags = IFF_TUN | IFF_NO_PI | IFF_VNET_HDR;
  if (::ioctl(fd, TUNSETIFF, &request) != 0) return fail("create the interface (TUNSETIFF)");
  int header_size = sizeof(VirtioNetHeader);  // struct virtio_net_hdr
  if (::ioctl(fd, TUNSETVNETHDRSZ, &header_size) != 0) return fail("set TUNSETVNETHDRSZ");

  unsigned flags = 0;
  if (options.offloads) {
    // A kernel that lacks one flag refuses the whole set: try the largest set first.
    const unsigned attempts[] = {kTcpOffloads | kUdpOffloads, kTcpOffloads,
                                 TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6, TUN_F_CSUM};
    for (unsigned attempt : attempts) {
      if ((attempt & kUdpOffloads) && !options.udp_offloads) continue;
      if (::ioctl(fd, TUNSETOFFLOAD, attempt) == 0) {
        flags = attempt;
        break;
      }
    }
  }
  if (flags == 0 && ::ioctl(fd, TUNSETOFFLOAD, 0u) != 0) return fail("clear TUNSETOFFLOAD");

  std::string actual(request.ifr_name, ::strnlen(request.ifr_name, IFNAMSIZ));
  ifreq index_request{};
  std::memcpy(index_request.ifr_name, actual.data(), actual.size());
  int control = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  int index = 0;
  if (control >= 0) {
    if (::ioctl(control, SIOCGIFINDEX, &index_request) == 0) index = index_request.ifr_ifindex;
    ::close(control);
  }
  if (index == 0) return fail("read the interface index");
  // GSO writes need the kernel to take TCP super-packets (TSO), not just checksum offload.
  const bool coalesce =
      options.coalesce_writes && (flags & (TUN_F_TSO4 | TUN_F_TSO6)) == (TUN_F_TSO4 | TUN_F_TSO6);
  return TunDevice(fd, std::move(actual), index, flags, coalesce);
}

TunDevice::TunDevice(TunDevice&& o) noexcept
    : fd_(std::exchange(o.fd_, -1)),
      name_(std::move(o.name_)),
      index_(o.index_),
      offload_flags_(o.offload_flags_),
      coalesce_(o.coalesce_),
      stats_(o.stats_) {}

TunDevice& TunDevice::operator=(TunDevice&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    name_ = std::move(o.name_);
    index_ = o.index_;
    offload_flags_ = o.offload_flags_;
    coalesce_ = o.coalesce_;
    stats_ = o.stats_;
  }
  return *this;
}

TunDevice::~TunDevice() {
  if (fd_ >= 0) ::close(fd_);
}

bool TunDevice::tcpOffloads() const {
  constexpr unsigned kTso = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
  return (offload_flags_ & kTso) == kTso;
}

bool TunDevice::udpOffloads() const { return (offload_flags_ & kUdpOffloads) == kUdpOffloads; }

Result<size_t> TunDevice::read(TunPacket& packet) {
  packet.size_ = 0;
  iovec parts[2] = {{&packet.header_, sizeof packet.header_},
                    {packet.storage_.get(), TunPacket::kMaxSize}};
  ssize_t n;
  do {
    n = ::readv(fd_, parts, 2);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK) return size_t{0};
    return Status::ioError("cannot read from TUN " + name_ + ": " + errnoText(errno));
  }
  if (static_cast<size_t>(n) <= sizeof packet.header_) return size_t{0};  // nothing after it
  packet.size_ = static_cast<size_t>(n) - sizeof packet.header_;
  ++stats_.read_packets;
  stats_.read_bytes += packet.size_;
  return packet.size_;
}

Status TunDevice::write(std::span<const uint8_t> ip_packet) {
  VirtioNetHeader header;
  iovec parts[2] = {{&header, sizeof header},
                    {const_cast<uint8_t*>(ip_packet.data()), ip_packet.size()}};
  ssize_t n;
  do {
    n = ::writev(fd_, parts, 2);
  } while (n < 0 && errno == EINTR);
  if (n < 0) {
    int e = errno;
    ++stats_.write_errors;
    stats_.last_write_errno = e;
    return Status::ioError("cannot write a " + std::to_string(ip_packet.size()) +
                           "-byte packet to TUN " + name_ + ": " + errnoText(e));
  }
  ++stats_.writes;
  ++stats_.written_packets;
  return Status::ok();
}

TunWriteResult TunDevice::write(TunWriteBatch& batch) {
  TunWriteResult result;
  for (const TunWriteBatch::Write& w : batch.prepareWrites(coalesce_)) {
    ssize_t n;
    do {
      n = ::writev(fd_, w.parts.data(), static_cast<int>(w.parts.size()));
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
      result.dropped += w.packets;
      result.error = errno;
      continue;
    }
    result.packets += w.packets;
    ++result.writes;
  }
  batch.clear();
  stats_.writes += result.writes;
  stats_.written_packets += result.packets;
  stats_.write_errors += result.dropped;
  if (result.error != 0) stats_.last_write_errno = result.error;
  return result;
}

}  // namespace causeway::net
