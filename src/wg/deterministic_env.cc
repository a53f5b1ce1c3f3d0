#include "wg/deterministic_env.h"

namespace causeway::wg {

void DeterministicEnv::randomBytes(std::span<uint8_t> out) {
  size_t i = 0;
  while (i < out.size()) {
    state_ += 0x9e3779b97f4a7c15ull;
    uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    for (int b = 0; b < 8 && i < out.size(); ++b) out[i++] = uint8_t(z >> (8 * b));
  }
}

}  // namespace causeway::wg
