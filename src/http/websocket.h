// Strict, I/O-free WebSocket codec (RFC 6455): the opening handshake on top of the HTTP/1.1
// parser, frame encoding, and a decoder that turns received bytes into messages, control frames
// and protocol errors. It carries the control-plane <-> data-plane sync stream (over mTLS).
//
// No sockets, no clocks, no random source of its own: the caller passes the handshake nonce and
// the frame masks (client side) and moves the bytes.
//
// No extension and no subprotocol is ever negotiated here, so the decoder refuses: reserved bits,
// unknown opcodes, control frames that are fragmented or longer than 125 bytes, lengths not in
// their shortest encoding or with the 64-bit top bit set, masking that does not fit the role,
// continuation frames with no message open, a new message while one is open, close frames of
// one byte or with a code RFC 6455 section 7.4 does not allow, text and close reasons that are
// not UTF-8, messages larger than the limit, and anything after a close frame.
//
// Thread-safety: functions are pure; a WebSocketDecoder belongs to one connection, one thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "http/http1_parser.h"

namespace causeway::http {

// ---------------------------------------------------------------------------------- handshake

// The Sec-WebSocket-Accept value for a Sec-WebSocket-Key: base64(SHA-1(key + RFC 6455 GUID)).
// Empty only if the crypto library refuses SHA-1 (which then fails every handshake).
std::string websocketAcceptKey(std::string_view client_key);

// A Sec-WebSocket-Key: base64 of 16 bytes that the caller draws from its (injected) RNG.
std::string makeClientKey(const std::array<uint8_t, 16>& nonce);

// True for a base64 encoding of exactly 16 bytes, canonical (24 characters ending in "==").
bool isValidClientKey(std::string_view key);

// The client's opening handshake (a GET request with Upgrade: websocket). `extra_headers` are
// appended (e.g. Authorization, Sec-WebSocket-Protocol). Refused: a host, path, key or extra
// header that would not make a valid request line or field, and extra headers that the builder
// sets itself or that would negotiate an extension (Sec-WebSocket-Extensions).
Result<std::string> buildClientHandshake(std::string_view host, std::string_view path,
                                         std::string_view key,
                                         const std::vector<Header>& extra_headers = {});

// Outcome of checking a client's handshake request.
struct UpgradeRequestCheck {
  int status = 101;         // 101 when acceptable; else the HTTP status to refuse with
  std::string_view reason;  // static text when refused
  std::string_view key;     // the Sec-WebSocket-Key (a view into the request) when acceptable
  bool ok() const { return status == 101; }
};

// Checks a parsed request head for a WebSocket version 13 opening handshake: GET, HTTP/1.1,
// Upgrade listing "websocket", Connection listing "upgrade" (both case-insensitive), exactly one
// Sec-WebSocket-Version of 13 (another version: 426), exactly one Sec-WebSocket-Key that is the
// base64 of 16 bytes, and no request body. Offered extensions are ignored (never accepted).
UpgradeRequestCheck checkUpgradeRequest(const RequestHead& head);

// The 101 Switching Protocols response for an accepted handshake; `accept_key` is
// websocketAcceptKey(check.key). Extra headers are checked as for buildClientHandshake
// (Upgrade, Connection, Sec-WebSocket-Accept and Sec-WebSocket-Extensions are refused).
Result<std::string> buildServerHandshake(std::string_view accept_key,
                                         const std::vector<Header>& extra_headers = {});

// The response refusing a handshake that checkUpgradeRequest did not accept: its status, with
// "Sec-WebSocket-Version: 13" on a 426, no body, and Connection: close.
std::string buildHandshakeRefusal(const UpgradeRequestCheck& check);

// Outcome of checking a server's handshake response.
struct UpgradeResponseCheck {
  bool ok = false;
  std::string_view reason;    // static text when refused
  std::string_view protocol;  // the Sec-WebSocket-Protocol the server chose, if any
};

// Checks a parsed response head against the handshake we sent: 101, HTTP/1.1, one Upgrade of
// "websocket", Connection listing "upgrade", exactly one Sec-WebSocket-Accept equal to
// `expected_accept`, no Sec-WebSocket-Extensions, and a Sec-WebSocket-Protocol (if any) that is
// one of `offered_protocols`.
UpgradeResponseCheck checkUpgradeResponse(
    const ResponseHead& head, std::string_view expected_accept,
    const std::vector<std::string_view>& offered_protocols = {});

// ---------------------------------------------------------------------------------- frames

enum class WebSocketOpcode : uint8_t {
  kContinuation = 0x0,
  kText = 0x1,
  kBinary = 0x2,
  kClose = 0x8,
  kPing = 0x9,
  kPong = 0xA,
};

inline bool isControl(WebSocketOpcode op) { return (static_cast<uint8_t>(op) & 0x8) != 0; }

// Close codes (RFC 6455 section 7.4.1) used by this codec.
namespace ws_close {
inline constexpr uint16_t kNormal = 1000;
inline constexpr uint16_t kGoingAway = 1001;
inline constexpr uint16_t kProtocolError = 1002;
inline constexpr uint16_t kUnsupportedData = 1003;
inline constexpr uint16_t kNoStatus = 1005;  // never on the wire: a close frame with no payload
inline constexpr uint16_t kInvalidPayload = 1007;
inline constexpr uint16_t kPolicyViolation = 1008;
inline constexpr uint16_t kMessageTooBig = 1009;
inline constexpr uint16_t kInternalError = 1011;
}  // namespace ws_close

// True for a code an endpoint may put in a close frame: 1000-1003, 1007-1014 (1012-1014 were
// registered with IANA after RFC 6455) and 3000-4999.
bool isValidCloseCode(uint16_t code);

// Longest control frame payload, and so longest close reason (two bytes go to the code).
inline constexpr size_t kMaxControlPayload = 125;
inline constexpr size_t kMaxCloseReason = kMaxControlPayload - 2;

using WebSocketMask = std::array<uint8_t, 4>;

// Appends one frame to `out`. A client passes a fresh random mask for every frame; a server
// passes none. Control frames must have fin set and at most 125 bytes of payload: the control
// encoders below guarantee both.
void encodeFrame(std::string& out, WebSocketOpcode op, std::string_view payload, bool fin,
                 std::optional<WebSocketMask> mask);

// Whole messages in one frame.
void encodeText(std::string& out, std::string_view text, std::optional<WebSocketMask> mask);
void encodeBinary(std::string& out, std::string_view data, std::optional<WebSocketMask> mask);
// Ping and pong payloads longer than 125 bytes are cut to 125.
void encodePing(std::string& out, std::string_view payload, std::optional<WebSocketMask> mask);
void encodePong(std::string& out, std::string_view payload, std::optional<WebSocketMask> mask);
// A close frame with `code` and `reason` (cut to 123 bytes at a UTF-8 character boundary).
// ws_close::kNoStatus sends a close frame with no payload (and no reason).
void encodeClose(std::string& out, uint16_t code, std::string_view reason,
                 std::optional<WebSocketMask> mask);

// ---------------------------------------------------------------------------------- decoder

enum class WebSocketRole {
  kServer,  // decodes what a client sends: every frame must be masked
  kClient,  // decodes what a server sends: no frame may be masked
};

struct WebSocketEvent {
  enum class Kind {
    kNeedMore,  // every byte given was used; call again with more
    kMessage,   // a complete text or binary message (fragments reassembled)
    kPing,      // answer with a pong carrying `payload`
    kPong,
    kClose,  // the peer's close frame: `close_code` and `payload` (the reason)
    kError,  // a protocol error: send a close with `close_code` and `reason`, then hang up
  };
  Kind kind = Kind::kNeedMore;
  bool text = false;         // kMessage: a text message (valid UTF-8) rather than binary
  std::string_view payload;  // kMessage: data; kPing/kPong: payload; kClose: reason (UTF-8)
  uint16_t close_code = 0;   // kClose: the code (kNoStatus if none); kError: the code to send
  std::string_view reason;   // kError: static text for logs and the close frame
};

// Turns the bytes a peer sends after the handshake into events. Partial frame headers are kept
// inside, so the caller never offers a byte twice: it offers what it read, and after an event
// offers the rest (from `consumed` on).
class WebSocketDecoder {
 public:
  struct Step {
    size_t consumed = 0;  // bytes of the input used by this step
    WebSocketEvent event;
  };

