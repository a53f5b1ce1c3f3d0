// DeterministicEnv: an Env for tests and fuzzers. Its "random" bytes are a fixed function of a
// seed (a splitmix64 stream: never use it for real keys) and its wall clock is whatever the test
// sets, or a fixed origin plus the elapsed fake monotonic time. Not thread-safe.
#pragma once

#include <chrono>
#include <cstdint>

#include "wg/env.h"

namespace causeway::wg {

class DeterministicEnv final : public Env {
 public:
  explicit DeterministicEnv(uint64_t seed = 1) : state_(seed) {}

  void randomBytes(std::span<uint8_t> out) override;
  std::chrono::system_clock::time_point wallClock() override { return wall_; }

  void setWallClock(std::chrono::system_clock::time_point t) { wall_ = t; }
  void advanceWallClock(std::chrono::nanoseconds d) { wall_ += d; }

 private:
  uint64_t state_;
  // 2020-01-01T00:00:00Z
  std::chrono::system_clock::time_point wall_{std::chrono::seconds(1577836800)};
};

}  // namespace causeway::wg
