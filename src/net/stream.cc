#include "net/stream.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <asio/read.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

namespace causeway::net {
namespace {
constexpr auto kAwait = asio::use_awaitable;
}

asio::ssl::context adoptSslContext(SSL_CTX* ctx) {
  SSL_CTX_up_ref(ctx);
  return asio::ssl::context(ctx);
}

// Not coroutines: each returns Asio's lazy operation, which keeps copies of its arguments.
asio::awaitable<size_t> TcpStream::readSome(asio::mutable_buffer buf, std::error_code& ec) {
  return socket_.async_read_some(buf, asio::redirect_error(kAwait, ec));
}

asio::awaitable<size_t> TcpStream::writeAll(std::span<const asio::const_buffer> bufs,
                                            std::error_code& ec) {
  return asio::async_write(socket_, bufs, asio::redirect_error(kAwait, ec));
}

asio::awaitable<size_t> TcpStream::writeAll(asio::const_buffer buf, std::error_code& ec) {
  return asio::async_write(socket_, buf, asio::redirect_error(kAwait, ec));
}

void TcpStream::close() {
  std::error_code ignored;
  socket_.close(ignored);
}

asio::awaitable<void> TlsStream::handshakeServer(std::error_code& ec) {
  co_await stream_.async_handshake(asio::ssl::stream_base::server,
                                   asio::redirect_error(kAwait, ec));
}

asio::awaitable<void> TlsStream::handshakeClient(const std::string& sni, bool verify_host,
                                                 std::error_code& ec) {
  SSL* ssl = stream_.native_handle();
  if (!sni.empty()) SSL_set_tlsext_host_name(ssl, sni.c_str());
  if (verify_host && !sni.empty()) {
    SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_set1_host(ssl, sni.c_str());
  }
  co_await stream_.async_handshake(asio::ssl::stream_base::client,
                                   asio::redirect_error(kAwait, ec));
}

std::string TlsStream::serverName() const {
  const char* n = SSL_get_servername(const_cast<TlsStream*>(this)->stream_.native_handle(),
                                     TLSEXT_NAMETYPE_host_name);
  return n ? std::string(n) : std::string();
}

asio::awaitable<size_t> TlsStream::readSome(asio::mutable_buffer buf, std::error_code& ec) {
  return stream_.async_read_some(buf, asio::redirect_error(kAwait, ec));
}

asio::awaitable<size_t> TlsStream::writeAll(std::span<const asio::const_buffer> bufs,
                                            std::error_code& ec) {
  // Asio's SSL stream seals one buffer per TLS record and send: a small gather (a response head
  // and its body) goes out as one record instead, in one send.
  const size_t total = asio::buffer_size(bufs);
  if (bufs.size() > 1 && total <= kGatherMax) {
    gather_.clear();
    for (const auto& b : bufs) gather_.append(static_cast<const char*>(b.data()), b.size());
    return asio::async_write(stream_, asio::buffer(gather_), asio::redirect_error(kAwait, ec));
  }
  return asio::async_write(stream_, bufs, asio::redirect_error(kAwait, ec));
}

asio::awaitable<size_t> TlsStream::writeAll(asio::const_buffer buf, std::error_code& ec) {
  return asio::async_write(stream_, buf, asio::redirect_error(kAwait, ec));
}

void TlsStream::close() {
  std::error_code ignored;
  stream_.lowest_layer().close(ignored);
}

}  // namespace causeway::net
