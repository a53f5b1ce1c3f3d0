// Whole-protocol tests: two devices joined by an in-memory wire, with a fake clock.
#include "wg/device.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "wg/constants.h"
#include "wg/deterministic_env.h"
#include "wg/messages.h"
#include "wg/x25519.h"

namespace causeway::wg {
namespace {

using namespace std::chrono_literals;

std::vector<uint8_t> ipPacket(size_t size, uint8_t tag) {
  std::vector<uint8_t> p(size, tag);
  p[0] = 0x45;
  p[1] = 0;
  p[2] = uint8_t(size >> 8);
  p[3] = uint8_t(size);
  return p;
}

Endpoint endpoint(uint8_t last) {
  return Endpoint(std::vector<uint8_t>{192, 0, 2, last, 0xca, 0x6c});
}

struct Datagram {
  bool to_b;
  Endpoint from;
  std::vector<uint8_t> bytes;
};

std::optional<MessageType> typeOf(const Datagram& d) { return messageType(d.bytes); }

// Device A (initiator unless a test says otherwise) and device B, with A knowing B's endpoint.
struct Pair : ::testing::Test {
  DeterministicEnv env_a{101}, env_b{202};
  std::unique_ptr<Device> a, b;
  PeerId b_at_a = 0, a_at_b = 0;
  Endpoint ep_a = endpoint(1), ep_b = endpoint(2);
  TimePoint now{std::chrono::hours(100)};
  std::deque<Datagram> wire;
  std::vector<std::vector<uint8_t>> got_a, got_b;
  bool load_a = false, load_b = false;

  void SetUp() override { build({}, {}); }

  void build(const Key& psk_a, const Key& psk_b) {
    a = std::move(Device::create(env_a, generatePrivateKey(env_a)).value());
    b = std::move(Device::create(env_b, generatePrivateKey(env_b)).value());
    PeerConfig to_b{b->publicKey(), psk_a, 0s, ep_b};
    PeerConfig to_a{a->publicKey(), psk_b, 0s, Endpoint()};
    b_at_a = a->addPeer(to_b, now).value();
    a_at_b = b->addPeer(to_a, now).value();
  }

  void collect(Actions& acts, bool from_a) {
    for (Action& act : acts) {
      if (act.type == Action::Type::kDeliver) {
        (from_a ? got_a : got_b).push_back(std::move(act.bytes));
      } else {
        wire.push_back({act.endpoint == ep_b, from_a ? ep_a : ep_b, std::move(act.bytes)});
      }
    }
    acts.clear();
  }

  DropReason sendA(const std::vector<uint8_t>& p) {
    Actions out;
    const DropReason r = a->send(b_at_a, p, now, out);
    collect(out, true);
    return r;
  }
  DropReason sendB(const std::vector<uint8_t>& p) {
    Actions out;
    const DropReason r = b->send(a_at_b, p, now, out);
    collect(out, false);
    return r;
  }

  DropReason deliver(const Datagram& d) {
    Actions out;
    const DropReason r = d.to_b ? b->receive(d.bytes, d.from, now, load_b, out)
                                : a->receive(d.bytes, d.from, now, load_a, out);
    collect(out, !d.to_b);
    return r;
  }

  Datagram pop() {
    Datagram d = std::move(wire.front());
    wire.pop_front();
    return d;
  }

  // Delivers everything in flight (and what it causes); `filter` may alter a datagram or drop
  // it (false).
  std::vector<DropReason> pump(const std::function<bool(Datagram&)>& filter = {}) {
    std::vector<DropReason> results;
    for (int guard = 0; !wire.empty() && guard < 1000; ++guard) {
      Datagram d = pop();
      if (filter && !filter(d)) continue;
      results.push_back(deliver(d));
    }
    return results;
  }

  void advance(Duration d) {
    now += d;
    env_a.advanceWallClock(d);
    env_b.advanceWallClock(d);
    Actions out;
    a->tick(now, out);
    collect(out, true);
    b->tick(now, out);
    collect(out, false);
  }

