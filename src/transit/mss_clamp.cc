#include "transit/mss_clamp.h"

#include <netinet/in.h>

#include "net/packet_offload.h"
#include "transit/packet_info.h"

namespace causeway::transit {
namespace {

constexpr uint8_t kSyn = 0x02;
constexpr uint8_t kOptionEnd = 0, kOptionNop = 1, kOptionMss = 2;

}  // namespace

uint16_t maxSegmentSize(int tunnel_mtu, bool v6) { return uint16_t(tunnel_mtu - (v6 ? 60 : 40)); }

bool clampMss(std::span<uint8_t> packet, uint16_t mss_v4, uint16_t mss_v6) {
  const std::optional<PacketInfo> info = parsePacket(packet);
  if (!info || info->protocol != IPPROTO_TCP || !info->first_fragment) return false;
  const size_t tcp = info->l4_offset;
  if (packet.size() < tcp + 20) return false;
  if ((packet[tcp + 13] & kSyn) == 0) return false;
  const size_t header_len = size_t(packet[tcp + 12] >> 4) * 4;
  if (header_len < 20 || packet.size() < tcp + header_len) return false;
  const uint16_t limit = info->v6 ? mss_v6 : mss_v4;
  size_t i = tcp + 20;
  const size_t end = tcp + header_len;
  while (i < end) {
    const uint8_t kind = packet[i];
    if (kind == kOptionEnd) break;
    if (kind == kOptionNop) {
      ++i;
      continue;
    }
    if (i + 1 >= end) break;
    const uint8_t len = packet[i + 1];
    if (len < 2 || i + len > end) break;
    if (kind == kOptionMss && len == 4) {
      const uint16_t mss = uint16_t(packet[i + 2] << 8 | packet[i + 3]);
      if (mss <= limit) return false;
      // The option starts at an even offset from the TCP header or not: the checksum sums
      // 16-bit words, so adjust the word(s) that hold the two MSS bytes.
      const size_t rel = i + 2 - tcp;
      uint16_t checksum = uint16_t(packet[tcp + 16] << 8 | packet[tcp + 17]);
      if (rel % 2 == 0) {
        checksum = net::checksumReplace(checksum, mss, limit);
      } else {
        const size_t w0 = i + 1, w1 = i + 3;  // words [i+1,i+2] and [i+3,i+4]
        const uint16_t old0 = uint16_t(packet[w0] << 8 | packet[w0 + 1]);
        // The byte after the option may be the end of the packet: summed as zero padding.
        const uint8_t after = w1 + 1 < packet.size() ? packet[w1 + 1] : 0;
        const uint16_t old1 = uint16_t(packet[w1] << 8 | after);
        const uint16_t new0 = uint16_t(packet[w0] << 8 | (limit >> 8));
        const uint16_t new1 = uint16_t((limit & 0xff) << 8 | after);
        checksum = net::checksumReplace(net::checksumReplace(checksum, old0, new0), old1, new1);
      }
      packet[i + 2] = uint8_t(limit >> 8);
      packet[i + 3] = uint8_t(limit & 0xff);
      packet[tcp + 16] = uint8_t(checksum >> 8);
      packet[tcp + 17] = uint8_t(checksum & 0xff);
      return true;
    }
    i += len;
  }
  return false;
}

}  // namespace causeway::transit
