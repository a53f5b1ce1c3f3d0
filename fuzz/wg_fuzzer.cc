// fuzz-libs: causeway_wg
// Fuzzes the WireGuard protocol core, checking invariants rather than just looking for crashes:
// - mode 0: the four message parsers take exactly the well-formed messages (type, reserved bytes,
//   size), and what parses serializes back to the same bytes;
// - mode 1: arbitrary datagrams thrown at a device with an established session (under load or
//   not) are never delivered, are answered only by cookie replies to their sender, never move
//   the peer's endpoint, and do not disturb the tunnel: data still flows both ways afterwards;
// - mode 2: a real handshake or data message altered in flight (bytes flipped, or cut short) is
//   refused unless only its mac2 changed and the receiver is not under load, and refusing it
//   changes nothing: the untouched message is then taken.
//
// Input layout: byte 0 selects the mode (low 2 bits). Mode 1: byte 1 bit 0 = under load; then
// datagrams, each a length byte and that many bytes. Mode 2: byte 1 picks the message (initiation,
// response, data either way, cookie reply) and bit 7 truncation; then (offset, xor) byte pairs.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

#include "fuzz_check.h"
#include "wg/deterministic_env.h"
#include "wg/device.h"
#include "wg/messages.h"
#include "wg/x25519.h"

namespace {

using namespace causeway::wg;
using namespace std::chrono_literals;

std::vector<uint8_t> ipPacket(size_t size, uint8_t tag) {
  std::vector<uint8_t> p(size, tag);
  p[0] = 0x45;
  p[2] = uint8_t(size >> 8);
  p[3] = uint8_t(size);
  return p;
}

// Two devices on an in-memory wire. A knows B's endpoint; B learns A's.
struct Pair {
  DeterministicEnv env_a{1}, env_b{2};
  std::unique_ptr<Device> a, b;
  PeerId b_at_a = 0, a_at_b = 0;
  Endpoint ep_a{std::vector<uint8_t>{10, 0, 0, 1}}, ep_b{std::vector<uint8_t>{10, 0, 0, 2}};
  TimePoint now{std::chrono::hours(1)};
  std::vector<std::vector<uint8_t>> got_a, got_b;
  bool load_a = false, load_b = false;

  Pair() {
    a = std::move(Device::create(env_a, generatePrivateKey(env_a)).value());
    b = std::move(Device::create(env_b, generatePrivateKey(env_b)).value());
    b_at_a = a->addPeer({b->publicKey(), Key(), 0s, ep_b}, now).value();
    a_at_b = b->addPeer({a->publicKey(), Key(), 0s, Endpoint()}, now).value();
  }

  // Sends go to `wire`; deliveries are recorded.
  std::vector<Action> wire;
  void collect(Actions& out, bool from_a) {
    for (Action& act : out) {
      if (act.type == Action::Type::kDeliver) {
        FUZZ_CHECK(act.peer == (from_a ? b_at_a : a_at_b));
        (from_a ? got_a : got_b).push_back(std::move(act.bytes));
      } else {
        wire.push_back(std::move(act));
      }
    }
    out.clear();
  }

