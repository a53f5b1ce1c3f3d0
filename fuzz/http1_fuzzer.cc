// fuzz-libs: causeway_http
// Fuzzes the HTTP/1 head parsers and the body decoder, checking invariants rather than just
// looking for crashes:
// - consumed never exceeds the input and every view points into the input;
// - a head split at any point gives kNeedMore until it gives the whole-buffer result, and a
//   complete head does not depend on the bytes after it;
// - a body decoded in one piece, byte by byte, or in random pieces gives the same data, the
//   same number of consumed bytes and the same outcome.
//
// Input layout: byte 0 selects the mode (low 2 bits) and the limits (next bits); the rest is the
// message. Mode 0: request head (+ body). Mode 1: response head (+ body), byte 1 picks the request
// method. Mode 2: a body alone, byte 1 picks the framing and content length.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/http1_parser.h"

namespace {

using namespace causeway::http;

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

bool inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;  // an empty view may point anywhere
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

Limits pickLimits(uint8_t selector) {
  Limits l;
  switch (selector & 3) {
    case 0:
      break;  // defaults
    case 1:
      l.max_request_line = 40;
      l.max_head_bytes = 120;
      l.max_headers = 4;
      break;
    case 2:
      l.max_request_line = 16;
      l.max_head_bytes = 48;
      l.max_headers = 2;
      break;
    case 3:  // a head limit below the request line limit
      l.max_request_line = 200;
      l.max_head_bytes = 30;
      l.max_headers = 1;
      break;
  }
  return l;
}

// Small deterministic PRNG for split points.
struct SplitRng {
  uint64_t s;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
};

uint64_t hashBytes(std::string_view in) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : in) h = (h ^ c) * 1099511628211ull;
  return h | 1;
}

struct BodyOutcome {
  std::string data;
  size_t consumed = 0;
  bool done = false;
  HttpError error = HttpError::kNone;
  bool operator==(const BodyOutcome& o) const {
    return data == o.data && consumed == o.consumed && done == o.done && error == o.error;
  }
};

// Checks one decode step against the bytes it was given; returns false when the caller should
// stop feeding (done, error or no progress).
bool applyStep(const BodyDecoder::Step& s, std::string_view given, BodyOutcome& out) {
  FUZZ_CHECK(s.consumed <= given.size());
  FUZZ_CHECK(inside(s.data, given.substr(0, s.consumed)));
  if (s.error != HttpError::kNone) {
    FUZZ_CHECK(s.consumed == 0 && s.data.empty() && !s.done && !s.reason.empty());
    out.error = s.error;
    return false;
  }
  out.data.append(s.data);
  out.consumed += s.consumed;
  if (s.done) {
    out.done = true;
    return false;
  }
  return s.consumed > 0;
}

// Feeds `in` in pieces whose sizes come from `next_piece`, like a connection that keeps the
// unconsumed bytes buffered and appends each read to them.
template <class NextPiece>
BodyOutcome decodeInPieces(BodyFraming framing, uint64_t length, std::string_view in,
                           NextPiece&& next_piece) {
  BodyDecoder d(framing, length);
  BodyOutcome out;
  size_t end = 0;
  while (true) {
    const bool all_fed = end == in.size();
    if (!all_fed) end += std::min(next_piece(), in.size() - end);
    while (true) {
      const std::string_view given = in.substr(out.consumed, end - out.consumed);
      const BodyDecoder::Step s = d.decode(given);
      if (!applyStep(s, given, out)) break;
    }
    FUZZ_CHECK(d.done() == out.done);
    if (out.done || out.error != HttpError::kNone || all_fed) break;
  }
  // A decoder that is done or failed stays so.
  const BodyDecoder::Step again = d.decode(in.substr(out.consumed));
  if (out.done) FUZZ_CHECK(again.done && again.consumed == 0);
  if (out.error != HttpError::kNone) FUZZ_CHECK(again.error == out.error && again.consumed == 0);
  const bool eof_ok = d.finishAtEof();
  if (framing == BodyFraming::kUntilClose) {
    FUZZ_CHECK(eof_ok == (out.error == HttpError::kNone));
    FUZZ_CHECK(out.consumed == in.size());
  } else {
    FUZZ_CHECK(eof_ok == out.done);
  }
  return out;
}

