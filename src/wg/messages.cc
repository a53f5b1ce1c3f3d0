#include "wg/messages.h"

#include <cstring>

namespace causeway::wg {
namespace {

uint32_t load32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

uint64_t load64(const uint8_t* p) { return uint64_t(load32(p)) | uint64_t(load32(p + 4)) << 32; }

void store32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = uint8_t(v >> (8 * i));
}

void store64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = uint8_t(v >> (8 * i));
}

// A cursor over a message being read or written, field by field.
struct Reader {
  const uint8_t* p;
  uint32_t u32() {
    const uint32_t v = load32(p);
    p += 4;
    return v;
  }
  template <size_t N>
  void bytes(std::array<uint8_t, N>& out) {
    std::memcpy(out.data(), p, N);
    p += N;
  }
};

struct Writer {
  uint8_t* p;
  void u32(uint32_t v) {
    store32(p, v);
    p += 4;
  }
  template <size_t N>
  void bytes(const std::array<uint8_t, N>& in) {
    std::memcpy(p, in.data(), N);
    p += N;
  }
};

bool hasHeader(std::span<const uint8_t> packet, MessageType type) {
  return packet.size() >= 4 && packet[0] == uint8_t(type) && packet[1] == 0 && packet[2] == 0 &&
         packet[3] == 0;
}

void writeHeader(uint8_t* p, MessageType type) {
  p[0] = uint8_t(type);
  p[1] = p[2] = p[3] = 0;
}

}  // namespace

std::optional<MessageType> messageType(std::span<const uint8_t> packet) {
  if (packet.size() < 4 || packet[1] != 0 || packet[2] != 0 || packet[3] != 0) return std::nullopt;
  if (packet[0] < 1 || packet[0] > 4) return std::nullopt;
  return MessageType(packet[0]);
}

std::optional<Initiation> parseInitiation(std::span<const uint8_t> packet) {
  if (packet.size() != kInitiationSize || !hasHeader(packet, MessageType::kInitiation)) {
    return std::nullopt;
  }
  Initiation m;
  Reader r{packet.data() + 4};
  m.sender_index = r.u32();
  r.bytes(m.ephemeral);
  r.bytes(m.encrypted_static);
  r.bytes(m.encrypted_timestamp);
  r.bytes(m.mac1);
  r.bytes(m.mac2);
  return m;
}

std::optional<Response> parseResponse(std::span<const uint8_t> packet) {
  if (packet.size() != kResponseSize || !hasHeader(packet, MessageType::kResponse)) {
    return std::nullopt;
  }
  Response m;
  Reader r{packet.data() + 4};
  m.sender_index = r.u32();
  m.receiver_index = r.u32();
  r.bytes(m.ephemeral);
  r.bytes(m.encrypted_nothing);
  r.bytes(m.mac1);
  r.bytes(m.mac2);
  return m;
}

std::optional<CookieReply> parseCookieReply(std::span<const uint8_t> packet) {
  if (packet.size() != kCookieReplySize || !hasHeader(packet, MessageType::kCookieReply)) {
    return std::nullopt;
  }
  CookieReply m;
  Reader r{packet.data() + 4};
  m.receiver_index = r.u32();
  r.bytes(m.nonce);
  r.bytes(m.encrypted_cookie);
  return m;
}

std::optional<TransportHeader> parseTransportHeader(std::span<const uint8_t> packet) {
  if (packet.size() < kTransportMinSize || !hasHeader(packet, MessageType::kTransportData)) {
    return std::nullopt;
  }
  return TransportHeader{load32(packet.data() + 4), load64(packet.data() + 8)};
}

std::array<uint8_t, kInitiationSize> serialize(const Initiation& m) {
  std::array<uint8_t, kInitiationSize> out{};
  writeHeader(out.data(), MessageType::kInitiation);
  Writer w{out.data() + 4};
  w.u32(m.sender_index);
  w.bytes(m.ephemeral);
  w.bytes(m.encrypted_static);
  w.bytes(m.encrypted_timestamp);
  w.bytes(m.mac1);
  w.bytes(m.mac2);
  return out;
}

std::array<uint8_t, kResponseSize> serialize(const Response& m) {
  std::array<uint8_t, kResponseSize> out{};
  writeHeader(out.data(), MessageType::kResponse);
  Writer w{out.data() + 4};
  w.u32(m.sender_index);
  w.u32(m.receiver_index);
  w.bytes(m.ephemeral);
  w.bytes(m.encrypted_nothing);
  w.bytes(m.mac1);
  w.bytes(m.mac2);
  return out;
}

std::array<uint8_t, kCookieReplySize> serialize(const CookieReply& m) {
  std::array<uint8_t, kCookieReplySize> out{};
  writeHeader(out.data(), MessageType::kCookieReply);
  Writer w{out.data() + 4};
  w.u32(m.receiver_index);
  w.bytes(m.nonce);
  w.bytes(m.encrypted_cookie);
  return out;
}

void writeTransportHeader(const TransportHeader& h, std::span<uint8_t, kTransportHeaderSize> out) {
  writeHeader(out.data(), MessageType::kTransportData);
  store32(out.data() + 4, h.receiver_index);
  store64(out.data() + 8, h.counter);
}

}  // namespace causeway::wg