  void establish() {
    ASSERT_EQ(sendA(ipPacket(60, 1)), DropReason::kNone);
    pump();
    ASSERT_EQ(got_b.size(), 1u);
    got_b.clear();
  }

  PeerStatus statusAtA() const { return a->peer(b_at_a)->status(); }
  PeerStatus statusAtB() const { return b->peer(a_at_b)->status(); }
};

TEST_F(Pair, HandshakeThenDataBothWays) {
  EXPECT_EQ(sendA(ipPacket(100, 7)), DropReason::kNone);
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(typeOf(wire[0]), MessageType::kInitiation);
  EXPECT_EQ(wire[0].bytes.size(), kInitiationSize);
  ASSERT_EQ(deliver(pop()), DropReason::kNone);
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(typeOf(wire[0]), MessageType::kResponse);
  EXPECT_EQ(wire[0].bytes.size(), kResponseSize);
  EXPECT_FALSE(wire[0].to_b);
  ASSERT_EQ(deliver(pop()), DropReason::kNone);
  // The staged packet goes out on the new session.
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(typeOf(wire[0]), MessageType::kTransportData);
  EXPECT_EQ(wire[0].bytes.size(), kTransportHeaderSize + 112 + kAeadTagSize) << "padded to 16";
  ASSERT_EQ(deliver(pop()), DropReason::kNone);
  ASSERT_EQ(got_b.size(), 1u);
  EXPECT_EQ(got_b[0], ipPacket(100, 7)) << "padding removed";

  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(sendB(ipPacket(40 + i, uint8_t(i))), DropReason::kNone);
    EXPECT_EQ(sendA(ipPacket(1400, uint8_t(i))), DropReason::kNone);
  }
  pump();
  ASSERT_EQ(got_a.size(), 20u);
  ASSERT_EQ(got_b.size(), 21u);
  EXPECT_EQ(got_a[19], ipPacket(59, 19));
  EXPECT_EQ(got_b[20], ipPacket(1400, 19));

  const PeerStatus sa = statusAtA(), sb = statusAtB();
  EXPECT_EQ(sa.handshakes, 1u);
  EXPECT_EQ(sb.handshakes, 1u);
  EXPECT_EQ(sa.last_handshake, now);
  EXPECT_EQ(sa.tx_packets, 21u);
  EXPECT_EQ(sa.rx_packets, 20u);
  EXPECT_EQ(sb.endpoint, ep_a) << "learnt from A's packets";
  EXPECT_EQ(a->receiveCounts()[size_t(DropReason::kNone)], 21u);
}

TEST_F(Pair, PresharedKey) {
  Key psk;
  psk[7] = 42;
  build(psk, psk);
  establish();
  // Different keys: the response does not authenticate at the initiator.
  Key other;
  other[7] = 43;
  build(psk, other);
  sendA(ipPacket(60, 1));
  const std::vector<DropReason> r = pump();
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0], DropReason::kNone);
  EXPECT_EQ(r[1], DropReason::kDecryptFailed);
  EXPECT_TRUE(got_b.empty());
}

TEST_F(Pair, EveryTamperedInitiationByteRefused) {
  sendA(ipPacket(60, 1));
  const Datagram init = pop();
  for (size_t i = 0; i < mac2Offset(kInitiationSize); ++i) {
    Datagram bad = init;
    bad.bytes[i] ^= 0x04;
    EXPECT_NE(deliver(bad), DropReason::kNone) << i;
    EXPECT_TRUE(wire.empty()) << i;
  }
  // mac2 is only looked at under load.
  load_b = true;
  Datagram bad_mac2 = init;
  bad_mac2.bytes[kInitiationSize - 1] ^= 1;
  EXPECT_EQ(deliver(bad_mac2), DropReason::kCookieSent);
  wire.clear();
  load_b = false;
  // The untouched message still works: nothing above changed B's state.
  EXPECT_EQ(deliver(init), DropReason::kNone);
  pump();
  EXPECT_EQ(got_b.size(), 1u);
}

