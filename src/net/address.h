// Listen and connect addresses: "ADDR:PORT", "[V6]:PORT", ":PORT" (all interfaces).
#pragma once

#include <asio/ip/tcp.hpp>
#include <string_view>

#include "base/status.h"

namespace causeway::net {

Result<asio::ip::tcp::endpoint> parseEndpoint(std::string_view text);

// A listening acceptor. With `reuse_port` (SO_REUSEPORT) every worker can own one for the same
// address and the kernel spreads new connections across them.
Result<asio::ip::tcp::acceptor> listenTcp(asio::io_context& io, const asio::ip::tcp::endpoint& ep,
                                          bool reuse_port, int backlog = 4096);

}  // namespace causeway::net
