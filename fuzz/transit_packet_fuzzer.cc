// fuzz-libs: causeway_transit
// Fuzzes what the transit data path does to packets before any tunnel sees them: a TUN read
// (virtio-net header + bytes) is segmented, and every segment is parsed, MSS-clamped and parsed
// again. Checks: segments are never larger than the input allows, clamping never changes a
// packet's length or makes a parseable packet unparseable, and parsing never reads past the end.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "fuzz_check.h"
#include "net/packet_offload.h"
#include "transit/mss_clamp.h"
#include "transit/packet_info.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace causeway;
  if (size < sizeof(net::VirtioNetHeader)) return 0;
  net::VirtioNetHeader header;
  std::memcpy(&header, data, sizeof header);
  std::vector<uint8_t> packet(data + sizeof header, data + size);
  static net::PacketSegments segments;
  if (!net::segmentPacket(header, packet, segments).isOk()) return 0;
  for (std::span<uint8_t> p : segments) {
    FUZZ_CHECK(p.size() <= 65535 + 64);
    const bool parsed = transit::parsePacket(p).has_value();
    const size_t before = p.size();
    transit::clampMss(p, 1380, 1360);
    FUZZ_CHECK(p.size() == before);
    FUZZ_CHECK(transit::parsePacket(p).has_value() == parsed);
  }
  return 0;
}
