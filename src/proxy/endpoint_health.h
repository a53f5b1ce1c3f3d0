// What one worker knows of its upstream endpoints' health, by connection pool key (so it
// outlives config snapshots): passive outlier detection (consecutive failures eject an endpoint
// for a while) and the verdict of active health checks. Not thread-safe: one per worker.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "proxy/dispatch.h"

namespace causeway::proxy {

class EndpointHealth {
 public:
  using Clock = std::chrono::steady_clock;

  // Whether endpoint `key` may be picked now: not ejected and not marked unhealthy (when the
  // cluster is health-checked).
  bool available(const Cluster& c, const std::string& key, Clock::time_point now);
  // The endpoints of `c` to leave out now, as indexes; empty when all would be (then every
  // endpoint is tried, as Envoy's panic mode does, rather than failing every request).
  std::vector<size_t> excluded(const Cluster& c, Clock::time_point now);

  // The result of one exchange: an HTTP status, or 0 when the connection failed. 5xx and 0 are
  // failures; 0 and 502-504 are gateway failures.
  void record(const Cluster& c, const std::string& key, int status, Clock::time_point now);
  // Active health checks.
  void setHealthy(const std::string& key, bool healthy);

  struct State {
    int consecutive_total = 0;
    int consecutive_gateway = 0;
    int ejections = 0;
    Clock::time_point ejected_until{};
    bool unhealthy = false;  // active checks
  };
  const std::unordered_map<std::string, State>& states() const { return states_; }
  uint64_t ejectionsTotal() const { return ejections_total_; }

 private:
  std::unordered_map<std::string, State> states_;
  uint64_t ejections_total_ = 0;
};

}  // namespace causeway::proxy
