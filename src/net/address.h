// Listen and connect addresses: "ADDR:PORT", "[V6]:PORT", ":PORT" (all interfaces).
#pragma once

#include <asio/ip/tcp.hpp>
#include <string_view>

#include "base/status.h"

namespace causeway::net {

Result<asio::ip::tcp::endpoint> parseEndpoint(std::string_view text);

// An acceptor bound with SO_REUSEPORT so that every worker can own one for the same address; the
// kernel spreads new connections across them.
Result<asio::ip::tcp::acceptor> listenReusePort(asio::io_context& io,
                                                 const asio::ip::tcp::endpoint& ep,
                                                 int backlog = 4096);

}  // namespace causeway::net
