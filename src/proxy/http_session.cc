#include "proxy/http_session.h"

#include <spdlog/spdlog.h>

#include <array>
#include <asio/connect.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/ssl/error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <random>

#include "base/strings.h"
#include "net/deadline.h"
#include "proxy/io_buffer.h"
#include "proxy/upstream_connect.h"

namespace causeway::proxy {
namespace {

using Clock = std::chrono::steady_clock;
using http::BodyFraming;
constexpr auto kAwait = asio::use_awaitable;
constexpr std::string_view kVia = "1.1 causeway";

// Hop-by-hop fields (RFC 9110 7.6.1) and the framing fields the proxy always rewrites.
bool isHopByHopOrFraming(std::string_view n) {
  switch (n.size()) {
    case 2:
      return equalsIgnoreCase(n, "te");
    case 4:
      return equalsIgnoreCase(n, "host");
    case 6:
      return equalsIgnoreCase(n, "expect");
    case 7:
      return equalsIgnoreCase(n, "trailer") || equalsIgnoreCase(n, "upgrade");
    case 10:
      return equalsIgnoreCase(n, "connection") || equalsIgnoreCase(n, "keep-alive");
    case 14:
      return equalsIgnoreCase(n, "content-length");
    case 16:
      return equalsIgnoreCase(n, "proxy-connection");
    case 17:
      return equalsIgnoreCase(n, "transfer-encoding");
    default:
      return false;
  }
}

bool isForwardingField(std::string_view n) {
  return (n.size() > 12 && equalsIgnoreCase(n.substr(0, 12), "x-forwarded-")) ||
         equalsIgnoreCase(n, "x-real-ip") || equalsIgnoreCase(n, "via");
}

// True if `name` is listed as a token in a Connection header value (it is then hop-by-hop too).
bool listedInConnection(std::string_view connection, std::string_view name) {
  while (!connection.empty()) {
    size_t comma = connection.find(',');
    std::string_view token = trimOws(connection.substr(0, comma));
    if (equalsIgnoreCase(token, name)) return true;
    if (comma == std::string_view::npos) break;
    connection.remove_prefix(comma + 1);
  }
  return false;
}

std::string_view connectionValue(std::span<const http::Header> headers, std::string& joined) {
  size_t count = 0;
  std::string_view single;
  for (const auto& h : headers) {
    if (equalsIgnoreCase(h.name, "connection")) {
      if (count++ == 0) {
        single = h.value;
      } else {
        if (count == 2) joined.assign(single);
        joined += ',';
        joined.append(h.value);
      }
    }
  }
  return count > 1 ? std::string_view(joined) : single;
}

void appendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

bool listedIn(const std::vector<std::string>& names, std::string_view name) {
  for (const std::string& n : names) {
    if (equalsIgnoreCase(n, name)) return true;
  }
  return false;
}

std::string hostHeaderFor(const Endpoint& ep, bool tls) {
  std::string h = ep.host.find(':') != std::string::npos ? "[" + ep.host + "]" : ep.host;
  if ((tls && ep.port != 443) || (!tls && ep.port != 80)) h += ":" + std::to_string(ep.port);
  return h;
}

std::string isoNow() {
  char buf[40];
  std::time_t t = std::time(nullptr);
  std::tm tm;
  gmtime_r(&t, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// What the proxy learnt from one exchange, for metrics and the access log.
struct Outcome {
  int status = 0;
  uint64_t bytes_sent = 0;
  std::string upstream;  // "ip:port" of the last endpoint tried
};

enum class BodyResult { kOk, kClientError, kClientGone, kUpstreamGone, kTimeout, kBadBody };

class Session {
 public:
  Session(Worker& w, std::unique_ptr<net::Stream> client, ConnectionInfo info)
      : w_(w), client_(std::move(client)), info_(std::move(info)) {
    deadline_ = std::make_shared<net::Deadline>(w_.io(), [this] {
      if (victim_) victim_->close();
    });
  }
  ~Session() { deadline_->cancel(); }

  asio::awaitable<void> run();

 private:
  // Reads the next request head into in_; false when the connection should just close.
  asio::awaitable<bool> readHead(http::RequestHead& head, size_t& head_len, bool first);
  // Writes a complete local response. Returns false if the write failed.
  asio::awaitable<bool> sendLocal(int status, std::string_view body, bool close,
                                  std::string_view content_type = "application/json; charset=utf-8",
                                  std::string_view extra_headers = {});
  // Forwards one request; returns whether the client connection may carry another request.
  asio::awaitable<bool> forward(http::RequestHead& head, size_t head_len, ForwardPlan& plan,
                                WorkerSnapshot& snap, Outcome& outcome);
  asio::awaitable<bool> connectUpstream(const Cluster& c, const Endpoint& ep, std::string& error);
  // The pause before retry number `n` (0-based): base x 2^n, jittered, at most max.
  asio::awaitable<void> backoff(const RetryOn& r, int n);
  asio::awaitable<BodyResult> sendRequestBody(BodyFraming framing, uint64_t length,
                                              const Cluster& c);
  // Streams the response body to the client; `head` (the response head) goes out with the first
  // piece of body, so a small response costs one write.
  asio::awaitable<BodyResult> sendResponseBody(std::string& head, BodyFraming from,
                                               bool chunk_to_client, uint64_t length,
                                               const Cluster& c, uint64_t& sent);

  void arm(net::Stream* victim, std::chrono::milliseconds d) {
    victim_ = victim;
    deadline_->expiresAfter(d);
  }
  void logAccess(std::string_view method, std::string_view path, const Outcome& o,
                 const ForwardPlan* plan, double seconds);

  Worker& w_;
  std::unique_ptr<net::Stream> client_;
  std::unique_ptr<net::Stream> upstream_;
  ConnectionInfo info_;
  IoBuffer in_;  // client bytes
  IoBuffer up_;  // upstream bytes
  std::shared_ptr<net::Deadline> deadline_;
  net::Stream* victim_ = nullptr;
  std::string scratch_;
  http::ResponseHead resp_;  // reused across requests: the parser keeps its header storage
};

asio::awaitable<bool> Session::readHead(http::RequestHead& head, size_t& head_len, bool first) {
  const auto& opt = w_.options();
  const auto& limits = opt.limits;
  const size_t max_buffer = limits.max_request_line + limits.max_head_bytes + 1024;
  bool started = !in_.empty();
  bool reparse = true;
  arm(client_.get(), started || first ? opt.header_timeout : opt.keepalive_timeout);
  for (;;) {
    // Re-parse only when a line may have ended: a client sending its head byte by byte must not
    // cost quadratic time (the parser keeps no state between calls).
    if (!in_.empty() && (reparse || in_.size() > limits.max_head_bytes)) {
      auto r = http::parseRequestHead(in_.view(), limits, head);
      if (r.status == http::ParseStatus::kDone) {
        head_len = r.consumed;
        co_return true;
      }
      if (r.status == http::ParseStatus::kError) {
        int status = http::statusFor(r.error);
        co_await sendLocal(status, kongErrorBody(kongDefaultMessage(status)), true);
        co_return false;
      }
    }
    std::error_code ec;
    if (in_.empty()) in_.release();  // idle connections keep at most a small block
    size_t len = 0;
    char* p = in_.writable(&len);
    if (len == 0) {
      if (in_.capacity() >= max_buffer) {
        co_await sendLocal(431, kongErrorBody(kongDefaultMessage(431)), true);
        co_return false;
      }
      in_.reserve(in_.capacity() < IoBuffer::kBlock ? IoBuffer::kBlock : max_buffer);
      p = in_.writable(&len);
    }
    size_t n = co_await client_->readSome(asio::buffer(p, len), ec);
    if (ec) co_return false;  // closed, reset, or timed out (a stalled head is just closed)
    reparse = std::memchr(p, '\n', n) != nullptr;
    in_.commit(n);
    if (!started) {
      started = true;
      arm(client_.get(), opt.header_timeout);
    }
  }
}

asio::awaitable<bool> Session::sendLocal(int status, std::string_view body, bool close,
                                         std::string_view content_type,
                                         std::string_view extra_headers) {
  std::string out;
  out.reserve(256 + body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  std::string_view reason = kongDefaultMessage(status);
  switch (status) {  // reason phrases are informational; keep the standard ones
    case 200:
      reason = "OK";
      break;
    case 400:
      reason = "Bad Request";
      break;
    case 404:
      reason = "Not Found";
      break;
    case 408:
      reason = "Request Timeout";
      break;
    case 414:
      reason = "URI Too Long";
      break;
    case 426:
      reason = "Upgrade Required";
      break;
    case 431:
      reason = "Request Header Fields Too Large";
      break;
    case 501:
      reason = "Not Implemented";
      break;
    case 502:
      reason = "Bad Gateway";
      break;
    case 503:
      reason = "Service Unavailable";
      break;
    case 504:
      reason = "Gateway Timeout";
      break;
    case 505:
      reason = "HTTP Version Not Supported";
      break;
    default:
      break;
  }
  out += reason;
  out += "\r\nServer: causeway\r\nContent-Type: ";
  out += content_type;
  out += "\r\nContent-Length: ";
  out += std::to_string(body.size());
  out += "\r\n";
  out += extra_headers;
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  out += body;
  arm(client_.get(), w_.options().send_timeout);
  std::error_code ec;
  co_await client_->writeAll(asio::buffer(out), ec);
  co_return !ec;
}

asio::awaitable<bool> Session::connectUpstream(const Cluster& c, const Endpoint& ep,
                                               std::string& error) {
  upstream_ = co_await connectEndpoint(
      w_, c, ep, [this](net::Stream* s, std::chrono::milliseconds d) { arm(s, d); },
      [this] { return deadline_->expired(); }, error);
  if (!upstream_) {  // the stream being connected was destroyed with the failure
    victim_ = nullptr;
    deadline_->disarm();
  }
  co_return upstream_ != nullptr;
}

asio::awaitable<void> Session::backoff(const RetryOn& r, int n) {
  // The upstream the watchdog points at is gone: nothing may close it while we wait.
  victim_ = nullptr;
  deadline_->disarm();
  if (r.backoff_base.count() <= 0) co_return;
  auto d = r.backoff_base * (int64_t(1) << std::min(n, 16));
  if (r.backoff_max.count() > 0) d = std::min(d, r.backoff_max);
  thread_local std::minstd_rand rng{std::random_device{}()};
  d = d / 2 + std::chrono::milliseconds(rng() % (d.count() / 2 + 1));  // 50-100%
  asio::steady_timer t(w_.io(), d);
  std::error_code ec;
  co_await t.async_wait(asio::redirect_error(kAwait, ec));
}

asio::awaitable<BodyResult> Session::sendRequestBody(BodyFraming framing, uint64_t length,
                                                     const Cluster& c) {
  const auto body_timeout = w_.options().body_timeout;
  const auto write_timeout = std::chrono::milliseconds(c.write_timeout_ms);
  std::error_code ec;
  in_.reserve(IoBuffer::kBlock);  // bodies stream through a large block
  if (framing == BodyFraming::kContentLength) {
    uint64_t remaining = length;
    while (remaining > 0) {
      if (in_.empty()) {
        size_t len = 0;
        char* p = in_.writable(&len);
        arm(client_.get(), body_timeout);
        size_t n = co_await client_->readSome(asio::buffer(p, len), ec);
        if (ec) co_return deadline_->expired() ? BodyResult::kTimeout : BodyResult::kClientGone;
        in_.commit(n);
      }
      size_t take = size_t(std::min<uint64_t>(remaining, in_.size()));
      arm(upstream_.get(), write_timeout);
      co_await upstream_->writeAll(asio::buffer(in_.view().data(), take), ec);
      if (ec) co_return deadline_->expired() ? BodyResult::kTimeout : BodyResult::kUpstreamGone;
      in_.consume(take);
      remaining -= take;
    }
    co_return BodyResult::kOk;
  }
  // Chunked: decode strictly, re-encode canonically (no extensions, no trailers upstream).
  http::BodyDecoder decoder(BodyFraming::kChunked, 0);
  char size_line[24];
  for (;;) {
    auto step = decoder.decode(in_.view());
    if (step.error != http::HttpError::kNone) co_return BodyResult::kBadBody;
    if (!step.data.empty()) {
      int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", step.data.size());
      asio::const_buffer bufs[3] = {asio::buffer(size_line, size_t(n)), asio::buffer(step.data),
                                    asio::buffer(http::kChunkEnd)};
      arm(upstream_.get(), write_timeout);
      co_await upstream_->writeAll(bufs, ec);
      if (ec) co_return deadline_->expired() ? BodyResult::kTimeout : BodyResult::kUpstreamGone;
    }
    in_.consume(step.consumed);
    if (step.done) {
      arm(upstream_.get(), write_timeout);
      co_await upstream_->writeAll(asio::buffer(http::kLastChunk), ec);
      if (ec) co_return deadline_->expired() ? BodyResult::kTimeout : BodyResult::kUpstreamGone;
      co_return BodyResult::kOk;
    }
    if (step.consumed == 0) {
      size_t len = 0;
      char* p = in_.writable(&len);
      if (len == 0) co_return BodyResult::kBadBody;  // a chunk line longer than the buffer
      arm(client_.get(), body_timeout);
      size_t n = co_await client_->readSome(asio::buffer(p, len), ec);
      if (ec) co_return deadline_->expired() ? BodyResult::kTimeout : BodyResult::kClientGone;
      in_.commit(n);
    }
  }
}

asio::awaitable<BodyResult> Session::sendResponseBody(std::string& head, BodyFraming from,
                                                      bool chunk_to_client, uint64_t length,
                                                      const Cluster& c, uint64_t& sent) {
  const auto read_timeout = std::chrono::milliseconds(c.read_timeout_ms);
  const auto send_timeout = w_.options().send_timeout;
  http::BodyDecoder decoder(from, length);
  char size_line[24];
  std::error_code ec;
  bool eof = false;
  bool head_sent = false;
  for (;;) {
    auto step = decoder.decode(up_.view());
    if (step.error != http::HttpError::kNone) co_return BodyResult::kBadBody;
    if (!step.data.empty() || (step.done && !head_sent)) {
      std::array<asio::const_buffer, 5> bufs;
      size_t n = 0;
      if (!head_sent) bufs[n++] = asio::buffer(head);
      if (!step.data.empty()) {
        if (chunk_to_client) {
          int k = std::snprintf(size_line, sizeof size_line, "%zx\r\n", step.data.size());
          bufs[n++] = asio::buffer(size_line, size_t(k));
          bufs[n++] = asio::buffer(step.data);
          bufs[n++] = asio::buffer(http::kChunkEnd);
        } else {
          bufs[n++] = asio::buffer(step.data);
        }
      }
      if (step.done && chunk_to_client) bufs[n++] = asio::buffer(http::kLastChunk);
      arm(client_.get(), send_timeout);
      co_await client_->writeAll(std::span<const asio::const_buffer>(bufs.data(), n), ec);
      if (ec) co_return BodyResult::kClientGone;
      head_sent = true;
      sent += step.data.size();
      if (step.done) {
        up_.consume(step.consumed);
        co_return BodyResult::kOk;
      }
    }
    up_.consume(step.consumed);
    if (step.done) break;
    if (step.consumed == 0) {
      if (eof) {
        if (!decoder.finishAtEof()) co_return BodyResult::kUpstreamGone;
        break;
      }
      if (!head_sent) {  // nothing to send with the head yet: do not hold it back
        arm(client_.get(), send_timeout);
        co_await client_->writeAll(asio::buffer(head), ec);
        if (ec) co_return BodyResult::kClientGone;
        head_sent = true;
      }
      size_t len = 0;
      char* p = up_.writable(&len);
      if (len == 0) co_return BodyResult::kBadBody;
      arm(upstream_.get(), read_timeout);
      size_t n = co_await upstream_->readSome(asio::buffer(p, len), ec);
      if (ec) {
        if (deadline_->expired()) co_return BodyResult::kTimeout;
        if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
          eof = true;
          continue;
        }
        co_return BodyResult::kUpstreamGone;
      }
      up_.commit(n);
    }
  }
  // Ended by EOF (until-close) or an empty body.
  std::array<asio::const_buffer, 2> bufs;
  size_t n = 0;
  if (!head_sent) bufs[n++] = asio::buffer(head);
  if (chunk_to_client) bufs[n++] = asio::buffer(http::kLastChunk);
  if (n > 0) {
    arm(client_.get(), send_timeout);
    co_await client_->writeAll(std::span<const asio::const_buffer>(bufs.data(), n), ec);
    if (ec) co_return BodyResult::kClientGone;
  }
  co_return BodyResult::kOk;
}

asio::awaitable<bool> Session::forward(http::RequestHead& head, size_t head_len, ForwardPlan& plan,
                                       WorkerSnapshot& snap, Outcome& outcome) {
  const Cluster& cluster = *plan.cluster;
  const BodyFraming req_framing = head.framing;
  const uint64_t req_length = head.content_length;
  const bool client_http11 = head.version_minor == 1;
  const bool client_keep_alive = head.keep_alive;
  const bool expect_continue = head.expect_continue;
  const std::string method(head.method);

  // Everything of the upstream head but the request line and Host, copied out of the client
  // buffer so that the buffer can be reused for the body.
  std::string joined;
  std::string_view connection = connectionValue(head.headers, joined);
  PooledString rest_buf(w_.strings());
  std::string& rest = *rest_buf;
  rest.reserve(head_len + plan.extra_headers.size() + 64);
  for (const auto& h : head.headers) {
    if (isHopByHopOrFraming(h.name)) continue;
    if (plan.replace_forwarded && isForwardingField(h.name)) continue;
    if (listedIn(plan.remove_headers, h.name)) continue;
    if (!connection.empty() && listedInConnection(connection, h.name)) continue;
    appendHeader(rest, h.name, h.value);
  }
  rest += plan.extra_headers;
  if (req_framing == BodyFraming::kContentLength) {
    appendHeader(rest, "Content-Length", std::to_string(req_length));
  } else if (req_framing == BodyFraming::kChunked) {
    rest += "Transfer-Encoding: chunked\r\n";
  }
  rest += "\r\n";
  in_.consume(head_len);  // `head` must not be read past this point

  // Circuit breaking: at most max_requests in flight to the cluster on this worker.
  auto slot = w_.acquire(cluster.name, cluster.max_requests);
  if (!slot) {
    w_.stats().upstreamError(plan.service_label, "overflow");
    outcome.status = 503;
    co_await sendLocal(
        503,
        kongErrorBody("upstream overflow: " + std::to_string(cluster.max_requests) +
                      " requests in flight to '" + cluster.name + "' (circuit breaker)"),
        req_framing != BodyFraming::kNone);
    co_return req_framing == BodyFraming::kNone&& client_keep_alive;
  }
  LoadBalancer& lb = snap.balancer(cluster);
  // Endpoints out by outlier detection or health checks count as tried from the start.
  const std::vector<size_t> excluded = w_.health().excluded(cluster, Clock::now());
  std::vector<size_t> tried = excluded;
  int attempts_left = cluster.retries + 1;
  int retries_done = 0;
  std::string last_error;
  bool fresh_retry_done = false;
  for (;;) {
    auto picked = lb.pick(plan.hash_key, tried);
    if (!picked && tried.size() > excluded.size() && attempts_left > 0) {
      // Every endpoint failed once and retries remain: Kong goes round again.
      tried = excluded;
      picked = lb.pick(plan.hash_key, tried);
    }
    if (!picked) {
      int status = 503;
      std::string msg = cluster.no_endpoint_message;
      if (!tried.empty()) {
        status = last_error == "connect_timeout" ? 504 : last_error == "dns" ? 503 : 502;
        msg = status == 503 ? "name resolution failed" : std::string(kongDefaultMessage(status));
      }
      outcome.status = status;
      co_await sendLocal(status, kongErrorBody(msg), req_framing != BodyFraming::kNone);
      co_return false;
    }
    const size_t idx = *picked;
    const Endpoint& ep = cluster.endpoints[idx];
    outcome.upstream = ep.host + ":" + std::to_string(ep.port);
    const std::string& key = cluster.pool_keys[idx];
    // A request with a body cannot be replayed once sent: check its connection before use.
    upstream_ = fresh_retry_done ? nullptr : w_.pool().take(key, req_framing != BodyFraming::kNone);
    const bool reused = upstream_ != nullptr;
    if (!reused) {
      std::string error;
      bool ok = co_await connectUpstream(cluster, ep, error);
      if (!ok) {
        upstream_.reset();
        w_.health().record(cluster, key, 0, Clock::now());
        w_.stats().upstreamError(plan.service_label, error);
        spdlog::error("upstream {} of service {} failed: {} (attempts left {})", outcome.upstream,
                      plan.service_label, error, attempts_left - 1);
        tried.push_back(idx);
        last_error = error;
        if (--attempts_left > 0) {
          co_await backoff(cluster.retry_on, retries_done++);
          continue;
        }
        int status = error == "connect_timeout" ? 504 : error == "dns" ? 503 : 502;
        std::string msg =
            status == 503 ? "name resolution failed" : std::string(kongDefaultMessage(status));
        outcome.status = status;
        co_await sendLocal(status, kongErrorBody(msg), req_framing != BodyFraming::kNone);
        co_return false;
      }
    }
    lb.onStart(idx);
    struct EndGuard {
      LoadBalancer& lb;
      size_t i;
      ~EndGuard() { lb.onEnd(i); }
    } end_guard{lb, idx};

    PooledString out_buf(w_.strings());
    std::string& out = *out_buf;
    out.reserve(method.size() + plan.target.size() + rest.size() + 64);
    out += method;
    out += ' ';
    out += plan.target;
    out += " HTTP/1.1\r\nHost: ";
    if (plan.host) {
      out += *plan.host;
    } else if (cluster.host_header) {
      out += *cluster.host_header;
    } else {
      out += hostHeaderFor(ep, cluster.tls);
    }
    out += "\r\n";
    out += rest;

    std::error_code ec;
    // A small Content-Length body already buffered goes out with the head in one write.
    size_t inline_body = 0;
    if (req_framing == BodyFraming::kContentLength && !expect_continue &&
        in_.size() >= req_length) {
      inline_body = size_t(req_length);
    }
    asio::const_buffer head_bufs[2] = {asio::buffer(out),
                                       asio::buffer(in_.view().data(), inline_body)};
    arm(upstream_.get(), std::chrono::milliseconds(cluster.write_timeout_ms));
    co_await upstream_->writeAll(head_bufs, ec);
    if (ec) {
      bool timeout = deadline_->expired();
      upstream_.reset();
      if (reused && !fresh_retry_done) {  // a stale pooled connection: retry once on a new one
        fresh_retry_done = true;
        continue;
      }
      w_.stats().upstreamError(plan.service_label, timeout ? "write_timeout" : "write_error");
      outcome.status = timeout ? 504 : 502;
      co_await sendLocal(outcome.status, kongErrorBody(kongDefaultMessage(outcome.status)), true);
      co_return false;
    }
    in_.consume(inline_body);

    bool request_done = req_framing == BodyFraming::kNone || inline_body > 0;
    if (!request_done) {
      if (expect_continue && in_.empty()) {
        static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
        arm(client_.get(), w_.options().send_timeout);
        co_await client_->writeAll(asio::buffer(kContinue), ec);
        if (ec) co_return false;
      }
      BodyResult br = co_await sendRequestBody(req_framing, req_length, cluster);
      if (br != BodyResult::kOk) {
        upstream_.reset();
        if (br == BodyResult::kBadBody) {
          outcome.status = 400;
          co_await sendLocal(400, kongErrorBody(kongDefaultMessage(400)), true);
        } else if (br == BodyResult::kUpstreamGone || br == BodyResult::kTimeout) {
          bool upstream_side = victim_ != client_.get();
          if (upstream_side) {
            w_.stats().upstreamError(plan.service_label,
                                     br == BodyResult::kTimeout ? "write_timeout" : "write_error");
            outcome.status = br == BodyResult::kTimeout ? 504 : 502;
            co_await sendLocal(outcome.status, kongErrorBody(kongDefaultMessage(outcome.status)),
                               true);
          } else {
            outcome.status = 408;
          }
        } else {
          outcome.status = 499;  // client closed (nginx's convention)
        }
        co_return false;
      }
    }

    // Response head; interim 1xx responses are dropped (100 Continue was answered by us).
    http::ResponseHead& resp = resp_;
    size_t resp_head_len = 0;
    const auto read_timeout = std::chrono::milliseconds(cluster.read_timeout_ms);
    bool got_any = false;
    up_.reserve(IoBuffer::kBlock);
    for (;;) {
      if (!up_.empty()) {
        auto r = http::parseResponseHead(up_.view(), method, w_.options().limits, resp);
        if (r.status == http::ParseStatus::kDone) {
          if (resp.status >= 100 && resp.status < 200) {
            up_.consume(r.consumed);
            continue;
          }
          resp_head_len = r.consumed;
          break;
        }
        if (r.status == http::ParseStatus::kError) {
          ec = asio::error::invalid_argument;
          break;
        }
      }
      size_t len = 0;
      char* p = up_.writable(&len);
      if (len == 0) {
        if (up_.capacity() > IoBuffer::kBlock) {
          ec = asio::error::message_size;
          break;
        }
        up_.reserve(w_.options().limits.max_head_bytes + 1024);
        p = up_.writable(&len);
      }
      arm(upstream_.get(), read_timeout);
      size_t n = co_await upstream_->readSome(asio::buffer(p, len), ec);
      if (ec) break;
      got_any = true;
      up_.commit(n);
    }
    if (ec) {
      bool timeout = deadline_->expired();
      upstream_.reset();
      up_.consume(up_.size());
      if (reused && !got_any && !fresh_retry_done && req_framing == BodyFraming::kNone &&
          !timeout) {
        fresh_retry_done = true;  // the pooled connection was closed under us: replay once
        continue;
      }
      w_.health().record(cluster, key, 0, Clock::now());
      if (cluster.retry_on.reset && cluster.retry_on.method(method) && !timeout &&
          req_framing == BodyFraming::kNone && --attempts_left > 0) {
        tried.push_back(idx);
        last_error = "reset";
        co_await backoff(cluster.retry_on, retries_done++);
        continue;
      }
      const char* kind = timeout ? "read_timeout"
                         : ec == asio::error::invalid_argument || ec == asio::error::message_size
                             ? "bad_response"
                             : "reset";
      w_.stats().upstreamError(plan.service_label, kind);
      outcome.status = timeout ? 504 : 502;
      co_await sendLocal(outcome.status, kongErrorBody(kongDefaultMessage(outcome.status)),
                         !client_keep_alive);
      co_return client_keep_alive;
    }

    w_.health().record(cluster, key, resp.status, Clock::now());
    if (cluster.retry_on.status(resp.status) && cluster.retry_on.method(method) &&
        req_framing == BodyFraming::kNone && attempts_left > 1) {
      // Retried on another endpoint: this answer is dropped with its connection.
      --attempts_left;
      upstream_.reset();
      up_.consume(up_.size());
      tried.push_back(idx);
      last_error = "status";
      w_.stats().upstreamError(plan.service_label, "retried_status");
      co_await backoff(cluster.retry_on, retries_done++);
      continue;
    }

    // Response head to the client.
    const bool has_body = resp.framing != BodyFraming::kNone;
    const bool chunk_to_client = client_http11 && (resp.framing == BodyFraming::kChunked ||
                                                   resp.framing == BodyFraming::kUntilClose);
    bool close_client = !client_keep_alive ||
                        (!client_http11 && resp.framing != BodyFraming::kContentLength && has_body);
    PooledString resp_buf(w_.strings());
    std::string& resp_out = *resp_buf;
    resp_out.reserve(resp_head_len + 128);
    resp_out += "HTTP/1.1 ";
    resp_out += std::to_string(resp.status);
    resp_out += ' ';
    resp_out.append(resp.reason);
    resp_out += "\r\n";
    std::string rjoined;
    std::string_view rconn = connectionValue(resp.headers, rjoined);
    std::string via;
    for (const auto& h : resp.headers) {
      if (equalsIgnoreCase(h.name, "content-length")) {
        if (!has_body) appendHeader(resp_out, h.name, h.value);  // HEAD and 304 keep it
        continue;
      }
      if (isHopByHopOrFraming(h.name)) continue;
      if (!rconn.empty() && listedInConnection(rconn, h.name)) continue;
      if (listedIn(plan.response_remove_headers, h.name)) continue;
      if (equalsIgnoreCase(h.name, "via")) {
        if (!via.empty()) via += ", ";
        via.append(h.value);
        continue;
      }
      appendHeader(resp_out, h.name, h.value);
    }
    resp_out += plan.response_extra_headers;
    via += via.empty() ? kVia : ", " + std::string(kVia);
    appendHeader(resp_out, "Via", via);
    if (resp.framing == BodyFraming::kContentLength) {
      appendHeader(resp_out, "Content-Length", std::to_string(resp.content_length));
    } else if (chunk_to_client) {
      resp_out += "Transfer-Encoding: chunked\r\n";
    }
    if (close_client) {
      resp_out += "Connection: close\r\n";
    } else if (!client_http11) {
      resp_out += "Connection: keep-alive\r\n";
    }
    resp_out += "\r\n";
    up_.consume(resp_head_len);
    outcome.status = resp.status;
    uint64_t sent = 0;
    if (resp.framing == BodyFraming::kContentLength && up_.size() >= resp.content_length) {
      // The whole body came with the head (the common small response): what sendResponseBody
      // would do, without its loop and coroutine frame.
      const size_t body_len = size_t(resp.content_length);
      asio::const_buffer bufs[2] = {asio::buffer(resp_out),
                                    asio::buffer(up_.view().data(), body_len)};
      arm(client_.get(), w_.options().send_timeout);
      co_await client_->writeAll(bufs, ec);
      if (ec) {
        upstream_.reset();
        co_return false;
      }
      up_.consume(body_len);
      outcome.bytes_sent = body_len;
    } else if (has_body) {
      BodyResult br = co_await sendResponseBody(resp_out, resp.framing, chunk_to_client,
                                                resp.content_length, cluster, sent);
      outcome.bytes_sent = sent;
      if (br != BodyResult::kOk) {
        if (br == BodyResult::kTimeout) {
          w_.stats().upstreamError(plan.service_label, "read_timeout");
        } else if (br != BodyResult::kClientGone) {
          w_.stats().upstreamError(plan.service_label, "reset");
        }
        upstream_.reset();
        co_return false;  // the response is cut short: closing tells the client
      }
    } else {
      arm(client_.get(), w_.options().send_timeout);
      co_await client_->writeAll(asio::buffer(resp_out), ec);
      if (ec) co_return false;
    }
    if (resp.keep_alive && resp.framing != BodyFraming::kUntilClose && up_.empty()) {
      up_.release();
      w_.pool().put(key, std::move(upstream_));
    } else {
      upstream_.reset();
      up_.consume(up_.size());
      up_.release();
    }
    co_return !close_client;
  }
}

void Session::logAccess(std::string_view method, std::string_view path, const Outcome& o,
                        const ForwardPlan* plan, double seconds) {
  const observe::AccessLog* log = w_.accessLog();
  if (!log) return;
  std::string line;
  line.reserve(256);
  line += "{\"time\":\"" + isoNow() + "\",\"client_ip\":\"" + jsonEscape(info_.client_ip) +
          "\",\"method\":\"" + jsonEscape(method) + "\",\"path\":\"" + jsonEscape(path) +
          "\",\"status\":" + std::to_string(o.status) +
          ",\"bytes_sent\":" + std::to_string(o.bytes_sent) +
          ",\"latency_ms\":" + std::to_string(seconds * 1000.0);
  if (plan) {
    line += ",\"service\":\"" + jsonEscape(plan->service_label) + "\",\"route\":\"" +
            jsonEscape(plan->route_label) + "\",\"upstream\":\"" + jsonEscape(o.upstream) + "\"";
  }
  line += ",\"tls\":";
  line += info_.tls ? "true" : "false";
  line += "}\n";
  log->write(line);
}

asio::awaitable<void> Session::run() {
  w_.stats().connectionOpened();
  bool first = true;
  http::RequestHead head;  // reused: the parser clears it but keeps its header storage
  for (;;) {
    size_t head_len = 0;
    if (!co_await readHead(head, head_len, first)) break;
    first = false;
    const auto start = Clock::now();
    auto snap = w_.snapshot();  // this request finishes on this snapshot, even across a reload
    Decision decision = snap->config().dispatch(head, info_);
    if (auto* reply = std::get_if<LocalReply>(&decision)) {
      // A body we do not read cannot be skipped safely: close after answering.
      bool close = !head.keep_alive || head.framing != BodyFraming::kNone;
      const bool logging = w_.accessLog() != nullptr;
      std::string method(logging ? head.method : ""), target(logging ? head.target : "");
      in_.consume(head_len);
      bool ok = co_await sendLocal(reply->status, reply->body, close, reply->content_type,
                                   reply->extra_headers);
      Outcome o;
      o.status = reply->status;
      o.bytes_sent = reply->body.size();
      double secs = std::chrono::duration<double>(Clock::now() - start).count();
      w_.stats().request("", "", reply->status, secs);
      logAccess(method, target, o, nullptr, secs);
      if (!ok || close) break;
      continue;
    }
    ForwardPlan& plan = std::get<ForwardPlan>(decision);
    const bool logging = w_.accessLog() != nullptr;
    std::string method(logging ? head.method : ""), target(logging ? head.target : "");
    Outcome o;
    bool keep = co_await forward(head, head_len, plan, *snap, o);
    double secs = std::chrono::duration<double>(Clock::now() - start).count();
    w_.stats().request(plan.service_label, plan.route_label, o.status, secs);
    logAccess(method, target, o, &plan, secs);
    if (!keep) break;
  }
  deadline_->cancel();
  client_->close();
  if (upstream_) upstream_->close();
  w_.stats().connectionClosed();
}

}  // namespace

asio::awaitable<void> serveHttp(Worker& worker, std::unique_ptr<net::Stream> client,
                                ConnectionInfo info) {
  Session s(worker, std::move(client), std::move(info));
  co_await s.run();
}

}  // namespace causeway::proxy
