// The control plane's HTTP/1.1 server (Admin API over HTTP and HTTPS): keep-alive, bounded heads
// and bodies (Content-Length or chunked), idle and read timeouts, then a buffered handler call.
// Runs on the caller's io_context; handlers run on that thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <memory>

#include "base/status.h"
#include "cp/api_types.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace causeway::cp {

struct ApiServerOptions {
  size_t max_body_bytes = 256u << 20;  // a declarative config for 100k routes fits
  int idle_timeout_s = 60;
};

class ApiServer {
 public:
  ApiServer(asio::io_context& io, ApiHandler handler, ApiServerOptions options = {});
  ~ApiServer();
  // Plain HTTP on `ep`; with `tls` (shared, immutable) HTTPS.
  Status listen(const asio::ip::tcp::endpoint& ep, std::shared_ptr<SSL_CTX> tls = nullptr);
  void close();  // stops accepting; open connections finish their current request

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace causeway::cp
