// Request statistics. Each worker owns one WorkerStats and updates it without locks or atomics;
// a scrape asks every worker for a copy (posted to its loop) and merges them into Stats.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace causeway::observe {

// Latency histogram bucket upper bounds in seconds (Prometheus `le`).
inline constexpr std::array<double, 14> kLatencyBuckets = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

struct RouteSeries {
  std::string service;
  std::string route;
  std::vector<std::pair<int, uint64_t>> by_code;  // status code -> count
  std::array<uint64_t, kLatencyBuckets.size() + 1> buckets{};  // last: +Inf
  double latency_sum = 0;
  uint64_t count = 0;
};

struct Stats {
  uint64_t connections_accepted = 0;
  uint64_t connections_active = 0;
  uint64_t requests = 0;
  std::unordered_map<std::string, RouteSeries> routes;  // key: service \x1f route
  std::map<std::pair<std::string, std::string>, uint64_t> upstream_errors;  // (service, kind)

  void merge(const Stats& other);
};

class WorkerStats {
 public:
  void connectionOpened() {
    ++s_.connections_accepted;
    ++s_.connections_active;
  }
  void connectionClosed() { --s_.connections_active; }
  void request(std::string_view service, std::string_view route, int code, double seconds);
  void upstreamError(std::string_view service, std::string_view kind);
  const Stats& snapshot() const { return s_; }

 private:
  Stats s_;
  std::string key_;  // reused to look series up without allocating
};

// Prometheus text exposition format (version 0.0.4) of `s`, plus process-level gauges.
struct ProcessInfo {
  std::string config_hash;
  uint64_t config_reloads_ok = 0;
  uint64_t config_reloads_failed = 0;
  size_t workers = 0;
};
std::string renderPrometheus(const Stats& s, const ProcessInfo& p);

}  // namespace causeway::observe
