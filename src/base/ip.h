// IP addresses and CIDR blocks as plain values: IPv4 or IPv6, ordered, hashable, parsed strictly
// ("10.1.2.3", "fd00::1", "10.1.0.0/16"; no zone ids, no leading zeros, no host bits in a block).
// Used by the network model (route tables, validation) and the data plane. Pure values; safe to
// share between threads.
#pragma once

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace causeway {

class IpAddress {
 public:
  IpAddress() = default;  // 0.0.0.0

  // A literal IPv4 (dotted quad) or IPv6 address; nullopt for anything else.
  static std::optional<IpAddress> parse(std::string_view text);
  // From 4 (IPv4) or 16 (IPv6) network-order bytes; the caller checks the size (other sizes give
  // 0.0.0.0).
  static IpAddress fromBytes(std::span<const uint8_t> bytes);

  bool isV6() const { return size_ == 16; }
  int bitLength() const { return size_ * 8; }
  std::span<const uint8_t> bytes() const { return {bytes_.data(), size_}; }
  std::string toString() const;
  size_t hash() const;

  // IPv4 sorts before IPv6, then by bytes.
  auto operator<=>(const IpAddress&) const = default;

 private:
  uint8_t size_ = 4;
  std::array<uint8_t, 16> bytes_{};  // unused tail bytes stay zero
};

class Cidr {
 public:
  Cidr() = default;  // 0.0.0.0/0
  // `address` with its host bits cleared beyond `prefix_length` (clamped to the family's size).
  static Cidr masked(const IpAddress& address, int prefix_length);
  // The /32 or /128 block of one address.
  static Cidr host(const IpAddress& address) { return masked(address, address.bitLength()); }

  // "10.1.0.0/16", "fd00::/64"; a bare address is /32 or /128. nullopt when malformed or when
  // host bits are set ("10.1.2.3/16").
  static std::optional<Cidr> parse(std::string_view text);
  // Why parse(text) fails ("host bits set: did you mean 10.1.0.0/16?"), nullopt when it succeeds.
  static std::optional<std::string> parseError(std::string_view text);

  const IpAddress& address() const { return address_; }
  int prefixLength() const { return prefix_length_; }
  bool isV6() const { return address_.isV6(); }
  bool isHost() const { return prefix_length_ == address_.bitLength(); }

  bool contains(const IpAddress& a) const;                      // false across families
  bool contains(std::span<const uint8_t> address_bytes) const;  // 4 or 16 bytes
  bool overlaps(const Cidr& o) const;                           // false across families
  // The index-th address of the block (0 is the network address), nullopt past its end.
  std::optional<IpAddress> nth(uint64_t index) const;
  std::string toString() const;
  size_t hash() const;

  auto operator<=>(const Cidr&) const = default;

 private:
  IpAddress address_;
  int prefix_length_ = 0;
};

// True when the first `bits` bits of `a` and `b` (equally long byte strings) are equal.
bool samePrefix(std::span<const uint8_t> a, std::span<const uint8_t> b, int bits);

}  // namespace causeway

template <>
struct std::hash<causeway::IpAddress> {
  size_t operator()(const causeway::IpAddress& a) const noexcept { return a.hash(); }
};
template <>
struct std::hash<causeway::Cidr> {
  size_t operator()(const causeway::Cidr& c) const noexcept { return c.hash(); }
};
