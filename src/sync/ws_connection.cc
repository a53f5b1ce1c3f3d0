#include "sync/ws_connection.h"

#include <openssl/rand.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/this_coro.hpp>

namespace causeway::sync {

WsConnection::WsConnection(std::unique_ptr<net::Stream> stream, http::WebSocketRole role,
                           size_t max_message)
    : stream_(std::move(stream)), role_(role), decoder_(role, max_message) {}

std::optional<http::WebSocketMask> WsConnection::mask() {
  if (role_ == http::WebSocketRole::kServer) return std::nullopt;  // servers never mask
  http::WebSocketMask m;
  RAND_bytes(m.data(), int(m.size()));
  return m;
}

asio::awaitable<Status> WsConnection::handshakeClient(const std::string& host,
                                                      const std::string& path) {
  std::array<uint8_t, 16> nonce;
  RAND_bytes(nonce.data(), int(nonce.size()));
  const std::string key = http::makeClientKey(nonce);
  auto request = http::buildClientHandshake(host, path, key);
  if (!request.isOk()) co_return request.status();
  std::error_code ec;
  co_await stream_->writeAll(asio::buffer(request.value()), ec);
  if (ec) co_return Status::unavailable("websocket handshake: " + ec.message());
  char chunk[4096];
  for (;;) {
    http::ResponseHead head;
    http::Limits limits;
    auto r = http::parseResponseHead(in_, "GET", limits, head);
    if (r.status == http::ParseStatus::kDone) {
      auto check = http::checkUpgradeResponse(head, http::websocketAcceptKey(key));
      if (!check.ok) {
        co_return Status::unavailable("websocket handshake refused (HTTP " +
                                      std::to_string(head.status) +
                                      "): " + std::string(check.reason));
      }
      in_.erase(0, r.consumed);
      co_return Status::ok();
    }
    if (r.status == http::ParseStatus::kError) {
      co_return Status::unavailable("websocket handshake: bad response: " + std::string(r.reason));
    }
    size_t n = co_await stream_->readSome(asio::buffer(chunk), ec);
    if (ec) co_return Status::unavailable("websocket handshake: " + ec.message());
    in_.append(chunk, n);
  }
}

asio::awaitable<Status> WsConnection::handshakeServer(const std::string& path) {
  char chunk[4096];
  std::error_code ec;
  http::Limits limits;
  for (;;) {
    http::RequestHead head;
    auto r = http::parseRequestHead(in_, limits, head);
    if (r.status == http::ParseStatus::kDone) {
      auto check = http::checkUpgradeRequest(head);
      std::string reply;
      Status result = Status::ok();
      std::string_view target = head.target;
      if (check.ok() && target.substr(0, target.find('?')) != path) {
        reply = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        result = Status::notFound("websocket handshake: unknown path");
      } else if (!check.ok()) {
        reply = http::buildHandshakeRefusal(check);
        result = Status::invalidArgument("websocket handshake: " + std::string(check.reason));
      } else {
        auto built = http::buildServerHandshake(http::websocketAcceptKey(check.key));
        if (!built.isOk()) co_return built.status();
        reply = std::move(built.value());
      }
      in_.erase(0, r.consumed);
      co_await stream_->writeAll(asio::buffer(reply), ec);
      if (ec) co_return Status::unavailable("websocket handshake: " + ec.message());
      co_return result;
    }
    if (r.status == http::ParseStatus::kError) {
      std::string reply =
          "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      co_await stream_->writeAll(asio::buffer(reply), ec);
      co_return Status::invalidArgument("websocket handshake: " + std::string(r.reason));
    }
    size_t n = co_await stream_->readSome(asio::buffer(chunk), ec);
    if (ec) co_return Status::unavailable("websocket handshake: " + ec.message());
    in_.append(chunk, n);
  }
}

asio::awaitable<Result<WsMessage>> WsConnection::read() {
  auto self = shared_from_this();
  std::vector<char> chunk(65536);
  std::error_code ec;
  for (;;) {
    while (!in_.empty()) {
      auto step = decoder_.decode(in_);
      using K = http::WebSocketEvent::Kind;
      const auto& ev = step.event;
      if (ev.kind == K::kNeedMore) {
        in_.erase(0, step.consumed);
        break;
      }
      switch (ev.kind) {
        case K::kMessage: {
          WsMessage m{ev.text, std::string(ev.payload)};
          in_.erase(0, step.consumed);
          co_return m;
        }
        case K::kPing: {
          std::string frame;
          http::encodePong(frame, ev.payload, mask());
          in_.erase(0, step.consumed);
          enqueue(std::move(frame));
          continue;
        }
        case K::kPong:
          in_.erase(0, step.consumed);
          continue;
        case K::kClose: {
          std::string reason(ev.payload);
          uint16_t code = ev.close_code;
          in_.clear();
          close(http::ws_close::kNormal, "");
          co_return Status::unavailable("peer closed the sync stream (" + std::to_string(code) +
                                        (reason.empty() ? "" : ": " + reason) + ")");
        }
        case K::kError: {
          std::string reason(ev.reason);
          in_.clear();
          close(ev.close_code, reason);
          co_return Status::invalidArgument("websocket protocol error: " + reason);
        }
        default:
          break;
      }
    }
    if (!stream_->isOpen()) co_return Status::unavailable("sync stream closed");
    size_t n = co_await stream_->readSome(asio::buffer(chunk), ec);
    if (ec) {
      abort();
      co_return Status::unavailable("sync stream: " + ec.message());
    }
    in_.append(chunk.data(), n);
  }
}

void WsConnection::sendText(std::string_view text) {
  std::string frame;
  http::encodeText(frame, text, mask());
  enqueue(std::move(frame));
}

void WsConnection::sendBinary(std::string_view data) {
  std::string frame;
  http::encodeBinary(frame, data, mask());
  enqueue(std::move(frame));
}

void WsConnection::close(uint16_t code, std::string_view reason) {
  if (closing_) return;
  std::string frame;
  http::encodeClose(frame, code, reason, mask());
  enqueue(std::move(frame));
  closing_ = true;
  close_after_drain_ = true;
}

void WsConnection::abort() {
  closing_ = true;
  out_.clear();
  if (stream_) stream_->close();
}

void WsConnection::enqueue(std::string frame) {
  if (closing_ || !stream_->isOpen()) return;
  out_.push_back(std::move(frame));
  if (writing_) return;
  writing_ = true;
  auto exec = stream_->socket().get_executor();
  asio::co_spawn(
      exec, [self = shared_from_this()]() { return self->drain(); }, asio::detached);
}

asio::awaitable<void> WsConnection::drain() {
  std::error_code ec;
  while (!out_.empty()) {
    std::string frame = std::move(out_.front());
    out_.pop_front();
    co_await stream_->writeAll(asio::buffer(frame), ec);
    if (ec) {
      out_.clear();
      stream_->close();
      break;
    }
  }
  writing_ = false;
  if (close_after_drain_) stream_->close();
}

}  // namespace causeway::sync
