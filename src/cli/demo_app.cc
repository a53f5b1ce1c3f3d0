// `causeway demo-app`: a small upstream for trying the gateway and for tests. It answers JSON that
// names itself and echoes the request, and has a few httpbin-like paths:
//   /status/CODE   answers with that status       /delay/MS     answers after MS milliseconds
//   /bytes/N       N bytes with Content-Length    /stream/N     N bytes, chunked
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <memory>
#include <string>

#include "base/log.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "http/http1_parser.h"
#include "net/address.h"

namespace causeway::cli {
namespace {

constexpr auto kAwait = asio::use_awaitable;

struct DemoFlags {
  std::string name = "demo";
  std::string listen = "127.0.0.1:9000";
};

std::optional<uint64_t> pathNumber(std::string_view path, std::string_view prefix) {
  if (!startsWith(path, prefix)) return std::nullopt;
  return parseDecimal(path.substr(prefix.size()), uint64_t(1) << 40);
}

asio::awaitable<void> serve(asio::ip::tcp::socket sock, const std::string& name) {
  std::error_code ec;
  std::string buf;
  http::Limits limits;
  auto peer = sock.remote_endpoint(ec);
  std::string client = ec ? "" : peer.address().to_string();
  sock.set_option(asio::ip::tcp::no_delay(true), ec);
  for (;;) {
    http::RequestHead head;
    http::ParseResult r;
    for (;;) {
      r = http::parseRequestHead(buf, limits, head);
      if (r.status != http::ParseStatus::kNeedMore) break;
      char chunk[16384];
      size_t n =
          co_await sock.async_read_some(asio::buffer(chunk), asio::redirect_error(kAwait, ec));
      if (ec) co_return;
      buf.append(chunk, n);
    }
    if (r.status == http::ParseStatus::kError) {
      std::string out =
          "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      co_await asio::async_write(sock, asio::buffer(out), asio::redirect_error(kAwait, ec));
      co_return;
    }
    // Build the echo before the body is read: `head` views into `buf`.
    std::string target(head.target);
    std::string method(head.method);
    bool keep_alive = head.keep_alive;
    std::string headers_json;
    for (const auto& h : head.headers) {
      if (!headers_json.empty()) headers_json += ",";
      headers_json += "\"" + jsonEscape(toLower(h.name)) + "\":\"" + jsonEscape(h.value) + "\"";
    }
    std::string continue_line;
    if (head.expect_continue) continue_line = "HTTP/1.1 100 Continue\r\n\r\n";
    http::BodyDecoder body(head.framing, head.content_length);
    buf.erase(0, r.consumed);
    if (!continue_line.empty() && buf.empty() && head.framing != http::BodyFraming::kNone) {
      co_await asio::async_write(sock, asio::buffer(continue_line),
                                 asio::redirect_error(kAwait, ec));
      if (ec) co_return;
    }
    uint64_t body_bytes = 0;
    uint64_t body_sum = 0;  // a cheap checksum the tests compare with what they sent
    while (!body.done()) {
      auto step = body.decode(buf);
      if (step.error != http::HttpError::kNone) co_return;
      for (unsigned char c : step.data) body_sum += c;
      body_bytes += step.data.size();
      buf.erase(0, step.consumed);
      if (step.done) break;
      if (step.consumed == 0) {
        char chunk[65536];
        size_t n =
            co_await sock.async_read_some(asio::buffer(chunk), asio::redirect_error(kAwait, ec));
        if (ec) co_return;
        buf.append(chunk, n);
      }
    }

    std::string path = target.substr(0, target.find('?'));
    int status = 200;
    if (auto code = pathNumber(path, "/status/"); code && *code >= 200 && *code <= 599) {
      status = int(*code);
    }
    if (auto ms = pathNumber(path, "/delay/")) {
      asio::steady_timer t(sock.get_executor(), std::chrono::milliseconds(*ms));
      co_await t.async_wait(asio::redirect_error(kAwait, ec));
    }
    std::string conn = keep_alive ? "" : "Connection: close\r\n";
    if (auto n = pathNumber(path, "/bytes/")) {
      std::string head_out =
          "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
          "X-Demo-App: " +
          name + "\r\nContent-Length: " + std::to_string(*n) + "\r\n" + conn + "\r\n";
      co_await asio::async_write(sock, asio::buffer(head_out), asio::redirect_error(kAwait, ec));
      std::string block(65536, 'x');
      for (uint64_t left = *n; left > 0 && !ec;) {
        size_t k = size_t(std::min<uint64_t>(left, block.size()));
        co_await asio::async_write(sock, asio::buffer(block.data(), k),
                                   asio::redirect_error(kAwait, ec));
        left -= k;
      }
      if (ec || !keep_alive) co_return;
      continue;
    }
    if (auto n = pathNumber(path, "/stream/")) {
      std::string head_out =
          "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
          "X-Demo-App: " +
          name + "\r\nTransfer-Encoding: chunked\r\n" + conn + "\r\n";
      co_await asio::async_write(sock, asio::buffer(head_out), asio::redirect_error(kAwait, ec));
      std::string block(65536, 'y');
      for (uint64_t left = *n; left > 0 && !ec;) {
        size_t k = size_t(std::min<uint64_t>(left, block.size()));
        std::string size_line;
        http::appendChunkHeader(size_line, k);
        std::array<asio::const_buffer, 3> bufs = {
            asio::buffer(size_line), asio::buffer(block.data(), k), asio::buffer(http::kChunkEnd)};
        co_await asio::async_write(sock, bufs, asio::redirect_error(kAwait, ec));
        left -= k;
      }
      if (!ec)
        co_await asio::async_write(sock, asio::buffer(http::kLastChunk),
                                   asio::redirect_error(kAwait, ec));
      if (ec || !keep_alive) co_return;
      continue;
    }
    std::string json = "{\"app\":\"" + jsonEscape(name) + "\",\"method\":\"" + jsonEscape(method) +
                       "\",\"path\":\"" + jsonEscape(path) + "\",\"uri\":\"" + jsonEscape(target) +
                       "\",\"client\":\"" + jsonEscape(client) + "\",\"headers\":{" + headers_json +
                       "},\"body_bytes\":" + std::to_string(body_bytes) +
                       ",\"body_sum\":" + std::to_string(body_sum) + "}\n";
    std::string out = "HTTP/1.1 " + std::to_string(status) +
                      " Demo\r\nContent-Type: application/json\r\n"
                      "X-Demo-App: " +
                      name + "\r\nContent-Length: " + std::to_string(json.size()) + "\r\n" + conn +
                      "\r\n";
    if (method != "HEAD") out += json;
    co_await asio::async_write(sock, asio::buffer(out), asio::redirect_error(kAwait, ec));
    if (ec || !keep_alive) co_return;
  }
}

asio::awaitable<void> acceptLoop(asio::ip::tcp::acceptor acc, const std::string& name) {
  for (;;) {
    std::error_code ec;
    asio::ip::tcp::socket sock(acc.get_executor());
    co_await acc.async_accept(sock, asio::redirect_error(kAwait, ec));
    if (ec == asio::error::operation_aborted) co_return;
    if (ec) continue;
    asio::co_spawn(acc.get_executor(), serve(std::move(sock), name), asio::detached);
  }
}

int runDemo(const DemoFlags& f) {
  log::init("info");
  auto ep = net::parseEndpoint(f.listen);
  if (!ep.isOk()) {
    spdlog::error("{}", ep.status().message());
    return 1;
  }
  asio::io_context io;
  auto acc = net::listenTcp(io, ep.value(), /*reuse_port=*/false, 1024);
  if (!acc.isOk()) {
    spdlog::error("{}", acc.status().message());
    return 1;
  }
  asio::co_spawn(io, acceptLoop(std::move(acc.value()), f.name), asio::detached);
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code, int) { io.stop(); });
  spdlog::info("demo-app {} listening on {}", f.name, f.listen);
  io.run();
  return 0;
}

}  // namespace

Run addDemoAppCommand(CLI::App& app) {
  auto flags = std::make_shared<DemoFlags>();
  auto* cmd = app.add_subcommand("demo-app", "a small upstream that echoes requests as JSON");
  cmd->add_option("--name", flags->name, "name it answers with")->capture_default_str();
  cmd->add_option("--listen", flags->listen, "ADDR:PORT")->capture_default_str();
  return [flags] { return runDemo(*flags); };
}

}  // namespace causeway::cli
