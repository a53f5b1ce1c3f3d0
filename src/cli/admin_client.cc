// Sockets are non-blocking and every wait is a poll() bounded by the request's deadline; TLS runs
// over the same socket with SSL_ERROR_WANT_READ/WRITE turned into polls. Writes use MSG_NOSIGNAL
// for plain TCP; OpenSSL writes with write(2), so `causeway ctl` ignores SIGPIPE.
#include "cli/admin_client.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/strings.h"
#include "http/http1_parser.h"

namespace causeway::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxResponseBody = size_t(1) << 30;  // 1 GiB: a dump of a very large config

std::string openSslError() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown TLS error" : out;
}

bool isIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() { reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = o.fd_;
      o.fd_ = -1;
    }
    return *this;
  }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// One connection: a socket, optionally wrapped in TLS, with a deadline for every wait.
class Connection {
 public:
  Connection(std::string where, Clock::time_point deadline)
      : where_(std::move(where)), deadline_(deadline) {}
  ~Connection() {
    if (ssl_) SSL_free(ssl_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Status connect(const AdminUrl& url) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* found = nullptr;
    const std::string port = std::to_string(url.port);
    const int rc = ::getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found);
    if (rc != 0) {
      return Status::unavailable("cannot resolve the host of " + where_ + ": " + gai_strerror(rc));
    }
    std::string lastError = "no address";
    Status result = Status::unavailable("");
    for (addrinfo* ai = found; ai; ai = ai->ai_next) {
      Fd fd(
          ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
      if (fd.get() < 0) {
        lastError = std::strerror(errno);
        continue;
      }
      if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) != 0) {
        if (errno != EINPROGRESS) {
          lastError = std::strerror(errno);
          continue;
        }
        Status st = wait(fd.get(), POLLOUT);
        if (!st.isOk()) {
          result = st;
          lastError = st.message();
          if (st.code() == Status::Code::kTimeout) break;
          continue;
        }
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          lastError = std::strerror(err);
          continue;
        }
      }
      int one = 1;
      ::setsockopt(fd.get(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      fd_ = std::move(fd);
      break;
    }
    ::freeaddrinfo(found);
    if (fd_.get() < 0) {
      if (result.code() == Status::Code::kTimeout) return result;
      return Status::unavailable("cannot connect to " + where_ + ": " + lastError);
    }
    return Status::ok();
  }

  Status startTls(SSL_CTX* ctx, const std::string& host) {
    ssl_ = SSL_new(ctx);
    if (!ssl_ || SSL_set_fd(ssl_, fd_.get()) != 1) {
      return Status::unavailable("TLS setup for " + where_ + " failed: " + openSslError());
    }
    if (isIpLiteral(host)) {
      X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_), host.c_str());
    } else {
      SSL_set_tlsext_host_name(ssl_, host.c_str());
      SSL_set1_host(ssl_, host.c_str());
    }
    while (true) {
      ERR_clear_error();
      const int rc = SSL_connect(ssl_);
      if (rc == 1) return Status::ok();
      const int err = SSL_get_error(ssl_, rc);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        Status st = wait(fd_.get(), err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT);
        if (!st.isOk()) return st;
        continue;
      }
      std::string why;
      const long verify = SSL_get_verify_result(ssl_);
      if (verify != X509_V_OK) {
        why = std::string("certificate verification failed: ") +
              X509_verify_cert_error_string(verify) + " (use --ca-cert FILE to trust its CA)";
      } else if (err == SSL_ERROR_SYSCALL || err == SSL_ERROR_ZERO_RETURN ||
                 ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        why = "connection closed during the handshake (is it a TLS port?)";
      } else {
        why = openSslError();
      }
      return Status::unavailable("TLS handshake with " + where_ + " failed: " + why);
    }
  }

  Status writeAll(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = 0;
      if (ssl_) {
        ERR_clear_error();
        const int rc = SSL_write(ssl_, data.data(), int(std::min<size_t>(data.size(), 1 << 20)));
        if (rc <= 0) {
          const int err = SSL_get_error(ssl_, rc);
          if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
            Status st = wait(fd_.get(), err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT);
            if (!st.isOk()) return st;
            continue;
          }
          return Status::ioError("connection to " + where_ + " lost while sending");
        }
        n = rc;
      } else {
        n = ::send(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK) {
            Status st = wait(fd_.get(), POLLOUT);
            if (!st.isOk()) return st;
            continue;
          }
          return Status::ioError("connection to " + where_ +
                                 " lost while sending: " + std::strerror(errno));
        }
      }
      data.remove_prefix(size_t(n));
    }
    return Status::ok();
  }

  // Appends what is available to `out`; returns 0 at EOF.
  Result<size_t> readSome(std::string& out) {
    char buf[64 * 1024];
    while (true) {
      if (ssl_) {
        ERR_clear_error();
        const int rc = SSL_read(ssl_, buf, sizeof buf);
        if (rc > 0) {
          out.append(buf, size_t(rc));
          return size_t(rc);
        }
        const int err = SSL_get_error(ssl_, rc);
        if (err == SSL_ERROR_ZERO_RETURN) return size_t(0);
        if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
          Status st = wait(fd_.get(), err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT);
          if (!st.isOk()) return st;
          continue;
        }
        // A peer that closes without close_notify: treated as EOF; framing decides if that is ok.
        if (err == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) return size_t(0);
        return Status::ioError("TLS error reading from " + where_ + ": " + openSslError());
      }
      const ssize_t n = ::recv(fd_.get(), buf, sizeof buf, 0);
      if (n > 0) {
        out.append(buf, size_t(n));
        return size_t(n);
      }
      if (n == 0) return size_t(0);
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        Status st = wait(fd_.get(), POLLIN);
        if (!st.isOk()) return st;
        continue;
      }
      return Status::ioError("connection to " + where_ + " lost: " + std::strerror(errno));
    }
  }

 private:
  Status wait(int fd, short events) {
    while (true) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - Clock::now());
      if (left.count() <= 0) return Status::timeout("no answer from " + where_ + " in time");
      pollfd p{fd, events, 0};
      const int rc = ::poll(&p, 1, int(std::min<int64_t>(left.count(), 1 << 30)));
      if (rc > 0) return Status::ok();
      if (rc == 0) return Status::timeout("no answer from " + where_ + " in time");
      if (errno != EINTR) return Status::ioError(std::string("poll: ") + std::strerror(errno));
    }
  }

  std::string where_;
  Clock::time_point deadline_;
  Fd fd_;
  SSL* ssl_ = nullptr;
};

