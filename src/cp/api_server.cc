#include "cp/api_server.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/ssl/context.hpp>
#include <asio/use_awaitable.hpp>
#include <list>

#include "base/strings.h"
#include "http/http1_parser.h"
#include "net/address.h"
#include "net/deadline.h"
#include "net/stream.h"

namespace causeway::cp {
namespace {

constexpr auto kAwait = asio::use_awaitable;

const char* reasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 415:
      return "Unsupported Media Type";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

std::string errorJson(std::string_view message) {
  std::string out = "{\"message\":\"";
  out += message;
  out += "\"}";
  return out;
}

std::string serialize(const ApiResponse& r, bool head_only, bool close) {
  std::string out = "HTTP/1.1 " + std::to_string(r.status) + " " + reasonPhrase(r.status) + "\r\n";
  if (r.status != 204) {
    out += "Content-Type: " + r.content_type +
           "\r\nContent-Length: " + std::to_string(r.body.size()) + "\r\n";
  }
  out += "Server: causeway\r\n";
  out += r.extra_headers;
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!head_only && r.status != 204) out += r.body;
  return out;
}

}  // namespace

struct ApiServer::State : std::enable_shared_from_this<ApiServer::State> {
  asio::io_context& io;
  ApiHandler handler;
  ApiServerOptions options;
  std::list<asio::ip::tcp::acceptor> acceptors;
  std::list<asio::ssl::context> tls_contexts;

  State(asio::io_context& i, ApiHandler h, ApiServerOptions o)
      : io(i), handler(std::move(h)), options(o) {}

  asio::awaitable<void> serve(std::unique_ptr<net::Stream> stream, std::string remote) {
    auto self = shared_from_this();
    net::Stream* s = stream.get();
    auto deadline = std::make_shared<net::Deadline>(io, [s] { s->close(); });
    std::string buf;
    std::error_code ec;
    http::Limits limits;
    char chunk[16384];
    auto fill = [&]() -> asio::awaitable<bool> {
      size_t n = co_await s->readSome(asio::buffer(chunk), ec);
      if (ec) co_return false;
      buf.append(chunk, n);
      co_return true;
    };
    for (;;) {
      deadline->expiresAfter(std::chrono::seconds(options.idle_timeout_s));
      http::RequestHead head;
      http::ParseResult r;
      for (;;) {
        r = http::parseRequestHead(buf, limits, head);
        if (r.status != http::ParseStatus::kNeedMore) break;
        if (!co_await fill()) goto done;
      }
      if (r.status == http::ParseStatus::kError) {
        ApiResponse rep{http::statusFor(r.error), errorJson(r.reason)};
        std::string out = serialize(rep, false, true);
        co_await s->writeAll(asio::buffer(out), ec);
        goto done;
      }
      {
        ApiRequest req;
        req.method = std::string(head.method);
        std::string_view target = head.target;
        size_t q = target.find('?');
        req.path = std::string(target.substr(0, q));
        if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
        for (const auto& h : head.headers) {
          req.headers.emplace_back(toLower(h.name), std::string(h.value));
        }
        req.remote = remote;
        const bool keep_alive = head.keep_alive;
        const bool expect_continue = head.expect_continue;
        const http::BodyFraming framing = head.framing;
        const uint64_t length = head.content_length;
        buf.erase(0, r.consumed);  // `head` views die here
        if (framing == http::BodyFraming::kContentLength && length > options.max_body_bytes) {
          ApiResponse rep{413, errorJson("Request body too large")};
          std::string out = serialize(rep, false, true);
          co_await s->writeAll(asio::buffer(out), ec);
          goto done;
        }
        if (expect_continue && framing != http::BodyFraming::kNone) {
          static const std::string kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          co_await s->writeAll(asio::buffer(kContinue), ec);
          if (ec) goto done;
        }
        if (framing != http::BodyFraming::kNone) {
          http::BodyDecoder decoder(framing, length);
          deadline->expiresAfter(std::chrono::seconds(options.idle_timeout_s));
          while (!decoder.done()) {
            auto step = decoder.decode(buf);
            if (step.error != http::HttpError::kNone) {
              ApiResponse rep{400, errorJson(step.reason)};
              std::string out = serialize(rep, false, true);
              co_await s->writeAll(asio::buffer(out), ec);
              goto done;
            }
            req.body.append(step.data);
            buf.erase(0, step.consumed);
            if (req.body.size() > options.max_body_bytes) {
              ApiResponse rep{413, errorJson("Request body too large")};
              std::string out = serialize(rep, false, true);
              co_await s->writeAll(asio::buffer(out), ec);
              goto done;
            }
            if (step.consumed == 0 && !decoder.done() && !co_await fill()) goto done;
          }
        }
        deadline->cancel();
        ApiResponse rep;
        try {
          rep = handler(req);
        } catch (const std::exception& e) {
          spdlog::error("admin: {} {} failed: {}", req.method, req.path, e.what());
          rep = ApiResponse{500, errorJson("An unexpected error occurred")};
        }
        std::string out = serialize(rep, req.method == "HEAD", !keep_alive);
        co_await s->writeAll(asio::buffer(out), ec);
        if (ec || !keep_alive) goto done;
      }
    }
  done:
    deadline->cancel();
    s->close();
  }

