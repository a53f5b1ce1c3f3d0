#include "net/address.h"

#include <sys/socket.h>

#include <asio/ip/address.hpp>
#include <string>

#include "base/strings.h"

namespace causeway::net {

Result<asio::ip::tcp::endpoint> parseEndpoint(std::string_view text) {
  std::string s(text);
  if (!s.empty() && s.front() == ':') s = "0.0.0.0" + s;
  auto hp = parseHostPort(s);
  if (!hp || !hp->port) return Status::invalidArgument("bad address '" + std::string(text) +
                                                       "': expected ADDR:PORT");
  std::error_code ec;
  auto addr = asio::ip::make_address(hp->host, ec);
  if (ec) return Status::invalidArgument("bad address '" + std::string(text) + "': " +
                                         hp->host + " is not an IP address");
  return asio::ip::tcp::endpoint(addr, *hp->port);
}

Result<asio::ip::tcp::acceptor> listenTcp(asio::io_context& io, const asio::ip::tcp::endpoint& ep,
                                          bool reuse_port, int backlog) {
  asio::ip::tcp::acceptor acc(io);
  std::error_code ec;
  acc.open(ep.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec && reuse_port) {
    int one = 1;
    if (::setsockopt(acc.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
      ec = std::error_code(errno, std::system_category());
    }
  }
  if (!ec) acc.bind(ep, ec);
  if (!ec) acc.listen(backlog, ec);
  if (ec) {
    return Status::ioError("cannot listen on " + ep.address().to_string() + ":" +
                           std::to_string(ep.port()) + ": " + ec.message());
  }
  return acc;
}

}  // namespace causeway::net