TEST_F(Pair, EveryTamperedResponseByteRefused) {
  sendA(ipPacket(60, 1));
  ASSERT_EQ(deliver(pop()), DropReason::kNone);
  const Datagram resp = pop();
  for (size_t i = 0; i < mac2Offset(kResponseSize); ++i) {
    Datagram bad = resp;
    bad.bytes[i] ^= 0x10;
    EXPECT_NE(deliver(bad), DropReason::kNone) << i;
    EXPECT_TRUE(wire.empty()) << i;
  }
  EXPECT_EQ(deliver(resp), DropReason::kNone);
  pump();
  EXPECT_EQ(got_b.size(), 1u);
}

TEST_F(Pair, EveryTamperedDataByteRefused) {
  establish();
  sendA(ipPacket(50, 3));
  const Datagram data = pop();
  for (size_t i = 0; i < data.bytes.size(); ++i) {
    Datagram bad = data;
    bad.bytes[i] ^= 0x80;
    EXPECT_NE(deliver(bad), DropReason::kNone) << i;
  }
  EXPECT_TRUE(got_b.empty());
  EXPECT_EQ(deliver(data), DropReason::kNone);
  EXPECT_EQ(got_b.size(), 1u);
  // Truncated and extended copies.
  Datagram shorter = data;
  shorter.bytes.pop_back();
  EXPECT_NE(deliver(shorter), DropReason::kNone);
}

TEST_F(Pair, ReplayedDataRefused) {
  establish();
  sendA(ipPacket(50, 3));
  const Datagram data = pop();
  EXPECT_EQ(deliver(data), DropReason::kNone);
  EXPECT_EQ(deliver(data), DropReason::kReplayedData);
  EXPECT_EQ(got_b.size(), 1u);
}

TEST_F(Pair, WrongMac1Refused) {
  // A believes B has another key: its initiation's mac1 is keyed for that key.
  DeterministicEnv other_env(303);
  const KeyPair other = generateKeyPair(other_env);
  ASSERT_TRUE(a->removePeer(b_at_a));
  b_at_a = a->addPeer({other.public_key, Key(), 0s, ep_b}, now).value();
  sendA(ipPacket(60, 1));
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(deliver(pop()), DropReason::kBadMac1);
  EXPECT_TRUE(wire.empty());
  EXPECT_EQ(b->receiveCounts()[size_t(DropReason::kBadMac1)], 1u);
}

TEST_F(Pair, UnknownInitiatorRefused) {
  ASSERT_TRUE(b->removePeer(a_at_b));
  sendA(ipPacket(60, 1));
  EXPECT_EQ(deliver(pop()), DropReason::kUnknownPeer);
  EXPECT_TRUE(wire.empty());
}

TEST_F(Pair, ReplayedInitiationRefused) {
  sendA(ipPacket(60, 1));
  const Datagram init = wire.front();
  pump();
  ASSERT_EQ(got_b.size(), 1u);
  advance(1s);
  // An attacker replays the captured initiation: no response, and the session survives.
  EXPECT_EQ(deliver(init), DropReason::kReplayedInitiation);
  EXPECT_TRUE(wire.empty());
  sendA(ipPacket(60, 2));
  pump();
  EXPECT_EQ(got_b.size(), 2u);
  EXPECT_EQ(statusAtB().drops[size_t(DropReason::kReplayedInitiation)], 1u);
}

TEST_F(Pair, CookieReplyUnderLoad) {
  load_b = true;
  sendA(ipPacket(60, 1));
  ASSERT_EQ(deliver(pop()), DropReason::kCookieSent);
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(typeOf(wire[0]), MessageType::kCookieReply);
  EXPECT_EQ(wire[0].bytes.size(), kCookieReplySize);
  EXPECT_FALSE(wire[0].to_b);
  EXPECT_EQ(deliver(pop()), DropReason::kNone) << "A takes the cookie";
  EXPECT_EQ(statusAtB().handshakes, 0u);

  // A retries after REKEY_TIMEOUT (+ jitter), now with a valid mac2: B answers though loaded.
  for (int i = 0; i < 6 && wire.empty(); ++i) advance(1s);
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(typeOf(wire[0]), MessageType::kInitiation);
  const Datagram retry = wire.front();
  pump();
  ASSERT_EQ(got_b.size(), 1u);

  // The same mac2 from another address does not pass.
  Datagram moved = retry;
  moved.from = endpoint(99);
  EXPECT_EQ(deliver(moved), DropReason::kCookieSent);
}

