// The Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake of WireGuard (whitepaper section 5.4.2 -
// 5.4.5), without the MACs (cookie.h) and without I/O.
//
// The initiator calls Handshake::createInitiation, then consumeResponse. The responder cannot
// know the peer before decrypting its static key, so it first calls openInitiation (device
// level), finds the peer by the key, then Handshake::acceptInitiation (replay and flood checks)
// and createResponse. Both sides end with SessionKeys. Failed steps change nothing.
// A Handshake belongs to one peer and is used by one thread at a time.
#pragma once

#include <cstdint>
#include <optional>

#include "wg/blake2s.h"
#include "wg/env.h"
#include "wg/messages.h"
#include "wg/secret.h"
#include "wg/tai64n.h"

namespace causeway::wg {

// The local static key pair with what the handshake precomputes from it.
struct LocalIdentity {
  Key private_key;
  PublicKey public_key{};
  Hash responder_hash{};  // HASH(HASH(HASH(CONSTRUCTION) || IDENTIFIER) || public_key)

  // nullopt when OpenSSL cannot derive the public key.
  static std::optional<LocalIdentity> fromPrivateKey(const Key& private_key);
};

// The transport keys a completed handshake yields, and the indices naming the session.
struct SessionKeys {
  Key send;
  Key receive;
  uint32_t local_index = 0;
  uint32_t remote_index = 0;
  bool initiator = false;
};

// The chaining key and hash of a handshake under way.
struct HandshakeTranscript {
  Key chaining_key;
  Hash hash{};
};

// An initiation decrypted by the responder, not yet tied to a peer's state.
struct OpenedInitiation {
  HandshakeTranscript transcript;
  PublicKey remote_static{};
  PublicKey remote_ephemeral{};
  uint32_t sender_index = 0;
  Tai64n timestamp{};
};

// Decrypts an initiation's static key and timestamp. `static_static_for` maps the decrypted
// static public key to DH(local private, that key) precomputed for a known peer, or nullptr for
// an unknown key. nullopt when the message does not decrypt or the key is unknown.
template <class StaticStaticFor>
std::optional<OpenedInitiation> openInitiation(const LocalIdentity& local, const Initiation& msg,
                                               StaticStaticFor&& static_static_for);

class Handshake {
 public:
  enum class State { kIdle, kInitiationSent, kInitiationAccepted };

  // `preshared` is all zero when the peers share none. A peer whose key gives an all-zero
  // static-static DH (a low-order point) can never complete a handshake: valid() is false.
  Handshake(const LocalIdentity& local, const PublicKey& remote_static, const Key& preshared);

  bool valid() const { return static_valid_; }
  State state() const { return state_; }
  // The local index of the handshake under way (0 when idle).
  uint32_t localIndex() const { return state_ == State::kIdle ? 0 : local_index_; }
  const Key& staticStatic() const { return static_static_; }
  const PublicKey& remoteStatic() const { return remote_static_; }

  // Initiator: a new initiation (fresh ephemeral key) under `local_index`, replacing any
  // handshake under way. MACs are left zero for MacSigner.
  std::optional<Initiation> createInitiation(Env& env, uint32_t local_index,
                                             const Tai64n& timestamp);
  // Initiator: the keys from the response to the initiation under way.
  std::optional<SessionKeys> consumeResponse(const Response& msg);

  // Responder: refuses an initiation whose timestamp is not later than every one accepted
  // before (a replay), or that comes less than kMinInitiationInterval after the last accepted
  // one (a flood). Otherwise it replaces any handshake under way.
  enum class AcceptResult { kAccepted, kReplayed, kTooSoon };
  AcceptResult acceptInitiation(const OpenedInitiation& opened, TimePoint now);
  // Responder: the response to the accepted initiation, and the session's keys.
  struct ResponseAndKeys {
    Response response;
    SessionKeys keys;
  };
  std::optional<ResponseAndKeys> createResponse(Env& env, uint32_t local_index);

  // Forgets the handshake under way (its ephemeral key and transcript). The latest accepted
  // timestamp stays: an old initiation must not become acceptable again.
  void clear();

 private:
  const LocalIdentity& local_;
  PublicKey remote_static_;
  Key preshared_;
  Key static_static_;
  bool static_valid_ = false;
  Hash initiator_hash_;  // HASH(HASH(HASH(CONSTRUCTION) || IDENTIFIER) || remote_static)

  State state_ = State::kIdle;
  HandshakeTranscript transcript_;
  Key ephemeral_private_;
  PublicKey remote_ephemeral_{};
  uint32_t local_index_ = 0;
  uint32_t remote_index_ = 0;

  std::optional<Tai64n> latest_timestamp_;
  std::optional<TimePoint> last_accepted_at_;
};

// --- implementation details of openInitiation ---
namespace noise_detail {
struct StaticOpened {
  HandshakeTranscript transcript;
  PublicKey remote_static{};
};
std::optional<StaticOpened> openStatic(const LocalIdentity& local, const Initiation& msg);
std::optional<OpenedInitiation> openTimestamp(StaticOpened&& s, const Key& static_static,
                                              const Initiation& msg);
}  // namespace noise_detail

template <class StaticStaticFor>
std::optional<OpenedInitiation> openInitiation(const LocalIdentity& local, const Initiation& msg,
                                               StaticStaticFor&& static_static_for) {
  std::optional<noise_detail::StaticOpened> s = noise_detail::openStatic(local, msg);
  if (!s) return std::nullopt;
  const Key* ss = static_static_for(s->remote_static);
  if (ss == nullptr) return std::nullopt;
  return noise_detail::openTimestamp(std::move(*s), *ss, msg);
}

}  // namespace causeway::wg
