// Env: what the WireGuard core needs from the outside world besides packets and `now`: random
// bytes (ephemeral keys, session indices, cookie secrets, timer jitter) and the wall clock (the
// TAI64N timestamp of handshake initiations). Injected so that tests and fuzzers are
// deterministic. SystemEnv is the production one (OpenSSL's CSPRNG, the system clock); it is
// safe to share between threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>

namespace causeway::wg {

// The core's notion of `now`: a monotonic time point, handed in by the caller with every event.
using TimePoint = std::chrono::steady_clock::time_point;
using Duration = std::chrono::steady_clock::duration;

class Env {
 public:
  virtual ~Env() = default;
  // Fills `out` with random bytes; they must be unpredictable in production.
  virtual void randomBytes(std::span<uint8_t> out) = 0;
  // The current wall-clock time.
  virtual std::chrono::system_clock::time_point wallClock() = 0;

  uint32_t randomU32();
};

class SystemEnv final : public Env {
 public:
  // Aborts if the CSPRNG fails: no key may be made from predictable bytes.
  void randomBytes(std::span<uint8_t> out) override;
  std::chrono::system_clock::time_point wallClock() override;
};

}  // namespace causeway::wg
