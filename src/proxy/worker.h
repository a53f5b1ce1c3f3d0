// The state one worker thread owns: its current config snapshot (with per-worker balancer state),
// upstream connection pool, resolver, TLS contexts and statistics. Only touched from the worker's
// own thread; a new snapshot arrives by a post to the worker's loop.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "http/http1_parser.h"
#include "net/resolver.h"
#include "observe/access_log.h"
#include "observe/stats.h"
#include "proxy/dispatch.h"
#include "proxy/endpoint_health.h"
#include "proxy/load_balancer.h"
#include "proxy/upstream_pool.h"

namespace causeway::proxy {

struct SessionOptions {
  http::Limits limits;
  std::chrono::milliseconds header_timeout{60000};     // whole request head
  std::chrono::milliseconds keepalive_timeout{60000};  // idle between requests
  std::chrono::milliseconds body_timeout{60000};       // between two reads of a request body
  std::chrono::milliseconds send_timeout{60000};       // between two writes to the client
};

// One config as seen by one worker: the shared immutable config plus this worker's balancers.
class WorkerSnapshot {
 public:
  WorkerSnapshot(std::shared_ptr<const ProxyConfig> config, size_t worker_index);
  const ProxyConfig& config() const { return *config_; }
  LoadBalancer& balancer(const Cluster& c);

 private:
  std::shared_ptr<const ProxyConfig> config_;
  size_t worker_index_;
  std::vector<std::unique_ptr<LoadBalancer>> balancers_;
};

// Reusable string buffers: the heads a request builds (upstream request, response) come from here
// and go back, so the steady state allocates nothing for them. Per worker, not thread-safe.
class StringPool {
 public:
  std::string acquire() {
    if (free_.empty()) return {};
    std::string s = std::move(free_.back());
    free_.pop_back();
    return s;
  }
  void release(std::string&& s) {
    if (s.capacity() > 64 * 1024 || free_.size() >= 256) return;  // keep the pool small
    s.clear();
    free_.push_back(std::move(s));
  }

 private:
  std::vector<std::string> free_;
};

// A string from the pool, given back when it goes out of scope.
class PooledString {
 public:
  explicit PooledString(StringPool& pool) : pool_(pool), s_(pool.acquire()) {}
  ~PooledString() { pool_.release(std::move(s_)); }
  PooledString(const PooledString&) = delete;
  PooledString& operator=(const PooledString&) = delete;
  std::string& operator*() { return s_; }
  std::string* operator->() { return &s_; }

 private:
  StringPool& pool_;
  std::string s_;
};

class Worker {
 public:
  Worker(asio::io_context& io, size_t index, const SessionOptions& options,
         const observe::AccessLog* access_log);

  asio::io_context& io() { return io_; }
  size_t index() const { return index_; }
  const SessionOptions& options() const { return options_; }
  const observe::AccessLog* accessLog() const { return access_log_; }

  void setConfig(std::shared_ptr<const ProxyConfig> config);
  std::shared_ptr<WorkerSnapshot> snapshot() const { return snapshot_; }

  UpstreamPool& pool() { return pool_; }
  EndpointHealth& health() { return health_; }
  // Circuit breaking: counts a request (HTTP) or connection (TCP) against `limit` (0: none) of
  // cluster `name` until the returned slot is released (a null slot when there is no limit);
  // nullopt when the cluster is at its limit.
  using InFlightSlot = std::shared_ptr<void>;
  std::optional<InFlightSlot> acquire(const std::string& name, uint32_t limit) {
    if (limit == 0) return InFlightSlot();
    uint32_t& n = in_flight_[name];  // element references survive rehashing
    if (n >= limit) return std::nullopt;
    ++n;
    return InFlightSlot(nullptr, [p = &n](void*) { --*p; });
  }
  StringPool& strings() { return strings_; }
  net::Resolver& resolver() { return *resolver_; }
  observe::WorkerStats& stats() { return stats_; }
  asio::ssl::context& serverTls() { return server_tls_; }
  asio::ssl::context& clientTls(bool verify) { return verify ? client_verify_ : client_noverify_; }

  // The worker running on this thread (for OpenSSL callbacks), or null.
  static Worker* current();
  void bindToThread();
  // Destroys the I/O objects the worker owns; call after its loop stopped, before the loop's
  // io_context is destroyed.
  void releaseIo();

 private:
  asio::io_context& io_;
  size_t index_;
  const SessionOptions& options_;
  const observe::AccessLog* access_log_;
  std::shared_ptr<WorkerSnapshot> snapshot_;
  UpstreamPool pool_;
  EndpointHealth health_;
  std::unordered_map<std::string, uint32_t> in_flight_;
  StringPool strings_;
  std::unique_ptr<net::Resolver> resolver_;
  observe::WorkerStats stats_;
  asio::ssl::context server_tls_;
  asio::ssl::context client_verify_;
  asio::ssl::context client_noverify_;
};

}  // namespace causeway::proxy
