#include "http/websocket.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace causeway::http {
namespace {

using namespace std::string_view_literals;
using Kind = WebSocketEvent::Kind;

constexpr WebSocketMask kRfcMask = {0x37, 0xfa, 0x21, 0x3d};  // RFC 6455 section 5.7
constexpr size_t kNoLimit = SIZE_MAX;

std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s += static_cast<char>(c);
  return s;
}

// An event with its views copied, so it outlives the decoder call.
struct Ev {
  Kind kind = Kind::kNeedMore;
  bool text = false;
  std::string payload;
  uint16_t code = 0;
  std::string reason;
  bool operator==(const Ev&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Ev& e) {
  static constexpr const char* kNames[] = {"need-more", "message", "ping",
                                           "pong",      "close",   "error"};
  os << kNames[static_cast<int>(e.kind)];
  if (e.kind == Kind::kMessage) os << (e.text ? " text" : " binary");
  os << " payload(" << e.payload.size() << ")";
  if (e.payload.size() <= 40) os << "=\"" << e.payload << "\"";
  if (e.code != 0) os << " code=" << e.code;
  if (!e.reason.empty()) os << " reason=" << e.reason;
  return os;
}

Ev copyEvent(const WebSocketEvent& e) {
  return Ev{e.kind, e.text, std::string(e.payload), e.close_code, std::string(e.reason)};
}

Ev message(std::string_view data, bool text) {
  return Ev{Kind::kMessage, text, std::string(data), 0, ""};
}
Ev text(std::string_view data) { return message(data, true); }
Ev binary(std::string_view data) { return message(data, false); }
Ev ping(std::string_view data) { return Ev{Kind::kPing, false, std::string(data), 0, ""}; }
Ev pong(std::string_view data) { return Ev{Kind::kPong, false, std::string(data), 0, ""}; }
Ev closeEv(uint16_t code, std::string_view reason) {
  return Ev{Kind::kClose, false, std::string(reason), code, ""};
}

// Offers `in` to the decoder, and the rest after every event, until it needs more or fails.
void feed(WebSocketDecoder& d, std::string_view in, std::vector<Ev>& out) {
  size_t pos = 0;
  while (true) {
    const WebSocketDecoder::Step s = d.decode(in.substr(pos));
    EXPECT_LE(s.consumed, in.size() - pos);
    pos += s.consumed;
    if (s.event.kind == Kind::kNeedMore) {
      EXPECT_EQ(pos, in.size()) << "kNeedMore must consume all input";
      return;
    }
    out.push_back(copyEvent(s.event));
    if (s.event.kind == Kind::kError) return;
  }
}

std::vector<Ev> decodeWhole(WebSocketRole role, std::string_view in, size_t max = kNoLimit) {
  WebSocketDecoder d(role, max);
  std::vector<Ev> out;
  feed(d, in, out);
  return out;
}

// Feeds the input in pieces of the given sizes (the last piece takes the rest).
std::vector<Ev> decodePieces(WebSocketRole role, std::string_view in,
                             const std::vector<size_t>& cuts, size_t max = kNoLimit) {
  WebSocketDecoder d(role, max);
  std::vector<Ev> out;
  size_t start = 0;
  for (size_t cut : cuts) {
    feed(d, in.substr(start, cut - start), out);
    if (!out.empty() && out.back().kind == Kind::kError) return out;
    start = cut;
  }
  feed(d, in.substr(start), out);
  return out;
}

std::vector<Ev> decodeByteByByte(WebSocketRole role, std::string_view in, size_t max = kNoLimit) {
  WebSocketDecoder d(role, max);
  std::vector<Ev> out;
  for (char c : in) {
    feed(d, std::string_view(&c, 1), out);
    if (!out.empty() && out.back().kind == Kind::kError) break;
  }
  return out;
}

// Decodes `in` whole, byte by byte, and split in two at every position; all must agree with
// `expected`.
void expectDecodes(WebSocketRole role, std::string_view in, const std::vector<Ev>& expected,
                   size_t max = kNoLimit) {
  EXPECT_EQ(decodeWhole(role, in, max), expected);
  EXPECT_EQ(decodeByteByByte(role, in, max), expected);
  for (size_t i = 1; i < in.size(); ++i) {
    ASSERT_EQ(decodePieces(role, in, {i}, max), expected) << "split at " << i;
  }
}

// Expects `in` to decode to `before` and then an error with `code`, however it is split.
void expectError(WebSocketRole role, std::string_view in, uint16_t code,
                 std::vector<Ev> before = {}, size_t max = kNoLimit) {
  for (const std::vector<Ev>& got : {decodeWhole(role, in, max), decodeByteByByte(role, in, max)}) {
    ASSERT_EQ(got.size(), before.size() + 1) << testing::PrintToString(got);
    for (size_t i = 0; i < before.size(); ++i) EXPECT_EQ(got[i], before[i]);
    EXPECT_EQ(got.back().kind, Kind::kError) << got.back();
    EXPECT_EQ(got.back().code, code) << got.back();
    EXPECT_FALSE(got.back().reason.empty());
  }
}

std::string frame(WebSocketOpcode op, std::string_view payload, bool fin,
                  std::optional<WebSocketMask> mask) {
  std::string out;
  encodeFrame(out, op, payload, fin, mask);
  return out;
}

// A masked frame, as a client sends it (what a server-role decoder reads).
std::string clientFrame(WebSocketOpcode op, std::string_view payload, bool fin = true) {
  return frame(op, payload, fin, WebSocketMask{0x11, 0x22, 0x33, 0x44});
}

// An unmasked frame, as a server sends it.
std::string serverFrame(WebSocketOpcode op, std::string_view payload, bool fin = true) {
  return frame(op, payload, fin, std::nullopt);
}

std::string pattern(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 7 + i / 251) & 0xFF);
  return s;
}

