// TCP MSS clamping: a SYN leaving a VPC into the overlay gets its MSS option lowered to what the
// tunnel carries, so that workloads with a 1500-byte MTU never send segments the tunnel would
// have to drop (PMTU discovery is often blocked between clouds). Aviatrix gateways and most
// routers do the same. Pure function, edits the packet in place.
#pragma once

#include <cstdint>
#include <span>

namespace causeway::transit {

// The largest MSS for a tunnel MTU: mtu - 40 (IPv4) or mtu - 60 (IPv6).
uint16_t maxSegmentSize(int tunnel_mtu, bool v6);

// Lowers the MSS option of a TCP SYN (or SYN-ACK) in `packet` (an IPv4/IPv6 packet) to `mss` and
// fixes the TCP checksum incrementally. True when it changed something.
bool clampMss(std::span<uint8_t> packet, uint16_t mss_v4, uint16_t mss_v6);

}  // namespace causeway::transit
