#include "http/http1_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace causeway::http {
namespace {

using namespace std::string_view_literals;

ParseResult parseRequest(std::string_view s, RequestHead& out, const Limits& limits = Limits{}) {
  return parseRequestHead(s, limits, out);
}

ParseResult parseRequest(std::string_view s) {
  RequestHead out;
  return parseRequestHead(s, Limits{}, out);
}

ParseResult parseResponse(std::string_view s, ResponseHead& out, std::string_view method = "GET") {
  return parseResponseHead(s, method, Limits{}, out);
}

// Expects that `s` is refused with `e`.
void expectRequestError(std::string_view s, HttpError e) {
  RequestHead out;
  const ParseResult r = parseRequestHead(s, Limits{}, out);
  EXPECT_EQ(r.status, ParseStatus::kError) << s;
  EXPECT_EQ(r.error, e) << s << " reason: " << r.reason;
  EXPECT_FALSE(r.reason.empty());
}

void expectBadRequest(std::string_view s) { expectRequestError(s, HttpError::kBadRequest); }

void expectBadResponse(std::string_view s, std::string_view method = "GET") {
  ResponseHead out;
  const ParseResult r = parseResponseHead(s, method, Limits{}, out);
  EXPECT_EQ(r.status, ParseStatus::kError) << s;
  EXPECT_EQ(r.error, HttpError::kBadResponse) << s;
}

struct Decoded {
  std::string body;
  size_t consumed = 0;
  bool done = false;
  HttpError error = HttpError::kNone;
};

// Feeds all of `in` at once, calling decode until it stops making progress.
Decoded decodeWhole(BodyDecoder d, std::string_view in) {
  Decoded out;
  while (true) {
    const BodyDecoder::Step s = d.decode(in.substr(out.consumed));
    if (s.error != HttpError::kNone) {
      out.error = s.error;
      return out;
    }
    out.body.append(s.data);
    out.consumed += s.consumed;
    if (s.done) {
      out.done = true;
      return out;
    }
    if (s.consumed == 0) return out;
  }
}

// Feeds `in` one byte at a time, like a caller that keeps unconsumed bytes buffered.
Decoded decodeByteByByte(BodyDecoder d, std::string_view in) {
  Decoded out;
  for (size_t end = 1; end <= in.size(); ++end) {
    while (true) {
      const BodyDecoder::Step s = d.decode(in.substr(out.consumed, end - out.consumed));
      if (s.error != HttpError::kNone) {
        out.error = s.error;
        return out;
      }
      out.body.append(s.data);
      out.consumed += s.consumed;
      if (s.done) {
        out.done = true;
        return out;
      }
      if (s.consumed == 0) break;
    }
  }
  return out;
}

Decoded decodeChunked(std::string_view in) {
  return decodeWhole(BodyDecoder(BodyFraming::kChunked, 0), in);
}

// ------------------------------------------------------------------------------------------------
// Valid requests

TEST(Http1RequestTest, SimpleGet) {
  RequestHead h;
  const std::string_view s =
      "GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\nAccept: */*\r\n\r\n";
  const ParseResult r = parseRequest(s, h);
  ASSERT_EQ(r.status, ParseStatus::kDone) << r.reason;
  EXPECT_EQ(r.consumed, s.size());
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/index.html?q=1");
  EXPECT_EQ(h.version_minor, 1);
  EXPECT_EQ(h.host, "example.com");
  ASSERT_EQ(h.headers.size(), 2u);
  EXPECT_EQ(h.headers[1].name, "Accept");
  EXPECT_EQ(h.headers[1].value, "*/*");
  EXPECT_EQ(h.framing, BodyFraming::kNone);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.expect_continue);
  EXPECT_FALSE(h.upgrade);
}

TEST(Http1RequestTest, ViewsPointIntoTheBuffer) {
  RequestHead h;
  const std::string buf = "GET / HTTP/1.1\r\nHost: a\r\nX-Y: z\r\n\r\n";
  ASSERT_EQ(parseRequest(buf, h).status, ParseStatus::kDone);
  EXPECT_EQ(h.method.data(), buf.data());
  EXPECT_GE(h.headers[1].value.data(), buf.data());
  EXPECT_LT(h.headers[1].value.data(), buf.data() + buf.size());
}

TEST(Http1RequestTest, PostWithContentLength) {
  RequestHead h;
  const std::string_view s = "POST /submit HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello";
  const ParseResult r = parseRequest(s, h);
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(s.substr(r.consumed), "hello");
  EXPECT_EQ(h.framing, BodyFraming::kContentLength);
  EXPECT_EQ(h.content_length, 5u);
}

TEST(Http1RequestTest, PostChunked) {
  RequestHead h;
  const std::string_view s =
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  const ParseResult r = parseRequest(s, h);
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(h.framing, BodyFraming::kChunked);
  const Decoded d = decodeWhole(BodyDecoder(h.framing, h.content_length), s.substr(r.consumed));
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.body, "hello");
  EXPECT_EQ(r.consumed + d.consumed, s.size());
}

TEST(Http1RequestTest, TransferEncodingIsCaseInsensitiveAndMayBeSplitAcrossLines) {
  RequestHead h;
  ASSERT_EQ(
      parseRequest("POST / HTTP/1.1\r\nHost: a\r\ntransfer-encoding: CHUNKED\r\n\r\n", h).status,
      ParseStatus::kDone);
  EXPECT_EQ(h.framing, BodyFraming::kChunked);
  // Empty list elements are ignored.
  ASSERT_EQ(
      parseRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,chunked\r\n\r\n", h).status,
      ParseStatus::kDone);
}

