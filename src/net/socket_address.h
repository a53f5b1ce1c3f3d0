// SocketAddress: an IPv4 or IPv6 address with a port, held as the kernel's sockaddr_in or
// sockaddr_in6, so it goes to and comes from the socket calls without conversion. Its bytes()
// are the raw sockaddr (at most 28 bytes, all unused bytes zero), which makes them a stable
// identity: wg::Endpoint stores them, and fromBytes() turns them back into an address.
// A plain value, safe to copy between threads.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"

namespace causeway::net {

class SocketAddress {
 public:
  static constexpr size_t kMaxSize = sizeof(sockaddr_in6);  // 28

  SocketAddress() = default;  // empty: family AF_UNSPEC, size 0

  // "1.2.3.4:51820" or "[fd00::1]:51820" (an IPv6 zone is refused). The port is required.
  static Result<SocketAddress> parse(std::string_view text);
  // 4 or 16 address bytes in network order, and a port in host order.
  static SocketAddress fromIp(std::span<const uint8_t> ip, uint16_t port);
  // A sockaddr_in or sockaddr_in6 as a socket call returned it; nullopt for another family or
  // a short length. An IPv4-mapped IPv6 address (::ffff:a.b.c.d) becomes IPv4.
  static std::optional<SocketAddress> fromSockaddr(const sockaddr* addr, socklen_t length);
  // The inverse of bytes(); nullopt when they are not a sockaddr_in or sockaddr_in6.
  static std::optional<SocketAddress> fromBytes(std::span<const uint8_t> bytes);

  bool empty() const { return size_ == 0; }
  sa_family_t family() const { return storage_.any.sa_family; }
  bool isV4() const { return family() == AF_INET; }
  bool isV6() const { return family() == AF_INET6; }
  uint16_t port() const;                // host order
  std::span<const uint8_t> ip() const;  // 4 or 16 bytes, network order; empty when empty()

  const sockaddr* sockaddrPtr() const { return &storage_.any; }
  socklen_t sockaddrLength() const { return size_; }
  // The raw sockaddr: what wg::Endpoint holds.
  std::span<const uint8_t> bytes() const {
    return {reinterpret_cast<const uint8_t*>(&storage_), size_};
  }
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(&storage_); }
  size_t size() const { return size_; }

  // This address as IPv6: an IPv4 one becomes ::ffff:a.b.c.d (for an AF_INET6 socket).
  SocketAddress toV6Mapped() const;

  std::string toString() const;  // "1.2.3.4:5" or "[::1]:5"; "" when empty

  bool operator==(const SocketAddress& o) const;
  bool operator!=(const SocketAddress& o) const { return !(*this == o); }

 private:
  friend class UdpSocket;  // receives straight into storage_
  void normalize(socklen_t length);

  union Storage {
    sockaddr any;
    sockaddr_in v4;
    sockaddr_in6 v6;
  };
  Storage storage_{};
  socklen_t size_ = 0;
};

}  // namespace causeway::net
