#include "net/socket_address.h"

#include <arpa/inet.h>

#include <cstring>

#include "base/strings.h"

namespace causeway::net {

namespace {

bool isV4Mapped(const in6_addr& a) {
  static constexpr uint8_t kPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(a.s6_addr, kPrefix, sizeof kPrefix) == 0;
}

}  // namespace

Result<SocketAddress> SocketAddress::parse(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return Status::invalidArgument("bad socket address '" + std::string(text) +
                                   "': " + std::string(why));
  };
  auto hp = parseHostPort(text);
  if (!hp || !hp->port) return bad("expected IP:PORT or [IPV6]:PORT");
  std::array<uint8_t, 16> ip{};
  if (::inet_pton(AF_INET, hp->host.c_str(), ip.data()) == 1) {
    if (text.front() == '[') return bad("an IPv4 address is not written in brackets");
    return fromIp(std::span(ip.data(), 4), *hp->port);
  }
  if (::inet_pton(AF_INET6, hp->host.c_str(), ip.data()) == 1) {
    if (text.front() != '[') return bad("an IPv6 address is written as [ADDRESS]:PORT");
    return fromIp(ip, *hp->port);
  }
  return bad("'" + hp->host + "' is not an IP address");
}

SocketAddress SocketAddress::fromIp(std::span<const uint8_t> ip, uint16_t port) {
  SocketAddress a;
  if (ip.size() == 4) {
    a.storage_.v4.sin_family = AF_INET;
    a.storage_.v4.sin_port = htons(port);
    std::memcpy(&a.storage_.v4.sin_addr, ip.data(), 4);
    a.size_ = sizeof(sockaddr_in);
  } else if (ip.size() == 16) {
    a.storage_.v6.sin6_family = AF_INET6;
    a.storage_.v6.sin6_port = htons(port);
    std::memcpy(&a.storage_.v6.sin6_addr, ip.data(), 16);
    a.size_ = sizeof(sockaddr_in6);
  }
  return a;
}

std::optional<SocketAddress> SocketAddress::fromSockaddr(const sockaddr* addr, socklen_t length) {
  if (addr == nullptr || length > kMaxSize) return std::nullopt;
  SocketAddress a;
  std::memcpy(&a.storage_, addr, length);
  a.normalize(length);
  if (a.empty()) return std::nullopt;
  return a;
}

std::optional<SocketAddress> SocketAddress::fromBytes(std::span<const uint8_t> bytes) {
  return fromSockaddr(reinterpret_cast<const sockaddr*>(bytes.data()),
                      static_cast<socklen_t>(bytes.size()));
}

void SocketAddress::normalize(socklen_t length) {
  if (length >= sizeof(sockaddr_in6) && storage_.any.sa_family == AF_INET6) {
    if (isV4Mapped(storage_.v6.sin6_addr)) {
      uint16_t port = storage_.v6.sin6_port;
      uint8_t ip[4];
      std::memcpy(ip, storage_.v6.sin6_addr.s6_addr + 12, 4);
      storage_ = Storage{};
      storage_.v4.sin_family = AF_INET;
      storage_.v4.sin_port = port;
      std::memcpy(&storage_.v4.sin_addr, ip, 4);
      size_ = sizeof(sockaddr_in);
    } else {
      size_ = sizeof(sockaddr_in6);
    }
  } else if (length >= sizeof(sockaddr_in) && storage_.any.sa_family == AF_INET) {
    std::memset(storage_.v4.sin_zero, 0, sizeof storage_.v4.sin_zero);
    // Bytes past a sockaddr_in (from an earlier, longer address) must not differ.
    std::memset(reinterpret_cast<uint8_t*>(&storage_) + sizeof(sockaddr_in), 0,
                sizeof(Storage) - sizeof(sockaddr_in));
    size_ = sizeof(sockaddr_in);
  } else {
    storage_ = Storage{};
    size_ = 0;
  }
}

uint16_t SocketAddress::port() const {
  if (isV4()) return ntohs(storage_.v4.sin_port);
  if (isV6()) return ntohs(storage_.v6.sin6_port);
  return 0;
}

std::span<const uint8_t> SocketAddress::ip() const {
  if (isV4()) return {reinterpret_cast<const uint8_t*>(&storage_.v4.sin_addr), 4};
  if (isV6()) return {storage_.v6.sin6_addr.s6_addr, 16};
  return {};
}

SocketAddress SocketAddress::toV6Mapped() const {
  if (!isV4()) return *this;
  std::array<uint8_t, 16> ip{};
  ip[10] = ip[11] = 0xff;
  std::memcpy(ip.data() + 12, &storage_.v4.sin_addr, 4);
  return fromIp(ip, port());
}

std::string SocketAddress::toString() const {
  char text[INET6_ADDRSTRLEN] = {};
  if (isV4()) {
    ::inet_ntop(AF_INET, &storage_.v4.sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(port());
  }
  if (isV6()) {
    ::inet_ntop(AF_INET6, &storage_.v6.sin6_addr, text, sizeof text);
    std::string s = "[" + std::string(text);
    if (storage_.v6.sin6_scope_id != 0) s += "%" + std::to_string(storage_.v6.sin6_scope_id);
    return s + "]:" + std::to_string(port());
  }
  return "";
}

bool SocketAddress::operator==(const SocketAddress& o) const {
  return size_ == o.size_ && std::memcmp(&storage_, &o.storage_, size_) == 0;
}

}  // namespace causeway::net