void checkBody(BodyFraming framing, uint64_t length, std::string_view in) {
  if (in.size() > 16384) in = in.substr(0, 16384);
  const BodyOutcome whole = decodeInPieces(framing, length, in, [&] { return in.size(); });
  const BodyOutcome bytes = decodeInPieces(framing, length, in, [] { return size_t{1}; });
  FUZZ_CHECK(whole == bytes);
  SplitRng rng{hashBytes(in)};
  const BodyOutcome random =
      decodeInPieces(framing, length, in, [&] { return size_t(1 + rng.next() % 23); });
  FUZZ_CHECK(whole == random);
  if (framing == BodyFraming::kContentLength) {
    FUZZ_CHECK(whole.consumed == std::min<uint64_t>(length, in.size()));
    FUZZ_CHECK(whole.done == (length <= in.size()));
  }
}

// The prefixes of `in` worth trying: all of them for short inputs, a sample otherwise.
template <class F>
void forSplitPoints(std::string_view in, F&& f) {
  if (in.size() <= 300) {
    for (size_t n = 0; n < in.size(); ++n) f(n);
    return;
  }
  SplitRng rng{hashBytes(in)};
  for (int i = 0; i < 48; ++i) f(size_t(rng.next() % in.size()));
}

void checkHeadSplits(const ParseResult& whole, std::string_view in,
                     ParseResult (*parse)(std::string_view, const Limits&, const void*),
                     const Limits& limits, const void* ctx) {
  forSplitPoints(in, [&](size_t n) {
    const ParseResult r = parse(in.substr(0, n), limits, ctx);
    FUZZ_CHECK(r.consumed <= n);
    if (whole.status == ParseStatus::kDone && n < whole.consumed) {
      FUZZ_CHECK(r.status == ParseStatus::kNeedMore);
    } else if (r.status != ParseStatus::kNeedMore) {
      FUZZ_CHECK(r.status == whole.status && r.error == whole.error &&
                 r.consumed == whole.consumed);
    }
  });
}

void checkResultShape(const ParseResult& r, std::string_view in) {
  FUZZ_CHECK(r.consumed <= in.size());
  switch (r.status) {
    case ParseStatus::kNeedMore:
      FUZZ_CHECK(r.consumed == 0 && r.error == HttpError::kNone);
      break;
    case ParseStatus::kDone:
      FUZZ_CHECK(r.consumed >= 4 && r.error == HttpError::kNone);
      FUZZ_CHECK(in.substr(r.consumed - 4, 4) == "\r\n\r\n");
      break;
    case ParseStatus::kError:
      FUZZ_CHECK(r.error != HttpError::kNone && !r.reason.empty());
      FUZZ_CHECK(statusFor(r.error) >= 400 && statusFor(r.error) <= 505);
      break;
  }
}

void checkHeaders(const std::vector<Header>& headers, std::string_view head, size_t max) {
  FUZZ_CHECK(headers.size() <= max);
  for (const Header& h : headers) {
    FUZZ_CHECK(!h.name.empty() && inside(h.name, head) && inside(h.value, head));
    for (char c : h.name) FUZZ_CHECK(isTokenChar(static_cast<unsigned char>(c)));
    for (char c : h.value) FUZZ_CHECK(c != '\r' && c != '\n' && c != '\0');
    if (!h.value.empty()) {
      FUZZ_CHECK(h.value.front() != ' ' && h.value.back() != ' ');
      FUZZ_CHECK(h.value.front() != '\t' && h.value.back() != '\t');
    }
  }
}

ParseResult parseRequestFn(std::string_view in, const Limits& limits, const void*) {
  RequestHead h;
  return parseRequestHead(in, limits, h);
}

ParseResult parseResponseFn(std::string_view in, const Limits& limits, const void* method) {
  ResponseHead h;
  return parseResponseHead(in, *static_cast<const std::string_view*>(method), limits, h);
}

