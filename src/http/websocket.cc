#include "http/websocket.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "base/base64.h"
#include "base/strings.h"

namespace causeway::http {
namespace {

// RFC 6455 section 1.3: appended to the client's key before hashing.
constexpr std::string_view kHandshakeGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

// True if the comma-separated list `value` has an element equal to `token` (case-insensitive).
bool listHasToken(std::string_view value, std::string_view token) {
  while (true) {
    const size_t comma = value.find(',');
    if (equalsIgnoreCase(trimOws(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) return false;
    value.remove_prefix(comma + 1);
  }
}

bool anyHeaderListsToken(const std::vector<Header>& headers, std::string_view name,
                         std::string_view token) {
  for (const Header& h : headers) {
    if (equalsIgnoreCase(h.name, name) && listHasToken(h.value, token)) return true;
  }
  return false;
}

// How many headers are named `name`; `first` receives the value of the first one.
size_t countHeaders(const std::vector<Header>& headers, std::string_view name,
                    std::string_view& first) {
  size_t n = 0;
  for (const Header& h : headers) {
    if (!equalsIgnoreCase(h.name, name)) continue;
    if (n++ == 0) first = h.value;
  }
  return n;
}

bool isHostChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~:[]%!$&'()*+,;=").find(c) != std::string_view::npos;
}

// Extra headers may not contain what would break the head or what the builder owns.
Status checkExtraHeaders(const std::vector<Header>& extra,
                         std::initializer_list<std::string_view> owned) {
  for (const Header& h : extra) {
    if (h.name.empty()) return Status::invalidArgument("empty header name");
    for (char c : h.name) {
      if (!isTokenChar(static_cast<unsigned char>(c))) {
        return Status::invalidArgument("invalid header name: " + std::string(h.name));
      }
    }
    for (char c : h.value) {
      const auto u = static_cast<unsigned char>(c);
      if ((u < 0x20 && u != '\t') || u == 0x7F) {
        return Status::invalidArgument("invalid character in header " + std::string(h.name));
      }
    }
    if (equalsIgnoreCase(h.name, "Sec-WebSocket-Extensions")) {
      return Status::invalidArgument("WebSocket extensions are not supported");
    }
    for (std::string_view o : owned) {
      if (equalsIgnoreCase(h.name, o)) {
        return Status::invalidArgument("header set by the handshake itself: " +
                                       std::string(h.name));
      }
    }
  }
  return Status::ok();
}

void appendHeaders(std::string& out, const std::vector<Header>& extra) {
  for (const Header& h : extra) {
    out.append(h.name).append(": ").append(h.value).append("\r\n");
  }
}

// XORs n bytes of src with the mask into dst (which may equal src), starting at mask byte
// `phase` (the payload offset modulo 4).
void applyMask(char* dst, const char* src, size_t n, const WebSocketMask& mask, size_t phase) {
  size_t i = 0;
  if (n >= 16) {
    unsigned char rotated[8];
    for (size_t k = 0; k < 8; ++k) rotated[k] = mask[(phase + k) & 3];
    uint64_t m = 0;
    std::memcpy(&m, rotated, 8);
    for (; i + 8 <= n; i += 8) {
      uint64_t w = 0;
      std::memcpy(&w, src + i, 8);
      w ^= m;
      std::memcpy(dst + i, &w, 8);
    }
  }
  for (; i < n; ++i) dst[i] = static_cast<char>(src[i] ^ mask[(phase + i) & 3]);
}

// The longest prefix of `s` of at most `max` bytes that does not end inside a UTF-8 sequence.
std::string_view cutAtCharBoundary(std::string_view s, size_t max) {
  if (s.size() <= max) return s;
  size_t cut = max;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;
  return s.substr(0, cut);
}

}  // namespace

// ---------------------------------------------------------------------------------- handshake

std::string websocketAcceptKey(std::string_view client_key) {
  std::string input;
  input.reserve(client_key.size() + kHandshakeGuid.size());
  input.append(client_key).append(kHandshakeGuid);
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  if (EVP_Digest(input.data(), input.size(), digest, &digest_len, EVP_sha1(), nullptr) != 1 ||
      digest_len != 20) {
    return {};
  }
  return base64Encode(std::span<const uint8_t>(digest, digest_len));
}

std::string makeClientKey(const std::array<uint8_t, 16>& nonce) { return base64Encode(nonce); }

bool isValidClientKey(std::string_view key) {
  uint8_t nonce[16];
  return base64DecodeExact(key, nonce);
}

Result<std::string> buildClientHandshake(std::string_view host, std::string_view path,
                                         std::string_view key,
                                         const std::vector<Header>& extra_headers) {
  if (host.empty() || !std::all_of(host.begin(), host.end(), isHostChar)) {
    return Status::invalidArgument("invalid WebSocket host: " + std::string(host));
  }
  if (path.empty() || path.front() != '/' ||
      !std::all_of(path.begin(), path.end(), [](char c) { return c > 0x20 && c < 0x7F; }) ||
      path.find('#') != std::string_view::npos) {
    return Status::invalidArgument("invalid WebSocket path: " + std::string(path));
  }
  if (!isValidClientKey(key)) return Status::invalidArgument("invalid Sec-WebSocket-Key");
  Status s = checkExtraHeaders(
      extra_headers, {"Host", "Upgrade", "Connection", "Sec-WebSocket-Key", "Sec-WebSocket-Version",
                      "Content-Length", "Transfer-Encoding"});
  if (!s.isOk()) return s;
  std::string out;
  out.reserve(160 + host.size() + path.size());
  out.append("GET ").append(path).append(" HTTP/1.1\r\nHost: ").append(host);
  out.append("\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ").append(key);
  out.append("\r\nSec-WebSocket-Version: 13\r\n");
  appendHeaders(out, extra_headers);
  out.append("\r\n");
  return out;
}

UpgradeRequestCheck checkUpgradeRequest(const RequestHead& head) {
  auto refuse = [](int status, std::string_view reason) {
    UpgradeRequestCheck c;
    c.status = status;
    c.reason = reason;
    return c;
  };
  if (head.method != "GET") return refuse(400, "WebSocket handshake is not a GET");
  if (head.version_minor != 1) return refuse(400, "WebSocket handshake is not HTTP/1.1");
  if (head.framing == BodyFraming::kChunked ||
      (head.framing == BodyFraming::kContentLength && head.content_length > 0)) {
    return refuse(400, "WebSocket handshake with a body");
  }
  if (!anyHeaderListsToken(head.headers, "Upgrade", "websocket")) {
    return refuse(400, "Upgrade does not list websocket");
  }
  if (!anyHeaderListsToken(head.headers, "Connection", "upgrade")) {
    return refuse(400, "Connection does not list upgrade");
  }
  std::string_view version;
  const size_t versions = countHeaders(head.headers, "Sec-WebSocket-Version", version);
  if (versions == 0) return refuse(400, "missing Sec-WebSocket-Version");
  if (versions > 1) return refuse(400, "repeated Sec-WebSocket-Version");
  if (version != "13") return refuse(426, "unsupported Sec-WebSocket-Version");
  std::string_view key;
  const size_t keys = countHeaders(head.headers, "Sec-WebSocket-Key", key);
  if (keys == 0) return refuse(400, "missing Sec-WebSocket-Key");
  if (keys > 1) return refuse(400, "repeated Sec-WebSocket-Key");
  if (!isValidClientKey(key)) return refuse(400, "Sec-WebSocket-Key is not base64 of 16 bytes");
  UpgradeRequestCheck ok;
  ok.key = key;
  return ok;
}

Result<std::string> buildServerHandshake(std::string_view accept_key,
                                         const std::vector<Header>& extra_headers) {
  if (accept_key.size() != 28 || !std::all_of(accept_key.begin(), accept_key.end(), [](char c) {
        return base64Value(c) >= 0 || c == '=';
      })) {
    return Status::invalidArgument("invalid Sec-WebSocket-Accept");
  }
  Status s = checkExtraHeaders(extra_headers, {"Upgrade", "Connection", "Sec-WebSocket-Accept",
                                               "Content-Length", "Transfer-Encoding"});
  if (!s.isOk()) return s;
  std::string out;
  out.reserve(160);
  out.append("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n");
  out.append("Sec-WebSocket-Accept: ").append(accept_key).append("\r\n");
  appendHeaders(out, extra_headers);
  out.append("\r\n");
  return out;
}

std::string buildHandshakeRefusal(const UpgradeRequestCheck& check) {
  std::string body(check.reason.empty() ? std::string_view("bad WebSocket handshake")
                                        : check.reason);
  body += '\n';
  std::string out;
  if (check.status == 426) {
    // RFC 9110 section 15.5.22: a 426 names the protocol to upgrade to; RFC 6455 section 4.2.2:
    // and the versions the server speaks.
    out.append("HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\n");
    out.append("Connection: upgrade, close\r\nSec-WebSocket-Version: 13\r\n");
  } else {
    out.append("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n");
  }
  out.append("Content-Type: text/plain\r\nContent-Length: ").append(std::to_string(body.size()));
  out.append("\r\n\r\n").append(body);
  return out;
}

UpgradeResponseCheck checkUpgradeResponse(const ResponseHead& head,
                                          std::string_view expected_accept,
                                          const std::vector<std::string_view>& offered_protocols) {
  auto refuse = [](std::string_view reason) {
    UpgradeResponseCheck c;
    c.reason = reason;
    return c;
  };
  if (head.status != 101) return refuse("WebSocket handshake response is not 101");
  if (head.version_minor != 1) return refuse("WebSocket handshake response is not HTTP/1.1");
  std::string_view upgrade;
  const size_t upgrades = countHeaders(head.headers, "Upgrade", upgrade);
  if (upgrades != 1 || !equalsIgnoreCase(upgrade, "websocket")) {
    return refuse("Upgrade is not websocket");
  }
  if (!anyHeaderListsToken(head.headers, "Connection", "upgrade")) {
    return refuse("Connection does not list upgrade");
  }
  std::string_view accept;
  const size_t accepts = countHeaders(head.headers, "Sec-WebSocket-Accept", accept);
  if (accepts == 0) return refuse("missing Sec-WebSocket-Accept");
  if (accepts > 1) return refuse("repeated Sec-WebSocket-Accept");
  if (expected_accept.empty() || accept != expected_accept) {
    return refuse("Sec-WebSocket-Accept does not match the key");
  }
  std::string_view ignored;
  if (countHeaders(head.headers, "Sec-WebSocket-Extensions", ignored) > 0) {
    return refuse("server chose a WebSocket extension that was not offered");
  }
  std::string_view protocol;
  const size_t protocols = countHeaders(head.headers, "Sec-WebSocket-Protocol", protocol);
  if (protocols > 1) return refuse("repeated Sec-WebSocket-Protocol");
  if (protocols == 1 && std::find(offered_protocols.begin(), offered_protocols.end(), protocol) ==
                            offered_protocols.end()) {
    return refuse("server chose a subprotocol that was not offered");
  }
  UpgradeResponseCheck ok;
  ok.ok = true;
  ok.protocol = protocol;
  return ok;
}

// ---------------------------------------------------------------------------------- frames

bool isValidCloseCode(uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) ||
         (code >= 3000 && code <= 4999);
}

void encodeFrame(std::string& out, WebSocketOpcode op, std::string_view payload, bool fin,
                 std::optional<WebSocketMask> mask) {
  const uint64_t n = payload.size();
  unsigned char head[14];
  size_t len = 0;
  head[len++] = static_cast<unsigned char>((fin ? 0x80 : 0) | static_cast<uint8_t>(op));
  const unsigned char mask_bit = mask ? 0x80 : 0;
  if (n < 126) {
    head[len++] = static_cast<unsigned char>(mask_bit | n);
  } else if (n <= 0xFFFF) {
    head[len++] = mask_bit | 126;
    head[len++] = static_cast<unsigned char>(n >> 8);
    head[len++] = static_cast<unsigned char>(n);
  } else {
    head[len++] = mask_bit | 127;
    for (int shift = 56; shift >= 0; shift -= 8) {
      head[len++] = static_cast<unsigned char>(n >> shift);
    }
  }
  if (mask) {
    std::memcpy(head + len, mask->data(), 4);
    len += 4;
  }
  const size_t start = out.size();
  out.resize(start + len + payload.size());
  std::memcpy(out.data() + start, head, len);
  char* body = out.data() + start + len;
  if (mask) {
    applyMask(body, payload.data(), payload.size(), *mask, 0);
  } else if (!payload.empty()) {
    std::memcpy(body, payload.data(), payload.size());
  }
}

void encodeText(std::string& out, std::string_view text, std::optional<WebSocketMask> mask) {
  encodeFrame(out, WebSocketOpcode::kText, text, true, mask);
}

void encodeBinary(std::string& out, std::string_view data, std::optional<WebSocketMask> mask) {
  encodeFrame(out, WebSocketOpcode::kBinary, data, true, mask);
}

void encodePing(std::string& out, std::string_view payload, std::optional<WebSocketMask> mask) {
  encodeFrame(out, WebSocketOpcode::kPing, payload.substr(0, kMaxControlPayload), true, mask);
}

void encodePong(std::string& out, std::string_view payload, std::optional<WebSocketMask> mask) {
  encodeFrame(out, WebSocketOpcode::kPong, payload.substr(0, kMaxControlPayload), true, mask);
}

void encodeClose(std::string& out, uint16_t code, std::string_view reason,
                 std::optional<WebSocketMask> mask) {
  if (code == ws_close::kNoStatus) {
    encodeFrame(out, WebSocketOpcode::kClose, {}, true, mask);
    return;
  }
  char payload[kMaxControlPayload];
  payload[0] = static_cast<char>(code >> 8);
  payload[1] = static_cast<char>(code & 0xFF);
  const std::string_view cut = cutAtCharBoundary(reason, kMaxCloseReason);
  if (!cut.empty()) std::memcpy(payload + 2, cut.data(), cut.size());
  encodeFrame(out, WebSocketOpcode::kClose, std::string_view(payload, 2 + cut.size()), true, mask);
}

// ---------------------------------------------------------------------------------- decoder

bool WebSocketDecoder::Utf8State::feed(std::string_view bytes) {
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    if (need == 0) {
      while (i + 8 <= n) {  // ASCII runs, 8 bytes at a time
        uint64_t w = 0;
        std::memcpy(&w, p + i, 8);
        if ((w & 0x8080808080808080ull) != 0) break;
        i += 8;
      }
      if (i == n) break;
      const unsigned char c = p[i++];
      if (c < 0x80) continue;
      if (c < 0xC2) return false;  // a stray continuation byte, or an overlong C0/C1 lead
      if (c < 0xE0) {
        need = 1;
        lo = 0x80;
        hi = 0xBF;
      } else if (c < 0xF0) {
        need = 2;
        lo = c == 0xE0 ? 0xA0 : 0x80;  // E0 80..9F would be overlong
        hi = c == 0xED ? 0x9F : 0xBF;  // ED A0..BF would be a surrogate
      } else if (c < 0xF5) {
        need = 3;
        lo = c == 0xF0 ? 0x90 : 0x80;  // F0 80..8F would be overlong
        hi = c == 0xF4 ? 0x8F : 0xBF;  // F4 90.. would pass U+10FFFF
      } else {
        return false;
      }
    } else {
      const unsigned char c = p[i++];
      if (c < lo || c > hi) return false;
      lo = 0x80;
      hi = 0xBF;
      --need;
    }
  }
  return true;
}

