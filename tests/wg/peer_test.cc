// The timers of a peer (whitepaper section 6), driven by a fake clock: two devices joined by an
// in-memory wire, time moved by hand.
#include "wg/peer.h"

#include <gtest/gtest.h>

#include <deque>
#include <functional>

#include "wg/constants.h"
#include "wg/deterministic_env.h"
#include "wg/device.h"
#include "wg/x25519.h"

namespace causeway::wg {
namespace {

using namespace std::chrono_literals;

std::vector<uint8_t> ipPacket(size_t size, uint8_t tag) {
  std::vector<uint8_t> p(size, tag);
  p[0] = 0x45;
  p[2] = uint8_t(size >> 8);
  p[3] = uint8_t(size);
  return p;
}

struct Datagram {
  bool to_b;
  Endpoint from;
  std::vector<uint8_t> bytes;
  std::optional<MessageType> type() const { return messageType(bytes); }
};

struct Timers : ::testing::Test {
  DeterministicEnv env_a{11}, env_b{22};
  std::unique_ptr<Device> a, b;
  PeerId b_at_a = 0, a_at_b = 0;
  Endpoint ep_a{std::vector<uint8_t>{1}}, ep_b{std::vector<uint8_t>{2}};
  TimePoint start{std::chrono::hours(1000)};
  TimePoint now = start;
  std::deque<Datagram> wire;
  std::vector<Datagram> sent;  // everything ever put on the wire
  std::vector<std::vector<uint8_t>> got_a, got_b;
  bool link_up = true;  // when down, datagrams are lost

  void SetUp() override { build(0s); }

  void build(std::chrono::seconds keepalive_a) {
    a = std::move(Device::create(env_a, generatePrivateKey(env_a)).value());
    b = std::move(Device::create(env_b, generatePrivateKey(env_b)).value());
    b_at_a = a->addPeer({b->publicKey(), Key(), keepalive_a, ep_b}, now).value();
    a_at_b = b->addPeer({a->publicKey(), Key(), 0s, Endpoint()}, now).value();
  }

