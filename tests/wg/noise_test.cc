#include "wg/noise.h"

#include <gtest/gtest.h>

#include "wg/constants.h"
#include "wg/deterministic_env.h"
#include "wg/x25519.h"

namespace causeway::wg {
namespace {

using namespace std::chrono_literals;

struct NoiseTest : ::testing::Test {
  DeterministicEnv env{21};
  LocalIdentity alice = *LocalIdentity::fromPrivateKey(generatePrivateKey(env));
  LocalIdentity bob = *LocalIdentity::fromPrivateKey(generatePrivateKey(env));
  Key psk;
  TimePoint t0{std::chrono::hours(2)};

  Tai64n stamp(int seconds) {
    return tai64nFrom(
        std::chrono::system_clock::time_point(std::chrono::seconds(1600000000 + seconds)));
  }

  // Bob's lookup: knows Alice only.
  std::optional<OpenedInitiation> bobOpens(const Handshake& bob_side, const Initiation& msg) {
    return openInitiation(bob, msg, [&](const PublicKey& k) -> const Key* {
      return k == alice.public_key ? &bob_side.staticStatic() : nullptr;
    });
  }
};

void expectSameKey(const Key& a, const Key& b) {
  EXPECT_TRUE(constantTimeEqual(a.span(), b.span()));
}

TEST_F(NoiseTest, FullHandshakeGivesMatchingKeys) {
  Handshake a(alice, bob.public_key, psk);
  Handshake b(bob, alice.public_key, psk);
  ASSERT_TRUE(a.valid() && b.valid());
  const std::optional<Initiation> init = a.createInitiation(env, 0x1111, stamp(0));
  ASSERT_TRUE(init);
  EXPECT_EQ(a.state(), Handshake::State::kInitiationSent);

  const std::optional<OpenedInitiation> opened = bobOpens(b, *init);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->remote_static, alice.public_key);
  EXPECT_EQ(opened->sender_index, 0x1111u);
  EXPECT_EQ(opened->timestamp, stamp(0));
  ASSERT_EQ(b.acceptInitiation(*opened, t0), Handshake::AcceptResult::kAccepted);
  std::optional<Handshake::ResponseAndKeys> resp = b.createResponse(env, 0x2222);
  ASSERT_TRUE(resp);
  EXPECT_EQ(resp->response.receiver_index, 0x1111u);
  EXPECT_EQ(b.state(), Handshake::State::kIdle);

