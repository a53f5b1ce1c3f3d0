// The proxy server: N workers, each with its own acceptor per listener (SO_REUSEPORT), its own
// connections and its own view of the current config. A new config is posted to every worker;
// requests in flight finish on the config they started with, no connection is dropped.
// start/update/stop are called from the main thread.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "net/worker_pool.h"
#include "observe/access_log.h"
#include "observe/stats.h"
#include "proxy/dispatch.h"
#include "proxy/worker.h"

namespace causeway::proxy {

// What a role does with an accepted connection on a listener of its own (a sidecar's inbound
// and outbound ports): TLS, identity checks, HTTP or TCP. Runs on the worker's thread.
using ConnectionHandler =
    std::function<asio::awaitable<void>(Worker& worker, asio::ip::tcp::socket socket)>;

// The addresses of an accepted connection (TLS fields unset), with Nagle turned off; nullopt
// when the peer is already gone.
std::optional<ConnectionInfo> acceptedConnection(asio::ip::tcp::socket& socket);

struct ListenerConfig {
  asio::ip::tcp::endpoint endpoint;
  bool tls = false;
  ConnectionHandler handler;  // unset: HTTP (over TLS when `tls`) served by serveHttp
};

struct ServerOptions {
  std::vector<ListenerConfig> listeners;
  size_t workers = 1;
  SessionOptions session;
  std::chrono::milliseconds tls_handshake_timeout{10000};
  std::unique_ptr<observe::AccessLog> access_log;
};

class ProxyServer {
 public:
  explicit ProxyServer(ServerOptions options);
  ~ProxyServer();

  // Binds every listener on every worker and starts the worker threads.
  Status start(std::shared_ptr<const ProxyConfig> config);
  // Hands a new config to every worker.
  void update(std::shared_ptr<const ProxyConfig> config);
  // Merged statistics of all workers (each worker copies its own on its thread).
  observe::Stats collectStats();
  void stop();
  size_t workers() const { return workers_.size(); }
  // Runs `fn` on worker `i`'s thread (after start).
  void post(size_t i, std::function<void(Worker&)> fn);

 private:
  ServerOptions options_;
  std::unique_ptr<net::WorkerPool> pool_;  // destroyed before the workers its loops refer to
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace causeway::proxy
