// Parsing goes through inet_pton, which is strict already (no octal or shortened IPv4, no zone
// ids); the text is copied to a bounded stack buffer for its terminating NUL.
#include "base/ip.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "base/strings.h"

namespace causeway {
namespace {

// inet_pton needs a NUL-terminated string; no valid address is this long.
constexpr size_t kMaxText = 64;

bool toCString(std::string_view text, char (&buf)[kMaxText]) {
  if (text.empty() || text.size() >= kMaxText) return false;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  return true;
}

// FNV-1a over the bytes, seeded with the length so that IPv4 and IPv6 differ.
size_t hashBytes(std::span<const uint8_t> bytes, size_t seed) {
  uint64_t h = 1469598103934665603ULL ^ seed;
  for (uint8_t b : bytes) {
    h ^= b;
    h *= 1099511628211ULL;
  }
  return size_t(h);
}

}  // namespace

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  char buf[kMaxText];
  if (!toCString(text, buf)) return std::nullopt;
  uint8_t out[16];
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, out) != 1) return std::nullopt;
    return fromBytes(std::span<const uint8_t>(out, 4));
  }
  if (inet_pton(AF_INET6, buf, out) != 1) return std::nullopt;
  return fromBytes(std::span<const uint8_t>(out, 16));
}

IpAddress IpAddress::fromBytes(std::span<const uint8_t> bytes) {
  IpAddress a;
  if (bytes.size() != 4 && bytes.size() != 16) return a;
  a.size_ = uint8_t(bytes.size());
  std::copy(bytes.begin(), bytes.end(), a.bytes_.begin());
  return a;
}

std::string IpAddress::toString() const {
  char buf[INET6_ADDRSTRLEN];
  if (!inet_ntop(isV6() ? AF_INET6 : AF_INET, bytes_.data(), buf, sizeof buf)) return "?";
  return buf;
}

size_t IpAddress::hash() const { return hashBytes(bytes(), size_); }

bool samePrefix(std::span<const uint8_t> a, std::span<const uint8_t> b, int bits) {
  const size_t whole = size_t(bits / 8);
  if (a.size() < whole || b.size() < whole) return false;
  if (std::memcmp(a.data(), b.data(), whole) != 0) return false;
  const int rest = bits % 8;
  if (rest == 0) return true;
  if (a.size() <= whole || b.size() <= whole) return false;
  const uint8_t mask = uint8_t(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

Cidr Cidr::masked(const IpAddress& address, int prefix_length) {
  const int bits = address.bitLength();
  prefix_length = std::clamp(prefix_length, 0, bits);
  uint8_t out[16] = {};
  auto in = address.bytes();
  for (int i = 0; i < bits / 8; ++i) {
    const int keep = std::clamp(prefix_length - i * 8, 0, 8);
    out[i] = keep == 0 ? 0 : uint8_t(in[size_t(i)] & uint8_t(0xFF << (8 - keep)));
  }
  Cidr c;
  c.address_ = IpAddress::fromBytes(std::span<const uint8_t>(out, in.size()));
  c.prefix_length_ = prefix_length;
  return c;
}

std::optional<std::string> Cidr::parseError(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string_view addr_text = text.substr(0, slash);
  auto address = IpAddress::parse(addr_text);
  if (!address) return "'" + std::string(addr_text) + "' is not an IP address";
  if (slash == std::string_view::npos) return std::nullopt;
  const std::string_view len_text = text.substr(slash + 1);
  auto len = parseDecimal(len_text, uint64_t(address->bitLength()));
  if (!len || (len_text.size() > 1 && len_text[0] == '0')) {
    return "prefix length '" + std::string(len_text) + "' is not a number from 0 to " +
           std::to_string(address->bitLength());
  }
  const Cidr block = masked(*address, int(*len));
  if (block.address_ != *address) {
    return "host bits set: did you mean " + block.toString() + "?";
  }
  return std::nullopt;
}

std::optional<Cidr> Cidr::parse(std::string_view text) {
  if (parseError(text)) return std::nullopt;
  const size_t slash = text.find('/');
  auto address = IpAddress::parse(text.substr(0, slash));
  if (slash == std::string_view::npos) return host(*address);
  return masked(*address, int(*parseDecimal(text.substr(slash + 1))));
}

bool Cidr::contains(const IpAddress& a) const { return contains(a.bytes()); }

bool Cidr::contains(std::span<const uint8_t> address_bytes) const {
  if (address_bytes.size() != address_.bytes().size()) return false;
  return samePrefix(address_.bytes(), address_bytes, prefix_length_);
}

bool Cidr::overlaps(const Cidr& o) const {
  if (isV6() != o.isV6()) return false;
  return samePrefix(address_.bytes(), o.address_.bytes(),
                    std::min(prefix_length_, o.prefix_length_));
}

std::optional<IpAddress> Cidr::nth(uint64_t index) const {
  const int host_bits = address_.bitLength() - prefix_length_;
  if (host_bits < 64 && index >> host_bits != 0) return std::nullopt;
  auto in = address_.bytes();
  uint8_t out[16];
  std::copy(in.begin(), in.end(), out);
  // Add `index` to the address, big-endian; it fits in the host bits, so no carry leaves them.
  uint64_t carry = index;
  for (size_t i = in.size(); i-- > 0 && carry != 0;) {
    const uint64_t sum = uint64_t(out[i]) + (carry & 0xFF);
    out[i] = uint8_t(sum);
    carry = (carry >> 8) + (sum >> 8);
  }
  return IpAddress::fromBytes(std::span<const uint8_t>(out, in.size()));
}

std::string Cidr::toString() const {
  return address_.toString() + "/" + std::to_string(prefix_length_);
}

size_t Cidr::hash() const { return address_.hash() * 31 + size_t(prefix_length_); }

}  // namespace causeway
