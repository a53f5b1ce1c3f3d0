// A byte stream to a peer, plain TCP or TLS, with coroutine reads and writes. The session code is
// written once against this interface. Errors are returned through `ec`, never thrown.
// The operations are lazy: nothing starts until the returned awaitable is co_awaited, which must
// happen before the buffers (and `ec`) go out of scope. The implementations hand back Asio's own
// operation rather than wrapping it in a coroutine, so an operation costs one coroutine frame.
// Not thread-safe: a stream lives on one worker.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/buffer.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/ssl/stream.hpp>
#include <memory>
#include <span>
#include <string>

namespace causeway::net {

// An Asio TLS context sharing an OpenSSL one (SslCtxPtr from tls.h): Asio's context frees what it
// holds, so it gets a reference of its own.
asio::ssl::context adoptSslContext(SSL_CTX* ctx);

class Stream {
 public:
  virtual ~Stream() = default;
  virtual asio::awaitable<size_t> readSome(asio::mutable_buffer buf, std::error_code& ec) = 0;
  // Writes every byte; returns the count written (all of it unless `ec` is set).
  virtual asio::awaitable<size_t> writeAll(std::span<const asio::const_buffer> bufs,
                                           std::error_code& ec) = 0;
  virtual asio::awaitable<size_t> writeAll(asio::const_buffer buf, std::error_code& ec) = 0;
  virtual void close() = 0;  // immediate; pending operations complete with an error
  // Half-close: no more bytes will be written (a TCP FIN); reads go on. Not available over TLS,
  // where it does nothing.
  virtual void shutdownSend() {}
  virtual bool isOpen() const = 0;
  virtual asio::ip::tcp::socket& socket() = 0;
};

class TcpStream final : public Stream {
 public:
  explicit TcpStream(asio::ip::tcp::socket s) : socket_(std::move(s)) {}
  asio::awaitable<size_t> readSome(asio::mutable_buffer buf, std::error_code& ec) override;
  asio::awaitable<size_t> writeAll(std::span<const asio::const_buffer> bufs,
                                   std::error_code& ec) override;
  asio::awaitable<size_t> writeAll(asio::const_buffer buf, std::error_code& ec) override;
  void close() override;
  void shutdownSend() override {
    std::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }
  bool isOpen() const override { return socket_.is_open(); }
  asio::ip::tcp::socket& socket() override { return socket_; }

 private:
  asio::ip::tcp::socket socket_;
};

class TlsStream final : public Stream {
 public:
  TlsStream(asio::ip::tcp::socket s, asio::ssl::context& ctx) : stream_(std::move(s), ctx) {}
  asio::awaitable<void> handshakeServer(std::error_code& ec);
  // `sni` may be empty; `verify_host` enables hostname verification of the peer certificate.
  asio::awaitable<void> handshakeClient(const std::string& sni, bool verify_host,
                                        std::error_code& ec);
  std::string serverName() const;  // the SNI the client sent, or empty

  asio::awaitable<size_t> readSome(asio::mutable_buffer buf, std::error_code& ec) override;
  asio::awaitable<size_t> writeAll(std::span<const asio::const_buffer> bufs,
                                   std::error_code& ec) override;
  asio::awaitable<size_t> writeAll(asio::const_buffer buf, std::error_code& ec) override;
  void close() override;
  bool isOpen() const override { return stream_.lowest_layer().is_open(); }
  asio::ip::tcp::socket& socket() override { return stream_.next_layer(); }
  SSL* native() { return stream_.native_handle(); }

 private:
  static constexpr size_t kGatherMax = 16 * 1024;  // one TLS record
  asio::ssl::stream<asio::ip::tcp::socket> stream_;
  std::string gather_;  // a gathered write in flight (writes on a stream are sequential)
};

}  // namespace causeway::net
