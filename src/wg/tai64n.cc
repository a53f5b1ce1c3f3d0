#include "wg/tai64n.h"

#include <cstring>

namespace causeway::wg {

Tai64n tai64nFrom(std::chrono::system_clock::time_point wall) {
  using namespace std::chrono;
  const auto since_epoch = duration_cast<nanoseconds>(wall.time_since_epoch());
  int64_t secs = duration_cast<seconds>(since_epoch).count();
  int64_t nanos = (since_epoch - seconds(secs)).count();
  if (nanos < 0) {  // before 1970: keep nanoseconds in [0, 1e9)
    secs -= 1;
    nanos += 1000000000;
  }
  nanos &= ~int64_t((1 << 24) - 1);
  const uint64_t label = (uint64_t(1) << 62) + 10 + uint64_t(secs);
  Tai64n out{};
  for (int i = 0; i < 8; ++i) out[i] = uint8_t(label >> (56 - 8 * i));
  for (int i = 0; i < 4; ++i) out[8 + i] = uint8_t(uint32_t(nanos) >> (24 - 8 * i));
  return out;
}

bool tai64nAfter(const Tai64n& a, const Tai64n& b) {
  return std::memcmp(a.data(), b.data(), a.size()) > 0;
}

}  // namespace causeway::wg
