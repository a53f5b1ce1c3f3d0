// One downstream HTTP/1.1 connection: reads request heads, asks the worker's current config what
// to do, forwards to an upstream with retries and timeouts, streams bodies both ways with bounded
// memory, and answers pipelined requests in order. Never throws; every failure becomes a Kong-style
// JSON error response or a closed connection.
#pragma once

#include <asio/awaitable.hpp>
#include <memory>

#include "net/stream.h"
#include "proxy/dispatch.h"
#include "proxy/worker.h"

namespace causeway::proxy {

asio::awaitable<void> serveHttp(Worker& worker, std::unique_ptr<net::Stream> client,
                                ConnectionInfo info);

}  // namespace causeway::proxy
