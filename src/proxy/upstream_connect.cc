#include "proxy/upstream_connect.h"

#include <algorithm>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "net/tls.h"

namespace causeway::proxy {
namespace {

bool isIpLiteral(const std::string& host) {
  std::error_code ec;
  (void)asio::ip::make_address(host, ec);
  return !ec;
}

}  // namespace

asio::awaitable<std::unique_ptr<net::Stream>> connectEndpoint(
    Worker& w, const Cluster& c, const Endpoint& ep,
    const std::function<void(net::Stream*, std::chrono::milliseconds)>& arm,
    const std::function<bool()>& timed_out, std::string& error) {
  auto addrs = co_await w.resolver().resolve(ep.host, ep.port);
  if (!addrs.isOk()) {
    error = "dns";
    co_return nullptr;
  }
  std::error_code ec;
  auto tcp = std::make_unique<net::TcpStream>(asio::ip::tcp::socket(w.io()));
  const auto timeout = std::chrono::milliseconds(c.connect_timeout_ms);
  arm(tcp.get(), timeout);
  for (const auto& addr : addrs.value()) {
    tcp->socket().close(ec);
    co_await tcp->socket().async_connect(addr, asio::redirect_error(asio::use_awaitable, ec));
    if (!ec || timed_out()) break;
  }
  if (ec) {
    error = timed_out()                             ? "connect_timeout"
            : ec == asio::error::connection_refused ? "connect_refused"
                                                    : "connect_error";
    co_return nullptr;
  }
  tcp->socket().set_option(asio::ip::tcp::no_delay(true), ec);
  if (!c.tls) co_return tcp;
  std::unique_ptr<net::TlsStream> tls;
  if (c.tls_context) {
    // asio's stream takes its own SSL from the context; the wrapper need not outlive it.
    asio::ssl::context ctx = net::adoptSslContext(c.tls_context.get());
    tls = std::make_unique<net::TlsStream>(std::move(tcp->socket()), ctx);
  } else {
    tls = std::make_unique<net::TlsStream>(std::move(tcp->socket()), w.clientTls(c.tls_verify));
  }
  arm(tls.get(), timeout);
  std::string sni = c.host_header ? *c.host_header : ep.host;
  if (isIpLiteral(sni)) sni.clear();
  co_await tls->handshakeClient(sni, c.tls_verify && !c.tls_context, ec);
  if (ec) {
    error = timed_out() ? "connect_timeout" : "tls_handshake";
    co_return nullptr;
  }
  if (!c.peer_uri.empty()) {
    auto uris = net::peerUriSans(tls->native());
    if (std::find(uris.begin(), uris.end(), c.peer_uri) == uris.end()) {
      error = "tls_peer_identity";
      co_return nullptr;
    }
  }
  co_return tls;
}

}  // namespace causeway::proxy
