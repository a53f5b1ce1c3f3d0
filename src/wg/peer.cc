#include "wg/peer.h"

#include <algorithm>

#include "wg/constants.h"
#include "wg/tai64n.h"

namespace causeway::wg {

std::optional<size_t> innerPacketLength(std::span<const uint8_t> plain) {
  if (plain.empty()) return std::nullopt;
  size_t length = 0;
  switch (plain[0] >> 4) {
    case 4:
      if (plain.size() < 20) return std::nullopt;
      length = size_t(plain[2]) << 8 | plain[3];
      if (length < 20) return std::nullopt;
      break;
    case 6:
      if (plain.size() < 40) return std::nullopt;
      length = 40 + (size_t(plain[4]) << 8 | plain[5]);
      break;
    default:
      return std::nullopt;
  }
  if (length > plain.size()) return std::nullopt;
  return length;
}

Peer::Peer(PeerId id, const PeerConfig& config, PeerContext& context, TimePoint now)
    : id_(id),
      ctx_(context),
      handshake_(context.local, config.public_key, config.preshared_key),
      signer_(config.public_key),
      endpoint_(config.endpoint),
      persistent_keepalive_(config.persistent_keepalive),
      keepalive_as_heartbeat_(config.keepalive_as_heartbeat) {
  // A peer with a persistent keepalive reaches out at once, as it would after a restart.
  if (persistent_keepalive_.count() > 0) persistent_at_ = now;
}

Peer::~Peer() { wipeAllKeys(); }

PeerStatus Peer::status() const {
  PeerStatus s;
  s.public_key = publicKey();
  s.endpoint = endpoint_;
  s.last_handshake = last_handshake_;
  s.last_received = last_received_;
  s.last_transport_received = last_transport_received_;
  s.has_session = current_ != nullptr;
  s.rx_bytes = rx_bytes_;
  s.tx_bytes = tx_bytes_;
  s.rx_packets = rx_packets_;
  s.tx_packets = tx_packets_;
  s.handshakes = handshakes_;
  s.staged_packets = staged_.size();
  s.drops = drops_;
  return s;
}

Duration Peer::jitter() {
  const auto max_ms = kRekeyTimeoutJitterMax.count() + 1;
  return std::chrono::milliseconds(ctx_.env.randomU32() % uint32_t(max_ms));
}

void Peer::emit(std::vector<uint8_t>&& bytes, Actions& out) {
  Action a;
  a.type = Action::Type::kSend;
  a.peer = id_;
  a.endpoint = endpoint_;
  a.bytes = std::move(bytes);
  out.push_back(std::move(a));
}

void Peer::releaseHandshakeIndex() { ctx_.indices.release(handshake_.localIndex()); }

void Peer::dropKeypair(std::unique_ptr<Keypair>& slot) {
  if (slot) ctx_.indices.release(slot->localIndex());
  slot.reset();
}

void Peer::wipeAllKeys() {
  dropKeypair(previous_);
  dropKeypair(current_);
  dropKeypair(next_);
  releaseHandshakeIndex();
  handshake_.clear();
}

void Peer::setPersistentKeepalive(std::chrono::seconds interval, bool as_heartbeat, TimePoint now) {
  persistent_keepalive_ = interval;
  keepalive_as_heartbeat_ = as_heartbeat;
  if (interval.count() > 0) {
    persistent_at_ = now + interval;
  } else {
    persistent_at_.reset();
  }
}

// --- timer events ---

void Peer::onAuthenticatedSent(TimePoint now) {
  keepalive_at_.reset();  // whatever we sent tells the peer we are alive
  if (persistent_keepalive_.count() > 0) persistent_at_ = now + persistent_keepalive_;
}

void Peer::onAuthenticatedReceived(TimePoint now) {
  last_received_ = now;
  new_handshake_at_.reset();  // the peer answered
  if (persistent_keepalive_.count() > 0 && !keepalive_as_heartbeat_) {
    persistent_at_ = now + persistent_keepalive_;
  }
}

void Peer::onDataSent(TimePoint now) {
  if (!new_handshake_at_) new_handshake_at_ = now + kKeepaliveTimeout + kRekeyTimeout + jitter();
}

void Peer::onDataReceived(TimePoint now) {
  if (!keepalive_at_) keepalive_at_ = now + kKeepaliveTimeout;
}

void Peer::onHandshakeComplete(TimePoint now) {
  retransmit_at_.reset();
  attempt_started_.reset();
  last_handshake_ = now;
  last_minute_rekey_sent_ = false;
  ++handshakes_;
}

void Peer::onSessionDerived(TimePoint now) { zero_keys_at_ = now + 3 * kRejectAfterTime; }

// --- sending ---

void Peer::sealAndSend(std::span<const uint8_t> packet, TimePoint now, Actions& out) {
  size_t padded = (packet.size() + 15) & ~size_t(15);
  if (padded > ctx_.mtu) padded = std::max(ctx_.mtu, packet.size());
  std::vector<uint8_t> bytes;
  if (!current_->seal(packet, padded, bytes)) return;  // exhausted: canSend said otherwise
  tx_bytes_ += bytes.size();
  ++tx_packets_;
  emit(std::move(bytes), out);
  onAuthenticatedSent(now);
  if (!packet.empty()) onDataSent(now);
}

void Peer::sendKeepalive(TimePoint now, Actions& out) {
  if (!canSendNow(now) || endpoint_.empty()) return;
  sealAndSend({}, now, out);
}

void Peer::sendStaged(TimePoint now, Actions& out) {
  while (!staged_.empty() && canSendNow(now)) {
    sealAndSend(staged_.front(), now, out);
    staged_.pop_front();
  }
}

DropReason Peer::send(std::span<const uint8_t> packet, TimePoint now, Actions& out) {
  if (endpoint_.empty()) {
    countDrop(DropReason::kNoEndpoint);
    return DropReason::kNoEndpoint;
  }
  if (canSendNow(now)) {
    sealAndSend(packet, now, out);
    const bool worn = current_->sendCounter() >= kRekeyAfterMessages;
    const bool old = current_->initiator() && now - current_->created() >= kRekeyAfterTime;
    if (worn || old) initiateHandshake(now, out, /*retry=*/false);
    return DropReason::kNone;
  }
  DropReason result = DropReason::kNone;
  if (staged_.size() >= kMaxStagedPackets) {
    staged_.pop_front();
    countDrop(DropReason::kStagedOverflow);
    result = DropReason::kStagedOverflow;
  }
  staged_.emplace_back(packet.begin(), packet.end());
  initiateHandshake(now, out, /*retry=*/false);
  return result;
}

void Peer::initiateHandshake(TimePoint now, Actions& out, bool retry) {
  if (!handshake_.valid()) return;
  if (!retry) {
    if (retransmit_at_) return;  // an attempt is under way; its timer sends the next initiation
    attempt_started_ = now;
  }
  // At most one handshake message (initiation or response) per REKEY_TIMEOUT.
  if (last_handshake_sent_ && now >= *last_handshake_sent_ &&
      now - *last_handshake_sent_ < kRekeyTimeout) {
    retransmit_at_ = *last_handshake_sent_ + kRekeyTimeout;
    return;
  }
  retransmit_at_ = now + kRekeyTimeout + jitter();
  if (endpoint_.empty()) return;  // nowhere to send yet; try again when the timer fires

  releaseHandshakeIndex();
  const uint32_t index = ctx_.indices.allocate(id_, ctx_.env);
  const std::optional<Initiation> msg =
      handshake_.createInitiation(ctx_.env, index, tai64nFrom(ctx_.env.wallClock()));
  if (!msg) {
    ctx_.indices.release(index);
    handshake_.clear();
    return;
  }
  std::array<uint8_t, kInitiationSize> bytes = serialize(*msg);
  signer_.sign(bytes, now);
  emit(std::vector<uint8_t>(bytes.begin(), bytes.end()), out);
  last_handshake_sent_ = now;
  onAuthenticatedSent(now);
}

// --- timers ---

void Peer::tick(TimePoint now, Actions& out) {
  if (zero_keys_at_ && now >= *zero_keys_at_) {
    zero_keys_at_.reset();
    wipeAllKeys();
  }
  if (retransmit_at_ && now >= *retransmit_at_) {
    retransmit_at_.reset();
    if (attempt_started_ && now - *attempt_started_ >= kRekeyAttemptTime) {
      // Give up; a packet sent later starts over.
      attempt_started_.reset();
      staged_.clear();
      releaseHandshakeIndex();
      handshake_.clear();
      if (!zero_keys_at_) zero_keys_at_ = now + 3 * kRejectAfterTime;
    } else {
      if (!attempt_started_) attempt_started_ = now;
      initiateHandshake(now, out, /*retry=*/true);
    }
  }
  if (keepalive_at_ && now >= *keepalive_at_) {
    keepalive_at_.reset();
    sendKeepalive(now, out);
  }
  if (new_handshake_at_ && now >= *new_handshake_at_) {
    new_handshake_at_.reset();
    initiateHandshake(now, out, /*retry=*/false);
  }
  if (persistent_at_ && now >= *persistent_at_) {
    persistent_at_.reset();
    if (canSendNow(now)) {
      sendKeepalive(now, out);
    } else {
      initiateHandshake(now, out, /*retry=*/false);
    }
    if (!persistent_at_) persistent_at_ = now + persistent_keepalive_;
  }
}

std::optional<TimePoint> Peer::nextDeadline() const {
  std::optional<TimePoint> next;
  for (const std::optional<TimePoint>& t :
       {retransmit_at_, keepalive_at_, new_handshake_at_, persistent_at_, zero_keys_at_}) {
    if (t && (!next || *t < *next)) next = t;
  }
  return next;
}

// --- receiving ---

DropReason Peer::receiveInitiation(const OpenedInitiation& opened, const Endpoint& source,
                                   TimePoint now, Actions& out) {
  const uint32_t own_index = handshake_.localIndex();
  switch (handshake_.acceptInitiation(opened, now)) {
    case Handshake::AcceptResult::kReplayed:
      countDrop(DropReason::kReplayedInitiation);
      return DropReason::kReplayedInitiation;
    case Handshake::AcceptResult::kTooSoon:
      countDrop(DropReason::kInitiationFlood);
      return DropReason::kInitiationFlood;
    case Handshake::AcceptResult::kAccepted:
      break;
  }
  ctx_.indices.release(own_index);  // our own initiation, if any, is superseded
  endpoint_ = source;
  onAuthenticatedReceived(now);

  const uint32_t index = ctx_.indices.allocate(id_, ctx_.env);
  std::optional<Handshake::ResponseAndKeys> r = handshake_.createResponse(ctx_.env, index);
  if (!r) {
    ctx_.indices.release(index);
    handshake_.clear();
    countDrop(DropReason::kDecryptFailed);
    return DropReason::kDecryptFailed;
  }
  // The session waits in `next` until the initiator's first data message confirms it.
  if (next_) {
    dropKeypair(previous_);
    previous_ = std::move(next_);
  }
  next_ = std::make_unique<Keypair>(std::move(r->keys), now);
  onSessionDerived(now);

  std::array<uint8_t, kResponseSize> bytes = serialize(r->response);
  signer_.sign(bytes, now);
  emit(std::vector<uint8_t>(bytes.begin(), bytes.end()), out);
  // Our own initiation would only race the confirmation the initiator is about to send: the
  // one-handshake-message-per-REKEY_TIMEOUT limit counts responses too.
  last_handshake_sent_ = now;
  onAuthenticatedSent(now);
  return DropReason::kNone;
}

DropReason Peer::receiveResponse(const Response& msg, const Endpoint& source, TimePoint now,
                                 Actions& out) {
  std::optional<SessionKeys> keys = handshake_.consumeResponse(msg);
  if (!keys) {
    const DropReason r = handshake_.state() == Handshake::State::kInitiationSent &&
                                 msg.receiver_index == handshake_.localIndex()
                             ? DropReason::kDecryptFailed
                             : DropReason::kUnexpectedResponse;
    countDrop(r);
    return r;
  }
  endpoint_ = source;
  dropKeypair(next_);
  dropKeypair(previous_);
  previous_ = std::move(current_);
  current_ = std::make_unique<Keypair>(std::move(*keys), now);
  onSessionDerived(now);
  onHandshakeComplete(now);
  onAuthenticatedReceived(now);
  // Confirm the session to the responder: with waiting data, or else a keepalive.
  if (staged_.empty()) {
    sendKeepalive(now, out);
  } else {
    sendStaged(now, out);
  }
  return DropReason::kNone;
}

DropReason Peer::receiveCookieReply(const CookieReply& msg, TimePoint now) {
  if (!signer_.consumeReply(msg, now)) {
    countDrop(DropReason::kBadCookieReply);
    return DropReason::kBadCookieReply;
  }
  return DropReason::kNone;
}

DropReason Peer::receiveData(std::span<const uint8_t> message, uint32_t receiver_index,
                             const Endpoint& source, TimePoint now, Actions& out) {
  std::unique_ptr<Keypair>* slot = nullptr;
  for (std::unique_ptr<Keypair>* s : {&current_, &previous_, &next_}) {
    if (*s && (*s)->localIndex() == receiver_index) slot = s;
  }
  DropReason result = DropReason::kNone;
  std::vector<uint8_t> plain;
  if (slot == nullptr) {
    result = DropReason::kUnknownIndex;
  } else if ((*slot)->expired(now)) {
    result = DropReason::kExpiredSession;
  } else {
    switch ((*slot)->open(message, plain)) {
      case Keypair::OpenResult::kOk:
        break;
      case Keypair::OpenResult::kMalformed:
        result = DropReason::kMalformed;
        break;
      case Keypair::OpenResult::kReplayed:
        result = DropReason::kReplayedData;
        break;
      case Keypair::OpenResult::kDecryptFailed:
        result = DropReason::kDecryptFailed;
        break;
    }
  }
  if (result != DropReason::kNone) {
    countDrop(result);
    return result;
  }

  endpoint_ = source;
  rx_bytes_ += message.size();
  ++rx_packets_;
  if (slot == &next_) {
    // The initiator used the session: it is confirmed and becomes current.
    dropKeypair(previous_);
    previous_ = std::move(current_);
    current_ = std::move(next_);
    onHandshakeComplete(now);
    sendStaged(now, out);
  }
  onAuthenticatedReceived(now);
  last_transport_received_ = now;

  if (!plain.empty()) {
    const std::optional<size_t> length = innerPacketLength(plain);
    if (!length) {
      countDrop(DropReason::kBadInnerPacket);
      result = DropReason::kBadInnerPacket;
    } else {
      onDataReceived(now);
      plain.resize(*length);
      Action a;
      a.type = Action::Type::kDeliver;
      a.peer = id_;
      a.endpoint = source;
      a.bytes = std::move(plain);
      out.push_back(std::move(a));
    }
  }
  // An initiator's session nearing REJECT_AFTER_TIME: renew it before it dies, once.
  if (current_ && current_->initiator() && !last_minute_rekey_sent_ &&
      now - current_->created() >= kRejectAfterTime - kKeepaliveTimeout - kRekeyTimeout) {
    last_minute_rekey_sent_ = true;
    initiateHandshake(now, out, /*retry=*/false);
  }
  return result;
}

}  // namespace causeway::wg
