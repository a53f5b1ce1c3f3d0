// A small blocking HTTP/1.1 client for the Admin API, used by `causeway ctl`: http:// and https://
// (OpenSSL; the server certificate is verified against --ca-cert or the system trust store, and
// its name against the URL's host), one request per connection, Content-Length, chunked and
// until-close responses (parsed by the strict http/ codec), and a deadline per request covering
// resolve, connect, TLS handshake, send and receive (resolution itself is getaddrinfo, which may
// take longer). Plain POSIX sockets; no Asio. Not thread-safe: one client per thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace causeway::cli {

// scheme://host[:port][/base/path] with scheme http or https.
struct AdminUrl {
  bool tls = false;
  std::string host;       // without brackets for IPv6
  uint16_t port = 0;      // the scheme's default when not given
  std::string base_path;  // "" or "/prefix" (no trailing slash): prepended to request paths
};
Result<AdminUrl> parseAdminUrl(std::string_view url);

struct AdminClientOptions {
  std::string url = "http://127.0.0.1:8001";
  std::string token;         // sent as "Authorization: Bearer <token>" when not empty
  std::string ca_cert_file;  // https: trust these CAs (PEM) instead of the system store
  std::chrono::milliseconds timeout{30000};
};

struct AdminResponse {
  int status = 0;
  std::string content_type;
  std::string body;
};

class AdminClient {
 public:
  // Checks the URL and, for https, builds the TLS context (loading the CA file).
  static Result<std::unique_ptr<AdminClient>> create(AdminClientOptions options);
  ~AdminClient();
  AdminClient(const AdminClient&) = delete;
  AdminClient& operator=(const AdminClient&) = delete;

  // Sends one request and reads the whole response. `target` is a path with its query
  // ("/services?size=100"), appended to the URL's base path. Any HTTP status is a response; only a
  // transport failure is an error: kUnavailable (cannot resolve, connect or complete TLS),
  // kTimeout (no complete answer before the deadline), kIoError (connection lost or a response
  // that is not valid HTTP/1.1).
  Result<AdminResponse> request(std::string_view method, std::string_view target,
                                std::string_view body = {}, std::string_view content_type = {});

  const std::string& url() const { return options_.url; }

 private:
  AdminClient(AdminClientOptions options, AdminUrl url, SSL_CTX* ctx);

  AdminClientOptions options_;
  AdminUrl url_;
  SSL_CTX* ctx_ = nullptr;  // owned; null for http://
};

// Percent-encodes a path segment (names and ids in URLs).
std::string encodePathSegment(std::string_view s);

}  // namespace causeway::cli
