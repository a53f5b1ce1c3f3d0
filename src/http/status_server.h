// A small HTTP/1.1 server for local endpoints (/status, /metrics): GET only, answers come from a
// handler. Runs on the caller's io_context (the main thread), never on a data-path worker.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "http/local_reply.h"

namespace causeway::http {

class StatusServer {
 public:
  // Called with the path (without query) of each GET request.
  using Handler = std::function<LocalReply(std::string_view path)>;

  StatusServer(asio::io_context& io, Handler handler) : io_(io), handler_(std::move(handler)) {}
  Status listen(const asio::ip::tcp::endpoint& ep);

 private:
  asio::io_context& io_;
  Handler handler_;
};

}  // namespace causeway::http