  DropReason toB(std::span<const uint8_t> d, const Endpoint& from) {
    Actions out;
    const DropReason r = b->receive(d, from, now, load_b, out);
    collect(out, false);
    return r;
  }
  DropReason toA(std::span<const uint8_t> d) {
    Actions out;
    const DropReason r = a->receive(d, ep_b, now, load_a, out);
    collect(out, true);
    return r;
  }
  void sendA(const std::vector<uint8_t>& p) {
    Actions out;
    a->send(b_at_a, p, now, out);
    collect(out, true);
  }
  void sendB(const std::vector<uint8_t>& p) {
    Actions out;
    b->send(a_at_b, p, now, out);
    collect(out, false);
  }
  std::vector<uint8_t> take() {
    FUZZ_CHECK(wire.size() == 1);
    std::vector<uint8_t> d = std::move(wire[0].bytes);
    wire.clear();
    return d;
  }
  void pump() {
    for (int guard = 0; !wire.empty() && guard < 100; ++guard) {
      Action act = std::move(wire.front());
      wire.erase(wire.begin());
      if (act.endpoint == ep_b) {
        toB(act.bytes, ep_a);
      } else {
        toA(act.bytes);
      }
    }
  }
  void establish() {
    sendA(ipPacket(60, 1));
    pump();
    FUZZ_CHECK(got_b.size() == 1);
    got_b.clear();
  }
  void checkTunnel() {
    const size_t ga = got_a.size(), gb = got_b.size();
    sendA(ipPacket(80, 0xaa));
    sendB(ipPacket(70, 0xbb));
    pump();
    FUZZ_CHECK(got_b.size() == gb + 1 && got_b.back() == ipPacket(80, 0xaa));
    FUZZ_CHECK(got_a.size() == ga + 1 && got_a.back() == ipPacket(70, 0xbb));
  }
};

void fuzzParsers(std::span<const uint8_t> in) {
  const std::optional<MessageType> type = messageType(in);
  if (type) FUZZ_CHECK(in.size() >= 4 && in[0] >= 1 && in[0] <= 4 && in[1] == 0);
  if (const std::optional<Initiation> m = parseInitiation(in)) {
    FUZZ_CHECK(type == MessageType::kInitiation && in.size() == kInitiationSize);
    const auto out = serialize(*m);
    FUZZ_CHECK(std::memcmp(out.data(), in.data(), out.size()) == 0);
  } else {
    FUZZ_CHECK(!(type == MessageType::kInitiation && in.size() == kInitiationSize));
  }
  if (const std::optional<Response> m = parseResponse(in)) {
    FUZZ_CHECK(type == MessageType::kResponse && in.size() == kResponseSize);
    const auto out = serialize(*m);
    FUZZ_CHECK(std::memcmp(out.data(), in.data(), out.size()) == 0);
  } else {
    FUZZ_CHECK(!(type == MessageType::kResponse && in.size() == kResponseSize));
  }
  if (const std::optional<CookieReply> m = parseCookieReply(in)) {
    FUZZ_CHECK(type == MessageType::kCookieReply && in.size() == kCookieReplySize);
    const auto out = serialize(*m);
    FUZZ_CHECK(std::memcmp(out.data(), in.data(), out.size()) == 0);
  } else {
    FUZZ_CHECK(!(type == MessageType::kCookieReply && in.size() == kCookieReplySize));
  }
  if (const std::optional<TransportHeader> h = parseTransportHeader(in)) {
    FUZZ_CHECK(type == MessageType::kTransportData && in.size() >= kTransportMinSize);
    std::array<uint8_t, kTransportHeaderSize> out;
    writeTransportHeader(*h, out);
    FUZZ_CHECK(std::memcmp(out.data(), in.data(), out.size()) == 0);
  } else {
    FUZZ_CHECK(!(type == MessageType::kTransportData && in.size() >= kTransportMinSize));
  }
}

void fuzzGarbage(uint8_t flags, std::span<const uint8_t> in) {
  Pair p;
  p.establish();
  p.load_b = (flags & 1) != 0;
  const Endpoint attacker(std::vector<uint8_t>{203, 0, 113, 9});
  size_t pos = 0;
  for (int n = 0; pos < in.size() && n < 64; ++n) {
    const size_t len = std::min<size_t>(in[pos], in.size() - pos - 1);
    const std::span<const uint8_t> d = in.subspan(pos + 1, len);
    pos += 1 + len;
    const DropReason r = p.toB(d, attacker);
    FUZZ_CHECK(r != DropReason::kNone);
    FUZZ_CHECK(p.got_b.empty());
    for (const Action& act : p.wire) {
      FUZZ_CHECK(r == DropReason::kCookieSent && p.load_b && act.endpoint == attacker);
      FUZZ_CHECK(act.bytes.size() == kCookieReplySize);
    }
    p.wire.clear();
  }
  FUZZ_CHECK(p.b->peer(p.a_at_b)->endpoint() == p.ep_a);
  p.load_b = false;
  p.checkTunnel();
}

void fuzzTamper(uint8_t selector, std::span<const uint8_t> edits) {
  Pair p;
  const int target = (selector & 0x7f) % 5;
  const bool truncate = (selector & 0x80) != 0;
  std::vector<uint8_t> original;
  bool to_b = true;
  switch (target) {
    case 0:  // initiation
      p.sendA(ipPacket(60, 1));
      original = p.take();
      break;
    case 1:  // response
      p.sendA(ipPacket(60, 1));
      FUZZ_CHECK(p.toB(p.take(), p.ep_a) == DropReason::kNone);
      original = p.take();
      to_b = false;
      break;
    case 2:  // data A -> B
    case 3:  // data B -> A
      p.establish();
      if (target == 2) {
        p.sendA(ipPacket(100, 2));
      } else {
        p.sendB(ipPacket(100, 3));
        to_b = false;
      }
      original = p.take();
      break;
    case 4:  // cookie reply
      p.load_b = true;
      p.sendA(ipPacket(60, 1));
      FUZZ_CHECK(p.toB(p.take(), p.ep_a) == DropReason::kCookieSent);
      original = p.take();
      to_b = false;
      break;
  }
  std::vector<uint8_t> altered = original;
  for (size_t i = 0; i + 1 < edits.size(); i += 2)
    altered[edits[i] % altered.size()] ^= edits[i + 1];
  if (truncate && edits.size() % 2 == 1) altered.resize(edits.back() % altered.size());

  bool only_mac2 = altered.size() == original.size();
  const bool handshake = target <= 1;
  const size_t mac2_at = handshake ? mac2Offset(original.size()) : original.size();
  for (size_t i = 0; i < std::min(altered.size(), mac2_at); ++i) {
    if (altered[i] != original[i]) only_mac2 = false;
  }
  const bool changed = altered != original;
  const DropReason r = to_b ? p.toB(altered, p.ep_a) : p.toA(altered);
  if (!changed || (only_mac2 && handshake && !(to_b ? p.load_b : p.load_a))) {
    FUZZ_CHECK(r == DropReason::kNone);
    return;
  }
  FUZZ_CHECK(r != DropReason::kNone);
  FUZZ_CHECK(p.got_a.empty() && p.got_b.empty());
  // Only a cookie reply may answer a refused message (a loaded receiver and a good mac1).
  for (const Action& act : p.wire) FUZZ_CHECK(r == DropReason::kCookieSent && act.bytes[0] == 3);
  p.wire.clear();
  const DropReason again = to_b ? p.toB(original, p.ep_a) : p.toA(original);
  FUZZ_CHECK(again == DropReason::kNone);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::span<const uint8_t> rest(data + 2, size - 2);
  switch (data[0] & 3) {
    case 0:
      fuzzParsers(std::span<const uint8_t>(data + 1, size - 1));
      break;
    case 1:
      fuzzGarbage(data[1], rest);
      break;
    default:
      fuzzTamper(data[1], rest);
      break;
  }
  return 0;
}