void fuzzRequest(std::string_view in, const Limits& limits) {
  RequestHead h;
  const ParseResult r = parseRequestHead(in, limits, h);
  checkResultShape(r, in);
  checkHeadSplits(r, in, parseRequestFn, limits, nullptr);
  if (r.status != ParseStatus::kDone) return;

  const std::string_view head = in.substr(0, r.consumed);
  FUZZ_CHECK(r.consumed <= limits.max_head_bytes + 8);  // plus skipped empty lines
  FUZZ_CHECK(!h.method.empty() && inside(h.method, head));
  FUZZ_CHECK(!h.target.empty() && inside(h.target, head));
  FUZZ_CHECK(h.target.size() <= limits.max_request_line);
  FUZZ_CHECK(h.version_minor == 0 || h.version_minor == 1);
  FUZZ_CHECK(inside(h.host, head));
  if (h.version_minor == 1) FUZZ_CHECK(!h.host.empty());
  checkHeaders(h.headers, head, limits.max_headers);
  if (h.framing == BodyFraming::kChunked) FUZZ_CHECK(h.version_minor == 1);
  FUZZ_CHECK(h.framing != BodyFraming::kUntilClose);
  if (h.framing != BodyFraming::kContentLength) FUZZ_CHECK(h.content_length == 0);

  // The head alone parses the same; a reused head object gives the same result.
  RequestHead again;
  const ParseResult exact = parseRequestHead(head, limits, again);
  FUZZ_CHECK(exact.status == ParseStatus::kDone && exact.consumed == r.consumed);
  FUZZ_CHECK(again.headers.size() == h.headers.size() && again.framing == h.framing &&
             again.content_length == h.content_length && again.keep_alive == h.keep_alive);
  const ParseResult reused = parseRequestHead(in, limits, again);
  FUZZ_CHECK(reused.consumed == r.consumed && again.headers.size() == h.headers.size());

  checkBody(h.framing, h.content_length, in.substr(r.consumed));
}

void fuzzResponse(std::string_view in, std::string_view method, const Limits& limits) {
  ResponseHead h;
  const ParseResult r = parseResponseHead(in, method, limits, h);
  checkResultShape(r, in);
  if (r.status == ParseStatus::kError) FUZZ_CHECK(r.error == HttpError::kBadResponse);
  checkHeadSplits(r, in, parseResponseFn, limits, &method);
  if (r.status != ParseStatus::kDone) return;

  const std::string_view head = in.substr(0, r.consumed);
  FUZZ_CHECK(h.status >= 100 && h.status <= 599);
  FUZZ_CHECK(inside(h.reason, head));
  checkHeaders(h.headers, head, limits.max_headers);
  if (method == "HEAD" || h.status < 200 || h.status == 204 || h.status == 304) {
    FUZZ_CHECK(h.framing == BodyFraming::kNone);
  }
  if (h.framing == BodyFraming::kUntilClose) FUZZ_CHECK(!h.keep_alive);
  ResponseHead again;
  const ParseResult exact = parseResponseHead(head, method, limits, again);
  FUZZ_CHECK(exact.status == ParseStatus::kDone && exact.consumed == r.consumed);
  FUZZ_CHECK(again.framing == h.framing && again.content_length == h.content_length);

  checkBody(h.framing, h.content_length, in.substr(r.consumed));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 2, size - 2);
  const uint8_t mode = data[0] & 3;
  const Limits limits = pickLimits(static_cast<uint8_t>(data[0] >> 2));
  switch (mode) {
    case 0:
      fuzzRequest(in, limits);
      break;
    case 1: {
      static constexpr std::string_view kMethods[] = {"GET", "HEAD", "CONNECT", "POST"};
      fuzzResponse(in, kMethods[data[1] & 3], limits);
      break;
    }
    default: {
      static constexpr BodyFraming kFramings[] = {BodyFraming::kChunked, BodyFraming::kChunked,
                                                  BodyFraming::kContentLength,
                                                  BodyFraming::kUntilClose};
      const BodyFraming framing = kFramings[data[1] & 3];
      const uint64_t length = framing == BodyFraming::kContentLength ? (data[1] >> 2) : 0;
      checkBody(framing, length, in);
      // Also whatever parsed as a head above, as a chunked body.
      if (data[0] & 4) fuzzRequest(in, limits);
      break;
    }
  }
  return 0;
}
