#include "transit/packet_info.h"

#include <netinet/in.h>

namespace causeway::transit {

std::optional<PacketInfo> parsePacket(std::span<const uint8_t> p) {
  if (p.empty()) return std::nullopt;
  PacketInfo info;
  const uint8_t version = p[0] >> 4;
  if (version == 4) {
    if (p.size() < 20) return std::nullopt;
    const size_t ihl = size_t(p[0] & 0x0f) * 4;
    if (ihl < 20 || p.size() < ihl) return std::nullopt;
    info.protocol = p[9];
    info.src = p.subspan(12, 4);
    info.dst = p.subspan(16, 4);
    info.l4_offset = ihl;
    info.first_fragment = ((p[6] & 0x1f) | p[7]) == 0;
  } else if (version == 6) {
    if (p.size() < 40) return std::nullopt;
    info.v6 = true;
    info.protocol = p[6];
    info.src = p.subspan(8, 16);
    info.dst = p.subspan(24, 16);
    info.l4_offset = 40;
  } else {
    return std::nullopt;
  }
  const bool ported = info.protocol == IPPROTO_TCP || info.protocol == IPPROTO_UDP;
  if (ported && info.first_fragment && p.size() >= info.l4_offset + 4) {
    info.src_port = uint16_t(p[info.l4_offset] << 8 | p[info.l4_offset + 1]);
    info.dst_port = uint16_t(p[info.l4_offset + 2] << 8 | p[info.l4_offset + 3]);
  }
  return info;
}

}  // namespace causeway::transit