  void collect(Actions& acts, bool from_a) {
    for (Action& act : acts) {
      if (act.type == Action::Type::kDeliver) {
        (from_a ? got_a : got_b).push_back(std::move(act.bytes));
      } else {
        Datagram d{act.endpoint == ep_b, from_a ? ep_a : ep_b, std::move(act.bytes)};
        sent.push_back(d);
        if (link_up) wire.push_back(std::move(d));
      }
    }
    acts.clear();
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

  DropReason deliver(const Datagram& d) {
    Actions out;
    const DropReason r = d.to_b ? b->receive(d.bytes, d.from, now, false, out)
                                : a->receive(d.bytes, d.from, now, false, out);
    collect(out, !d.to_b);
    return r;
  }

  void pump() {
    for (int guard = 0; !wire.empty() && guard < 1000; ++guard) {
      Datagram d = std::move(wire.front());
      wire.pop_front();
      deliver(d);
    }
  }

  // Moves time in steps of `step` up to `now + d`, ticking both devices and delivering at once.
  void run(Duration d, Duration step = 100ms) {
    const TimePoint end = now + d;
    while (now < end) {
      const Duration s = std::min<Duration>(step, end - now);
      now += s;
      env_a.advanceWallClock(s);
      env_b.advanceWallClock(s);
      Actions out;
      a->tick(now, out);
      collect(out, true);
      b->tick(now, out);
      collect(out, false);
      pump();
    }
  }

  void establish() {
    sendA(ipPacket(60, 1));
    pump();
    ASSERT_EQ(got_b.size(), 1u);
    got_b.clear();
    sent.clear();
  }

  size_t count(bool from_a, MessageType type, size_t size = 0) const {
    size_t n = 0;
    for (const Datagram& d : sent) {
      if (d.to_b == from_a && d.type() == type && (size == 0 || d.bytes.size() == size)) ++n;
    }
    return n;
  }
  size_t keepalives(bool from_a) const {
    return count(from_a, MessageType::kTransportData, kTransportMinSize);
  }
  Peer& peerA() { return *a->peer(b_at_a); }
  Peer& peerB() { return *b->peer(a_at_b); }
};

TEST_F(Timers, InitiatorRekeysAfterRekeyAfterTime) {
  establish();
  run(kRekeyAfterTime - 1s);
  sendA(ipPacket(60, 2));
  EXPECT_EQ(count(true, MessageType::kInitiation), 0u) << "session young enough";
  run(2s);
  sent.clear();
  sendA(ipPacket(60, 3));
  EXPECT_EQ(count(true, MessageType::kInitiation), 1u) << "sent on an old session: rekey";
  pump();
  EXPECT_EQ(peerA().status().handshakes, 2u);
  EXPECT_EQ(got_b.size(), 2u);
}

TEST_F(Timers, ResponderDoesNotRekeyOnTime) {
  establish();
  run(kRekeyAfterTime + 10s);
  sent.clear();
  sendB(ipPacket(60, 2));
  EXPECT_EQ(count(false, MessageType::kInitiation), 0u);
  EXPECT_EQ(count(false, MessageType::kTransportData), 1u);
}

TEST_F(Timers, RekeyAfterMessages) {
  establish();
  run(kRekeyTimeout);  // past the one-initiation-per-REKEY_TIMEOUT limit
  sent.clear();
  peerA().currentSession()->setSendCounter(kRekeyAfterMessages - 1);
  sendA(ipPacket(60, 2));
  EXPECT_EQ(count(true, MessageType::kInitiation), 1u);
  pump();
  EXPECT_EQ(peerA().status().handshakes, 2u);
  EXPECT_LT(peerA().currentSession()->sendCounter(), 10u);
}

TEST_F(Timers, ExhaustedCounterWaitsForNewSession) {
  establish();
  run(kRekeyTimeout);
  sent.clear();
  peerA().currentSession()->setSendCounter(kRejectAfterMessages);
  sendA(ipPacket(60, 2));
  EXPECT_EQ(count(true, MessageType::kTransportData), 0u) << "nothing sent on the old session";
  EXPECT_EQ(count(true, MessageType::kInitiation), 1u);
  pump();
  ASSERT_EQ(got_b.size(), 1u);
  EXPECT_EQ(got_b[0], ipPacket(60, 2));
}

TEST_F(Timers, PassiveKeepalive) {
  establish();  // B received data from A: it owes a keepalive unless it sends something
  run(kKeepaliveTimeout - 1s);
  EXPECT_EQ(keepalives(false), 0u);
  run(2s);
  EXPECT_EQ(keepalives(false), 1u);
  run(60s);
  EXPECT_EQ(keepalives(false), 1u) << "one keepalive per received burst";

  // Data sent back in time makes the keepalive unnecessary.
  sent.clear();
  sendA(ipPacket(60, 2));
  pump();
  run(5s);
  sendB(ipPacket(60, 3));
  pump();
  run(20s);
  EXPECT_EQ(keepalives(false), 0u);
  EXPECT_EQ(keepalives(true), 1u) << "A got data from B and answers with a keepalive";
}

TEST_F(Timers, NewHandshakeWhenDataGoesUnanswered) {
  establish();
  run(30s);  // let B's keepalive pass
  sent.clear();
  link_up = false;  // A's packets are lost
  sendA(ipPacket(60, 2));
  run(kKeepaliveTimeout + kRekeyTimeout - 1s);
  EXPECT_EQ(count(true, MessageType::kInitiation), 0u);
  run(1s + kRekeyTimeoutJitterMax);
  EXPECT_EQ(count(true, MessageType::kInitiation), 1u);
}

TEST_F(Timers, RetransmitsThenGivesUp) {
  link_up = false;
  sendA(ipPacket(60, 1));
  EXPECT_EQ(count(true, MessageType::kInitiation), 1u);
  run(kRekeyTimeout + kRekeyTimeoutJitterMax + 100ms);
  EXPECT_EQ(count(true, MessageType::kInitiation), 2u);
  run(kRekeyAttemptTime);
  const size_t attempts = count(true, MessageType::kInitiation);
  // One every REKEY_TIMEOUT + jitter over REKEY_ATTEMPT_TIME: between 90/5.333 and 90/5.
  EXPECT_GE(attempts, 16u);
  EXPECT_LE(attempts, 18u);
  EXPECT_EQ(peerA().status().staged_packets, 0u) << "given up: waiting packets dropped";
  run(60s);
  EXPECT_EQ(count(true, MessageType::kInitiation), attempts) << "no more after giving up";

  // A later packet starts over, and gets through once the link is back.
  link_up = true;
  sendA(ipPacket(60, 2));
  pump();
  ASSERT_EQ(got_b.size(), 1u);
  EXPECT_EQ(got_b[0], ipPacket(60, 2));
}

TEST_F(Timers, RekeyRespectsTheInitiationRateLimit) {
  establish();
  peerA().currentSession()->setSendCounter(kRekeyAfterMessages);
  sendA(ipPacket(60, 2));
  EXPECT_EQ(count(true, MessageType::kInitiation), 0u) << "the last one was just now";
  run(kRekeyTimeout + 100ms);
  EXPECT_EQ(count(true, MessageType::kInitiation), 1u) << "sent once the limit allows";
  EXPECT_EQ(peerA().status().handshakes, 2u);
}

TEST_F(Timers, InitiationsAreRateLimited) {
  link_up = false;
  for (int i = 0; i < 50; ++i) {
    sendA(ipPacket(60, uint8_t(i)));
    run(50ms, 50ms);
  }
  EXPECT_EQ(count(true, MessageType::kInitiation), 1u);
  EXPECT_EQ(peerA().status().staged_packets, 50u);
  link_up = true;
  run(kRekeyTimeout + kRekeyTimeoutJitterMax);
  EXPECT_EQ(got_b.size(), 50u) << "staged packets all delivered after the handshake";
}

TEST_F(Timers, StagedPacketsAreBounded) {
  link_up = false;
  for (size_t i = 0; i < kMaxStagedPackets + 5; ++i) sendA(ipPacket(60, uint8_t(i)));
  const PeerStatus s = peerA().status();
  EXPECT_EQ(s.staged_packets, kMaxStagedPackets);
  EXPECT_EQ(s.drops[size_t(DropReason::kStagedOverflow)], 5u);
}

TEST_F(Timers, SessionsExpireAfterRejectAfterTime) {
  establish();
  // A message sealed now but delivered after REJECT_AFTER_TIME is refused.
  link_up = false;
  sendA(ipPacket(60, 2));
  const Datagram late = sent.back();
  link_up = true;
  run(kRejectAfterTime + 1s, 1s);
  EXPECT_EQ(deliver(late), DropReason::kExpiredSession);

  // The responder's session is dead too: sending makes it start a handshake of its own.
  sent.clear();
  sendB(ipPacket(60, 3));
  EXPECT_EQ(count(false, MessageType::kTransportData), 0u);
  EXPECT_EQ(count(false, MessageType::kInitiation), 1u);
  pump();
  ASSERT_EQ(got_a.size(), 1u);
  EXPECT_EQ(peerB().status().handshakes, 2u);
}

TEST_F(Timers, KeysWipedAfterThreeRejectAfterTimes) {
  establish();
  link_up = false;
  sendA(ipPacket(60, 2));
  const Datagram old = sent.back();
  link_up = true;
  run(3 * kRejectAfterTime - 1s, 1s);
  EXPECT_TRUE(peerA().status().has_session);
  run(2s, 1s);
  EXPECT_FALSE(peerA().status().has_session);
  EXPECT_FALSE(peerB().status().has_session);
  EXPECT_EQ(deliver(old), DropReason::kUnknownIndex) << "the session's index is released";
  EXPECT_FALSE(a->nextDeadline()) << "nothing left to do";
}

TEST_F(Timers, LastMinuteRekeyOnReceive) {
  establish();
  run(kRejectAfterTime - kKeepaliveTimeout - kRekeyTimeout - 1s, 1s);
  sendB(ipPacket(60, 2));
  pump();
  EXPECT_EQ(count(true, MessageType::kInitiation), 0u);
  run(2s, 1s);
  sent.clear();
  sendB(ipPacket(60, 3));
  EXPECT_EQ(count(true, MessageType::kInitiation), 0u);
  pump();
  EXPECT_EQ(count(true, MessageType::kInitiation), 1u) << "initiator renews its ageing session";
  sent.clear();
  sendB(ipPacket(60, 4));
  pump();
  EXPECT_EQ(count(true, MessageType::kInitiation), 0u) << "only once";
  EXPECT_EQ(peerA().status().handshakes, 2u);
}

TEST_F(Timers, PersistentKeepalive) {
  build(25s);
  // A reaches out at once, without any packet to send.
  run(100ms);
  EXPECT_EQ(count(true, MessageType::kInitiation), 1u);
  EXPECT_TRUE(peerA().status().has_session);
  EXPECT_EQ(keepalives(true), 1u) << "the keepalive confirming the session";
  sent.clear();
  run(24s);
  EXPECT_EQ(keepalives(true), 0u);
  run(2s);
  EXPECT_EQ(keepalives(true), 1u);
  run(25s);
  EXPECT_EQ(keepalives(true), 2u);
}

TEST_F(Timers, NextDeadlineTracksTimers) {
  EXPECT_FALSE(a->nextDeadline());
  link_up = false;
  sendA(ipPacket(60, 1));
  const std::optional<TimePoint> d = a->nextDeadline();
  ASSERT_TRUE(d);
  EXPECT_GE(*d, now + kRekeyTimeout);
  EXPECT_LE(*d, now + kRekeyTimeout + kRekeyTimeoutJitterMax);
  // Ticking before the deadline does nothing.
  Actions out;
  a->tick(*d - 1ms, out);
  EXPECT_TRUE(out.empty());
  a->tick(*d, out);
  EXPECT_EQ(out.size(), 1u);
}

}  // namespace
}  // namespace causeway::wg

namespace causeway::wg {
namespace {

TEST(InnerPacketLength, Ipv4AndIpv6) {
  std::vector<uint8_t> v4(48, 0);
  v4[0] = 0x45;
  v4[3] = 40;
  EXPECT_EQ(innerPacketLength(v4), 40u) << "padding after the packet";
  v4[3] = 49;
  EXPECT_FALSE(innerPacketLength(v4)) << "longer than what arrived";
  v4[3] = 19;
  EXPECT_FALSE(innerPacketLength(v4)) << "shorter than its header";
  std::vector<uint8_t> v6(64, 0);
  v6[0] = 0x60;
  v6[5] = 8;  // payload length
  EXPECT_EQ(innerPacketLength(v6), 48u);
  v6[5] = 25;
  EXPECT_FALSE(innerPacketLength(v6));
  EXPECT_FALSE(innerPacketLength(std::vector<uint8_t>(39, 0x60))) << "short IPv6 header";
  EXPECT_FALSE(innerPacketLength(std::vector<uint8_t>(64, 0x10))) << "not IP";
  EXPECT_FALSE(innerPacketLength({}));
}

}  // namespace
}  // namespace causeway::wg