TEST_F(Pair, CookieReplyToAResponseUnderLoad) {
  load_a = true;  // the initiator is the loaded one
  sendA(ipPacket(60, 1));
  ASSERT_EQ(deliver(pop()), DropReason::kNone);
  ASSERT_EQ(deliver(pop()), DropReason::kCookieSent);
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(typeOf(wire[0]), MessageType::kCookieReply);
  EXPECT_TRUE(wire[0].to_b);
  EXPECT_EQ(deliver(pop()), DropReason::kNone) << "B takes the cookie";
  // A retries; B's next response carries a mac2 A accepts.
  for (int i = 0; i < 6 && wire.empty(); ++i) advance(1s);
  pump();
  EXPECT_EQ(got_b.size(), 1u);
}

TEST_F(Pair, TamperedCookieReplyRefused) {
  load_b = true;
  sendA(ipPacket(60, 1));
  ASSERT_EQ(deliver(pop()), DropReason::kCookieSent);
  const Datagram reply = pop();
  for (size_t i = 0; i < reply.bytes.size(); ++i) {
    Datagram bad = reply;
    bad.bytes[i] ^= 0x02;
    EXPECT_NE(deliver(bad), DropReason::kNone) << i;
  }
  EXPECT_EQ(deliver(reply), DropReason::kNone);
  EXPECT_EQ(deliver(reply), DropReason::kBadCookieReply) << "only one reply per message";
}

TEST_F(Pair, GarbageDoesNotDisturbAnEstablishedTunnel) {
  establish();
  DeterministicEnv noise(9);
  const size_t sizes[] = {0, 1, 3, 4, 31, 32, 33, 64, 92, 148, 200, 1500};
  for (int round = 0; round < 200; ++round) {
    Datagram junk{true, endpoint(66), std::vector<uint8_t>(sizes[round % 12])};
    noise.randomBytes(junk.bytes);
    if (junk.bytes.size() >= 4 && round % 2 == 0) {
      junk.bytes[0] = uint8_t(1 + round % 4);
      junk.bytes[1] = junk.bytes[2] = junk.bytes[3] = 0;
    }
    if (junk.bytes.size() >= 8 && round % 5 == 0) {
      // A transport message naming B's real session index with a made-up counter.
      junk.bytes[0] = 4;
      const Keypair* s = b->peer(a_at_b)->currentSession();
      ASSERT_NE(s, nullptr);
      for (int i = 0; i < 4; ++i) junk.bytes[4 + i] = uint8_t(s->localIndex() >> (8 * i));
    }
    EXPECT_NE(deliver(junk), DropReason::kNone);
  }
  EXPECT_TRUE(wire.empty()) << "garbage is never answered when not under load";
  EXPECT_EQ(statusAtB().endpoint, ep_a) << "garbage does not move the endpoint";
  sendA(ipPacket(80, 5));
  sendB(ipPacket(80, 6));
  pump();
  EXPECT_EQ(got_b.size(), 1u);
  EXPECT_EQ(got_a.size(), 1u);
}

TEST_F(Pair, EndpointRoams) {
  establish();
  const Endpoint ep_a2 = endpoint(77);
  sendA(ipPacket(60, 2));
  Datagram d = pop();
  d.from = ep_a2;
  EXPECT_EQ(deliver(d), DropReason::kNone);
  EXPECT_EQ(statusAtB().endpoint, ep_a2);
  sendB(ipPacket(60, 3));
  ASSERT_EQ(wire.size(), 1u);
  EXPECT_EQ(wire[0].bytes.size(), 96u);
  Actions out;
  // B's reply now goes to the new address.
  b->send(a_at_b, ipPacket(60, 4), now, out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].endpoint, ep_a2);
}