std::string hostHeader(const AdminUrl& url) {
  const bool v6 = url.host.find(':') != std::string::npos;
  std::string h = v6 ? "[" + url.host + "]" : url.host;
  if (url.port != (url.tls ? 443 : 80)) h += ":" + std::to_string(url.port);
  return h;
}

}  // namespace

Result<AdminUrl> parseAdminUrl(std::string_view url) {
  AdminUrl out;
  const size_t schemeEnd = url.find("://");
  if (schemeEnd == std::string_view::npos) {
    return Status::invalidArgument("invalid Admin API URL '" + std::string(url) +
                                   "' (expected http://host[:port] or https://host[:port])");
  }
  const std::string scheme = toLower(url.substr(0, schemeEnd));
  if (scheme == "https") {
    out.tls = true;
  } else if (scheme != "http") {
    return Status::invalidArgument("invalid Admin API URL '" + std::string(url) +
                                   "': the scheme must be http or https");
  }
  std::string_view rest = url.substr(schemeEnd + 3);
  const size_t authorityEnd = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authorityEnd);
  std::string_view path =
      authorityEnd == std::string_view::npos ? std::string_view() : rest.substr(authorityEnd);
  if (authority.find('@') != std::string_view::npos) {
    return Status::invalidArgument("invalid Admin API URL '" + std::string(url) +
                                   "': credentials in the URL are not supported (use --token)");
  }
  auto hp = parseHostPort(authority);
  if (!hp) {
    return Status::invalidArgument("invalid Admin API URL '" + std::string(url) +
                                   "': bad host or port");
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    return Status::invalidArgument("invalid Admin API URL '" + std::string(url) +
                                   "': a query or fragment is not allowed");
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out.host = hp->host;
  out.port = hp->port.value_or(out.tls ? 443 : 80);
  if (out.port == 0) {
    return Status::invalidArgument("invalid Admin API URL '" + std::string(url) + "': port 0");
  }
  out.base_path = std::string(path);
  return out;
}

Result<std::unique_ptr<AdminClient>> AdminClient::create(AdminClientOptions options) {
  auto url = parseAdminUrl(options.url);
  if (!url.isOk()) return url.status();
  SSL_CTX* ctx = nullptr;
  if (url->tls) {
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return Status::internal("cannot create a TLS context: " + openSslError());
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    const bool loaded =
        options.ca_cert_file.empty()
            ? SSL_CTX_set_default_verify_paths(ctx) == 1
            : SSL_CTX_load_verify_locations(ctx, options.ca_cert_file.c_str(), nullptr) == 1;
    if (!loaded) {
      const std::string why = openSslError();
      SSL_CTX_free(ctx);
      if (!options.ca_cert_file.empty()) {
        return Status::invalidArgument("cannot load CA certificates from '" + options.ca_cert_file +
                                       "': " + why);
      }
      return Status::internal("cannot load the system trust store: " + why);
    }
  }
  return std::unique_ptr<AdminClient>(new AdminClient(std::move(options), url.value(), ctx));
}