WebSocketDecoder::WebSocketDecoder(WebSocketRole role, size_t max_message_size)
    : role_(role), max_message_size_(max_message_size) {}

WebSocketDecoder::Step WebSocketDecoder::fail(size_t consumed, uint16_t code,
                                              std::string_view reason) {
  state_ = State::kError;
  error_code_ = code;
  error_reason_ = reason;
  Step s;
  s.consumed = consumed;
  s.event.kind = WebSocketEvent::Kind::kError;
  s.event.close_code = code;
  s.event.reason = reason;
  return s;
}

WebSocketDecoder::HeaderRead WebSocketDecoder::invalid(uint16_t code, std::string_view reason) {
  error_code_ = code;
  error_reason_ = reason;
  return HeaderRead::kInvalid;
}

WebSocketDecoder::HeaderRead WebSocketDecoder::checkFirstTwoBytes() {
  const uint8_t b0 = header_[0];
  const uint8_t b1 = header_[1];
  if ((b0 & 0x70) != 0) return invalid(ws_close::kProtocolError, "reserved bits set");
  const uint8_t op = b0 & 0x0F;
  switch (op) {
    case 0x0:
    case 0x1:
    case 0x2:
    case 0x8:
    case 0x9:
    case 0xA:
      break;
    default:
      return invalid(ws_close::kProtocolError, "unknown opcode");
  }
  frame_op_ = static_cast<WebSocketOpcode>(op);
  frame_fin_ = (b0 & 0x80) != 0;
  frame_masked_ = (b1 & 0x80) != 0;
  if (role_ == WebSocketRole::kServer && !frame_masked_) {
    return invalid(ws_close::kProtocolError, "unmasked frame from a client");
  }
  if (role_ == WebSocketRole::kClient && frame_masked_) {
    return invalid(ws_close::kProtocolError, "masked frame from a server");
  }
  if (isControl(frame_op_)) {
    if (!frame_fin_) return invalid(ws_close::kProtocolError, "fragmented control frame");
    if ((b1 & 0x7F) > kMaxControlPayload) {
      return invalid(ws_close::kProtocolError, "control frame longer than 125 bytes");
    }
  } else if (frame_op_ == WebSocketOpcode::kContinuation) {
    if (!in_message_) return invalid(ws_close::kProtocolError, "continuation with no message");
  } else if (in_message_) {
    return invalid(ws_close::kProtocolError, "new message inside a fragmented message");
  }
  return HeaderRead::kComplete;
}

