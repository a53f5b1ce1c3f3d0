#include "proxy/server.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <future>

#include "net/address.h"
#include "net/deadline.h"
#include "proxy/http_session.h"

namespace causeway::proxy {
namespace {

constexpr auto kAwait = asio::use_awaitable;

asio::awaitable<void> handleConnection(Worker& w, asio::ip::tcp::socket sock, bool tls,
                                       std::chrono::milliseconds handshake_timeout) {
  std::error_code ec;
  auto accepted = acceptedConnection(sock);
  if (!accepted) co_return;
  ConnectionInfo info = std::move(*accepted);
  info.tls = tls;
  if (!tls) {
    co_await serveHttp(w, std::make_unique<net::TcpStream>(std::move(sock)), std::move(info));
    co_return;
  }
  auto stream = std::make_unique<net::TlsStream>(std::move(sock), w.serverTls());
  auto deadline = std::make_shared<net::Deadline>(w.io(), [s = stream.get()] { s->close(); });
  deadline->expiresAfter(handshake_timeout);
  co_await stream->handshakeServer(ec);
  deadline->cancel();
  if (ec) co_return;  // bad client hello, unknown protocol, timeout: nothing to answer
  info.sni = stream->serverName();
  co_await serveHttp(w, std::move(stream), std::move(info));
}

asio::awaitable<void> acceptLoop(Worker& w, asio::ip::tcp::acceptor acceptor, bool tls,
                                 std::chrono::milliseconds handshake_timeout,
                                 ConnectionHandler handler) {
  for (;;) {
    std::error_code ec;
    asio::ip::tcp::socket sock(w.io());
    co_await acceptor.async_accept(sock, asio::redirect_error(kAwait, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) {
      // EMFILE and friends: say so, back off briefly instead of spinning.
      spdlog::warn("accept failed: {}", ec.message());
      asio::steady_timer t(w.io(), std::chrono::milliseconds(50));
      co_await t.async_wait(asio::redirect_error(kAwait, ec));
      continue;
    }
    if (handler) {
      asio::co_spawn(w.io(), handler(w, std::move(sock)), asio::detached);
      continue;
    }
    asio::co_spawn(w.io(), handleConnection(w, std::move(sock), tls, handshake_timeout),
                   asio::detached);
  }
}

}  // namespace

std::optional<ConnectionInfo> acceptedConnection(asio::ip::tcp::socket& sock) {
  std::error_code ec;
  ConnectionInfo info;
  auto remote = sock.remote_endpoint(ec);
  if (ec) return std::nullopt;
  info.client_ip = remote.address().to_string();
  info.client_port = remote.port();
  info.local_port = sock.local_endpoint(ec).port();
  sock.set_option(asio::ip::tcp::no_delay(true), ec);
  return info;
}

ProxyServer::ProxyServer(ServerOptions options)
    : options_(std::move(options)),
      pool_(std::make_unique<net::WorkerPool>(std::max<size_t>(1, options_.workers))) {
  for (size_t i = 0; i < pool_->size(); ++i) {
    workers_.push_back(std::make_unique<Worker>(pool_->context(i), i, options_.session,
                                                options_.access_log.get()));
  }
}

ProxyServer::~ProxyServer() {
  stop();
  for (auto& w : workers_) w->releaseIo();
  pool_.reset();  // destroys pending sessions while the workers they point to still exist
}

Status ProxyServer::start(std::shared_ptr<const ProxyConfig> config) {
  for (auto& w : workers_) {
    w->setConfig(config);
    for (const auto& l : options_.listeners) {
      auto acc = net::listenTcp(w->io(), l.endpoint, /*reuse_port=*/true);
      if (!acc.isOk()) return acc.status();
      asio::co_spawn(
          w->io(),
          acceptLoop(*w, std::move(acc.value()), l.tls, options_.tls_handshake_timeout, l.handler),
          asio::detached);
    }
    Worker* raw = w.get();
    asio::post(w->io(), [raw] { raw->bindToThread(); });
  }
  pool_->start();
  return Status::ok();
}

void ProxyServer::update(std::shared_ptr<const ProxyConfig> config) {
  for (auto& w : workers_) {
    Worker* raw = w.get();
    asio::post(w->io(), [raw, config] { raw->setConfig(config); });
  }
}

observe::Stats ProxyServer::collectStats() {
  observe::Stats total;
  std::vector<std::future<observe::Stats>> parts;
  for (auto& w : workers_) {
    auto p = std::make_shared<std::promise<observe::Stats>>();
    parts.push_back(p->get_future());
    Worker* raw = w.get();
    asio::post(w->io(), [raw, p] { p->set_value(raw->stats().snapshot()); });
  }
  for (auto& f : parts) {
    if (f.wait_for(std::chrono::seconds(2)) == std::future_status::ready) total.merge(f.get());
  }
  return total;
}

void ProxyServer::post(size_t i, std::function<void(Worker&)> fn) {
  Worker* raw = workers_.at(i).get();
  asio::post(raw->io(), [raw, fn = std::move(fn)] { fn(*raw); });
}

void ProxyServer::stop() {
  if (pool_) pool_->stop();
}

}  // namespace causeway::proxy
