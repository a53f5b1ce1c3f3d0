// Strict HTTP/1.1 head parser and body decoder. See http1_parser.h for the contract.
//
// Design notes
// - Stateless head parsing: parseRequestHead/parseResponseHead look at the whole buffer every time
//   and either finish, fail, or ask for more. Heads are bounded by Limits (32 KiB by default), so
//   re-scanning on each read costs little and keeps the parser free of hidden state.
// - Lines are found with memchr and validated with one 256-entry class table. Nothing allocates
//   except RequestHead/ResponseHead::headers (its capacity is reused across messages).
// - Errors are detected as early as the bytes allow and always in byte order, so a head fed in
//   pieces yields kNeedMore until it yields exactly the result of the whole head. Limits on a line
//   that is not complete yet only fire when the complete line is certain to exceed them.
// - CRLF is required everywhere (heads, chunk lines, trailers). RFC 9112 section 2.2 lets a
//   recipient accept a bare LF; a proxy that does so while the next hop does not is a smuggling
//   vector, so a bare LF is a 400 here.
#include "http/http1_parser.h"

#include <array>
#include <cstring>
#include <limits>

#include "base/strings.h"

namespace causeway::http {
namespace {

// ---------------------------------------------------------------------------------------------
// Character classes (one bit each in a 256-entry table).

constexpr uint8_t kTokenChar = 1;   // tchar, RFC 9110 section 5.6.2
constexpr uint8_t kFieldChar = 2;   // field-vchar / SP / HTAB / obs-text (RFC 9110 section 5.5)
constexpr uint8_t kTargetChar = 4;  // request-target bytes: visible ASCII and obs-text
constexpr uint8_t kHostChar = 8;    // reg-name, IP-literal and port characters (RFC 3986)
constexpr uint8_t kHexChar = 16;
constexpr uint8_t kQdTextChar = 32;  // qdtext, RFC 9110 section 5.6.4

constexpr bool inSet(int c, std::string_view set) {
  for (char s : set) {
    if (static_cast<unsigned char>(s) == c) return true;
  }
  return false;
}

constexpr std::array<uint8_t, 256> makeCharTable() {
  std::array<uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    const bool digit = c >= '0' && c <= '9';
    uint8_t f = 0;
    if (alpha || digit || inSet(c, "!#$%&'*+-.^_`|~")) f |= kTokenChar;
    if (c == '\t' || (c >= 0x20 && c != 0x7f)) f |= kFieldChar;
    // The target is ASCII by RFC 3986, but raw UTF-8 is common in the wild and cannot shift a
    // message boundary, so obs-text is let through (as nginx does). SP, CTLs and DEL are not.
    if (c > 0x20 && c != 0x7f) f |= kTargetChar;
    if (alpha || digit || inSet(c, "-._~!$&'()*+,;=%:[]")) f |= kHostChar;
    if (digit || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) f |= kHexChar;
    if (c == '\t' || c == ' ' || c == 0x21 || (c >= 0x23 && c <= 0x5b) ||
        (c >= 0x5d && c <= 0x7e) || c >= 0x80) {
      f |= kQdTextChar;
    }
    t[static_cast<size_t>(c)] = f;
  }
  return t;
}

constexpr std::array<uint8_t, 256> kCharClass = makeCharTable();

inline bool hasClass(char c, uint8_t cls) {
  return (kCharClass[static_cast<unsigned char>(c)] & cls) != 0;
}
inline bool isOws(char c) { return c == ' ' || c == '\t'; }

// SWAR screening, 8 bytes per step: a word with no byte below `below` and no DEL cannot hold an
// invalid field-value or target byte, so only words with a suspect byte (HTAB, a CTL, SP in a
// target) are checked one byte at a time against the exact class.
constexpr uint64_t kEachByte = 0x0101010101010101ull;
constexpr uint64_t kHighBits = 0x8080808080808080ull;

inline uint64_t load64(const char* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
// Nonzero if a byte of x is below n (n <= 128). May also flag bytes above a true hit.
inline uint64_t anyByteBelow(uint64_t x, uint8_t n) { return (x - kEachByte * n) & ~x & kHighBits; }
inline uint64_t anyByteEqual(uint64_t x, uint8_t c) { return anyByteBelow(x ^ (kEachByte * c), 1); }

// Offset of the first byte of `s` outside class `cls`, or s.size(). Every byte outside `cls`
// must be below `below` or DEL.
inline size_t findFirstOutside(std::string_view s, uint8_t cls, uint8_t below) {
  const char* p = s.data();
  const size_t n = s.size();
  size_t i = 0;
  while (true) {
    while (i + 8 <= n) {
      const uint64_t x = load64(p + i);
      if ((anyByteBelow(x, below) | anyByteEqual(x, 0x7f)) != 0) break;
      i += 8;
    }
    const size_t stop = i + 8 < n ? i + 8 : n;
    for (; i < stop; ++i) {
      if (!hasClass(p[i], cls)) return i;
    }
    if (i == n) return n;
  }
}

inline std::string_view trimOwsView(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && isOws(s[b])) ++b;
  while (e > b && isOws(s[e - 1])) --e;
  return s.substr(b, e - b);
}

// `lower` is a lower-case literal.
inline bool equalsLower(std::string_view s, std::string_view lower) {
  if (s.size() != lower.size()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (asciiLower(s[i]) != lower[i]) return false;
  }
  return true;
}

// Calls f(element) for each comma-separated element of a list value, OWS trimmed. Empty elements
// are passed too; each caller decides (RFC 9110 section 5.6.1 says to ignore them in lists).
template <class F>
bool forEachListElement(std::string_view value, F&& f) {
  while (true) {
    const size_t comma = value.find(',');
    if (!f(trimOwsView(value.substr(0, comma)))) return false;
    if (comma == std::string_view::npos) return true;
    value.remove_prefix(comma + 1);
  }
}

// Decimal Content-Length: digits only, at most 2^63 - 1.
bool parseContentLength(std::string_view s, uint64_t& out) {
  if (s.empty()) return false;
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const uint64_t d = static_cast<uint64_t>(c - '0');
    if (v > (kMax - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

ParseResult fail(HttpError e, std::string_view reason) {
  ParseResult r;
  r.status = ParseStatus::kError;
  r.error = e;
  r.reason = reason;
  return r;
}

// ---------------------------------------------------------------------------------------------
// Lines.

enum class LineScan { kComplete, kIncomplete };

struct Line {
  size_t begin = 0;
  size_t lf = 0;        // offset of the LF
  size_t length = 0;    // text length without the line ending
  bool has_cr = false;  // the LF is preceded by CR (false: a bare LF, refused by callers)
  size_t next() const { return lf + 1; }
};

// Finds the line starting at `begin`, looking at no more than `window` bytes (callers pass a
// window past their limit). Without an LF, `partial_length` is a lower bound of the final text
// length (a trailing CR may still turn out to be the line ending).
LineScan scanLine(std::string_view buf, size_t begin, size_t window, Line& line,
                  size_t& partial_length) {
  const size_t avail = buf.size() - begin;
  const size_t n = avail < window ? avail : window;
  const void* lf = n == 0 ? nullptr : std::memchr(buf.data() + begin, '\n', n);
  line.begin = begin;
  if (lf == nullptr) {
    partial_length = n - ((n > 0 && buf[begin + n - 1] == '\r') ? 1 : 0);
    return LineScan::kIncomplete;
  }
  line.lf = static_cast<size_t>(static_cast<const char*>(lf) - buf.data());
  line.has_cr = line.lf > begin && buf[line.lf - 1] == '\r';
  line.length = line.lf - begin - (line.has_cr ? 1 : 0);
  return LineScan::kComplete;
}

// ---------------------------------------------------------------------------------------------
// Header fields.

// Splits and validates one field line (RFC 9112 section 5). Also used for trailers.
bool parseFieldLine(std::string_view text, Header& out, std::string_view& reason) {
  if (text.empty()) {
    reason = "empty field line";
    return false;
  }
  if (isOws(text[0])) {
    reason = "obsolete line folding";
    return false;
  }
  size_t i = 0;
  while (i < text.size() && hasClass(text[i], kTokenChar)) ++i;
  if (i == text.size()) {
    reason = "field line without colon";
    return false;
  }
  if (text[i] != ':') {
    reason = isOws(text[i]) ? "whitespace between field name and colon"
                            : "invalid character in field name";
    return false;
  }
  if (i == 0) {
    reason = "empty field name";
    return false;
  }
  out.name = text.substr(0, i);
  const std::string_view value = trimOwsView(text.substr(i + 1));
  if (findFirstOutside(value, kFieldChar, 0x20) != value.size()) {
    reason = "invalid character in field value";
    return false;
  }
  out.value = value;
  return true;
}

// What the framing-relevant fields of a head said.
struct HeadFacts {
  bool is_request = true;
  int host_count = 0;
  std::string_view host;
  bool has_content_length = false;
  uint64_t content_length = 0;
  bool has_transfer_encoding = false;
  int te_codings = 0;  // non-empty transfer-coding elements
  int te_chunked = 0;  // how many of them were "chunked"
  bool te_last_chunked = false;
  bool te_unknown = false;  // a coding other than chunked
  bool te_malformed = false;
  bool conn_close = false;
  bool conn_keep_alive = false;
  bool conn_upgrade = false;
  bool has_upgrade = false;
  bool expect_continue = false;
};

void noteTransferEncoding(std::string_view value, HeadFacts& f) {
  f.has_transfer_encoding = true;
  forEachListElement(value, [&f](std::string_view coding) {
    if (coding.empty()) return true;  // empty list elements are ignored (RFC 9110 5.6.1)
    size_t i = 0;
    while (i < coding.size() && hasClass(coding[i], kTokenChar)) ++i;
    const std::string_view name = coding.substr(0, i);
    const std::string_view params = trimOwsView(coding.substr(i));
    ++f.te_codings;
    if (name.empty() || (!params.empty() && params[0] != ';')) {
      f.te_malformed = true;
      f.te_last_chunked = false;
    } else if (equalsLower(name, "chunked")) {
      if (!params.empty()) f.te_malformed = true;  // chunked takes no parameters
      ++f.te_chunked;
      f.te_last_chunked = true;
    } else {
      f.te_unknown = true;
      f.te_last_chunked = false;
    }
    return true;
  });
}

bool noteContentLength(std::string_view value, HeadFacts& f, std::string_view& reason) {
  return forEachListElement(value, [&](std::string_view element) {
    uint64_t v = 0;
    if (!parseContentLength(element, v)) {
      reason = "invalid Content-Length";
      return false;
    }
    if (f.has_content_length && v != f.content_length) {
      reason = "conflicting Content-Length values";
      return false;
    }
    f.has_content_length = true;
    f.content_length = v;
    return true;
  });
}

void noteConnection(std::string_view value, HeadFacts& f) {
  forEachListElement(value, [&f](std::string_view option) {
    if (equalsLower(option, "close")) {
      f.conn_close = true;
    } else if (equalsLower(option, "keep-alive")) {
      f.conn_keep_alive = true;
    } else if (equalsLower(option, "upgrade")) {
      f.conn_upgrade = true;
    }
    return true;
  });
}

bool validHost(std::string_view host) {
  if (host.empty()) return false;
  for (char c : host) {
    if (!hasClass(c, kHostChar)) return false;
  }
  return true;
}

// Records a field that decides framing or connection handling. False: a request error (400).
bool noteField(const Header& h, HeadFacts& f, std::string_view& reason) {
  switch (h.name.size()) {
    case 4:
      if (f.is_request && equalsLower(h.name, "host")) {
        if (++f.host_count > 1) {
          reason = "more than one Host";
          return false;
        }
        if (!validHost(h.value)) {
          reason = "invalid Host";
          return false;
        }
        f.host = h.value;
      }
      return true;
    case 6:
      if (f.is_request && equalsLower(h.name, "expect")) {
        if (equalsLower(h.value, "100-continue")) f.expect_continue = true;
      }
      return true;
    case 7:
      if (equalsLower(h.name, "upgrade")) f.has_upgrade = true;
      return true;
    case 10:
      if (equalsLower(h.name, "connection")) noteConnection(h.value, f);
      return true;
    case 14:
      if (equalsLower(h.name, "content-length")) return noteContentLength(h.value, f, reason);
      return true;
    case 17:
      if (equalsLower(h.name, "transfer-encoding")) noteTransferEncoding(h.value, f);
      return true;
    default:
      return true;
  }
}

// Parses field lines from `pos` up to and including the empty line that ends the head.
// `head_start` is where the start line began (for the head size limit). Errors use request
// codes; the response parser maps them to kBadResponse.
ParseResult parseFields(std::string_view buf, size_t pos, size_t head_start, const Limits& limits,
                        std::vector<Header>& headers, HeadFacts& facts) {
  size_t count = 0;
  while (true) {
    Line line;
    size_t partial = 0;
    const size_t window = limits.max_head_bytes - (pos - head_start) + 1;
    if (scanLine(buf, pos, window, line, partial) == LineScan::kIncomplete) {
      // The head ends after the bytes we have, so it is certainly longer than what we have.
      if (buf.size() - head_start > limits.max_head_bytes) {
        return fail(HttpError::kHeadersTooLarge, "header section too large");
      }
      return ParseResult{};
    }
    if (line.next() - head_start > limits.max_head_bytes) {
      return fail(HttpError::kHeadersTooLarge, "header section too large");
    }
    if (!line.has_cr) return fail(HttpError::kBadRequest, "bare LF line ending");
    if (line.length == 0) {
      ParseResult done;
      done.status = ParseStatus::kDone;
      done.consumed = line.next();
      return done;
    }
    if (++count > limits.max_headers) {
      return fail(HttpError::kHeadersTooLarge, "too many header fields");
    }
    Header h;
    std::string_view reason;
    if (!parseFieldLine(buf.substr(pos, line.length), h, reason) || !noteField(h, facts, reason)) {
      return fail(HttpError::kBadRequest, reason);
    }
    headers.push_back(h);
    pos = line.next();
  }
}

// The longest start line we look at: one that could not fit the head limit together with its
// CRLF and the final CRLF is reported as too long right away. This also keeps the 414 and 431
// verdicts independent of how the bytes were split.
size_t startLineLimit(const Limits& limits) {
  const size_t head_room = limits.max_head_bytes >= 4 ? limits.max_head_bytes - 4 : 0;
  return limits.max_request_line < head_room ? limits.max_request_line : head_room;
}

// Reads "HTTP/d.d" at the start of `s`. Returns false if it is not shaped like a version.
bool parseVersion(std::string_view s, int& major, int& minor) {
  if (s.size() < 8 || s.substr(0, 5) != "HTTP/" || s[6] != '.') return false;
  if (s[5] < '0' || s[5] > '9' || s[7] < '0' || s[7] > '9') return false;
  major = s[5] - '0';
  minor = s[7] - '0';
  return true;
}

void resetRequest(RequestHead& out) {
  out.method = {};
  out.target = {};
  out.version_minor = 1;
  out.headers.clear();
  out.host = {};
  out.framing = BodyFraming::kNone;
  out.content_length = 0;
  out.keep_alive = true;
  out.expect_continue = false;
  out.upgrade = false;
}

void resetResponse(ResponseHead& out) {
  out.version_minor = 1;
  out.status = 0;
  out.reason = {};
  out.headers.clear();
  out.framing = BodyFraming::kNone;
  out.content_length = 0;
  out.keep_alive = true;
}

// Empty lines a client may send before a request line (RFC 9112 section 2.2: "SHOULD ignore at
// least one"); typically a CRLF left after a POST body by an old client.
constexpr int kMaxLeadingEmptyLines = 4;

constexpr size_t kInitialHeaderCapacity = 16;

// Trailer section limit for chunked bodies.
constexpr size_t kMaxTrailerBytes = 8 * 1024;

}  // namespace

// -----------------------------------------------------------------------------------------------

int statusFor(HttpError e) {
  switch (e) {
    case HttpError::kBadRequest:
      return 400;
    case HttpError::kUriTooLong:
      return 414;
    case HttpError::kHeadersTooLarge:
      return 431;
    case HttpError::kNotImplemented:
      return 501;
    case HttpError::kVersionNotSupported:
      return 505;
    case HttpError::kBadResponse:
      return 502;
    case HttpError::kNone:
      break;
  }
  return 500;  // kNone is not an error; asking for its status is a caller bug
}

bool isTokenChar(unsigned char c) { return (kCharClass[c] & kTokenChar) != 0; }

std::string_view RequestHead::header(std::string_view name) const {
  for (const Header& h : headers) {
    if (equalsIgnoreCase(h.name, name)) return h.value;
  }
  return {};
}

std::string_view ResponseHead::header(std::string_view name) const {
  for (const Header& h : headers) {
    if (equalsIgnoreCase(h.name, name)) return h.value;
  }
  return {};
}

ParseResult parseRequestHead(std::string_view buf, const Limits& limits, RequestHead& out) {
  resetRequest(out);
  size_t pos = 0;
  for (int i = 0; i < kMaxLeadingEmptyLines && buf.size() - pos >= 2 && buf[pos] == '\r' &&
                  buf[pos + 1] == '\n';
       ++i) {
    pos += 2;
  }
  const size_t head_start = pos;

  // request-line = method SP request-target SP HTTP-version CRLF
  const size_t line_limit = startLineLimit(limits);
  Line line;
  size_t partial = 0;
  if (scanLine(buf, pos, line_limit + 2, line, partial) == LineScan::kIncomplete) {
    if (partial > line_limit) return fail(HttpError::kUriTooLong, "request line too long");
    return ParseResult{};
  }
  if (line.length > line_limit) return fail(HttpError::kUriTooLong, "request line too long");
  if (!line.has_cr) return fail(HttpError::kBadRequest, "bare LF line ending");
  const std::string_view text = buf.substr(pos, line.length);

  size_t i = 0;
  while (i < text.size() && hasClass(text[i], kTokenChar)) ++i;
  if (i == 0 || i == text.size() || text[i] != ' ') {
    return fail(HttpError::kBadRequest, "invalid method");
  }
  out.method = text.substr(0, i);
  const size_t target_begin = ++i;
  i += findFirstOutside(text.substr(i), kTargetChar, 0x21);
  if (i == target_begin) return fail(HttpError::kBadRequest, "invalid request target");
  if (i == text.size() || text[i] != ' ') {
    return fail(HttpError::kBadRequest, "invalid request target");
  }
  out.target = text.substr(target_begin, i - target_begin);
  const std::string_view version = text.substr(i + 1);
  int major = 0;
  int minor = 0;
  if (!parseVersion(version, major, minor) || version.size() != 8) {
    return fail(HttpError::kBadRequest, "malformed HTTP version");
  }
  if (major != 1 || minor > 1) {
    return fail(HttpError::kVersionNotSupported, "unsupported HTTP version");
  }
  out.version_minor = minor;

  if (out.headers.capacity() == 0) out.headers.reserve(kInitialHeaderCapacity);
  HeadFacts facts;
  facts.is_request = true;
  ParseResult r = parseFields(buf, line.next(), head_start, limits, out.headers, facts);
  if (r.status != ParseStatus::kDone) return r;

  // Whole-head checks, in a fixed order.
  if (minor == 1 && facts.host_count == 0) return fail(HttpError::kBadRequest, "missing Host");
  out.host = facts.host;
  if (facts.has_transfer_encoding) {
    if (facts.has_content_length) {
      return fail(HttpError::kBadRequest, "Content-Length with Transfer-Encoding");
    }
    if (minor == 0) return fail(HttpError::kBadRequest, "Transfer-Encoding in HTTP/1.0");
    if (facts.te_malformed || facts.te_codings == 0) {
      return fail(HttpError::kBadRequest, "malformed Transfer-Encoding");
    }
    if (facts.te_chunked > 1) return fail(HttpError::kBadRequest, "chunked applied twice");
    if (facts.te_chunked == 1 && !facts.te_last_chunked) {
      return fail(HttpError::kBadRequest, "chunked is not the final transfer coding");
    }
    if (facts.te_unknown) {
      return fail(HttpError::kNotImplemented, "unsupported transfer coding");
    }
    out.framing = BodyFraming::kChunked;
  } else if (facts.has_content_length) {
    out.framing = BodyFraming::kContentLength;
    out.content_length = facts.content_length;
  }
  out.keep_alive = minor == 1 ? !facts.conn_close : (facts.conn_keep_alive && !facts.conn_close);
  // RFC 9110 section 10.1.1: a 100-continue expectation in an HTTP/1.0 request is ignored.
  out.expect_continue = minor == 1 && facts.expect_continue;
  out.upgrade = facts.conn_upgrade && facts.has_upgrade;
  return r;
}

ParseResult parseResponseHead(std::string_view buf, std::string_view request_method,
                              const Limits& limits, ResponseHead& out) {
  resetResponse(out);
  auto bad = [](std::string_view reason) { return fail(HttpError::kBadResponse, reason); };

  // status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF
  const size_t line_limit = startLineLimit(limits);
  Line line;
  size_t partial = 0;
  if (scanLine(buf, 0, line_limit + 2, line, partial) == LineScan::kIncomplete) {
    if (partial > line_limit) return bad("status line too long");
    return ParseResult{};
  }
  if (line.length > line_limit) return bad("status line too long");
  if (!line.has_cr) return bad("bare LF line ending");
  const std::string_view text = buf.substr(0, line.length);

  int major = 0;
  int minor = 0;
  if (!parseVersion(text, major, minor) || major != 1 || minor > 1) {
    return bad("unsupported HTTP version");
  }
  if (text.size() < 12 || text[8] != ' ') return bad("malformed status line");
  int status = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (text[i] < '0' || text[i] > '9') return bad("malformed status code");
    status = status * 10 + (text[i] - '0');
  }
  if (status < 100 || status > 599) return bad("status code out of range");
  // The SP before an empty reason is often left out by servers; that cannot change framing, so
  // "HTTP/1.1 204\r\n" is accepted.
  std::string_view reason;
  if (text.size() > 12) {
    if (text[12] != ' ') return bad("malformed status line");
    reason = text.substr(13);
    if (findFirstOutside(reason, kFieldChar, 0x20) != reason.size()) {
      return bad("invalid character in reason phrase");
    }
  }
  out.version_minor = minor;
  out.status = status;
  out.reason = reason;

  if (out.headers.capacity() == 0) out.headers.reserve(kInitialHeaderCapacity);
  HeadFacts facts;
  facts.is_request = false;
  ParseResult r = parseFields(buf, line.next(), 0, limits, out.headers, facts);
  if (r.status == ParseStatus::kError) return bad(r.reason);
  if (r.status != ParseStatus::kDone) return r;

  // Upstreams get no more benefit of the doubt than clients: ambiguous framing is refused even
  // when the status says there is no body.
  if (facts.has_transfer_encoding) {
    if (facts.has_content_length) return bad("Content-Length with Transfer-Encoding");
    if (minor == 0) return bad("Transfer-Encoding in HTTP/1.0");
    if (facts.te_malformed || facts.te_codings == 0) return bad("malformed Transfer-Encoding");
    if (facts.te_chunked != 1 || !facts.te_last_chunked) {
      // RFC 9112 would read such a body until close; we do not guess what the upstream meant.
      return bad("Transfer-Encoding does not end in a single chunked");
    }
  }
  const bool no_body = request_method == "HEAD" || status < 200 || status == 204 || status == 304 ||
                       (request_method == "CONNECT" && status < 300);
  if (no_body) {
    out.framing = BodyFraming::kNone;
  } else if (facts.has_transfer_encoding) {
    out.framing = BodyFraming::kChunked;
  } else if (facts.has_content_length) {
    out.framing = BodyFraming::kContentLength;
    out.content_length = facts.content_length;
  } else {
    out.framing = BodyFraming::kUntilClose;
  }
  out.keep_alive = minor == 1 ? !facts.conn_close : (facts.conn_keep_alive && !facts.conn_close);
  if (out.framing == BodyFraming::kUntilClose) out.keep_alive = false;
  return r;
}

// -----------------------------------------------------------------------------------------------
// BodyDecoder

BodyDecoder::BodyDecoder(BodyFraming framing, uint64_t content_length) : framing_(framing) {
  switch (framing) {
    case BodyFraming::kNone:
      break;  // the defaults: done
    case BodyFraming::kContentLength:
      remaining_ = content_length;
      done_ = content_length == 0;
      state_ = done_ ? State::kDone : State::kData;
      break;
    case BodyFraming::kChunked:
      state_ = State::kSize;
      done_ = false;
      break;
    case BodyFraming::kUntilClose:
      state_ = State::kData;
      done_ = false;
      break;
  }
}

BodyDecoder::Step BodyDecoder::fail(HttpError error, std::string_view reason) {
  state_ = State::kError;
  done_ = false;
  error_ = error;
  error_reason_ = reason;
  Step s;
  s.error = error;
  s.reason = reason;
  return s;
}

BodyDecoder::Step BodyDecoder::decode(std::string_view in) {
  Step s;
  if (state_ == State::kError) {
    s.error = error_;
    s.reason = error_reason_;
    return s;
  }
  if (state_ == State::kDone) {
    s.done = true;
    return s;
  }
  switch (framing_) {
    case BodyFraming::kContentLength: {
      const size_t n = in.size() < remaining_ ? in.size() : static_cast<size_t>(remaining_);
      s.consumed = n;
      s.data = in.substr(0, n);
      remaining_ -= n;
      if (remaining_ == 0) {
        state_ = State::kDone;
        done_ = true;
        s.done = true;
      }
      return s;
    }
    case BodyFraming::kUntilClose:
      s.consumed = in.size();
      s.data = in;
      return s;
    case BodyFraming::kChunked:
      return decodeChunked(in);
    case BodyFraming::kNone:
      break;
  }
  state_ = State::kDone;  // unreachable: a kNone decoder starts done
  done_ = true;
  s.done = true;
  return s;
}

namespace {

enum class ChunkLine { kOk, kNeedMore, kTooLong, kBad };

// Validates "chunk-size [ chunk-ext ]" (RFC 9112 section 7.1). Extensions are checked for shape
// only (token names, token or quoted-string values, BWS around ';' and '='), then ignored.
bool parseChunkSizeLine(std::string_view text, uint64_t& size) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < text.size() && hasClass(text[i], kHexChar)) {
    if (i == 16) return false;  // more than 16 hex digits: does not fit in 64 bits
    const char c = text[i];
    const unsigned d = c <= '9' ? unsigned(c - '0') : unsigned(asciiLower(c) - 'a' + 10);
    v = (v << 4) | d;
    ++i;
  }
  if (i == 0) return false;
  // chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
  auto skipOws = [&] {
    while (i < text.size() && isOws(text[i])) ++i;
  };
  auto token = [&] {
    const size_t b = i;
    while (i < text.size() && hasClass(text[i], kTokenChar)) ++i;
    return i > b;
  };
  while (i < text.size()) {
    skipOws();
    if (i == text.size() || text[i] != ';') return false;
    ++i;
    skipOws();
    if (!token()) return false;
    const size_t after_name = i;
    skipOws();
    if (i < text.size() && text[i] == '=') {
      ++i;
      skipOws();
      if (i < text.size() && text[i] == '"') {
        ++i;
        bool closed = false;
        while (i < text.size()) {
          const char c = text[i];
          if (c == '"') {
            closed = true;
            ++i;
            break;
          }
          if (c == '\\') {
            if (i + 1 == text.size() || !hasClass(text[i + 1], kFieldChar)) return false;
            i += 2;
          } else if (hasClass(c, kQdTextChar)) {
            ++i;
          } else {
            return false;
          }
        }
        if (!closed) return false;
      } else if (!token()) {
        return false;
      }
    } else {
      i = after_name;  // no value; whitespace must be followed by another ';'
    }
  }
  size = v;
  return true;
}

}  // namespace

