// fuzz-libs: causeway_http
// Fuzzes the WebSocket codec, checking invariants rather than just looking for crashes:
// - frames decoded in one piece, byte by byte, or in random pieces give the same events, and
//   every event other than an error ends at the same input offset;
// - events are well formed: messages within the size limit, text and close reasons valid UTF-8
//   (checked by an independent decoder), control payloads of at most 125 bytes, valid close
//   codes, error codes 1002/1007/1009 with a reason; errors are sticky, nothing follows a close;
// - the events before an error, re-encoded (fragmented, with pings in between, masked as the
//   peer's role requires), decode to the same events;
// - a handshake request that checkUpgradeRequest accepts gets a 101 that checkUpgradeResponse
//   accepts; refusals parse as HTTP responses; the builders never emit a head our own parser
//   refuses for anything but its size limits.
//
// Input layout: byte 0 selects the mode (low 2 bits), the decoder role (bit 2) and the message
// size limit (bits 3-4); the rest is the input. Modes 0 and 1: frames. Mode 2: a request head
// (then lines of it feed the client handshake builder). Mode 3: a response head, then frames
// for a client decoder.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/http1_parser.h"
#include "http/websocket.h"

namespace {

using namespace causeway::http;
using Kind = WebSocketEvent::Kind;

#define FUZZ_CHECK(cond)           \
  do {                             \
    if (!(cond)) __builtin_trap(); \
  } while (0)

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

// UTF-8 validity by decoding code points (a different method from the codec's).
bool referenceUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    size_t len = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    static constexpr uint32_t kMinForLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinForLength[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

struct Ev {
  Kind kind = Kind::kNeedMore;
  bool text = false;
  std::string payload;
  uint16_t code = 0;
  std::string reason;
  size_t end = 0;  // input offset at which the event was returned
  bool operator==(const Ev& o) const {
    return kind == o.kind && text == o.text && payload == o.payload && code == o.code &&
           reason == o.reason && (kind == Kind::kError || end == o.end);
  }
};

void checkEvent(const WebSocketEvent& e, size_t max_message) {
  switch (e.kind) {
    case Kind::kMessage:
      FUZZ_CHECK(e.payload.size() <= max_message);
      if (e.text) FUZZ_CHECK(referenceUtf8(e.payload));
      FUZZ_CHECK(e.close_code == 0 && e.reason.empty());
      break;
    case Kind::kPing:
    case Kind::kPong:
      FUZZ_CHECK(e.payload.size() <= kMaxControlPayload);
      break;
    case Kind::kClose:
      FUZZ_CHECK(isValidCloseCode(e.close_code) || e.close_code == ws_close::kNoStatus);
      if (e.close_code == ws_close::kNoStatus) FUZZ_CHECK(e.payload.empty());
      FUZZ_CHECK(e.payload.size() <= kMaxCloseReason && referenceUtf8(e.payload));
      break;
    case Kind::kError:
      FUZZ_CHECK(e.close_code == ws_close::kProtocolError ||
                 e.close_code == ws_close::kInvalidPayload ||
                 e.close_code == ws_close::kMessageTooBig);
      FUZZ_CHECK(!e.reason.empty() && e.payload.empty());
      break;
    case Kind::kNeedMore:
      FUZZ_CHECK(false);
  }
}

struct Outcome {
  std::vector<Ev> events;
  bool operator==(const Outcome& o) const { return events == o.events; }
};

// Decodes `in` in pieces whose sizes come from `next_piece`; each piece is offered, and its rest
// after every event, as a connection would.
template <class NextPiece>
Outcome decodeInPieces(WebSocketRole role, size_t max, std::string_view in,
                       NextPiece&& next_piece) {
  WebSocketDecoder d(role, max);
  Outcome out;
  size_t start = 0;
  bool stopped = false;
  bool closed = false;
  while (start < in.size() && !stopped) {
    const size_t end = start + std::min(next_piece(), in.size() - start);
    size_t pos = start;
    while (true) {
      const std::string_view given = in.substr(pos, end - pos);
      const WebSocketDecoder::Step s = d.decode(given);
      FUZZ_CHECK(s.consumed <= given.size());
      pos += s.consumed;
      if (s.event.kind == Kind::kNeedMore) {
        FUZZ_CHECK(pos == end);
        FUZZ_CHECK(!closed || given.empty());
        break;
      }
      checkEvent(s.event, max);
      out.events.push_back(Ev{s.event.kind, s.event.text, std::string(s.event.payload),
                              s.event.close_code, std::string(s.event.reason), pos});
      if (s.event.kind == Kind::kError) {
        // Sticky: the same error again, nothing consumed.
        const WebSocketDecoder::Step again = d.decode(in.substr(pos));
        FUZZ_CHECK(again.consumed == 0 && again.event.kind == Kind::kError &&
                   again.event.close_code == s.event.close_code);
        stopped = true;
        break;
      }
      if (s.event.kind == Kind::kClose) closed = true;
    }
    start = end;
  }
  return out;
}

// Re-encodes the events before an error or close as the peer would send them.
std::string reencode(const std::vector<Ev>& events, WebSocketRole role, SplitRng& rng) {
  std::string out;
  auto mask = [&]() -> std::optional<WebSocketMask> {
    if (role == WebSocketRole::kClient) return std::nullopt;
    const uint64_t r = rng.next();
    return WebSocketMask{uint8_t(r), uint8_t(r >> 8), uint8_t(r >> 16), uint8_t(r >> 24)};
  };
  for (const Ev& e : events) {
    switch (e.kind) {
      case Kind::kMessage: {
        // Up to four fragments, cut anywhere (also inside UTF-8 sequences), pings between.
        const std::string_view data = e.payload;
        const size_t pieces = 1 + rng.next() % 4;
        size_t at = 0;
        for (size_t p = 0; p < pieces; ++p) {
          const bool last = p + 1 == pieces;
          const size_t n = last ? data.size() - at : rng.next() % (data.size() - at + 1);
          const WebSocketOpcode op = p > 0    ? WebSocketOpcode::kContinuation
                                     : e.text ? WebSocketOpcode::kText
                                              : WebSocketOpcode::kBinary;
          encodeFrame(out, op, data.substr(at, n), last, mask());
          at += n;
          if (!last && rng.next() % 3 == 0) encodePing(out, "", mask());
        }
        break;
      }
      case Kind::kPing:
        encodePing(out, e.payload, mask());
        break;
      case Kind::kPong:
        encodePong(out, e.payload, mask());
        break;
      case Kind::kClose:
        encodeClose(out, e.code, e.payload, mask());
        break;
      default:
        break;
    }
  }
  return out;
}

std::vector<Ev> withoutPingsAndOffsets(std::vector<Ev> events) {
  std::vector<Ev> out;
  for (Ev& e : events) {
    if (e.kind == Kind::kPing && e.payload.empty()) continue;
    e.end = 0;
    out.push_back(std::move(e));
  }
  return out;
}

void fuzzFrames(WebSocketRole role, size_t max, std::string_view in) {
  if (in.size() > 1 << 16) in = in.substr(0, 1 << 16);
  const Outcome whole = decodeInPieces(role, max, in, [&] { return in.size(); });
  const Outcome bytes = decodeInPieces(role, max, in, [] { return size_t{1}; });
  FUZZ_CHECK(whole == bytes);
  SplitRng rng{hashBytes(in)};
  const Outcome random = decodeInPieces(role, max, in, [&] { return size_t(1 + rng.next() % 29); });
  FUZZ_CHECK(whole == random);

  std::vector<Ev> good = whole.events;
  if (!good.empty() && good.back().kind == Kind::kError) good.pop_back();
  const std::string again = reencode(good, role, rng);
  const Outcome redecoded =
      decodeInPieces(role, max, again, [&] { return size_t(1 + rng.next() % 61); });
  FUZZ_CHECK(withoutPingsAndOffsets(redecoded.events) == withoutPingsAndOffsets(good));
}

bool inside(std::string_view part, std::string_view whole) {
  if (part.empty()) return true;
  return part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size();
}

// A head our builder made must parse, unless it is only too large for the default limits.
bool parsesOrTooLarge(const ParseResult& r) {
  return r.status == ParseStatus::kDone ||
         (r.status == ParseStatus::kError &&
          (r.error == HttpError::kUriTooLong || r.error == HttpError::kHeadersTooLarge));
}

void fuzzBuiltClientHandshake(std::string_view in) {
  // Lines: host, path, key, then "name:value" extra headers.
  std::vector<std::string_view> lines;
  while (!in.empty() && lines.size() < 8) {
    const size_t nl = in.find('\n');
    lines.push_back(in.substr(0, nl));
    if (nl == std::string_view::npos) break;
    in.remove_prefix(nl + 1);
  }
  if (lines.size() < 3) return;
  std::vector<Header> extra;
  for (size_t i = 3; i < lines.size(); ++i) {
    const size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos) continue;
    extra.push_back(Header{lines[i].substr(0, colon), lines[i].substr(colon + 1)});
  }
  const causeway::Result<std::string> req =
      buildClientHandshake(lines[0], lines[1], lines[2], extra);
  if (!req.isOk()) return;
  RequestHead head;
  const ParseResult r = parseRequestHead(req.value(), Limits{}, head);
  FUZZ_CHECK(parsesOrTooLarge(r));
  if (r.status != ParseStatus::kDone) return;
  FUZZ_CHECK(r.consumed == req->size());
  const UpgradeRequestCheck check = checkUpgradeRequest(head);
  FUZZ_CHECK(check.ok() && check.key == lines[2]);
}

void fuzzRequestHandshake(std::string_view in) {
  RequestHead head;
  const ParseResult r = parseRequestHead(in, Limits{}, head);
  if (r.status == ParseStatus::kDone) {
    const UpgradeRequestCheck check = checkUpgradeRequest(head);
    if (check.ok()) {
      FUZZ_CHECK(isValidClientKey(check.key) && inside(check.key, in));
      FUZZ_CHECK(head.method == "GET" && head.version_minor == 1);
      const std::string accept = websocketAcceptKey(check.key);
      FUZZ_CHECK(accept.size() == 28);
      const causeway::Result<std::string> resp = buildServerHandshake(accept);
      FUZZ_CHECK(resp.isOk());
      ResponseHead rh;
      FUZZ_CHECK(parseResponseHead(resp.value(), "GET", Limits{}, rh).status == ParseStatus::kDone);
      FUZZ_CHECK(checkUpgradeResponse(rh, accept).ok);
    } else {
      FUZZ_CHECK((check.status == 400 || check.status == 426) && !check.reason.empty());
      FUZZ_CHECK(check.key.empty());
      const std::string refusal = buildHandshakeRefusal(check);
      ResponseHead rh;
      FUZZ_CHECK(parseResponseHead(refusal, "GET", Limits{}, rh).status == ParseStatus::kDone);
      FUZZ_CHECK(rh.status == check.status && !rh.keep_alive);
    }
  }
  fuzzBuiltClientHandshake(in);
}

void fuzzResponseHandshake(std::string_view in, size_t max) {
  ResponseHead head;
  const ParseResult r = parseResponseHead(in, "GET", Limits{}, head);
  if (r.status != ParseStatus::kDone) return;
  // The accept value for the RFC 6455 example key, so that corpus entries can pass.
  static const std::string kExpected = websocketAcceptKey("dGhlIHNhbXBsZSBub25jZQ==");
  const UpgradeResponseCheck check = checkUpgradeResponse(head, kExpected, {"a", "b"});
  if (!check.ok) {
    FUZZ_CHECK(!check.reason.empty());
    return;
  }
  FUZZ_CHECK(head.status == 101 && head.header("Sec-WebSocket-Accept") == kExpected);
  FUZZ_CHECK(check.protocol.empty() || check.protocol == "a" || check.protocol == "b");
  fuzzFrames(WebSocketRole::kClient, max, in.substr(r.consumed));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  const uint8_t mode = data[0] & 3;
  const WebSocketRole role = (data[0] & 4) ? WebSocketRole::kClient : WebSocketRole::kServer;
  static constexpr size_t kLimits[] = {1 << 20, 0, 16, 1000};
  const size_t max = kLimits[(data[0] >> 3) & 3];
  switch (mode) {
    case 0:
    case 1:
      fuzzFrames(role, max, in);
      break;
    case 2:
      fuzzRequestHandshake(in);
      break;
    case 3:
      fuzzResponseHandshake(in, max);
      break;
  }
  return 0;
}
