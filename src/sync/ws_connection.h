// A WebSocket connection over a byte stream (TLS in practice): the opening handshake for either
// side, whole-message reads, and queued writes (any coroutine on the connection's thread may send;
// one writer drains the queue so frames never interleave). Pings are answered inside read().
// Not thread-safe: the connection lives on one io_context thread.
#pragma once

#include <asio/awaitable.hpp>
#include <deque>
#include <memory>
#include <string>

#include "base/status.h"
#include "http/websocket.h"
#include "net/stream.h"

namespace causeway::sync {

struct WsMessage {
  bool text = false;
  std::string data;
};

class WsConnection : public std::enable_shared_from_this<WsConnection> {
 public:
  WsConnection(std::unique_ptr<net::Stream> stream, http::WebSocketRole role, size_t max_message);

  // Client side: sends the upgrade request for `host` and `path` and checks the answer.
  asio::awaitable<Status> handshakeClient(const std::string& host, const std::string& path);
  // Server side: reads the upgrade request; refuses anything but a valid handshake on `path`.
  asio::awaitable<Status> handshakeServer(const std::string& path);

  // The next text or binary message. An error when the peer closed, broke the protocol or the
  // stream failed (then the connection is closed).
  asio::awaitable<Result<WsMessage>> read();

  void sendText(std::string_view text);
  void sendBinary(std::string_view data);
  // Sends a close frame (after what is queued) and then closes the stream.
  void close(uint16_t code, std::string_view reason);
  void abort();  // closes the stream now
  bool isOpen() const { return stream_ && stream_->isOpen() && !closing_; }
  net::Stream& stream() { return *stream_; }

 private:
  void enqueue(std::string frame);
  asio::awaitable<void> drain();
  std::optional<http::WebSocketMask> mask();

  std::unique_ptr<net::Stream> stream_;
  http::WebSocketRole role_;
  http::WebSocketDecoder decoder_;
  std::string in_;  // bytes read but not yet decoded
  std::deque<std::string> out_;
  bool writing_ = false;
  bool closing_ = false;
  bool close_after_drain_ = false;
};

}  // namespace causeway::sync