WebSocketDecoder::HeaderRead WebSocketDecoder::checkLength() {
  const uint8_t len7 = header_[1] & 0x7F;
  if (len7 < 126) {
    frame_length_ = len7;
  } else if (len7 == 126) {
    frame_length_ = (uint64_t{header_[2]} << 8) | header_[3];
    if (frame_length_ < 126) return invalid(ws_close::kProtocolError, "non-minimal length");
  } else {
    uint64_t v = 0;
    for (size_t i = 2; i < 10; ++i) v = (v << 8) | header_[i];
    if ((v >> 63) != 0) return invalid(ws_close::kProtocolError, "length with the top bit set");
    if (v <= 0xFFFF) return invalid(ws_close::kProtocolError, "non-minimal length");
    frame_length_ = v;
  }
  if (!isControl(frame_op_)) {
    const size_t so_far = frame_op_ == WebSocketOpcode::kContinuation ? message_.size() : 0;
    if (frame_length_ > max_message_size_ - so_far) {
      return invalid(ws_close::kMessageTooBig, "message too big");
    }
  }
  return HeaderRead::kComplete;
}

WebSocketDecoder::HeaderRead WebSocketDecoder::readHeader(std::string_view in, size_t& pos) {
  if (header_len_ < 2) {
    const size_t take = std::min(2 - header_len_, in.size() - pos);
    std::memcpy(header_.data() + header_len_, in.data() + pos, take);
    header_len_ += take;
    pos += take;
    if (header_len_ < 2) return HeaderRead::kIncomplete;
    if (checkFirstTwoBytes() == HeaderRead::kInvalid) return HeaderRead::kInvalid;
  }
  const uint8_t len7 = header_[1] & 0x7F;
  const size_t needed = 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + (frame_masked_ ? 4 : 0);
  const size_t take = std::min(needed - header_len_, in.size() - pos);
  std::memcpy(header_.data() + header_len_, in.data() + pos, take);
  header_len_ += take;
  pos += take;
  if (header_len_ < needed) return HeaderRead::kIncomplete;
  if (checkLength() == HeaderRead::kInvalid) return HeaderRead::kInvalid;
  if (frame_masked_) std::memcpy(mask_.data(), header_.data() + needed - 4, 4);
  header_len_ = 0;
  frame_read_ = 0;
  return HeaderRead::kComplete;
}