TEST_F(Pair, SimultaneousInitiationsConverge) {
  b->peer(a_at_b)->setEndpoint(ep_a);
  sendA(ipPacket(60, 1));
  sendB(ipPacket(60, 2));
  // Both initiations cross and each side answers the other's, so neither response matches a
  // handshake under way; the retransmissions, apart by their random jitter, settle it.
  for (int i = 0; i < 2000 && (got_a.empty() || got_b.empty()); ++i) {
    pump();
    advance(10ms);
  }
  EXPECT_EQ(got_a.size(), 1u);
  EXPECT_EQ(got_b.size(), 1u);
  sendA(ipPacket(60, 3));
  sendB(ipPacket(60, 4));
  pump();
  EXPECT_EQ(got_a.size(), 2u);
  EXPECT_EQ(got_b.size(), 2u);
}

TEST_F(Pair, ResponderWaitsForConfirmationBeforeSending) {
  sendA(ipPacket(60, 1));
  ASSERT_EQ(deliver(pop()), DropReason::kNone);
  const Datagram response = pop();
  // B has answered but not heard A use the session: it keeps its packet and does not start a
  // handshake of its own.
  EXPECT_EQ(sendB(ipPacket(60, 2)), DropReason::kNone);
  EXPECT_TRUE(wire.empty());
  EXPECT_EQ(statusAtB().staged_packets, 1u);
  EXPECT_EQ(deliver(response), DropReason::kNone);
  pump();  // A's data confirms the session; B's packet follows
  EXPECT_EQ(got_b.size(), 1u);
  ASSERT_EQ(got_a.size(), 1u);
  EXPECT_EQ(got_a[0], ipPacket(60, 2));
  EXPECT_EQ(statusAtB().handshakes, 1u);
}

TEST_F(Pair, NonIpPayloadDropped) {
  establish();
  std::vector<uint8_t> junk(40, 0x11);  // version nibble 1
  EXPECT_EQ(sendA(junk), DropReason::kNone);
  EXPECT_EQ(deliver(pop()), DropReason::kBadInnerPacket);
  std::vector<uint8_t> lying = ipPacket(48, 1);
  lying[3] = 49;  // claims one byte more than there is, padding included
  sendA(lying);
  EXPECT_EQ(deliver(pop()), DropReason::kBadInnerPacket);
  EXPECT_TRUE(got_b.empty());
}

TEST_F(Pair, PeerManagement) {
  EXPECT_EQ(a->findPeer(b->publicKey()), b_at_a);
  EXPECT_FALSE(a->addPeer({b->publicKey(), Key(), 0s, Endpoint()}, now).isOk()) << "duplicate";
  EXPECT_FALSE(a->addPeer({a->publicKey(), Key(), 0s, Endpoint()}, now).isOk()) << "own key";
  EXPECT_FALSE(a->addPeer({PublicKey{}, Key(), 0s, Endpoint()}, now).isOk()) << "low order";
  establish();
  ASSERT_TRUE(b->removePeer(a_at_b));
  EXPECT_FALSE(b->removePeer(a_at_b));
  sendA(ipPacket(60, 1));
  EXPECT_EQ(deliver(pop()), DropReason::kUnknownIndex) << "the session's index is gone";
  Actions out;
  EXPECT_EQ(b->send(a_at_b, ipPacket(60, 1), now, out), DropReason::kUnknownPeer);
}

TEST_F(Pair, NoEndpointNoSend) {
  // B does not know where A is until A writes.
  EXPECT_EQ(sendB(ipPacket(60, 1)), DropReason::kNoEndpoint);
  EXPECT_TRUE(wire.empty());
}

TEST(DropReason, Names) {
  EXPECT_EQ(dropReasonName(DropReason::kReplayedData), "replayed_data");
  for (size_t i = 0; i < size_t(DropReason::kCount); ++i) {
    EXPECT_NE(dropReasonName(DropReason(i)), "unknown");
  }
}

}  // namespace
}  // namespace causeway::wg
