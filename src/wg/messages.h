// The four WireGuard messages on the wire, with strict parsers (exact sizes, the three reserved
// bytes zero) and serializers. Integers are little-endian. Pure functions.
//
//   initiation  (type 1, 148 bytes): sender, ephemeral[32], static[32+16], timestamp[12+16],
//                                    mac1[16], mac2[16]
//   response    (type 2,  92 bytes): sender, receiver, ephemeral[32], empty[0+16], mac1, mac2
//   cookie reply(type 3,  64 bytes): receiver, nonce[24], cookie[16+16]
//   transport   (type 4, >= 32 bytes): receiver, counter (u64), packet[n+16]
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "wg/secret.h"

namespace causeway::wg {

enum class MessageType : uint8_t {
  kInitiation = 1,
  kResponse = 2,
  kCookieReply = 3,
  kTransportData = 4,
};

inline constexpr size_t kInitiationSize = 148;
inline constexpr size_t kResponseSize = 92;
inline constexpr size_t kCookieReplySize = 64;
inline constexpr size_t kTransportHeaderSize = 16;
inline constexpr size_t kTransportMinSize = kTransportHeaderSize + 16;  // a keepalive
inline constexpr size_t kMacSize = 16;

using MacBytes = std::array<uint8_t, kMacSize>;

struct Initiation {
  uint32_t sender_index = 0;
  PublicKey ephemeral{};
  std::array<uint8_t, 32 + 16> encrypted_static{};
  std::array<uint8_t, 12 + 16> encrypted_timestamp{};
  MacBytes mac1{};
  MacBytes mac2{};
};

struct Response {
  uint32_t sender_index = 0;
  uint32_t receiver_index = 0;
  PublicKey ephemeral{};
  std::array<uint8_t, 16> encrypted_nothing{};
  MacBytes mac1{};
  MacBytes mac2{};
};

struct CookieReply {
  uint32_t receiver_index = 0;
  std::array<uint8_t, 24> nonce{};
  std::array<uint8_t, 16 + 16> encrypted_cookie{};
};

struct TransportHeader {
  uint32_t receiver_index = 0;
  uint64_t counter = 0;
};

// The type of a message whose first four bytes are a known type and three zero bytes.
std::optional<MessageType> messageType(std::span<const uint8_t> packet);

std::optional<Initiation> parseInitiation(std::span<const uint8_t> packet);
std::optional<Response> parseResponse(std::span<const uint8_t> packet);
std::optional<CookieReply> parseCookieReply(std::span<const uint8_t> packet);
// The header of a transport message of at least kTransportMinSize bytes; the encrypted packet
// is packet[kTransportHeaderSize..].
std::optional<TransportHeader> parseTransportHeader(std::span<const uint8_t> packet);

std::array<uint8_t, kInitiationSize> serialize(const Initiation& m);
std::array<uint8_t, kResponseSize> serialize(const Response& m);
std::array<uint8_t, kCookieReplySize> serialize(const CookieReply& m);
void writeTransportHeader(const TransportHeader& h, std::span<uint8_t, kTransportHeaderSize> out);

// Where the MACs of a handshake message (initiation or response) sit: mac1 covers the bytes
// before it, mac2 the bytes before mac2 (mac1 included).
inline constexpr size_t mac1Offset(size_t message_size) { return message_size - 2 * kMacSize; }
inline constexpr size_t mac2Offset(size_t message_size) { return message_size - kMacSize; }

}  // namespace causeway::wg