WebSocketDecoder::Step WebSocketDecoder::finishControl(size_t consumed) {
  state_ = State::kHeader;
  const std::string_view payload(control_.data(), frame_length_);
  Step s;
  s.consumed = consumed;
  switch (frame_op_) {
    case WebSocketOpcode::kPing:
      s.event.kind = WebSocketEvent::Kind::kPing;
      s.event.payload = payload;
      return s;
    case WebSocketOpcode::kPong:
      s.event.kind = WebSocketEvent::Kind::kPong;
      s.event.payload = payload;
      return s;
    default:
      break;
  }
  // Close (RFC 6455 section 5.5.1): nothing, or a code and a UTF-8 reason.
  uint16_t code = ws_close::kNoStatus;
  std::string_view reason;
  if (payload.size() == 1) return fail(consumed, ws_close::kProtocolError, "1-byte close payload");
  if (payload.size() >= 2) {
    code = static_cast<uint16_t>((static_cast<unsigned char>(payload[0]) << 8) |
                                 static_cast<unsigned char>(payload[1]));
    if (!isValidCloseCode(code))
      return fail(consumed, ws_close::kProtocolError, "invalid close code");
    reason = payload.substr(2);
    Utf8State utf8;
    if (!utf8.feed(reason) || !utf8.complete()) {
      return fail(consumed, ws_close::kInvalidPayload, "close reason is not UTF-8");
    }
  }
  // A message left unfinished by the close is dropped.
  in_message_ = false;
  message_.clear();
  state_ = State::kClosed;
  s.event.kind = WebSocketEvent::Kind::kClose;
  s.event.close_code = code;
  s.event.payload = reason;
  return s;
}