BodyDecoder::Step BodyDecoder::decodeChunked(std::string_view in) {
  Step s;
  size_t pos = 0;
  // An error found after some progress in this call is reported by the next call (with the
  // same unconsumed bytes), so an error step never carries data.
  auto stop = [&](HttpError e, std::string_view reason) {
    if (pos > 0) {
      s.consumed = pos;
      return s;
    }
    return fail(e, reason);
  };
  while (true) {
    switch (state_) {
      case State::kSize: {
        Line line;
        size_t partial = 0;
        // Lines are measured up to their LF, CR included, so a split cannot change the verdict.
        if (scanLine(in, pos, kMaxChunkLine + 1, line, partial) == LineScan::kIncomplete) {
          if (in.size() - pos > kMaxChunkLine) {
            return stop(HttpError::kBadRequest, "chunk size line too long");
          }
          s.consumed = pos;
          return s;
        }
        if (line.lf - pos > kMaxChunkLine) {
          return stop(HttpError::kBadRequest, "chunk size line too long");
        }
        if (!line.has_cr) return stop(HttpError::kBadRequest, "bare LF line ending");
        uint64_t size = 0;
        if (!parseChunkSizeLine(in.substr(pos, line.length), size)) {
          return stop(HttpError::kBadRequest, "invalid chunk size line");
        }
        pos = line.next();
        if (size == 0) {
          state_ = State::kTrailers;
        } else {
          remaining_ = size;
          state_ = State::kData;
        }
        break;
      }
      case State::kData: {
        // One step hands out one contiguous view: stop before a second chunk's data.
        if (!s.data.empty() || pos == in.size()) {
          s.consumed = pos;
          return s;
        }
        const size_t avail = in.size() - pos;
        const size_t n = avail < remaining_ ? avail : static_cast<size_t>(remaining_);
        s.data = in.substr(pos, n);
        pos += n;
        remaining_ -= n;
        if (remaining_ != 0) {
          s.consumed = pos;
          return s;
        }
        state_ = State::kDataCrlf;
        break;
      }
      case State::kDataCrlf: {
        if (pos == in.size()) {
          s.consumed = pos;
          return s;
        }
        if (in[pos] != '\r') return stop(HttpError::kBadRequest, "missing CRLF after chunk data");
        if (pos + 1 == in.size()) {
          s.consumed = pos;
          return s;
        }
        if (in[pos + 1] != '\n') {
          return stop(HttpError::kBadRequest, "missing CRLF after chunk data");
        }
        pos += 2;
        state_ = State::kSize;
        break;
      }
      case State::kTrailers: {
        Line line;
        size_t partial = 0;
        const size_t window = kMaxTrailerBytes - trailer_bytes_ + 1;
        if (scanLine(in, pos, window, line, partial) == LineScan::kIncomplete) {
          // The line is at least one byte (its LF) longer than what we have.
          if (trailer_bytes_ + (in.size() - pos) + 1 > kMaxTrailerBytes) {
            return stop(HttpError::kHeadersTooLarge, "trailer section too large");
          }
          s.consumed = pos;
          return s;
        }
        const size_t line_bytes = line.next() - pos;
        if (trailer_bytes_ + line_bytes > kMaxTrailerBytes) {
          return stop(HttpError::kHeadersTooLarge, "trailer section too large");
        }
        if (!line.has_cr) return stop(HttpError::kBadRequest, "bare LF line ending");
        if (line.length == 0) {
          pos = line.next();
          state_ = State::kDone;
          done_ = true;
          s.consumed = pos;
          s.done = true;
          return s;
        }
        Header ignored;
        std::string_view reason;
        if (!parseFieldLine(in.substr(pos, line.length), ignored, reason)) {
          return stop(HttpError::kBadRequest, reason);
        }
        trailer_bytes_ += line_bytes;
        pos = line.next();
        break;
      }
      case State::kDone:
        s.consumed = pos;
        s.done = true;
        return s;
      case State::kError:
        return stop(error_, error_reason_);
    }
  }
}

bool BodyDecoder::finishAtEof() {
  if (state_ == State::kError) return false;
  if (framing_ == BodyFraming::kUntilClose) {
    state_ = State::kDone;
    done_ = true;
  }
  return done_;
}

void appendChunkHeader(std::string& out, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  char buf[2 * sizeof(size_t) + 2];
  char* end = buf + sizeof(buf);
  char* p = end;
  *--p = '\n';
  *--p = '\r';
  do {
    *--p = kHex[size & 0xf];
    size >>= 4;
  } while (size != 0);
  out.append(p, static_cast<size_t>(end - p));
}

}  // namespace causeway::http
