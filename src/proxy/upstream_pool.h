// Per-worker pool of idle keep-alive upstream connections, keyed by peer address and TLS settings.
// A connection is checked when it is taken (a non-blocking peek: closed or unsolicited bytes mean
// it is dropped) if it idled longer than `check_after` or the caller asks; a connection that was
// busy a moment ago skips the syscall, and a body-less request found stale is replayed once by
// the session. Connections idle past the timeout are closed as the pool is used. (Watching idle
// sockets with async_wait would cost an epoll_ctl per request in Asio.)
// Not thread-safe: one pool per worker.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/stream.h"

namespace causeway::proxy {

class UpstreamPool {
 public:
  struct Options {
    size_t max_idle_per_key = 256;
    std::chrono::seconds idle_timeout{60};
    std::chrono::milliseconds check_after{1000};
  };
  UpstreamPool() : UpstreamPool(Options{}) {}
  explicit UpstreamPool(Options o) : options_(o) {}

  // An idle connection for `key`, or null. `always_check`: peek even if it was just used.
  std::unique_ptr<net::Stream> take(const std::string& key, bool always_check = true);
  // Returns a healthy connection after a complete exchange.
  void put(const std::string& key, std::unique_ptr<net::Stream> conn);
  size_t idleCount() const { return idle_; }
  // Closes every idle connection (before the worker's event loop is destroyed).
  void clear() {
    idle_by_key_.clear();
    idle_ = 0;
  }

 private:
  struct Idle {
    std::unique_ptr<net::Stream> conn;
    std::chrono::steady_clock::time_point since;
  };
  // Oldest first (connections are appended as they come back). A vector, not a list: taking and
  // returning a connection then allocates nothing.
  using IdleList = std::vector<Idle>;
  void sweep(IdleList& list, std::chrono::steady_clock::time_point now);

  Options options_;
  std::unordered_map<std::string, IdleList> idle_by_key_;
  size_t idle_ = 0;
};

}  // namespace causeway::proxy
