#include "mesh/listeners.h"

#include <spdlog/spdlog.h>

#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

#include "mesh/sidecar_config.h"
#include "net/deadline.h"
#include "net/stream.h"
#include "net/tls.h"
#include "proxy/http_session.h"
#include "proxy/server.h"
#include "proxy/tcp_session.h"

namespace causeway::mesh {
namespace {

constexpr std::chrono::seconds kHandshakeTimeout{10};

const SidecarConfig* sidecarConfig(const std::shared_ptr<proxy::WorkerSnapshot>& snap) {
  return snap ? dynamic_cast<const SidecarConfig*>(&snap->config()) : nullptr;
}

// Waits for the first byte and says whether it starts a TLS handshake record.
asio::awaitable<bool> startsWithTls(asio::ip::tcp::socket& sock, std::error_code& ec) {
  unsigned char first = 0;
  co_await sock.async_receive(asio::buffer(&first, 1), asio::socket_base::message_peek,
                              asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec && first == 0x16;
}

}  // namespace

asio::awaitable<void> serveInbound(proxy::Worker& w, asio::ip::tcp::socket sock,
                                   ListenerCounters* counters) {
  auto snap = w.snapshot();
  const SidecarConfig* cfg = sidecarConfig(snap);
  auto accepted = proxy::acceptedConnection(sock);
  if (!accepted) co_return;
  proxy::ConnectionInfo info = std::move(*accepted);
  const InboundListener* in = cfg ? cfg->inboundAt(info.local_port) : nullptr;
  if (!in) co_return;

  std::unique_ptr<net::Stream> stream;
  if (cfg->mtls()) {
    auto deadline = std::make_shared<net::Deadline>(w.io(), [&sock] {
      std::error_code ignored;
      sock.close(ignored);
    });
    deadline->expiresAfter(kHandshakeTimeout);
    bool tls = true;
    if (cfg->mode() == model::mesh::MtlsMode::kPermissive) {
      std::error_code ec;
      tls = co_await startsWithTls(sock, ec);
      if (ec) {
        deadline->cancel();
        co_return;
      }
    }
    deadline->cancel();
    if (tls) {
      asio::ssl::context ctx = net::adoptSslContext(cfg->inboundTls());
      auto t = std::make_unique<net::TlsStream>(std::move(sock), ctx);
      auto hs_deadline = std::make_shared<net::Deadline>(w.io(), [s = t.get()] { s->close(); });
      hs_deadline->expiresAfter(kHandshakeTimeout);
      std::error_code ec;
      co_await t->handshakeServer(ec);
      hs_deadline->cancel();
      if (ec) {
        // A plaintext client, a foreign CA, an expired certificate: refused in the handshake.
        if (counters) counters->mtls_handshake_failed.fetch_add(1, std::memory_order_relaxed);
        spdlog::debug("inbound {}: mTLS handshake with {} failed: {}", in->port, info.client_ip,
                      ec.message());
        co_return;
      }
      auto uris = net::peerUriSans(t->native());
      if (!uris.empty()) info.peer_uri = uris.front();
      info.tls = true;
      stream = std::move(t);
    }
  }
  if (!stream) stream = std::make_unique<net::TcpStream>(std::move(sock));

  if (in->protocol == Protocol::kHttp) {
    co_await proxy::serveHttp(w, std::move(stream), std::move(info));
    co_return;
  }
  std::string why;
  if (!cfg->allowed(*in, info.tls, info.peer_uri, &why)) {
    if (counters) counters->tcp_denied.fetch_add(1, std::memory_order_relaxed);
    spdlog::info("inbound {}: closed a TCP connection from {}: {}", in->port, info.client_ip, why);
    stream->close();
    co_return;
  }
  co_await proxy::serveTcp(w, std::move(stream), cfg->tcpInbound(*in), snap);
}

asio::awaitable<void> serveOutbound(proxy::Worker& w, asio::ip::tcp::socket sock) {
  auto snap = w.snapshot();
  const SidecarConfig* cfg = sidecarConfig(snap);
  auto accepted = proxy::acceptedConnection(sock);
  if (!accepted) co_return;
  proxy::ConnectionInfo info = std::move(*accepted);
  const OutboundListener* out = cfg ? cfg->outboundAt(info.local_port) : nullptr;
  if (!out) co_return;
  auto stream = std::make_unique<net::TcpStream>(std::move(sock));
  if (out->protocol == Protocol::kHttp) {
    co_await proxy::serveHttp(w, std::move(stream), std::move(info));
    co_return;
  }
  co_await proxy::serveTcp(w, std::move(stream), cfg->tcpOutbound(*out, info.client_ip), snap);
}

}  // namespace causeway::mesh