  // A message (all fragments together) longer than `max_message_size` is refused with 1009 as
  // soon as a frame header announces it, before its payload is buffered.
  WebSocketDecoder(WebSocketRole role, size_t max_message_size);

  // Consumes a prefix of `in` up to the next event. kNeedMore consumes all of `in`.
  // Payload views point into `in` or into the decoder and stay valid until the next call.
  // After kClose, any further byte is an error; errors are sticky (later calls report the same
  // error and consume nothing).
  Step decode(std::string_view in);

  // True while a data message has been started (its first frame header read) and not finished.
  bool inMessage() const { return in_message_; }

 private:
  enum class State { kHeader, kPayload, kClosed, kError };

  // Incremental UTF-8 validation (RFC 3629: no overlongs, surrogates or code points past
  // U+10FFFF), so sequences may be split between frames.
  struct Utf8State {
    uint8_t need = 0;  // continuation bytes still expected
    uint8_t lo = 0x80;
    uint8_t hi = 0xBF;                  // range allowed for the next continuation byte
    bool feed(std::string_view bytes);  // false on an invalid byte
    bool complete() const { return need == 0; }
  };

  enum class HeaderRead { kIncomplete, kComplete, kInvalid };

  Step fail(size_t consumed, uint16_t code, std::string_view reason);
  // Takes header bytes from in[pos..], checking them as soon as they are known. kInvalid leaves
  // the close code and reason in error_code_ and error_reason_.
  HeaderRead readHeader(std::string_view in, size_t& pos);
  HeaderRead invalid(uint16_t code, std::string_view reason);
  HeaderRead checkFirstTwoBytes();
  HeaderRead checkLength();
  Step finishControl(size_t consumed);

  WebSocketRole role_;
  size_t max_message_size_;
  State state_ = State::kHeader;

  std::array<uint8_t, 14> header_{};
  size_t header_len_ = 0;

  // The frame being read.
  WebSocketOpcode frame_op_ = WebSocketOpcode::kContinuation;
  bool frame_fin_ = false;
  bool frame_masked_ = false;
  WebSocketMask mask_{};
  uint64_t frame_length_ = 0;
  uint64_t frame_read_ = 0;  // payload bytes read so far (the mask phase)

  // The data message being assembled.
  bool in_message_ = false;
  bool message_text_ = false;
  std::string message_;
  bool message_delivered_ = false;  // message_ was handed out: clear it on the next call
  Utf8State utf8_;

  std::array<char, kMaxControlPayload> control_{};

  uint16_t error_code_ = 0;
  std::string_view error_reason_;
};

}  // namespace causeway::http