AdminClient::AdminClient(AdminClientOptions options, AdminUrl url, SSL_CTX* ctx)
    : options_(std::move(options)), url_(std::move(url)), ctx_(ctx) {}

AdminClient::~AdminClient() {
  if (ctx_) SSL_CTX_free(ctx_);
}

Result<AdminResponse> AdminClient::request(std::string_view method, std::string_view target,
                                           std::string_view body, std::string_view content_type) {
  const auto deadline = Clock::now() + options_.timeout;
  const std::string where = options_.url;
  Connection conn(where, deadline);
  if (Status st = conn.connect(url_); !st.isOk()) return st;
  if (ctx_) {
    if (Status st = conn.startTls(ctx_, url_.host); !st.isOk()) return st;
  }

  std::string req;
  req.reserve(512 + body.size());
  req.append(method).append(" ").append(url_.base_path);
  if (target.empty() || target.front() != '/') req += '/';
  req.append(target).append(" HTTP/1.1\r\n");
  req.append("Host: ").append(hostHeader(url_)).append("\r\n");
  req.append("User-Agent: causeway-ctl\r\nAccept: application/json\r\nConnection: close\r\n");
  if (!options_.token.empty())
    req.append("Authorization: Bearer ").append(options_.token).append("\r\n");
  const bool sendsBody = !body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
  if (sendsBody) {
    if (!content_type.empty()) req.append("Content-Type: ").append(content_type).append("\r\n");
    req.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
  }
  req.append("\r\n");
  // The token lives in `req`: wipe it once sent.
  Status sent = conn.writeAll(req);
  std::fill(req.begin(), req.end(), '\0');
  if (!sent.isOk()) return sent;
  if (!body.empty()) {
    if (Status st = conn.writeAll(body); !st.isOk()) return st;
  }

  // Response head (skipping interim 1xx heads), then the body.
  std::string in;
  http::ResponseHead head;
  http::Limits limits;
  size_t headEnd = 0;
  bool eof = false;
  while (true) {
    const auto parsed = http::parseResponseHead(std::string_view(in), method, limits, head);
    if (parsed.status == http::ParseStatus::kError) {
      return Status::ioError("invalid HTTP response from " + where + ": " +
                             std::string(parsed.reason) + " (is it an Admin API?)");
    }
    if (parsed.status == http::ParseStatus::kDone) {
      if (head.status >= 100 && head.status < 200) {
        in.erase(0, parsed.consumed);
        continue;
      }
      headEnd = parsed.consumed;
      break;
    }
    if (eof) {
      return Status::ioError(in.empty() ? "connection closed by " + where + " without an answer"
                                        : "connection closed by " + where +
                                              " in the middle of the response head");
    }
    auto n = conn.readSome(in);
    if (!n.isOk()) return n.status();
    eof = n.value() == 0;
  }

  AdminResponse out;
  out.status = head.status;
  out.content_type = std::string(head.header("content-type"));
  const http::BodyFraming framing = head.framing;
  const uint64_t contentLength = head.content_length;
  in.erase(0, headEnd);  // `head` views into `in`: not used after this point

  http::BodyDecoder decoder(framing, contentLength);
  size_t offset = 0;
  while (!decoder.done()) {
    while (offset < in.size() && !decoder.done()) {
      auto step = decoder.decode(std::string_view(in).substr(offset));
      if (step.error != http::HttpError::kNone) {
        return Status::ioError("invalid HTTP response body from " + where + ": " +
                               std::string(step.reason));
      }
      out.body.append(step.data);
      offset += step.consumed;
      if (step.consumed == 0) break;
    }
    if (out.body.size() > kMaxResponseBody) {
      return Status::ioError("response from " + where + " is too large");
    }
    if (decoder.done()) break;
    in.erase(0, offset);
    offset = 0;
    auto n = conn.readSome(in);
    if (!n.isOk()) return n.status();
    if (n.value() == 0) {
      if (decoder.finishAtEof()) break;
      return Status::ioError("connection closed by " + where + " before the response was complete");
    }
  }
  return out;
}

std::string encodePathSegment(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  return out;
}

}  // namespace causeway::cli