WebSocketDecoder::Step WebSocketDecoder::decode(std::string_view in) {
  if (message_delivered_) {
    message_delivered_ = false;
    message_.clear();
    // A connection keeps at most this much buffer between large messages.
    constexpr size_t kKeptCapacity = size_t{64} * 1024;
    if (message_.capacity() > kKeptCapacity) message_.shrink_to_fit();
  }
  if (state_ == State::kError) {
    Step s;
    s.event.kind = WebSocketEvent::Kind::kError;
    s.event.close_code = error_code_;
    s.event.reason = error_reason_;
    return s;
  }
  if (state_ == State::kClosed) {
    if (in.empty()) return Step{};
    return fail(0, ws_close::kProtocolError, "data after a close frame");
  }

  size_t pos = 0;
  while (true) {
    if (state_ == State::kHeader) {
      switch (readHeader(in, pos)) {
        case HeaderRead::kIncomplete:
          return Step{pos, {}};
        case HeaderRead::kInvalid:
          return fail(pos, error_code_, error_reason_);
        case HeaderRead::kComplete:
          break;
      }
      state_ = State::kPayload;
      if (!isControl(frame_op_) && frame_op_ != WebSocketOpcode::kContinuation) {
        in_message_ = true;
        message_text_ = frame_op_ == WebSocketOpcode::kText;
        utf8_ = Utf8State{};
      }
    }

    const size_t available = in.size() - pos;
    const uint64_t remaining = frame_length_ - frame_read_;

    if (isControl(frame_op_)) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining, available));
      char* dst = control_.data() + frame_read_;
      if (frame_masked_) {
        applyMask(dst, in.data() + pos, n, mask_, frame_read_ & 3);
      } else if (n > 0) {
        std::memcpy(dst, in.data() + pos, n);
      }
      pos += n;
      frame_read_ += n;
      if (frame_read_ < frame_length_) return Step{pos, {}};
      return finishControl(pos);
    }

    Step s;
    s.event.kind = WebSocketEvent::Kind::kMessage;
    s.event.text = message_text_;
    if (frame_op_ != WebSocketOpcode::kContinuation && frame_fin_ && !frame_masked_ &&
        frame_read_ == 0 && available >= frame_length_) {
      // A whole unfragmented, unmasked message in the input: hand out a view of it.
      const std::string_view data = in.substr(pos, frame_length_);
      pos += data.size();
      state_ = State::kHeader;
      in_message_ = false;
      if (message_text_ && (!utf8_.feed(data) || !utf8_.complete())) {
        return fail(pos, ws_close::kInvalidPayload, "text message is not UTF-8");
      }
      s.consumed = pos;
      s.event.payload = data;
      return s;
    }

    const size_t n = static_cast<size_t>(std::min<uint64_t>(remaining, available));
    const size_t old_size = message_.size();
    message_.resize(old_size + n);
    char* dst = message_.data() + old_size;
    if (frame_masked_) {
      applyMask(dst, in.data() + pos, n, mask_, frame_read_ & 3);
    } else if (n > 0) {
      std::memcpy(dst, in.data() + pos, n);
    }
    pos += n;
    frame_read_ += n;
    if (message_text_ && !utf8_.feed(std::string_view(dst, n))) {
      return fail(pos, ws_close::kInvalidPayload, "text message is not UTF-8");
    }
    if (frame_read_ < frame_length_) return Step{pos, {}};
    state_ = State::kHeader;
    if (!frame_fin_) continue;
    in_message_ = false;
    if (message_text_ && !utf8_.complete()) {
      return fail(pos, ws_close::kInvalidPayload, "text message is not UTF-8");
    }
    message_delivered_ = true;
    s.consumed = pos;
    s.event.payload = message_;
    return s;
  }
}

}  // namespace causeway::http