  std::optional<SessionKeys> keys = a.consumeResponse(resp->response);
  ASSERT_TRUE(keys);
  EXPECT_TRUE(keys->initiator);
  EXPECT_FALSE(resp->keys.initiator);
  EXPECT_EQ(keys->local_index, 0x1111u);
  EXPECT_EQ(keys->remote_index, 0x2222u);
  EXPECT_EQ(resp->keys.local_index, 0x2222u);
  EXPECT_EQ(resp->keys.remote_index, 0x1111u);
  expectSameKey(keys->send, resp->keys.receive);
  expectSameKey(keys->receive, resp->keys.send);
  EXPECT_FALSE(constantTimeEqual(keys->send.span(), keys->receive.span()));
  // Done: the same response is not accepted twice.
  EXPECT_FALSE(a.consumeResponse(resp->response));
}

TEST_F(NoiseTest, PresharedKeyMustMatch) {
  Key p1, p2;
  p1[0] = 1;
  p2[0] = 2;
  for (const bool same : {true, false}) {
    Handshake a(alice, bob.public_key, p1);
    Handshake b(bob, alice.public_key, same ? p1 : p2);
    const std::optional<Initiation> init = a.createInitiation(env, 1, stamp(same ? 1 : 2));
    const std::optional<OpenedInitiation> opened = bobOpens(b, *init);
    ASSERT_TRUE(opened) << "the PSK only enters with the response";
    ASSERT_EQ(b.acceptInitiation(*opened, t0), Handshake::AcceptResult::kAccepted);
    const auto resp = b.createResponse(env, 2);
    ASSERT_TRUE(resp);
    EXPECT_EQ(a.consumeResponse(resp->response).has_value(), same);
  }
}

TEST_F(NoiseTest, TamperedInitiationRefused) {
  Handshake a(alice, bob.public_key, psk);
  Handshake b(bob, alice.public_key, psk);
  const Initiation init = *a.createInitiation(env, 1, stamp(0));
  auto flip = [&](auto mutate) {
    Initiation m = init;
    mutate(m);
    return bobOpens(b, m).has_value();
  };
  EXPECT_FALSE(flip([](Initiation& m) { m.ephemeral[5] ^= 1; }));
  EXPECT_FALSE(flip([](Initiation& m) { m.encrypted_static[0] ^= 1; }));
  EXPECT_FALSE(flip([](Initiation& m) { m.encrypted_static[47] ^= 1; }));
  EXPECT_FALSE(flip([](Initiation& m) { m.encrypted_timestamp[3] ^= 1; }));
  EXPECT_FALSE(flip([](Initiation& m) { m.encrypted_timestamp[27] ^= 1; }));
  EXPECT_TRUE(flip([](Initiation&) {}));
}

TEST_F(NoiseTest, UnknownInitiatorRefused) {
  const LocalIdentity carol = *LocalIdentity::fromPrivateKey(generatePrivateKey(env));
  Handshake c(carol, bob.public_key, psk);
  Handshake b(bob, alice.public_key, psk);
  const Initiation init = *c.createInitiation(env, 1, stamp(0));
  EXPECT_FALSE(bobOpens(b, init));
  // Sent to the wrong responder: the static key does not decrypt at all.
  Handshake a(alice, carol.public_key, psk);
  const Initiation to_carol = *a.createInitiation(env, 1, stamp(0));
  bool looked_up = false;
  EXPECT_FALSE(openInitiation(bob, to_carol, [&](const PublicKey&) -> const Key* {
    looked_up = true;
    return nullptr;
  }));
  EXPECT_FALSE(looked_up);
}

TEST_F(NoiseTest, ReplayedAndTooFrequentInitiationsRefused) {
  Handshake a(alice, bob.public_key, psk);
  Handshake b(bob, alice.public_key, psk);
  const Initiation first = *a.createInitiation(env, 1, stamp(10));
  const OpenedInitiation o1 = *bobOpens(b, first);
  ASSERT_EQ(b.acceptInitiation(o1, t0), Handshake::AcceptResult::kAccepted);
  // The very same message again, much later: the timestamp is not newer.
  EXPECT_EQ(b.acceptInitiation(*bobOpens(b, first), t0 + 10s), Handshake::AcceptResult::kReplayed);
  // An older timestamp.
  const Initiation older = *a.createInitiation(env, 2, stamp(5));
  EXPECT_EQ(b.acceptInitiation(*bobOpens(b, older), t0 + 10s), Handshake::AcceptResult::kReplayed);
  // A newer one, but too soon after the last accepted.
  const Initiation newer = *a.createInitiation(env, 3, stamp(11));
  EXPECT_EQ(b.acceptInitiation(*bobOpens(b, newer), t0 + 5ms), Handshake::AcceptResult::kTooSoon);
  EXPECT_EQ(b.acceptInitiation(*bobOpens(b, newer), t0 + kMinInitiationInterval),
            Handshake::AcceptResult::kAccepted);
}

TEST_F(NoiseTest, TamperedResponseRefusedWithoutLosingState) {
  Handshake a(alice, bob.public_key, psk);
  Handshake b(bob, alice.public_key, psk);
  const Initiation init = *a.createInitiation(env, 7, stamp(0));
  ASSERT_EQ(b.acceptInitiation(*bobOpens(b, init), t0), Handshake::AcceptResult::kAccepted);
  const Response resp = b.createResponse(env, 8)->response;
  for (int field = 0; field < 3; ++field) {
    Response bad = resp;
    if (field == 0) bad.ephemeral[0] ^= 1;
    if (field == 1) bad.encrypted_nothing[15] ^= 1;
    if (field == 2) bad.receiver_index ^= 1;
    EXPECT_FALSE(a.consumeResponse(bad)) << field;
    EXPECT_EQ(a.state(), Handshake::State::kInitiationSent);
  }
  EXPECT_TRUE(a.consumeResponse(resp));
}

TEST_F(NoiseTest, LowOrderPeerKeyIsInvalid) {
  PublicKey zero{};
  Handshake h(alice, zero, psk);
  EXPECT_FALSE(h.valid());
  EXPECT_FALSE(h.createInitiation(env, 1, stamp(0)));
}

}  // namespace
}  // namespace causeway::wg
