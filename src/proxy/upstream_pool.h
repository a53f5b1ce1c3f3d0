// Per-worker pool of idle keep-alive upstream connections, keyed by peer address and TLS settings.
// An idle connection is watched for readability: if the upstream closes it (or sends anything
// unsolicited) it leaves the pool at once, so a request is rarely sent on a dead connection.
// Not thread-safe: one pool per worker.
#pragma once

#include <chrono>
#include <list>
#include <memory>
#include <string>
#include <unordered_map>

#include "proxy/stream.h"

namespace causeway::proxy {

class UpstreamPool {
 public:
  struct Options {
    size_t max_idle_per_key = 256;
    std::chrono::seconds idle_timeout{60};
  };
  UpstreamPool() : UpstreamPool(Options{}) {}
  explicit UpstreamPool(Options o) : options_(o) {}

  // An idle connection for `key`, or null.
  std::unique_ptr<Stream> take(const std::string& key);
  // Returns a healthy connection after a complete exchange.
  void put(const std::string& key, std::unique_ptr<Stream> conn);
  size_t idleCount() const { return idle_; }
  // Closes every idle connection (before the worker's event loop is destroyed).
  void clear() {
    idle_by_key_.clear();
    idle_ = 0;
  }

 private:
  struct Idle {
    std::unique_ptr<Stream> conn;
    std::chrono::steady_clock::time_point since;
    uint64_t id;
  };
  void watch(const std::string& key, uint64_t id, Stream* conn);

  Options options_;
  std::unordered_map<std::string, std::list<Idle>> idle_by_key_;
  size_t idle_ = 0;
  uint64_t next_id_ = 1;
};

}  // namespace causeway::proxy