// ------------------------------------------------------------------------------- handshake

TEST(WebSocketHandshake, RfcExampleAcceptKey) {
  // RFC 6455 sections 1.3 and 4.2.2 (also the SHA-1 of key + GUID computed independently).
  EXPECT_EQ(websocketAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(WebSocketHandshake, ClientKeyIsBase64OfTheNonce) {
  // RFC 6455 section 1.3: the nonce "the sample nonce" gives the example key.
  std::array<uint8_t, 16> nonce{};
  const std::string_view sample = "the sample nonce";
  std::copy(sample.begin(), sample.end(), nonce.begin());
  EXPECT_EQ(makeClientKey(nonce), "dGhlIHNhbXBsZSBub25jZQ==");
  std::array<uint8_t, 16> zeros{};
  EXPECT_EQ(makeClientKey(zeros), "AAAAAAAAAAAAAAAAAAAAAA==");
  std::array<uint8_t, 16> ones;
  ones.fill(0xFF);
  EXPECT_EQ(makeClientKey(ones), "/////////////////////w==");
  EXPECT_TRUE(isValidClientKey(makeClientKey(ones)));
}

TEST(WebSocketHandshake, ClientKeyValidity) {
  EXPECT_TRUE(isValidClientKey("dGhlIHNhbXBsZSBub25jZQ=="));
  EXPECT_FALSE(isValidClientKey(""));
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZQ="));    // 23 characters
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZQ==="));  // 25
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZQAA"));   // no padding: 18 bytes
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZ==="));   // padding too early
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25jZR=="));   // non-canonical last char
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25j-Q=="));   // base64url alphabet
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZSBub25j Q=="));
  EXPECT_FALSE(isValidClientKey("dGhlIHNhbXBsZQ=="));  // 10 bytes
}

RequestHead parseRequestOk(std::string_view s) {
  RequestHead head;
  const ParseResult r = parseRequestHead(s, Limits{}, head);
  EXPECT_EQ(r.status, ParseStatus::kDone) << s << " " << r.reason;
  return head;
}

ResponseHead parseResponseOk(std::string_view s) {
  ResponseHead head;
  const ParseResult r = parseResponseHead(s, "GET", Limits{}, head);
  EXPECT_EQ(r.status, ParseStatus::kDone) << s << " " << r.reason;
  return head;
}

constexpr std::string_view kGoodRequest =
    "GET /sync HTTP/1.1\r\n"
    "Host: cp.example:8005\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    "Sec-WebSocket-Version: 13\r\n"
    "\r\n";

TEST(WebSocketHandshake, AcceptsAValidRequest) {
  // The strings must outlive the heads, which view into them.
  const std::string req(kGoodRequest);
  const UpgradeRequestCheck c = checkUpgradeRequest(parseRequestOk(req));
  ASSERT_TRUE(c.ok()) << c.reason;
  EXPECT_EQ(c.key, "dGhlIHNhbXBsZSBub25jZQ==");

  // Case-insensitive tokens, lists, and extensions offered (and ignored).
  const std::string lists =
      "GET / HTTP/1.1\r\nHost: h\r\nupgrade: h2c, WebSocket\r\n"
      "connection: keep-alive, UPGRADE\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
      "sec-websocket-version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"
      "Content-Length: 0\r\n\r\n";
  EXPECT_TRUE(checkUpgradeRequest(parseRequestOk(lists)).ok());
}

std::string replaceLine(std::string_view in, std::string_view from, std::string_view to) {
  std::string s(in);
  const size_t at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  s.replace(at, from.size(), to);
  return s;
}

void expectRefused(const std::string& req, int status, std::string_view reason_part) {
  const RequestHead head = parseRequestOk(req);
  const UpgradeRequestCheck c = checkUpgradeRequest(head);
  EXPECT_FALSE(c.ok()) << req;
  EXPECT_EQ(c.status, status) << req;
  EXPECT_NE(c.reason.find(reason_part), std::string_view::npos) << c.reason;
  EXPECT_TRUE(c.key.empty());
}

TEST(WebSocketHandshake, RefusesInvalidRequests) {
  const std::string_view g = kGoodRequest;
  expectRefused(replaceLine(g, "GET ", "POST "), 400, "GET");
  expectRefused(replaceLine(g, "HTTP/1.1", "HTTP/1.0"), 400, "HTTP/1.1");
  expectRefused(replaceLine(g, "Upgrade: websocket\r\n", ""), 400, "Upgrade");
  expectRefused(replaceLine(g, "Upgrade: websocket", "Upgrade: h2c"), 400, "Upgrade");
  expectRefused(replaceLine(g, "Upgrade: websocket", "Upgrade: websocket/13"), 400, "Upgrade");
  expectRefused(replaceLine(g, "Connection: Upgrade\r\n", ""), 400, "Connection");
  expectRefused(replaceLine(g, "Connection: Upgrade", "Connection: keep-alive"), 400, "Connection");
  expectRefused(replaceLine(g, "Connection: Upgrade", "Connection: upgraded"), 400, "Connection");
  expectRefused(replaceLine(g, "Sec-WebSocket-Version: 13\r\n", ""), 400, "missing");
  expectRefused(replaceLine(g, "Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 8"), 426,
                "Version");
  expectRefused(replaceLine(g, "Sec-WebSocket-Version: 13", "Sec-WebSocket-Version: 13, 8"), 426,
                "Version");
  expectRefused(replaceLine(g, "Sec-WebSocket-Version: 13",
                            "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Version: 13"),
                400, "repeated");
  expectRefused(replaceLine(g, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", ""), 400,
                "missing Sec-WebSocket-Key");
  expectRefused(replaceLine(g, "dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ=="), 400, "16 bytes");
  expectRefused(replaceLine(g, "dGhlIHNhbXBsZSBub25jZQ==", "not base64 at all!!!!!!!"), 400,
                "16 bytes");
  expectRefused(replaceLine(g, "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
                            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                            "Sec-WebSocket-Key: AAAAAAAAAAAAAAAAAAAAAA=="),
                400, "repeated");
  expectRefused(replaceLine(g, "\r\n\r\n", "\r\nContent-Length: 5\r\n\r\n"), 400, "body");
  expectRefused(replaceLine(g, "\r\n\r\n", "\r\nTransfer-Encoding: chunked\r\n\r\n"), 400, "body");
}

TEST(WebSocketHandshake, RefusalResponses) {
  UpgradeRequestCheck bad;
  bad.status = 400;
  bad.reason = "missing Sec-WebSocket-Key";
  const std::string r400 = buildHandshakeRefusal(bad);
  const ResponseHead h400 = parseResponseOk(r400);
  EXPECT_EQ(h400.status, 400);
  EXPECT_FALSE(h400.keep_alive);
  EXPECT_TRUE(r400.ends_with("\r\n\r\nmissing Sec-WebSocket-Key\n"));
  EXPECT_EQ(h400.content_length, bad.reason.size() + 1);

  UpgradeRequestCheck version;
  version.status = 426;
  version.reason = "unsupported Sec-WebSocket-Version";
  const std::string r426 = buildHandshakeRefusal(version);
  const ResponseHead h426 = parseResponseOk(r426);
  EXPECT_EQ(h426.status, 426);
  EXPECT_EQ(h426.header("Sec-WebSocket-Version"), "13");
  EXPECT_EQ(h426.header("Upgrade"), "websocket");
  EXPECT_FALSE(h426.keep_alive);
}

TEST(WebSocketHandshake, BuiltHandshakesPassTheChecks) {
  std::array<uint8_t, 16> nonce{};
  for (size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<uint8_t>(i * 37 + 5);
  const std::string key = makeClientKey(nonce);
  Result<std::string> req = buildClientHandshake(
      "cp.example:8005", "/v1/sync?node=dp-1", key,
      {{"Authorization", "Bearer x"}, {"Sec-WebSocket-Protocol", "causeway-sync.v1"}});
  ASSERT_TRUE(req.isOk()) << req.status().toString();
  const RequestHead head = parseRequestOk(*req);
  EXPECT_EQ(head.target, "/v1/sync?node=dp-1");
  EXPECT_EQ(head.host, "cp.example:8005");
  EXPECT_TRUE(head.upgrade);
  EXPECT_EQ(head.header("Authorization"), "Bearer x");
  const UpgradeRequestCheck check = checkUpgradeRequest(head);
  ASSERT_TRUE(check.ok()) << check.reason;
  EXPECT_EQ(check.key, key);

  const std::string accept = websocketAcceptKey(check.key);
  Result<std::string> resp =
      buildServerHandshake(accept, {{"Sec-WebSocket-Protocol", "causeway-sync.v1"}});
  ASSERT_TRUE(resp.isOk()) << resp.status().toString();
  EXPECT_TRUE(resp->starts_with("HTTP/1.1 101 Switching Protocols\r\n"));
  const ResponseHead rh = parseResponseOk(*resp);
  EXPECT_EQ(rh.status, 101);
  const UpgradeResponseCheck ok =
      checkUpgradeResponse(rh, websocketAcceptKey(key), {"causeway-sync.v1"});
  EXPECT_TRUE(ok.ok) << ok.reason;
  EXPECT_EQ(ok.protocol, "causeway-sync.v1");
  // The same response to a client that offered no subprotocol is refused.
  EXPECT_FALSE(checkUpgradeResponse(rh, websocketAcceptKey(key)).ok);
}

TEST(WebSocketHandshake, BuildersRefuseWhatWouldBreakTheHead) {
  const std::string key = "dGhlIHNhbXBsZSBub25jZQ==";
  EXPECT_TRUE(buildClientHandshake("h", "/", key).isOk());
  EXPECT_TRUE(buildClientHandshake("[::1]:8005", "/", key).isOk());
  EXPECT_FALSE(buildClientHandshake("", "/", key).isOk());
  EXPECT_FALSE(buildClientHandshake("h\r\nX: y", "/", key).isOk());
  EXPECT_FALSE(buildClientHandshake("h h", "/", key).isOk());
  EXPECT_FALSE(buildClientHandshake("h", "", key).isOk());
  EXPECT_FALSE(buildClientHandshake("h", "sync", key).isOk());
  EXPECT_FALSE(buildClientHandshake("h", "/a b", key).isOk());
  EXPECT_FALSE(buildClientHandshake("h", "/a\r\n", key).isOk());
  EXPECT_FALSE(buildClientHandshake("h", "/#frag", key).isOk());
  EXPECT_FALSE(buildClientHandshake("h", "/", "short").isOk());
  EXPECT_FALSE(buildClientHandshake("h", "/", key, {{"X-A", "a\r\nInjected: 1"}}).isOk());
  EXPECT_FALSE(buildClientHandshake("h", "/", key, {{"Bad Name", "v"}}).isOk());
  EXPECT_FALSE(buildClientHandshake("h", "/", key, {{"", "v"}}).isOk());
  EXPECT_FALSE(buildClientHandshake("h", "/", key, {{"host", "other"}}).isOk());
  EXPECT_FALSE(buildClientHandshake("h", "/", key, {{"Sec-WebSocket-Version", "8"}}).isOk());
  EXPECT_FALSE(
      buildClientHandshake("h", "/", key, {{"Sec-WebSocket-Extensions", "permessage-deflate"}})
          .isOk());
  EXPECT_TRUE(buildClientHandshake("h", "/", key, {{"X-Tab", "a\tb"}}).isOk());

  const std::string accept = websocketAcceptKey(key);
  EXPECT_TRUE(buildServerHandshake(accept).isOk());
  EXPECT_FALSE(buildServerHandshake("").isOk());
  EXPECT_FALSE(buildServerHandshake("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nX: 1").isOk());
  EXPECT_FALSE(buildServerHandshake(accept, {{"Connection", "close"}}).isOk());
  EXPECT_FALSE(buildServerHandshake(accept, {{"Sec-WebSocket-Extensions", "x"}}).isOk());
  EXPECT_FALSE(buildServerHandshake(accept, {{"X", "a\nb"}}).isOk());
}

constexpr std::string_view kGoodResponse =
    "HTTP/1.1 101 Switching Protocols\r\n"
    "Upgrade: websocket\r\n"
    "Connection: Upgrade\r\n"
    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    "\r\n";

void expectResponseRefused(const std::string& resp, std::string_view reason_part,
                           std::vector<std::string_view> offered = {}) {
  const ResponseHead head = parseResponseOk(resp);
  const UpgradeResponseCheck c =
      checkUpgradeResponse(head, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", offered);
  EXPECT_FALSE(c.ok) << resp;
  EXPECT_NE(c.reason.find(reason_part), std::string_view::npos) << c.reason;
}

TEST(WebSocketHandshake, ChecksTheResponse) {
  const std::string good(kGoodResponse);
  EXPECT_TRUE(checkUpgradeResponse(parseResponseOk(good), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=").ok);
  const std::string lower =
      replaceLine(replaceLine(good, "Upgrade: websocket", "upgrade: WebSocket"),
                  "Connection: Upgrade", "connection: keep-alive, upgrade");
  EXPECT_TRUE(checkUpgradeResponse(parseResponseOk(lower), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=").ok);

  const std::string_view g = kGoodResponse;
  expectResponseRefused(replaceLine(g, "101 Switching Protocols", "200 OK"), "101");
  expectResponseRefused(replaceLine(g, "HTTP/1.1", "HTTP/1.0"), "HTTP/1.1");
  expectResponseRefused(replaceLine(g, "Upgrade: websocket\r\n", ""), "Upgrade");
  expectResponseRefused(replaceLine(g, "Upgrade: websocket", "Upgrade: h2c, websocket"), "Upgrade");
  expectResponseRefused(replaceLine(g, "Connection: Upgrade\r\n", ""), "Connection");
  expectResponseRefused(
      replaceLine(g, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n", ""), "missing");
  expectResponseRefused(
      replaceLine(g, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", "S3pPLMBiTxaQ9kYGzzhZRbK+xOo="), "match");
  expectResponseRefused(replaceLine(g, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
                                    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
                                    "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
                        "repeated");
  expectResponseRefused(replaceLine(g, "\r\n\r\n", "\r\nSec-WebSocket-Extensions: x\r\n\r\n"),
                        "extension");
  expectResponseRefused(replaceLine(g, "\r\n\r\n", "\r\nSec-WebSocket-Protocol: b\r\n\r\n"),
                        "subprotocol", {"a"});
  // An empty expected accept (SHA-1 unavailable) never matches.
  EXPECT_FALSE(checkUpgradeResponse(parseResponseOk(good), "").ok);
}

// ------------------------------------------------------------------------------- RFC examples

TEST(WebSocketFrames, RfcSingleFrameUnmaskedText) {
  const std::string wire = bytes({0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  EXPECT_EQ(serverFrame(WebSocketOpcode::kText, "Hello"), wire);
  expectDecodes(WebSocketRole::kClient, wire, {text("Hello")});
}

TEST(WebSocketFrames, RfcSingleFrameMaskedText) {
  const std::string wire =
      bytes({0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  std::string out;
  encodeText(out, "Hello", kRfcMask);
  EXPECT_EQ(out, wire);
  expectDecodes(WebSocketRole::kServer, wire, {text("Hello")});
}

TEST(WebSocketFrames, RfcFragmentedUnmaskedText) {
  const std::string wire = bytes({0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f});
  EXPECT_EQ(serverFrame(WebSocketOpcode::kText, "Hel", false) +
                serverFrame(WebSocketOpcode::kContinuation, "lo"),
            wire);
  expectDecodes(WebSocketRole::kClient, wire, {text("Hello")});
}

TEST(WebSocketFrames, RfcPingAndPong) {
  const std::string ping_wire = bytes({0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f});
  std::string out;
  encodePing(out, "Hello", std::nullopt);
  EXPECT_EQ(out, ping_wire);
  expectDecodes(WebSocketRole::kClient, ping_wire, {ping("Hello")});

  const std::string pong_wire =
      bytes({0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58});
  out.clear();
  encodePong(out, "Hello", kRfcMask);
  EXPECT_EQ(out, pong_wire);
  expectDecodes(WebSocketRole::kServer, pong_wire, {pong("Hello")});
}

TEST(WebSocketFrames, Rfc256BytesAnd64KiB) {
  const std::string data256 = pattern(256);
  const std::string wire256 = bytes({0x82, 0x7E, 0x01, 0x00}) + data256;
  std::string out;
  encodeBinary(out, data256, std::nullopt);
  EXPECT_EQ(out, wire256);
  EXPECT_EQ(decodeWhole(WebSocketRole::kClient, wire256), std::vector<Ev>{binary(data256)});
  EXPECT_EQ(decodeByteByByte(WebSocketRole::kClient, wire256), std::vector<Ev>{binary(data256)});

  const std::string data64k = pattern(65536);
  const std::string wire64k =
      bytes({0x82, 0x7F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00}) + data64k;
  out.clear();
  encodeBinary(out, data64k, std::nullopt);
  EXPECT_EQ(out, wire64k);
  EXPECT_EQ(decodeWhole(WebSocketRole::kClient, wire64k), std::vector<Ev>{binary(data64k)});
  EXPECT_EQ(decodePieces(WebSocketRole::kClient, wire64k, {1, 3, 9, 10, 11, 4000, 65545}),
            std::vector<Ev>{binary(data64k)});
}

// ------------------------------------------------------------------------------- round trips

TEST(WebSocketFrames, RoundTripsAroundLengthBoundaries) {
  const size_t sizes[] = {0,   1,     2,     3,     4,     5,     7,      8,
                          9,   15,    16,    17,    124,   125,   126,    127,
                          128, 65534, 65535, 65536, 65537, 70000, 131072, 300001};
  for (size_t n : sizes) {
    const std::string data = pattern(n);
    std::string text_data(n, 'a');
    for (size_t i = 0; i < n; ++i) text_data[i] = static_cast<char>('a' + i % 26);
    const size_t header = 2 + (n < 126 ? 0 : n <= 65535 ? 2 : 8);

    const std::string unmasked = serverFrame(WebSocketOpcode::kBinary, data);
    EXPECT_EQ(unmasked.size(), header + n) << n;
    EXPECT_EQ(decodeWhole(WebSocketRole::kClient, unmasked), std::vector<Ev>{binary(data)}) << n;

    const std::string masked = clientFrame(WebSocketOpcode::kText, text_data);
    EXPECT_EQ(masked.size(), header + 4 + n) << n;
    EXPECT_EQ(decodeWhole(WebSocketRole::kServer, masked), std::vector<Ev>{text(text_data)}) << n;

    // The same payload split into three fragments, with a ping between the first two.
    const size_t a = n / 3;
    const size_t b = 2 * n / 3;
    const std::string fragmented =
        clientFrame(WebSocketOpcode::kBinary, data.substr(0, a), false) +
        clientFrame(WebSocketOpcode::kPing, "p") +
        clientFrame(WebSocketOpcode::kContinuation, data.substr(a, b - a), false) +
        clientFrame(WebSocketOpcode::kContinuation, data.substr(b));
    const std::vector<Ev> expected = {ping("p"), binary(data)};
    EXPECT_EQ(decodeWhole(WebSocketRole::kServer, fragmented), expected) << n;
    if (n < 1000) {
      EXPECT_EQ(decodeByteByByte(WebSocketRole::kServer, fragmented), expected) << n;
    } else {
      EXPECT_EQ(decodePieces(WebSocketRole::kServer, fragmented, {1, 2, 5, 7, 999, n / 2}),
                expected)
          << n;
    }
  }
}

TEST(WebSocketFrames, EveryMaskPhaseUnmasks) {
  // Chunks that start at every offset modulo 4 and 8 (the 8-byte fast path).
  const std::string data = pattern(97);
  for (uint8_t m = 0; m < 8; ++m) {
    const WebSocketMask mask = {static_cast<uint8_t>(0x80 | m), 0x01, static_cast<uint8_t>(m * 31),
                                0xFE};
    const std::string wire = frame(WebSocketOpcode::kBinary, data, true, mask);
    for (size_t cut = 1; cut < 40; ++cut) {
      std::vector<size_t> cuts;
      for (size_t p = cut; p < wire.size(); p += cut + 3) cuts.push_back(p);
      ASSERT_EQ(decodePieces(WebSocketRole::kServer, wire, cuts), std::vector<Ev>{binary(data)})
          << int(m) << " " << cut;
    }
  }
}

TEST(WebSocketFrames, ConversationSplitAtEveryByte) {
  const std::string server_stream =
      serverFrame(WebSocketOpcode::kText, "caf\xc3", false) +
      serverFrame(WebSocketOpcode::kPing, "") +
      serverFrame(WebSocketOpcode::kContinuation, "\xa9 \xf0\x9f", false) +
      serverFrame(WebSocketOpcode::kPong, "pong-data") +
      serverFrame(WebSocketOpcode::kContinuation, "\x98\x80!") +
      serverFrame(WebSocketOpcode::kBinary, "") +
      serverFrame(WebSocketOpcode::kBinary, pattern(300)) +
      serverFrame(WebSocketOpcode::kText, "") +
      serverFrame(WebSocketOpcode::kClose,
                  "\x03\xe8"
                  "bye");
  expectDecodes(WebSocketRole::kClient, server_stream,
                {ping(""), pong("pong-data"), text("caf\xc3\xa9 \xf0\x9f\x98\x80!"), binary(""),
                 binary(pattern(300)), text(""), closeEv(1000, "bye")});

  std::string client_stream;
  encodeText(client_stream, "hello", WebSocketMask{1, 2, 3, 4});
  encodeFrame(client_stream, WebSocketOpcode::kBinary, pattern(130), false,
              WebSocketMask{9, 8, 7, 6});
  encodePing(client_stream, "are you there", WebSocketMask{0xff, 0, 0xff, 0});
  encodeFrame(client_stream, WebSocketOpcode::kContinuation, pattern(5), true,
              WebSocketMask{0, 0, 0, 0});
  encodeClose(client_stream, ws_close::kNoStatus, "", WebSocketMask{5, 5, 5, 5});
  expectDecodes(WebSocketRole::kServer, client_stream,
                {text("hello"), ping("are you there"), binary(pattern(130) + pattern(5)),
                 closeEv(ws_close::kNoStatus, "")});
}

TEST(WebSocketFrames, ZeroCopyForWholeUnmaskedMessages) {
  const std::string wire = serverFrame(WebSocketOpcode::kBinary, "abcdef");
  WebSocketDecoder d(WebSocketRole::kClient, kNoLimit);
  const WebSocketDecoder::Step s = d.decode(wire);
  ASSERT_EQ(s.event.kind, Kind::kMessage);
  EXPECT_EQ(s.consumed, wire.size());
  EXPECT_EQ(s.event.payload.data(), wire.data() + 2);  // a view into the input
}

TEST(WebSocketFrames, ControlEncodersKeepWithinLimits) {
  std::string out;
  encodePing(out, std::string(200, 'x'), std::nullopt);
  EXPECT_EQ(decodeWhole(WebSocketRole::kClient, out), std::vector<Ev>{ping(std::string(125, 'x'))});

  // A reason longer than 123 bytes is cut before a multi-byte character, never inside one.
  std::string reason(122, 'r');
  reason += "\xc3\xa9tail";  // the 2-byte character would end at byte 124
  out.clear();
  encodeClose(out, ws_close::kGoingAway, reason, WebSocketMask{1, 2, 3, 4});
  EXPECT_EQ(decodeWhole(WebSocketRole::kServer, out),
            std::vector<Ev>{closeEv(ws_close::kGoingAway, std::string(122, 'r'))});

  out.clear();
  encodeClose(out, 4000, "", std::nullopt);
  EXPECT_EQ(out, bytes({0x88, 0x02, 0x0f, 0xa0}));
  out.clear();
  encodeClose(out, ws_close::kNoStatus, "ignored", std::nullopt);
  EXPECT_EQ(out, bytes({0x88, 0x00}));
}

// ------------------------------------------------------------------------------- strictness

TEST(WebSocketDecoderStrict, ReservedBits) {
  for (int rsv : {0x40, 0x20, 0x10}) {
    std::string f = serverFrame(WebSocketOpcode::kText, "x");
    f[0] = static_cast<char>(f[0] | rsv);
    expectError(WebSocketRole::kClient, f, ws_close::kProtocolError);
  }
}

TEST(WebSocketDecoderStrict, UnknownOpcodes) {
  for (int op : {3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF}) {
    expectError(WebSocketRole::kClient, bytes({0x80 | op, 0x00}), ws_close::kProtocolError);
  }
}

TEST(WebSocketDecoderStrict, ControlFrames) {
  // Longer than 125 bytes (with a 126 length, and with 126-byte 16-bit length).
  expectError(WebSocketRole::kClient, bytes({0x89, 126, 0x00, 126}) + std::string(126, 'x'),
              ws_close::kProtocolError);
  expectError(WebSocketRole::kClient, bytes({0x8A, 127, 0, 0, 0, 0, 0, 1, 0, 0}),
              ws_close::kProtocolError);
  // Fragmented.
  for (int op : {0x8, 0x9, 0xA}) {
    expectError(WebSocketRole::kClient, bytes({op, 0x00}), ws_close::kProtocolError);
  }
  // Exactly 125 is fine.
  expectDecodes(WebSocketRole::kClient, serverFrame(WebSocketOpcode::kPing, std::string(125, 'x')),
                {ping(std::string(125, 'x'))});
}

TEST(WebSocketDecoderStrict, NonMinimalLengths) {
  expectError(WebSocketRole::kClient, bytes({0x82, 126, 0x00, 0x7D}) + std::string(125, 'x'),
              ws_close::kProtocolError);
  expectError(WebSocketRole::kClient, bytes({0x82, 126, 0x00, 0x00}), ws_close::kProtocolError);
  expectError(WebSocketRole::kClient, bytes({0x82, 127, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}),
              ws_close::kProtocolError);
  expectError(WebSocketRole::kClient, bytes({0x82, 127, 0, 0, 0, 0, 0, 0, 0, 5}),
              ws_close::kProtocolError);
  // The smallest value of each encoding is accepted.
  EXPECT_EQ(decodeWhole(WebSocketRole::kClient, bytes({0x82, 126, 0x00, 126}) + pattern(126)),
            std::vector<Ev>{binary(pattern(126))});
}

TEST(WebSocketDecoderStrict, TopBitOf64BitLength) {
  expectError(WebSocketRole::kClient, bytes({0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 0}),
              ws_close::kProtocolError);
  expectError(WebSocketRole::kClient,
              bytes({0x82, 127, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}),
              ws_close::kProtocolError);
  // Without the top bit, a huge length is "too big", not a protocol error.
  expectError(WebSocketRole::kClient,
              bytes({0x82, 127, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}),
              ws_close::kMessageTooBig, {}, 1 << 20);
}

TEST(WebSocketDecoderStrict, MaskingMustFitTheRole) {
  expectError(WebSocketRole::kServer, serverFrame(WebSocketOpcode::kText, "hi"),
              ws_close::kProtocolError);
  expectError(WebSocketRole::kClient, clientFrame(WebSocketOpcode::kText, "hi"),
              ws_close::kProtocolError);
  expectError(WebSocketRole::kServer, serverFrame(WebSocketOpcode::kPing, ""),
              ws_close::kProtocolError);
}

TEST(WebSocketDecoderStrict, FragmentSequencing) {
  // A continuation with nothing started.
  expectError(WebSocketRole::kClient, serverFrame(WebSocketOpcode::kContinuation, "x"),
              ws_close::kProtocolError);
  expectError(
      WebSocketRole::kClient,
      serverFrame(WebSocketOpcode::kText, "a") + serverFrame(WebSocketOpcode::kContinuation, "x"),
      ws_close::kProtocolError, {text("a")});
  // A new data frame while a fragmented message is open.
  expectError(
      WebSocketRole::kClient,
      serverFrame(WebSocketOpcode::kText, "a", false) + serverFrame(WebSocketOpcode::kText, "b"),
      ws_close::kProtocolError);
  expectError(WebSocketRole::kClient,
              serverFrame(WebSocketOpcode::kBinary, "a", false) +
                  serverFrame(WebSocketOpcode::kPing, "") +
                  serverFrame(WebSocketOpcode::kBinary, "b", false),
              ws_close::kProtocolError, {ping("")});
}

TEST(WebSocketDecoderStrict, ClosePayloads) {
  expectError(WebSocketRole::kClient, bytes({0x88, 0x01, 0x03}), ws_close::kProtocolError);
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    expectError(WebSocketRole::kClient, bytes({0x88, 0x02, code >> 8, code & 0xFF}),
                ws_close::kProtocolError);
  }
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                   3999, 4000, 4999}) {
    EXPECT_EQ(decodeWhole(WebSocketRole::kClient, bytes({0x88, 0x02, code >> 8, code & 0xFF})),
              std::vector<Ev>{closeEv(static_cast<uint16_t>(code), "")})
        << code;
  }
  // The reason must be UTF-8.
  expectError(WebSocketRole::kClient, bytes({0x88, 0x04, 0x03, 0xe8, 0xc3, 0x28}),
              ws_close::kInvalidPayload);
  expectError(WebSocketRole::kClient, bytes({0x88, 0x03, 0x03, 0xe8, 0xc3}),
              ws_close::kInvalidPayload);
  // A close frame in the middle of a fragmented message ends it.
  expectDecodes(WebSocketRole::kClient,
                serverFrame(WebSocketOpcode::kText, "partial", false) +
                    serverFrame(WebSocketOpcode::kClose, "\x03\xe9"),
                {closeEv(1001, "")});
}

TEST(WebSocketDecoderStrict, NothingAfterClose) {
  const std::string wire =
      serverFrame(WebSocketOpcode::kClose, "") + serverFrame(WebSocketOpcode::kText, "late");
  expectError(WebSocketRole::kClient, wire, ws_close::kProtocolError,
              {closeEv(ws_close::kNoStatus, "")});
  WebSocketDecoder d(WebSocketRole::kClient, kNoLimit);
  const std::string close = serverFrame(WebSocketOpcode::kClose, "");
  EXPECT_EQ(d.decode(close).event.kind, Kind::kClose);
  EXPECT_EQ(d.decode("").event.kind, Kind::kNeedMore);  // nothing more is fine
}

TEST(WebSocketDecoderStrict, ErrorsAreSticky) {
  WebSocketDecoder d(WebSocketRole::kClient, kNoLimit);
  const std::string bad = bytes({0xC1, 0x00});
  const WebSocketDecoder::Step first = d.decode(bad);
  EXPECT_EQ(first.event.kind, Kind::kError);
  const std::string good = serverFrame(WebSocketOpcode::kText, "ok");
  const WebSocketDecoder::Step again = d.decode(good);
  EXPECT_EQ(again.event.kind, Kind::kError);
  EXPECT_EQ(again.event.close_code, ws_close::kProtocolError);
  EXPECT_EQ(again.event.reason, first.event.reason);
  EXPECT_EQ(again.consumed, 0u);
}

TEST(WebSocketDecoderStrict, ErrorsBeforeTheRestOfTheHeaderArrives) {
  // The first two bytes are enough to refuse: no need to wait for a length or a mask.
  WebSocketDecoder d(WebSocketRole::kServer, kNoLimit);
  EXPECT_EQ(d.decode(bytes({0x81})).event.kind, Kind::kNeedMore);
  EXPECT_EQ(d.decode(bytes({0x7F})).event.kind, Kind::kError);  // unmasked from a client
}

TEST(WebSocketDecoderStrict, MessageTooBig) {
  constexpr size_t kMax = 1000;
  // Exactly the limit passes, in one frame or in fragments.
  expectDecodes(WebSocketRole::kServer, clientFrame(WebSocketOpcode::kBinary, pattern(kMax)),
                {binary(pattern(kMax))}, kMax);
  EXPECT_EQ(decodeWhole(WebSocketRole::kServer,
                        clientFrame(WebSocketOpcode::kBinary, pattern(600), false) +
                            clientFrame(WebSocketOpcode::kContinuation, pattern(400)),
                        kMax),
            std::vector<Ev>{binary(pattern(600) + pattern(400))});
  // One byte over, in one frame or counting fragments.
  expectError(WebSocketRole::kServer, clientFrame(WebSocketOpcode::kBinary, pattern(kMax + 1)),
              ws_close::kMessageTooBig, {}, kMax);
  expectError(WebSocketRole::kServer,
              clientFrame(WebSocketOpcode::kText, std::string(600, 'a'), false) +
                  clientFrame(WebSocketOpcode::kContinuation, std::string(401, 'b')),
              ws_close::kMessageTooBig, {}, kMax);
  // Refused from the header alone: no payload byte needs to arrive.
  const std::string wire = clientFrame(WebSocketOpcode::kBinary, pattern(1 << 20));
  WebSocketDecoder d(WebSocketRole::kServer, kMax);
  const WebSocketDecoder::Step s = d.decode(std::string_view(wire).substr(0, 14));
  EXPECT_EQ(s.event.kind, Kind::kError);
  EXPECT_EQ(s.event.close_code, ws_close::kMessageTooBig);
  // The limit is per message: many messages of the limit pass.
  std::string many;
  for (int i = 0; i < 5; ++i) encodeBinary(many, pattern(kMax), WebSocketMask{1, 1, 1, 1});
  EXPECT_EQ(decodeWhole(WebSocketRole::kServer, many, kMax).size(), 5u);
}

// ------------------------------------------------------------------------------- UTF-8

std::vector<Ev> decodeTextFragments(const std::vector<std::string>& parts) {
  std::string wire;
  for (size_t i = 0; i < parts.size(); ++i) {
    encodeFrame(wire, i == 0 ? WebSocketOpcode::kText : WebSocketOpcode::kContinuation, parts[i],
                i + 1 == parts.size(), std::nullopt);
  }
  return decodeWhole(WebSocketRole::kClient, wire);
}

TEST(WebSocketUtf8, ValidText) {
  const std::vector<std::string> valid = {
      "",
      "plain ascii",
      "\xc2\x80",                                      // U+0080
      "\xdf\xbf",                                      // U+07FF
      "\xe0\xa0\x80",                                  // U+0800
      "\xed\x9f\xbf",                                  // U+D7FF, below the surrogates
      "\xee\x80\x80",                                  // U+E000, above them
      "\xef\xbf\xbf",                                  // U+FFFF
      "\xf0\x90\x80\x80",                              // U+10000
      "\xf4\x8f\xbf\xbf",                              // U+10FFFF
      "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5",  // "kosme" in Greek
      std::string("nul\0inside", 10),
  };
  for (const std::string& s : valid) {
    EXPECT_EQ(decodeTextFragments({s}), std::vector<Ev>{text(s)}) << testing::PrintToString(s);
  }
}

TEST(WebSocketUtf8, InvalidText) {
  const std::vector<std::string> invalid = {
      "\x80",  // a lone continuation byte
      "\xbf",
      "\xc0\x80",      // overlong NUL
      "\xc1\xbf",      // overlong
      "\xe0\x80\x80",  // overlong 3-byte
      "\xe0\x9f\xbf",
      "\xf0\x80\x80\x80",  // overlong 4-byte
      "\xf0\x8f\xbf\xbf",
      "\xed\xa0\x80",      // U+D800, a surrogate
      "\xed\xbf\xbf",      // U+DFFF
      "\xf4\x90\x80\x80",  // U+110000
      "\xf5\x80\x80\x80",
      "\xff",
      "\xfe",
      "\xc3",  // truncated at the end of the message
      "\xe2\x82",
      "\xf0\x9f\x98",
      "\xc3\x28",  // a lead byte followed by ASCII
      "abc\xe2\x28\xa1",
      "12345678\x80xyz",  // after an ASCII run of the 8-byte fast path
  };
  for (const std::string& s : invalid) {
    const std::vector<Ev> got = decodeTextFragments({s});
    ASSERT_EQ(got.size(), 1u) << testing::PrintToString(s);
    EXPECT_EQ(got[0].kind, Kind::kError) << testing::PrintToString(s);
    EXPECT_EQ(got[0].code, ws_close::kInvalidPayload) << testing::PrintToString(s);
  }
  // Binary messages carry any bytes.
  EXPECT_EQ(decodeWhole(WebSocketRole::kClient, serverFrame(WebSocketOpcode::kBinary, "\xff\xc0")),
            std::vector<Ev>{binary("\xff\xc0")});
}

TEST(WebSocketUtf8, SequencesSplitAcrossFragments) {
  const std::string smile = "\xf0\x9f\x98\x80";
  for (size_t cut = 1; cut < smile.size(); ++cut) {
    EXPECT_EQ(decodeTextFragments({"a" + smile.substr(0, cut), smile.substr(cut) + "b"}),
              std::vector<Ev>{text("a" + smile + "b")});
  }
  // One byte per fragment, and empty fragments in between.
  EXPECT_EQ(decodeTextFragments({"\xe2", "", "\x82", "\xac", ""}),
            std::vector<Ev>{text("\xe2\x82\xac")});
  // An invalid byte is refused as soon as it arrives, before the message ends.
  std::string wire = serverFrame(WebSocketOpcode::kText, "ok\xc3", false) +
                     serverFrame(WebSocketOpcode::kContinuation, "\x28", false);
  expectError(WebSocketRole::kClient, wire, ws_close::kInvalidPayload);
  // A sequence left open by the final fragment is refused.
  expectError(WebSocketRole::kClient,
              serverFrame(WebSocketOpcode::kText, "ok", false) +
                  serverFrame(WebSocketOpcode::kContinuation, "\xe2\x82"),
              ws_close::kInvalidPayload);
  // A surrogate split across fragments is still a surrogate.
  EXPECT_EQ(decodeTextFragments({"\xed", "\xa0\x80"}).back().code, ws_close::kInvalidPayload);
  // Masked, split at every byte.
  std::string masked;
  encodeFrame(masked, WebSocketOpcode::kText, "\xe2\x82", false, WebSocketMask{1, 2, 3, 4});
  encodeFrame(masked, WebSocketOpcode::kContinuation, "\xac\xf0\x9f", false,
              WebSocketMask{5, 6, 7, 8});
  encodeFrame(masked, WebSocketOpcode::kContinuation, "\x98\x80", true, WebSocketMask{9, 9, 9, 9});
  expectDecodes(WebSocketRole::kServer, masked, {text("\xe2\x82\xac\xf0\x9f\x98\x80")});
}

}  // namespace
}  // namespace causeway::http
