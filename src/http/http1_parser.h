// Strict, I/O-free HTTP/1.1 message-head parser and body decoder (RFC 9110 / RFC 9112).
//
// Zero-copy: parsed heads hold string_views into the caller's buffer, which must outlive them.
// The parser refuses anything whose framing could be read two ways (request smuggling):
// Transfer-Encoding with Content-Length, differing repeated Content-Length, unknown or repeated
// transfer codings, chunked not last, bad or overflowing chunk sizes, obs-fold, whitespace before
// a colon, invalid characters in names or values, a missing or repeated Host in HTTP/1.1.
// No state is shared: each parser or decoder belongs to one connection, one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace causeway::http {

struct Header {
  std::string_view name;   // as sent (case preserved); compare with equalsIgnoreCase
  std::string_view value;  // leading and trailing whitespace removed
};

struct Limits {
  size_t max_request_line = 8 * 1024;  // longer: kUriTooLong (414)
  size_t max_head_bytes = 32 * 1024;   // request line + headers; longer: kHeadersTooLarge (431)
  size_t max_headers = 100;            // more: kHeadersTooLarge (431)
};

enum class ParseStatus {
  kNeedMore,  // the head is not complete yet; call again with more bytes
  kDone,      // a complete, valid head; `consumed` bytes belong to it
  kError,     // invalid; see ParseResult::error and ::reason
};

enum class HttpError {
  kNone,
  kBadRequest,        // 400
  kUriTooLong,        // 414
  kHeadersTooLarge,   // 431
  kNotImplemented,    // 501: a transfer coding we do not know (still a refused request)
  kVersionNotSupported,  // 505
  kBadResponse,       // an upstream response we cannot trust (the proxy answers 502)
};

// The status code a server answers with for a request error.
int statusFor(HttpError e);

struct ParseResult {
  ParseStatus status = ParseStatus::kNeedMore;
  size_t consumed = 0;           // bytes of the head, including the final CRLF CRLF
  HttpError error = HttpError::kNone;
  std::string_view reason;       // static text for logs, e.g. "Content-Length with Transfer-Encoding"
};

enum class BodyFraming {
  kNone,           // no body
  kContentLength,  // exactly content_length bytes
  kChunked,        // chunked transfer coding
  kUntilClose,     // responses only: the body ends when the connection closes
};

struct RequestHead {
  std::string_view method;  // a token, case-sensitive
  std::string_view target;  // request-target as sent (origin-form, absolute-form, ...)
  int version_minor = 1;    // HTTP/1.<minor>; only 0 and 1 are accepted
  std::vector<Header> headers;
  std::string_view host;    // the Host header value (empty only for HTTP/1.0 without one)
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;        // from version and Connection
  bool expect_continue = false;  // "Expect: 100-continue"
  bool upgrade = false;          // Connection: upgrade with an Upgrade header

  // First header with this name (case-insensitive), or empty.
  std::string_view header(std::string_view name) const;
};

struct ResponseHead {
  int version_minor = 1;
  int status = 0;
  std::string_view reason;
  std::vector<Header> headers;
  BodyFraming framing = BodyFraming::kNone;
  uint64_t content_length = 0;
  bool keep_alive = true;

  std::string_view header(std::string_view name) const;
};

// Parses a request head at the start of `buf`. On kDone, `out` views into `buf`.
// Each call scans `buf` from its start (no state is kept between calls). To keep a client that
// trickles its head byte by byte from costing quadratic time, call again only when the newly read
// bytes contain an LF or the buffer has outgrown the limits; other calls would return kNeedMore.
ParseResult parseRequestHead(std::string_view buf, const Limits& limits, RequestHead& out);

// Parses a response head at the start of `buf`. `request_method` decides whether a body follows
// (HEAD, CONNECT 2xx, 1xx, 204 and 304 have none). Interim 1xx heads are returned like any other;
// the caller loops past them.
ParseResult parseResponseHead(std::string_view buf, std::string_view request_method,
                              const Limits& limits, ResponseHead& out);

// Decodes a message body incrementally. Feed it the bytes after the head; it hands back the body
// data as views into what it was fed, and tells when the body is complete. Trailers of chunked
// bodies are validated and dropped.
class BodyDecoder {
 public:
  struct Step {
    size_t consumed = 0;        // input bytes used by this step (data and framing)
    std::string_view data;      // body bytes found in this step (a view into the input)
    bool done = false;          // the body is complete
    HttpError error = HttpError::kNone;
    std::string_view reason;
  };

  BodyDecoder() = default;
  BodyDecoder(BodyFraming framing, uint64_t content_length);

  // Consumes a prefix of `in`. Call again with the rest while consumed > 0 and !done; when
  // consumed == 0 and !done, more input is needed. For kUntilClose, call finishAtEof() at EOF.
  // Bytes not consumed (an incomplete chunk-size line, CRLF or trailer) must be offered again.
  // An error step consumes nothing and the error is sticky: later calls report it again.
  Step decode(std::string_view in);
  bool done() const { return done_; }
  // The peer closed the connection: true if that correctly ends the body.
  bool finishAtEof();

  // Largest chunk-size line accepted (hex digits, then optional extensions).
  static constexpr size_t kMaxChunkLine = 4096;

 private:
  enum class State { kSize, kData, kDataCrlf, kTrailers, kDone, kError };
  Step fail(HttpError error, std::string_view reason);
  Step decodeChunked(std::string_view in);

  BodyFraming framing_ = BodyFraming::kNone;
  uint64_t remaining_ = 0;
  State state_ = State::kDone;
  bool done_ = true;
  size_t trailer_bytes_ = 0;
  HttpError error_ = HttpError::kNone;  // set in State::kError
  std::string_view error_reason_;
};

// Serialization helpers for the proxy (append to `out`).
void appendChunkHeader(std::string& out, size_t size);  // "<hex>\r\n"
inline constexpr std::string_view kChunkEnd = "\r\n";
inline constexpr std::string_view kLastChunk = "0\r\n\r\n";

// RFC 9110 token character (names, methods, transfer codings).
bool isTokenChar(unsigned char c);

}  // namespace causeway::http
