#include "http/status_server.h"

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <memory>

#include "http/http1_parser.h"
#include "net/address.h"
#include "net/deadline.h"

namespace causeway::http {
namespace {

constexpr auto kAwait = asio::use_awaitable;

asio::awaitable<void> serve(asio::ip::tcp::socket sock, const StatusServer::Handler& handler) {
  std::string buf;
  std::error_code ec;
  auto deadline = std::make_shared<net::Deadline>(
      static_cast<asio::io_context&>(sock.get_executor().context()), [&sock] {
        std::error_code ignored;
        sock.close(ignored);
      });
  http::Limits limits;
  for (;;) {
    deadline->expiresAfter(std::chrono::seconds(30));
    http::RequestHead head;
    http::ParseResult r;
    for (;;) {
      r = http::parseRequestHead(buf, limits, head);
      if (r.status != http::ParseStatus::kNeedMore) break;
      char chunk[4096];
      size_t n = co_await sock.async_read_some(asio::buffer(chunk),
                                               asio::redirect_error(kAwait, ec));
      if (ec) {
        deadline->cancel();
        co_return;
      }
      buf.append(chunk, n);
    }
    LocalReply rep;
    bool close = true;
    if (r.status == http::ParseStatus::kError) {
      rep.status = http::statusFor(r.error);
      rep.body = kongErrorBody(kongDefaultMessage(rep.status));
    } else if (head.framing != http::BodyFraming::kNone) {
      rep.status = 405;
      rep.body = kongErrorBody("Method not allowed");
    } else if (head.method != "GET" && head.method != "HEAD") {
      rep.status = 405;
      rep.body = kongErrorBody("Method not allowed");
      close = !head.keep_alive;
    } else {
      std::string_view target = head.target;
      rep = handler(target.substr(0, target.find('?')));
      close = !head.keep_alive;
    }
    bool is_head = r.status == http::ParseStatus::kDone && head.method == "HEAD";
    std::string out = "HTTP/1.1 " + std::to_string(rep.status) + " " +
                      (rep.status == 200 ? "OK" : "Error") + "\r\nContent-Type: " +
                      rep.content_type + "\r\nContent-Length: " + std::to_string(rep.body.size()) +
                      "\r\n" + rep.extra_headers + (close ? "Connection: close\r\n" : "") + "\r\n";
    if (!is_head) out += rep.body;
    if (r.status == http::ParseStatus::kDone) buf.erase(0, r.consumed);
    co_await asio::async_write(sock, asio::buffer(out), asio::redirect_error(kAwait, ec));
    if (ec || close) break;
  }
  deadline->cancel();
  std::error_code ignored;
  sock.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  sock.close(ignored);
}

asio::awaitable<void> acceptLoop(asio::ip::tcp::acceptor acc, StatusServer::Handler* handler) {
  for (;;) {
    std::error_code ec;
    asio::ip::tcp::socket sock(acc.get_executor());
    co_await acc.async_accept(sock, asio::redirect_error(kAwait, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) continue;
    asio::co_spawn(acc.get_executor(), serve(std::move(sock), *handler), asio::detached);
  }
}

}  // namespace

Status StatusServer::listen(const asio::ip::tcp::endpoint& ep) {
  auto acc = net::listenTcp(io_, ep, /*reuse_port=*/false, 128);
  if (!acc.isOk()) return acc.status();
  asio::co_spawn(io_, acceptLoop(std::move(acc.value()), &handler_), asio::detached);
  return Status::ok();
}

}  // namespace causeway::http