  asio::awaitable<void> acceptLoop(asio::ip::tcp::acceptor* acc, asio::ssl::context* tls) {
    auto self = shared_from_this();
    for (;;) {
      std::error_code ec;
      asio::ip::tcp::socket sock(io);
      co_await acc->async_accept(sock, asio::redirect_error(kAwait, ec));
      if (ec == asio::error::operation_aborted || !acc->is_open()) co_return;
      if (ec) continue;
      std::string remote;
      {
        std::error_code e2;
        auto ep = sock.remote_endpoint(e2);
        if (!e2) remote = ep.address().to_string() + ":" + std::to_string(ep.port());
      }
      sock.set_option(asio::ip::tcp::no_delay(true), ec);
      if (!tls) {
        asio::co_spawn(io, serve(std::make_unique<net::TcpStream>(std::move(sock)), remote),
                       asio::detached);
        continue;
      }
      asio::co_spawn(
          io,
          [this, self, tls, remote, sock = std::move(sock)]() mutable -> asio::awaitable<void> {
            auto stream = std::make_unique<net::TlsStream>(std::move(sock), *tls);
            net::TlsStream* t = stream.get();
            auto deadline = std::make_shared<net::Deadline>(io, [t] { t->close(); });
            deadline->expiresAfter(std::chrono::seconds(10));
            std::error_code hec;
            co_await t->handshakeServer(hec);
            deadline->cancel();
            if (hec) co_return;
            co_await serve(std::move(stream), remote);
          },
          asio::detached);
    }
  }
};

ApiServer::ApiServer(asio::io_context& io, ApiHandler handler, ApiServerOptions options)
    : state_(std::make_shared<State>(io, std::move(handler), options)) {}

ApiServer::~ApiServer() { close(); }

Status ApiServer::listen(const asio::ip::tcp::endpoint& ep, std::shared_ptr<SSL_CTX> tls) {
  auto acc = net::listenTcp(state_->io, ep, /*reuse_port=*/false, 512);
  if (!acc.isOk()) return acc.status();
  state_->acceptors.push_back(std::move(acc.value()));
  asio::ssl::context* ctx = nullptr;
  if (tls) {
    state_->tls_contexts.push_back(net::adoptSslContext(tls.get()));
    ctx = &state_->tls_contexts.back();
  }
  asio::co_spawn(state_->io, state_->acceptLoop(&state_->acceptors.back(), ctx), asio::detached);
  return Status::ok();
}

void ApiServer::close() {
  for (auto& a : state_->acceptors) {
    std::error_code ignored;
    a.close(ignored);
  }
}

}  // namespace causeway::cp
