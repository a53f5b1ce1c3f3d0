#include "wg/noise.h"

#include "wg/chacha20poly1305.h"
#include "wg/constants.h"
#include "wg/x25519.h"

namespace causeway::wg {
namespace {

Bytes asBytes(std::string_view s) {
  return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

// Ci = HASH(CONSTRUCTION) and Hi = HASH(Ci || IDENTIFIER), the same for every handshake.
struct InitialState {
  Key chaining_key;
  Hash hash{};
};

const InitialState& initialState() {
  static const InitialState s = [] {
    InitialState st;
    const Hash c = blake2s({asBytes(kConstruction)});
    st.chaining_key.assign(c);
    st.hash = blake2s({Bytes(c), asBytes(kIdentifier)});
    return st;
  }();
  return s;
}

void mixHash(Hash& h, Bytes data) { h = blake2s({Bytes(h), data}); }

}  // namespace

std::optional<LocalIdentity> LocalIdentity::fromPrivateKey(const Key& private_key) {
  LocalIdentity id;
  id.private_key = private_key;
  clampPrivateKey(id.private_key);
  const std::optional<PublicKey> pub = publicKeyOf(id.private_key);
  if (!pub) return std::nullopt;
  id.public_key = *pub;
  id.responder_hash = blake2s({Bytes(initialState().hash), Bytes(id.public_key)});
  return id;
}

namespace noise_detail {

std::optional<StaticOpened> openStatic(const LocalIdentity& local, const Initiation& msg) {
  StaticOpened s;
  Key& c = s.transcript.chaining_key;
  Hash& h = s.transcript.hash;
  c = initialState().chaining_key;
  h = local.responder_hash;
  c = kdf1(c, msg.ephemeral);
  mixHash(h, msg.ephemeral);
  const std::optional<Key> es = dh(local.private_key, msg.ephemeral);
  if (!es) return std::nullopt;
  Kdf2Out k = kdf2(c, es->span());
  c = k.first;
  if (!aeadOpen(k.second, 0, msg.encrypted_static, Bytes(h), s.remote_static)) {
    return std::nullopt;
  }
  mixHash(h, msg.encrypted_static);
  return s;
}

std::optional<OpenedInitiation> openTimestamp(StaticOpened&& s, const Key& static_static,
                                              const Initiation& msg) {
  OpenedInitiation o;
  o.transcript = std::move(s.transcript);
  o.remote_static = s.remote_static;
  Key& c = o.transcript.chaining_key;
  Hash& h = o.transcript.hash;
  Kdf2Out k = kdf2(c, static_static.span());
  c = k.first;
  if (!aeadOpen(k.second, 0, msg.encrypted_timestamp, Bytes(h), o.timestamp)) {
    return std::nullopt;
  }
  mixHash(h, msg.encrypted_timestamp);
  o.remote_ephemeral = msg.ephemeral;
  o.sender_index = msg.sender_index;
  return o;
}

}  // namespace noise_detail

Handshake::Handshake(const LocalIdentity& local, const PublicKey& remote_static,
                     const Key& preshared)
    : local_(local), remote_static_(remote_static), preshared_(preshared) {
  initiator_hash_ = blake2s({Bytes(initialState().hash), Bytes(remote_static_)});
  if (std::optional<Key> ss = dh(local_.private_key, remote_static_)) {
    static_static_ = *ss;
    static_valid_ = true;
  }
}

void Handshake::clear() {
  state_ = State::kIdle;
  transcript_.chaining_key.wipe();
  transcript_.hash.fill(0);
  ephemeral_private_.wipe();
  remote_ephemeral_.fill(0);
  local_index_ = 0;
  remote_index_ = 0;
}

std::optional<Initiation> Handshake::createInitiation(Env& env, uint32_t local_index,
                                                      const Tai64n& timestamp) {
  if (!static_valid_) return std::nullopt;
  Initiation msg;
  msg.sender_index = local_index;
  HandshakeTranscript t;
  Key& c = t.chaining_key;
  Hash& h = t.hash;
  c = initialState().chaining_key;
  h = initiator_hash_;

  KeyPair ephemeral = generateKeyPair(env);
  msg.ephemeral = ephemeral.public_key;
  c = kdf1(c, msg.ephemeral);
  mixHash(h, msg.ephemeral);

  const std::optional<Key> es = dh(ephemeral.private_key, remote_static_);
  if (!es) return std::nullopt;
  Kdf2Out k = kdf2(c, es->span());
  c = k.first;
  if (!aeadSeal(k.second, 0, local_.public_key, Bytes(h), msg.encrypted_static)) {
    return std::nullopt;
  }
  mixHash(h, msg.encrypted_static);

  k = kdf2(c, static_static_.span());
  c = k.first;
  if (!aeadSeal(k.second, 0, timestamp, Bytes(h), msg.encrypted_timestamp)) return std::nullopt;
  mixHash(h, msg.encrypted_timestamp);

  clear();
  state_ = State::kInitiationSent;
  transcript_ = std::move(t);
  ephemeral_private_ = std::move(ephemeral.private_key);
  local_index_ = local_index;
  return msg;
}

std::optional<SessionKeys> Handshake::consumeResponse(const Response& msg) {
  if (state_ != State::kInitiationSent || msg.receiver_index != local_index_) return std::nullopt;
  HandshakeTranscript t = transcript_;
  Key& c = t.chaining_key;
  Hash& h = t.hash;
  c = kdf1(c, msg.ephemeral);
  mixHash(h, msg.ephemeral);
  const std::optional<Key> ee = dh(ephemeral_private_, msg.ephemeral);
  if (!ee) return std::nullopt;
  c = kdf1(c, ee->span());
  const std::optional<Key> se = dh(local_.private_key, msg.ephemeral);
  if (!se) return std::nullopt;
  c = kdf1(c, se->span());
  Kdf3Out k = kdf3(c, preshared_.span());
  c = k.first;
  mixHash(h, k.second.span());
  uint8_t nothing[1];
  if (!aeadOpen(k.third, 0, msg.encrypted_nothing, Bytes(h), std::span<uint8_t>(nothing, 0))) {
    return std::nullopt;
  }
  mixHash(h, msg.encrypted_nothing);

  Kdf2Out transport = kdf2(c, Bytes());
  SessionKeys keys;
  keys.send = std::move(transport.first);
  keys.receive = std::move(transport.second);
  keys.local_index = local_index_;
  keys.remote_index = msg.sender_index;
  keys.initiator = true;
  clear();
  return keys;
}

Handshake::AcceptResult Handshake::acceptInitiation(const OpenedInitiation& opened, TimePoint now) {
  if (latest_timestamp_ && !tai64nAfter(opened.timestamp, *latest_timestamp_)) {
    return AcceptResult::kReplayed;
  }
  if (last_accepted_at_ && now >= *last_accepted_at_ &&
      now - *last_accepted_at_ < kMinInitiationInterval) {
    return AcceptResult::kTooSoon;
  }
  clear();
  latest_timestamp_ = opened.timestamp;
  last_accepted_at_ = now;
  state_ = State::kInitiationAccepted;
  transcript_ = opened.transcript;
  remote_ephemeral_ = opened.remote_ephemeral;
  remote_index_ = opened.sender_index;
  return AcceptResult::kAccepted;
}

std::optional<Handshake::ResponseAndKeys> Handshake::createResponse(Env& env,
                                                                    uint32_t local_index) {
  if (state_ != State::kInitiationAccepted) return std::nullopt;
  HandshakeTranscript t = transcript_;
  Key& c = t.chaining_key;
  Hash& h = t.hash;
  ResponseAndKeys out;
  Response& msg = out.response;
  msg.sender_index = local_index;
  msg.receiver_index = remote_index_;

  KeyPair ephemeral = generateKeyPair(env);
  msg.ephemeral = ephemeral.public_key;
  c = kdf1(c, msg.ephemeral);
  mixHash(h, msg.ephemeral);
  const std::optional<Key> ee = dh(ephemeral.private_key, remote_ephemeral_);
  if (!ee) return std::nullopt;
  c = kdf1(c, ee->span());
  const std::optional<Key> se = dh(ephemeral.private_key, remote_static_);
  if (!se) return std::nullopt;
  c = kdf1(c, se->span());
  Kdf3Out k = kdf3(c, preshared_.span());
  c = k.first;
  mixHash(h, k.second.span());
  if (!aeadSeal(k.third, 0, Bytes(), Bytes(h), msg.encrypted_nothing)) return std::nullopt;
  mixHash(h, msg.encrypted_nothing);

  Kdf2Out transport = kdf2(c, Bytes());
  out.keys.send = std::move(transport.second);
  out.keys.receive = std::move(transport.first);
  out.keys.local_index = local_index;
  out.keys.remote_index = remote_index_;
  out.keys.initiator = false;
  clear();
  return out;
}

}  // namespace causeway::wg