TEST(Http1RequestTest, PipelinedRequestsConsumeOnlyTheFirst) {
  const std::string_view first = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n";
  const std::string second = "GET /2 HTTP/1.1\r\nHost: b\r\n\r\n";
  const std::string buf = std::string(first) + second;
  RequestHead h;
  ParseResult r = parseRequest(buf, h);
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, first.size());
  EXPECT_EQ(h.target, "/1");
  r = parseRequest(std::string_view(buf).substr(r.consumed), h);
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(h.target, "/2");
  EXPECT_EQ(h.host, "b");
}

TEST(Http1RequestTest, LeadingEmptyLinesAreSkippedAndCounted) {
  RequestHead h;
  const std::string_view s = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
  const ParseResult r = parseRequest(s, h);
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(r.consumed, s.size());
  EXPECT_EQ(h.method, "GET");
}

TEST(Http1RequestTest, TooManyLeadingEmptyLines) {
  expectBadRequest("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
}

TEST(Http1RequestTest, OtherTargetForms) {
  RequestHead h;
  ASSERT_EQ(parseRequest("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", h).status, ParseStatus::kDone);
  EXPECT_EQ(h.target, "*");
  ASSERT_EQ(parseRequest("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_EQ(h.target, "a.example:443");
  ASSERT_EQ(parseRequest("GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_EQ(h.target, "http://a/x");
}

TEST(Http1RequestTest, HeaderValueTrimmingAndEmptyValue) {
  RequestHead h;
  ASSERT_EQ(
      parseRequest("GET / HTTP/1.1\r\nHost:a\r\nX: \t v a l \t\r\nE:\r\nF:   \r\n\r\n", h).status,
      ParseStatus::kDone);
  EXPECT_EQ(h.header("x"), "v a l");
  EXPECT_EQ(h.header("E"), "");
  EXPECT_EQ(h.header("f"), "");
  EXPECT_EQ(h.host, "a");
}

TEST(Http1RequestTest, ObsTextInValueAndTargetIsAccepted) {
  RequestHead h;
  ASSERT_EQ(parseRequest("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\nX: \xff\x80\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_EQ(h.header("X"), "\xff\x80");
}

TEST(Http1RequestTest, HeaderLookupIsCaseInsensitiveFirstMatch) {
  RequestHead h;
  ASSERT_EQ(parseRequest("GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nx-a: 2\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_EQ(h.header("X-A"), "1");
  EXPECT_EQ(h.header("X-a"), "1");
  EXPECT_EQ(h.header("missing"), "");
}

TEST(Http1RequestTest, ParserReuseResetsTheHead) {
  RequestHead h;
  ASSERT_EQ(parseRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue"
                         "\r\nConnection: close\r\n\r\n",
                         h)
                .status,
            ParseStatus::kDone);
  ASSERT_EQ(parseRequest("GET / HTTP/1.1\r\nHost: b\r\n\r\n", h).status, ParseStatus::kDone);
  EXPECT_EQ(h.headers.size(), 1u);
  EXPECT_EQ(h.framing, BodyFraming::kNone);
  EXPECT_EQ(h.content_length, 0u);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.expect_continue);
}

// ------------------------------------------------------------------------------------------------
// Request line errors

TEST(Http1RequestLineTest, VersionSupport) {
  RequestHead h;
  ASSERT_EQ(parseRequest("GET / HTTP/1.0\r\n\r\n", h).status, ParseStatus::kDone);
  EXPECT_EQ(h.version_minor, 0);
  expectRequestError("GET / HTTP/2.0\r\nHost: a\r\n\r\n", HttpError::kVersionNotSupported);
  expectRequestError("GET / HTTP/1.2\r\nHost: a\r\n\r\n", HttpError::kVersionNotSupported);
  expectRequestError("GET / HTTP/0.9\r\nHost: a\r\n\r\n", HttpError::kVersionNotSupported);
  expectRequestError("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", HttpError::kVersionNotSupported);
}

TEST(Http1RequestLineTest, MalformedVersion) {
  expectBadRequest("GET / HTTP/1.1 \r\nHost: a\r\n\r\n");
  expectBadRequest("GET / http/1.1\r\nHost: a\r\n\r\n");
  expectBadRequest("GET / HTTP/1.10\r\nHost: a\r\n\r\n");
  expectBadRequest("GET / HTTP/11\r\nHost: a\r\n\r\n");
  expectBadRequest("GET / HTTP/1.x\r\nHost: a\r\n\r\n");
  expectBadRequest("GET /\r\nHost: a\r\n\r\n");  // HTTP/0.9 style
}

TEST(Http1RequestLineTest, SingleSpacesOnly) {
  expectBadRequest("GET  / HTTP/1.1\r\nHost: a\r\n\r\n");
  expectBadRequest("GET /  HTTP/1.1\r\nHost: a\r\n\r\n");
  expectBadRequest("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n");
  expectBadRequest(" GET / HTTP/1.1\r\nHost: a\r\n\r\n");
  expectBadRequest("GET /a b HTTP/1.1\r\nHost: a\r\n\r\n");
}

TEST(Http1RequestLineTest, InvalidMethodAndTarget) {
  expectBadRequest("G(T / HTTP/1.1\r\nHost: a\r\n\r\n");
  expectBadRequest("GET /\x7f HTTP/1.1\r\nHost: a\r\n\r\n");
  expectBadRequest("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n");
  expectBadRequest("GET /\0 HTTP/1.1\r\nHost: a\r\n\r\n"sv);
  expectBadRequest("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n");
}

TEST(Http1RequestLineTest, BareLfIsRefused) {
  expectBadRequest("GET / HTTP/1.1\nHost: a\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\n\n");
  expectBadRequest("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n");
}

// ------------------------------------------------------------------------------------------------
// Incremental parsing

// Every proper prefix of a complete head needs more; the whole gives `expected`.
void expectSplitInvariant(std::string_view s) {
  RequestHead whole_head;
  const ParseResult whole = parseRequest(s, whole_head);
  for (size_t n = 0; n < s.size(); ++n) {
    RequestHead h;
    const ParseResult r = parseRequest(s.substr(0, n), h);
    if (whole.status == ParseStatus::kDone && n < whole.consumed) {
      ASSERT_EQ(r.status, ParseStatus::kNeedMore) << "prefix " << n << " of " << s;
    } else if (r.status != ParseStatus::kNeedMore) {
      ASSERT_EQ(r.status, whole.status) << "prefix " << n;
      ASSERT_EQ(r.error, whole.error) << "prefix " << n;
      ASSERT_EQ(r.consumed, whole.consumed) << "prefix " << n;
    }
  }
}

TEST(Http1IncrementalTest, EverySplitPointNeedsMoreThenDone) {
  expectSplitInvariant("\r\nPOST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nX: y\r\n\r\nabc");
  expectSplitInvariant("GET / HTTP/1.0\r\n\r\n");
}

TEST(Http1IncrementalTest, ErrorsAreTheSameAtEverySplitPoint) {
  expectSplitInvariant("GET / HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n");
  expectSplitInvariant(
      "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
      "Content-Length: 1\r\n\r\n");
  expectSplitInvariant("GET / HTTP/1.1\nHost: a\r\n\r\n");
}

TEST(Http1IncrementalTest, ErrorIsReportedBeforeTheHeadEnds) {
  const ParseResult r = parseRequest("GET / HTTP/1.1\r\nHost: a\r\nX\x01: y\r\nMore: ");
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error, HttpError::kBadRequest);
}

TEST(Http1IncrementalTest, EmptyBufferNeedsMore) {
  EXPECT_EQ(parseRequest("").status, ParseStatus::kNeedMore);
  EXPECT_EQ(parseRequest("\r").status, ParseStatus::kNeedMore);
  EXPECT_EQ(parseRequest("\r\n").status, ParseStatus::kNeedMore);
  EXPECT_EQ(parseRequest("GET / HTTP/1.1\r\nHost: a\r\n\r").status, ParseStatus::kNeedMore);
}

// ------------------------------------------------------------------------------------------------
// Header field errors

TEST(Http1HeaderTest, WhitespaceBeforeColon) {
  expectBadRequest("GET / HTTP/1.1\r\nHost : a\r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\nX\t: y\r\n\r\n");
}

TEST(Http1HeaderTest, ObsFoldIsRefused) {
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n\tb\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\n Host: a\r\n\r\n");
}

TEST(Http1HeaderTest, InvalidNames) {
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\nX(y): z\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\nX\xc3\xa9: z\r\n\r\n");
}

TEST(Http1HeaderTest, ControlCharactersInValues) {
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\nX: a\0b\r\n\r\n"sv);
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\nX: a\x1b[0m\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\r\n\r\n");
}

TEST(Http1HeaderTest, TabsInValuesAreFine) {
  RequestHead h;
  ASSERT_EQ(parseRequest("GET / HTTP/1.1\r\nHost: a\r\nX: a\tb\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_EQ(h.header("X"), "a\tb");
}

TEST(Http1HeaderTest, InvalidByteAtEveryPositionOfALongValue) {
  // Covers the 8-byte fast path and its tail at every alignment.
  for (size_t len = 1; len <= 40; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (char bad : {'\0', '\x01', '\x1f', '\x7f', '\r', '\x0b'}) {
        std::string value(len, 'v');
        value[at] = bad;
        if (at == 0) value.insert(value.begin(), 'v');  // keep the bad byte inside the value
        expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\nX: " + value + "x\r\n\r\n");
      }
      std::string value(len, '\xe9');
      value[at] = '\t';
      RequestHead h;
      const std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX: x" + value + "x\r\n\r\n";
      ASSERT_EQ(parseRequest(head, h).status, ParseStatus::kDone);
      EXPECT_EQ(h.header("x"), "x" + value + "x");
    }
  }
}

TEST(Http1RequestLineTest, InvalidByteAtEveryPositionOfALongTarget) {
  for (size_t len = 1; len <= 40; ++len) {
    for (size_t at = 0; at < len; ++at) {
      for (char bad : {'\0', '\t', '\x1f', '\x7f', ' '}) {
        std::string target = "/" + std::string(len, 'p');
        target[at + 1] = bad;
        expectBadRequest("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n");
      }
    }
    RequestHead h;
    const std::string target = "/" + std::string(len, '~');
    const std::string head = "GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n";  // h views it
    ASSERT_EQ(parseRequest(head, h).status, ParseStatus::kDone);
    EXPECT_EQ(h.target, target);
  }
}

// ------------------------------------------------------------------------------------------------
// Host

TEST(Http1HostTest, Http11RequiresExactlyOneHost) {
  expectBadRequest("GET / HTTP/1.1\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n");
}

TEST(Http1HostTest, Http10HostIsOptional) {
  RequestHead h;
  ASSERT_EQ(parseRequest("GET / HTTP/1.0\r\n\r\n", h).status, ParseStatus::kDone);
  EXPECT_EQ(h.host, "");
  ASSERT_EQ(parseRequest("GET / HTTP/1.0\r\nHost: x.example\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_EQ(h.host, "x.example");
  expectBadRequest("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n");
}

TEST(Http1HostTest, ValidHostForms) {
  RequestHead h;
  for (std::string_view host : {"example.com", "example.com:8080", "[::1]:443", "10.0.0.1",
                                "xn--bcher-kva.example", "a_b-c~d"}) {
    const std::string s = "GET / HTTP/1.1\r\nHost: " + std::string(host) + "\r\n\r\n";
    ASSERT_EQ(parseRequest(s, h).status, ParseStatus::kDone) << host;
    EXPECT_EQ(h.host, host);
  }
}

TEST(Http1HostTest, InvalidHostCharacters) {
  expectBadRequest("GET / HTTP/1.1\r\nHost: a b\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\"b\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\\b\r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: \r\n\r\n");
  expectBadRequest("GET / HTTP/1.1\r\nHost: a\xc3\xa9\r\n\r\n");
}

// ------------------------------------------------------------------------------------------------
// Framing and smuggling

TEST(Http1SmugglingTest, TransferEncodingWithContentLength) {
  expectBadRequest(
      "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n");
  expectBadRequest(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n");
}

TEST(Http1SmugglingTest, DifferingContentLengths) {
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nContent-Length: 5\r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4, 5\r\n\r\n");
}

TEST(Http1SmugglingTest, IdenticalContentLengthsAreAccepted) {
  RequestHead h;
  ASSERT_EQ(parseRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7\r\nContent-Length: 7\r\n"
                         "\r\n",
                         h)
                .status,
            ParseStatus::kDone);
  EXPECT_EQ(h.content_length, 7u);
  ASSERT_EQ(parseRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 7 ,7\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_EQ(h.content_length, 7u);
}

TEST(Http1SmugglingTest, MalformedContentLength) {
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 2\r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1.0\r\n\r\n");
}

TEST(Http1SmugglingTest, ContentLengthOverflow) {
  RequestHead h;
  ASSERT_EQ(
      parseRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775807\r\n\r\n", h)
          .status,
      ParseStatus::kDone);
  EXPECT_EQ(h.content_length, 9223372036854775807u);
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9223372036854775808\r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n");
}

TEST(Http1SmugglingTest, UnknownCodingBeforeChunkedIsNotImplemented) {
  expectRequestError("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
                     HttpError::kNotImplemented);
  expectRequestError(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
      "Transfer-Encoding: chunked\r\n\r\n",
      HttpError::kNotImplemented);
  expectRequestError("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n",
                     HttpError::kNotImplemented);
  expectRequestError("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n",
                     HttpError::kNotImplemented);
}

TEST(Http1SmugglingTest, ChunkedNotLastOrRepeated) {
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  expectBadRequest(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
      "Transfer-Encoding: gzip\r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n");
  expectBadRequest(
      "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
      "Transfer-Encoding: chunked\r\n\r\n");
}

TEST(Http1SmugglingTest, MalformedTransferEncoding) {
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \"chunked\"\r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chun ked\r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;x=1\r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n\r\n");
  expectBadRequest("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\x0b\r\n\r\n");
}

TEST(Http1SmugglingTest, TransferEncodingInHttp10) {
  expectBadRequest("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
}

TEST(Http1SmugglingTest, NoBodyHeadersMeanNoBody) {
  RequestHead h;
  ASSERT_EQ(parseRequest("POST / HTTP/1.1\r\nHost: a\r\n\r\n", h).status, ParseStatus::kDone);
  EXPECT_EQ(h.framing, BodyFraming::kNone);
}

// ------------------------------------------------------------------------------------------------
// Limits

TEST(Http1LimitsTest, RequestLineTooLong) {
  Limits limits;
  limits.max_request_line = 32;
  RequestHead h;
  const std::string ok = "GET /" + std::string(18, 'a') + " HTTP/1.1";  // exactly 32
  ASSERT_EQ(ok.size(), 32u);
  EXPECT_EQ(parseRequest(ok + "\r\nHost: a\r\n\r\n", h, limits).status, ParseStatus::kDone);
  const ParseResult r =
      parseRequest("GET /" + std::string(19, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", h, limits);
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error, HttpError::kUriTooLong);
  EXPECT_EQ(statusFor(r.error), 414);
}

TEST(Http1LimitsTest, RequestLineTooLongDetectedBeforeItEnds) {
  Limits limits;
  limits.max_request_line = 32;
  RequestHead h;
  const std::string partial = "GET /" + std::string(40, 'a');
  const ParseResult r = parseRequest(partial, h, limits);
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error, HttpError::kUriTooLong);
  // A line of exactly the limit followed by a lone CR still needs more.
  EXPECT_EQ(parseRequest("GET /" + std::string(18, 'a') + " HTTP/1.1\r", h, limits).status,
            ParseStatus::kNeedMore);
}

TEST(Http1LimitsTest, HeadTooLarge) {
  Limits limits;
  limits.max_head_bytes = 64;
  RequestHead h;
  const std::string head = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(40, 'v') + "\r\n\r\n";
  const ParseResult r = parseRequest(head, h, limits);
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error, HttpError::kHeadersTooLarge);
  EXPECT_EQ(statusFor(r.error), 431);
  // Exactly at the limit is fine.
  const std::string exact =
      "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(64 - 32, 'v') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), 64u);
  EXPECT_EQ(parseRequest(exact, h, limits).status, ParseStatus::kDone);
}

TEST(Http1LimitsTest, HeadTooLargeDetectedBeforeItEnds) {
  Limits limits;
  limits.max_head_bytes = 64;
  RequestHead h;
  const std::string partial = "GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(100, 'v');
  const ParseResult r = parseRequest(partial, h, limits);
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error, HttpError::kHeadersTooLarge);
}

TEST(Http1LimitsTest, TooManyHeaders) {
  Limits limits;
  limits.max_headers = 3;
  RequestHead h;
  EXPECT_EQ(parseRequest("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\n\r\n", h, limits).status,
            ParseStatus::kDone);
  const ParseResult r =
      parseRequest("GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 2\r\nC: 3\r\n", h, limits);  // no end
  EXPECT_EQ(r.status, ParseStatus::kError);
  EXPECT_EQ(r.error, HttpError::kHeadersTooLarge);
}

TEST(Http1LimitsTest, LeadingEmptyLinesDoNotCountTowardsTheHead) {
  Limits limits;
  limits.max_head_bytes = 30;
  RequestHead h;
  const std::string_view head = "GET / HTTP/1.1\r\nHost: abcd\r\n\r\n";  // 30 bytes
  ASSERT_EQ(head.size(), 30u);
  EXPECT_EQ(parseRequest("\r\n\r\n" + std::string(head), h, limits).status, ParseStatus::kDone);
}

// ------------------------------------------------------------------------------------------------
// Connection semantics

struct ConnCase {
  std::string_view head;
  bool keep_alive;
};

TEST(Http1ConnectionTest, KeepAliveByVersionAndConnection) {
  const ConnCase cases[] = {
      {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: CLOSE\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: foo, Close \r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: x\r\nConnection: close\r\n\r\n", false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: closed\r\n\r\n", true},
      {"GET / HTTP/1.0\r\n\r\n", false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true},
      {"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false},
  };
  for (const ConnCase& c : cases) {
    RequestHead h;
    ASSERT_EQ(parseRequest(c.head, h).status, ParseStatus::kDone) << c.head;
    EXPECT_EQ(h.keep_alive, c.keep_alive) << c.head;
  }
}

TEST(Http1ConnectionTest, Upgrade) {
  RequestHead h;
  ASSERT_EQ(parseRequest("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, Upgrade\r\n"
                         "Upgrade: websocket\r\n\r\n",
                         h)
                .status,
            ParseStatus::kDone);
  EXPECT_TRUE(h.upgrade);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(parseRequest("GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_FALSE(h.upgrade);
  ASSERT_EQ(parseRequest("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: upgrade\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_FALSE(h.upgrade);
}

TEST(Http1ConnectionTest, ExpectContinue) {
  RequestHead h;
  ASSERT_EQ(parseRequest("PUT / HTTP/1.1\r\nHost: a\r\nExpect: 100-Continue\r\n"
                         "Content-Length: 1\r\n\r\n",
                         h)
                .status,
            ParseStatus::kDone);
  EXPECT_TRUE(h.expect_continue);
  ASSERT_EQ(parseRequest("PUT / HTTP/1.1\r\nHost: a\r\nExpect: something\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_FALSE(h.expect_continue);
  // RFC 9110 10.1.1: ignored in HTTP/1.0.
  ASSERT_EQ(parseRequest("PUT / HTTP/1.0\r\nExpect: 100-continue\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_FALSE(h.expect_continue);
}

// ------------------------------------------------------------------------------------------------
// Responses

TEST(Http1ResponseTest, OkWithContentLength) {
  ResponseHead h;
  const std::string_view s = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nServer: x\r\n\r\nhi";
  const ParseResult r = parseResponse(s, h);
  ASSERT_EQ(r.status, ParseStatus::kDone) << r.reason;
  EXPECT_EQ(s.substr(r.consumed), "hi");
  EXPECT_EQ(h.status, 200);
  EXPECT_EQ(h.reason, "OK");
  EXPECT_EQ(h.version_minor, 1);
  EXPECT_EQ(h.framing, BodyFraming::kContentLength);
  EXPECT_EQ(h.content_length, 2u);
  EXPECT_TRUE(h.keep_alive);
  EXPECT_EQ(h.header("server"), "x");
}

TEST(Http1ResponseTest, ReasonPhraseForms) {
  ResponseHead h;
  ASSERT_EQ(parseResponse("HTTP/1.1 404 Not  Found\t!\r\nContent-Length: 0\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_EQ(h.reason, "Not  Found\t!");
  ASSERT_EQ(parseResponse("HTTP/1.1 204 \r\n\r\n", h).status, ParseStatus::kDone);
  EXPECT_EQ(h.reason, "");
  ASSERT_EQ(parseResponse("HTTP/1.1 204\r\n\r\n", h).status, ParseStatus::kDone);
  EXPECT_EQ(h.status, 204);
}

TEST(Http1ResponseTest, NoBodyStatusesAndMethods) {
  ResponseHead h;
  ASSERT_EQ(parseResponse("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n", h, "HEAD").status,
            ParseStatus::kDone);
  EXPECT_EQ(h.framing, BodyFraming::kNone);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(parseResponse("HTTP/1.1 204 No Content\r\n\r\n", h).status, ParseStatus::kDone);
  EXPECT_EQ(h.framing, BodyFraming::kNone);
  EXPECT_TRUE(h.keep_alive);
  ASSERT_EQ(parseResponse("HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_EQ(h.framing, BodyFraming::kNone);
  ASSERT_EQ(parseResponse("HTTP/1.1 200 Connection Established\r\n\r\n", h, "CONNECT").status,
            ParseStatus::kDone);
  EXPECT_EQ(h.framing, BodyFraming::kNone);
  ASSERT_EQ(parseResponse("HTTP/1.1 407 Auth\r\nContent-Length: 1\r\n\r\n", h, "CONNECT").status,
            ParseStatus::kDone);
  EXPECT_EQ(h.framing, BodyFraming::kContentLength);
}

TEST(Http1ResponseTest, InterimResponses) {
  ResponseHead h;
  const std::string_view s =
      "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
  ParseResult r = parseResponse(s, h);
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(h.status, 100);
  EXPECT_EQ(h.framing, BodyFraming::kNone);
  r = parseResponse(s.substr(r.consumed), h);
  ASSERT_EQ(r.status, ParseStatus::kDone);
  EXPECT_EQ(h.status, 200);
  ASSERT_EQ(parseResponse("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                          "Connection: Upgrade\r\n\r\n",
                          h)
                .status,
            ParseStatus::kDone);
  EXPECT_EQ(h.framing, BodyFraming::kNone);
}

TEST(Http1ResponseTest, UntilClose) {
  ResponseHead h;
  ASSERT_EQ(parseResponse("HTTP/1.1 200 OK\r\n\r\nbody...", h).status, ParseStatus::kDone);
  EXPECT_EQ(h.framing, BodyFraming::kUntilClose);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(parseResponse("HTTP/1.0 200 OK\r\n\r\n", h).status, ParseStatus::kDone);
  EXPECT_EQ(h.framing, BodyFraming::kUntilClose);
  EXPECT_FALSE(h.keep_alive);
}

TEST(Http1ResponseTest, Chunked) {
  ResponseHead h;
  ASSERT_EQ(parseResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_EQ(h.framing, BodyFraming::kChunked);
  // An upstream may apply a coding before chunked; the framing is still chunked.
  ASSERT_EQ(parseResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_EQ(h.framing, BodyFraming::kChunked);
}

TEST(Http1ResponseTest, KeepAlive) {
  ResponseHead h;
  ASSERT_EQ(
      parseResponse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", h).status,
      ParseStatus::kDone);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(parseResponse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", h).status,
            ParseStatus::kDone);
  EXPECT_FALSE(h.keep_alive);
  ASSERT_EQ(
      parseResponse("HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n", h)
          .status,
      ParseStatus::kDone);
  EXPECT_TRUE(h.keep_alive);
}

TEST(Http1ResponseTest, FramingErrors) {
  expectBadResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n");
  expectBadResponse("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n");
  expectBadResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n");
  expectBadResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n");
  expectBadResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n");
  expectBadResponse("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
  // Refused even where no body would be read.
  expectBadResponse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n",
                    "HEAD");
}

TEST(Http1ResponseTest, StatusLineErrors) {
  expectBadResponse("HTTP/1.1 99 Low\r\n\r\n");
  expectBadResponse("HTTP/1.1 099 Low\r\n\r\n");
  expectBadResponse("HTTP/1.1 600 High\r\n\r\n");
  expectBadResponse("HTTP/1.1 2000 OK\r\n\r\n");
  expectBadResponse("HTTP/1.1 20x OK\r\n\r\n");
  expectBadResponse("HTTP/1.1  200 OK\r\n\r\n");
  expectBadResponse("HTTP/2.0 200 OK\r\n\r\n");
  expectBadResponse("HTTP/1.1 200 O\x01K\r\n\r\n");
  expectBadResponse("http/1.1 200 OK\r\n\r\n");
  expectBadResponse("\r\nHTTP/1.1 200 OK\r\n\r\n");
  expectBadResponse("HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n");
}

TEST(Http1ResponseTest, HeaderErrorsAreBadResponse) {
  expectBadResponse("HTTP/1.1 200 OK\r\nX : y\r\n\r\n");
  expectBadResponse("HTTP/1.1 200 OK\r\nX: y\r\n folded\r\n\r\n");
  Limits limits;
  limits.max_headers = 1;
  ResponseHead h;
  const ParseResult r =
      parseResponseHead("HTTP/1.1 200 OK\r\nA: 1\r\nB: 2\r\n\r\n", "GET", limits, h);
  EXPECT_EQ(r.error, HttpError::kBadResponse);
  EXPECT_EQ(statusFor(r.error), 502);
}

TEST(Http1ResponseTest, ResponsesNeedNoHost) {
  ResponseHead h;
  ASSERT_EQ(parseResponse("HTTP/1.1 200 OK\r\nHost: a b\r\nContent-Length: 0\r\n\r\n", h).status,
            ParseStatus::kDone);
}

// ------------------------------------------------------------------------------------------------
// Body decoder

TEST(Http1BodyTest, ContentLength) {
  BodyDecoder d(BodyFraming::kContentLength, 5);
  EXPECT_FALSE(d.done());
  BodyDecoder::Step s = d.decode("he");
  EXPECT_EQ(s.consumed, 2u);
  EXPECT_EQ(s.data, "he");
  EXPECT_FALSE(s.done);
  s = d.decode("lloGET /");
  EXPECT_EQ(s.consumed, 3u);
  EXPECT_EQ(s.data, "llo");
  EXPECT_TRUE(s.done);
  EXPECT_TRUE(d.done());
  s = d.decode("more");
  EXPECT_TRUE(s.done);
  EXPECT_EQ(s.consumed, 0u);
  EXPECT_TRUE(d.finishAtEof());
}

TEST(Http1BodyTest, ZeroLengthAndNoneAreDoneImmediately) {
  BodyDecoder zero(BodyFraming::kContentLength, 0);
  EXPECT_TRUE(zero.done());
  BodyDecoder::Step s = zero.decode("x");
  EXPECT_TRUE(s.done);
  EXPECT_EQ(s.consumed, 0u);
  BodyDecoder none(BodyFraming::kNone, 0);
  EXPECT_TRUE(none.done());
  BodyDecoder def;
  EXPECT_TRUE(def.decode("abc").done);
}

TEST(Http1BodyTest, ContentLengthIncompleteAtEof) {
  BodyDecoder d(BodyFraming::kContentLength, 5);
  (void)d.decode("abc");
  EXPECT_FALSE(d.finishAtEof());
}

TEST(Http1BodyTest, UntilClose) {
  BodyDecoder d(BodyFraming::kUntilClose, 0);
  BodyDecoder::Step s = d.decode("abc");
  EXPECT_EQ(s.consumed, 3u);
  EXPECT_EQ(s.data, "abc");
  EXPECT_FALSE(s.done);
  s = d.decode("");
  EXPECT_EQ(s.consumed, 0u);
  EXPECT_FALSE(d.done());
  EXPECT_TRUE(d.finishAtEof());
  EXPECT_TRUE(d.done());
  EXPECT_TRUE(d.decode("x").done);
}

TEST(Http1BodyTest, ChunkedBasic) {
  const Decoded d = decodeChunked("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nNEXT");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.error, HttpError::kNone);
  EXPECT_EQ(d.body, "hello world");
  EXPECT_EQ(d.consumed, std::string_view("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n").size());
}

TEST(Http1BodyTest, ChunkedStepHandsOutOneChunkAtATime) {
  BodyDecoder d(BodyFraming::kChunked, 0);
  const std::string_view in = "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  BodyDecoder::Step s = d.decode(in);
  EXPECT_EQ(s.data, "abc");
  EXPECT_EQ(s.consumed, 11u);  // through the next size line
  EXPECT_GE(s.data.data(), in.data());
  s = d.decode(in.substr(11));
  EXPECT_EQ(s.data, "de");
  EXPECT_TRUE(s.done);
  EXPECT_EQ(s.consumed, in.size() - 11);
}

TEST(Http1BodyTest, ChunkedHexSizesAndExtensions) {
  EXPECT_EQ(decodeChunked("A\r\n0123456789\r\n0\r\n\r\n").body, "0123456789");
  EXPECT_EQ(decodeChunked("a;name=value\r\n0123456789\r\n0\r\n\r\n").body, "0123456789");
  EXPECT_TRUE(decodeChunked("1 ; a = \"q\\\"x\" ;b\r\nx\r\n0;last\r\n\r\n").done);
  EXPECT_TRUE(decodeChunked("0000000000000001\r\nx\r\n0\r\n\r\n").done);
}

TEST(Http1BodyTest, ChunkedBadSizes) {
  for (std::string_view bad :
       {"ffffffffffffffffff\r\n", "10000000000000000\r\n", "0x5\r\n", "+5\r\n", "-5\r\n", "\r\n",
        " 5\r\n", "5 \r\n", "g\r\n", "5;\r\n", "5;a=\r\n", "5;a=\"x\r\n", "5;a b\r\n", "5\r\r\n"}) {
    const Decoded d = decodeChunked(std::string(bad) + "hello\r\n0\r\n\r\n");
    EXPECT_EQ(d.error, HttpError::kBadRequest) << bad;
    EXPECT_FALSE(d.done) << bad;
  }
}

TEST(Http1BodyTest, ChunkedMissingCrlfAfterData) {
  EXPECT_EQ(decodeChunked("5\r\nhelloX\r\n0\r\n\r\n").error, HttpError::kBadRequest);
  EXPECT_EQ(decodeChunked("5\r\nhello\n0\r\n\r\n").error, HttpError::kBadRequest);
  EXPECT_EQ(decodeChunked("5\r\nhello\rX0\r\n\r\n").error, HttpError::kBadRequest);
  EXPECT_EQ(decodeChunked("5\r\nhello0\r\n\r\n").error, HttpError::kBadRequest);
}

TEST(Http1BodyTest, ChunkedBareLf) {
  EXPECT_EQ(decodeChunked("5\nhello\r\n0\r\n\r\n").error, HttpError::kBadRequest);
  EXPECT_EQ(decodeChunked("5\r\nhello\r\n0\n\r\n").error, HttpError::kBadRequest);
  EXPECT_EQ(decodeChunked("5\r\nhello\r\n0\r\n\n").error, HttpError::kBadRequest);
}

TEST(Http1BodyTest, ChunkedDataBeforeAnErrorIsHandedOutFirst) {
  BodyDecoder d(BodyFraming::kChunked, 0);
  const std::string_view in = "5\r\nhelloXX";
  BodyDecoder::Step s = d.decode(in);
  EXPECT_EQ(s.error, HttpError::kNone);
  EXPECT_EQ(s.data, "hello");
  s = d.decode(in.substr(s.consumed));
  EXPECT_EQ(s.error, HttpError::kBadRequest);
  EXPECT_EQ(s.consumed, 0u);
  // Sticky.
  s = d.decode("\r\n0\r\n\r\n");
  EXPECT_EQ(s.error, HttpError::kBadRequest);
  EXPECT_FALSE(d.finishAtEof());
}

TEST(Http1BodyTest, ChunkedSizeLineTooLong) {
  const std::string ext = "1;" + std::string(BodyDecoder::kMaxChunkLine, 'a');
  EXPECT_EQ(decodeChunked(ext).error, HttpError::kBadRequest);  // detected before its end
  EXPECT_EQ(decodeChunked(ext + "\r\nx\r\n0\r\n\r\n").error, HttpError::kBadRequest);
}

TEST(Http1BodyTest, ChunkedTrailers) {
  Decoded d = decodeChunked("3\r\nabc\r\n0\r\nX-Checksum: 1234\r\nX-Other: y\r\n\r\n");
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.body, "abc");
  EXPECT_EQ(decodeChunked("0\r\nX : y\r\n\r\n").error, HttpError::kBadRequest);
  EXPECT_EQ(decodeChunked("0\r\nX: y\r\n folded\r\n\r\n").error, HttpError::kBadRequest);
  EXPECT_EQ(decodeChunked("0\r\nX: a\0b\r\n\r\n"sv).error, HttpError::kBadRequest);
  EXPECT_EQ(decodeChunked("0\r\nnocolon\r\n\r\n").error, HttpError::kBadRequest);
}

TEST(Http1BodyTest, ChunkedTrailersTooLarge) {
  std::string in = "0\r\n";
  for (int i = 0; i < 200; ++i) in += "X-Trailer: " + std::string(40, 'v') + "\r\n";
  in += "\r\n";
  EXPECT_EQ(decodeChunked(in).error, HttpError::kHeadersTooLarge);
  // Also without the end of the trailer section.
  EXPECT_EQ(decodeChunked("0\r\nX: " + std::string(9000, 'v')).error, HttpError::kHeadersTooLarge);
}

TEST(Http1BodyTest, ChunkedIncompleteAtEof) {
  BodyDecoder d(BodyFraming::kChunked, 0);
  (void)d.decode("5\r\nhel");
  EXPECT_FALSE(d.finishAtEof());
  BodyDecoder t(BodyFraming::kChunked, 0);
  (void)t.decode("0\r\n");
  EXPECT_FALSE(t.finishAtEof());
}

TEST(Http1BodyTest, ChunkedNeedsMoreWithoutConsumingPartialLines) {
  BodyDecoder d(BodyFraming::kChunked, 0);
  BodyDecoder::Step s = d.decode("1");
  EXPECT_EQ(s.consumed, 0u);
  EXPECT_FALSE(s.done);
  EXPECT_EQ(s.error, HttpError::kNone);
  s = d.decode("1a\r");
  EXPECT_EQ(s.consumed, 0u);
  s = d.decode("1a\r\n");
  EXPECT_EQ(s.consumed, 4u);
  EXPECT_TRUE(s.data.empty());
}

TEST(Http1BodyTest, ByteByByteEqualsWhole) {
  const std::string_view inputs[] = {
      "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n",
      "1;a=b\r\nx\r\n10\r\n0123456789abcdef\r\n0\r\nT: v\r\n\r\nextra",
      "5\r\nhello\r\nzz\r\n",
      "5\r\nhelloXX",
      "3\r\nabc\r\n0\r\nBad Trailer: x\r\n\r\n",
      "3\r\nab",
  };
  for (std::string_view in : inputs) {
    const Decoded whole = decodeWhole(BodyDecoder(BodyFraming::kChunked, 0), in);
    const Decoded bytes = decodeByteByByte(BodyDecoder(BodyFraming::kChunked, 0), in);
    EXPECT_EQ(whole.body, bytes.body) << in;
    EXPECT_EQ(whole.consumed, bytes.consumed) << in;
    EXPECT_EQ(whole.done, bytes.done) << in;
    EXPECT_EQ(whole.error, bytes.error) << in;
  }
  const Decoded whole = decodeWhole(BodyDecoder(BodyFraming::kContentLength, 7), "abcdefghij");
  const Decoded bytes = decodeByteByByte(BodyDecoder(BodyFraming::kContentLength, 7), "abcdefghij");
  EXPECT_EQ(whole.body, "abcdefg");
  EXPECT_EQ(bytes.body, "abcdefg");
  EXPECT_EQ(bytes.consumed, 7u);
}

// ------------------------------------------------------------------------------------------------
// Helpers

TEST(Http1HelpersTest, AppendChunkHeader) {
  std::string out;
  appendChunkHeader(out, 0);
  EXPECT_EQ(out, "0\r\n");
  out.clear();
  appendChunkHeader(out, 255);
  EXPECT_EQ(out, "ff\r\n");
  out = "x";
  appendChunkHeader(out, 0x1a2b3c);
  EXPECT_EQ(out, "x1a2b3c\r\n");
  out.clear();
  appendChunkHeader(out, SIZE_MAX);
  EXPECT_EQ(out, std::string(2 * sizeof(size_t), 'f') + "\r\n");
}

TEST(Http1HelpersTest, ChunkedRoundTrip) {
  std::string wire;
  appendChunkHeader(wire, 11);
  wire += "hello world";
  wire += kChunkEnd;
  wire += kLastChunk;
  const Decoded d = decodeChunked(wire);
  EXPECT_TRUE(d.done);
  EXPECT_EQ(d.body, "hello world");
  EXPECT_EQ(d.consumed, wire.size());
}

TEST(Http1HelpersTest, StatusFor) {
  EXPECT_EQ(statusFor(HttpError::kBadRequest), 400);
  EXPECT_EQ(statusFor(HttpError::kUriTooLong), 414);
  EXPECT_EQ(statusFor(HttpError::kHeadersTooLarge), 431);
  EXPECT_EQ(statusFor(HttpError::kNotImplemented), 501);
  EXPECT_EQ(statusFor(HttpError::kVersionNotSupported), 505);
  EXPECT_EQ(statusFor(HttpError::kBadResponse), 502);
}

TEST(Http1HelpersTest, TokenChars) {
  for (char c : std::string_view("!#$%&'*+-.^_`|~azAZ09")) EXPECT_TRUE(isTokenChar(c)) << c;
  for (char c : std::string_view("()<>@,;:\\\"/[]?={} \t\x7f")) EXPECT_FALSE(isTokenChar(c)) << c;
  EXPECT_FALSE(isTokenChar(0));
  EXPECT_FALSE(isTokenChar(0x80));
  EXPECT_FALSE(isTokenChar(0xff));
}

}  // namespace
}  // namespace causeway::http
