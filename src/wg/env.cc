#include "wg/env.h"

#include <openssl/rand.h>

#include <cstdlib>

namespace causeway::wg {

uint32_t Env::randomU32() {
  uint8_t b[4];
  randomBytes(b);
  return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
}

void SystemEnv::randomBytes(std::span<uint8_t> out) {
  if (out.empty()) return;
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();
}

std::chrono::system_clock::time_point SystemEnv::wallClock() {
  return std::chrono::system_clock::now();
}

}  // namespace causeway::wg
