// What the transit layer reads from an inner IP packet: family, addresses, protocol and ports.
// Pure function over the packet's bytes; the spans point into them.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace causeway::transit {

struct PacketInfo {
  bool v6 = false;
  std::span<const uint8_t> src;  // 4 or 16 bytes
  std::span<const uint8_t> dst;
  uint8_t protocol = 0;  // IPPROTO_*; for IPv6 the first next-header (extension headers not walked)
  uint16_t src_port = 0;  // TCP/UDP ports, else 0 (ICMP: 0)
  uint16_t dst_port = 0;
  size_t l4_offset = 0;        // where the transport header starts
  bool first_fragment = true;  // false for IPv4 fragments past the first: no transport header
};

// nullopt when `packet` is not a whole IPv4/IPv6 header. Ports stay 0 for a fragment that is not
// the first or a transport header cut short.
std::optional<PacketInfo> parsePacket(std::span<const uint8_t> packet);

}  // namespace causeway::transit
