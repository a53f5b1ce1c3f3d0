// Peer: one remote WireGuard peer as a pure state machine (whitepaper section 6): its handshake,
// up to three sessions (previous, current, and next: a responder's session not yet confirmed by
// the initiator's first data message), packets waiting for a session, and the timers, which are
// deadlines compared with the `now` each event brings:
//   - retransmit an initiation after REKEY_TIMEOUT + jitter, give up after REKEY_ATTEMPT_TIME;
//   - rekey when sending on a session older than REKEY_AFTER_TIME (initiator) or past
//     REKEY_AFTER_MESSAGES; rekey once when receiving on an initiator's session close to
//     REJECT_AFTER_TIME; never use a session past REJECT_AFTER_TIME or REJECT_AFTER_MESSAGES;
//   - a keepalive KEEPALIVE_TIMEOUT after data arrived if nothing was sent back;
//   - a new handshake KEEPALIVE_TIMEOUT + REKEY_TIMEOUT after data was sent if nothing came back;
//   - persistent keepalives, when configured;
//   - every key wiped 3 * REJECT_AFTER_TIME after the last session was made.
// Packets and handshake messages arrive through Device, which finds the peer; send() and tick()
// may be called directly. Not thread-safe: a peer belongs to the device's thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "wg/action.h"
#include "wg/cookie.h"
#include "wg/env.h"
#include "wg/index_table.h"
#include "wg/keypair.h"
#include "wg/noise.h"

namespace causeway::wg {

struct PeerConfig {
  PublicKey public_key{};
  Key preshared_key;  // all zero: none
  // 0: off. Otherwise a keepalive this long after the last packet sent, to keep NAT state.
  std::chrono::seconds persistent_keepalive{0};
  // Empty until known; learnt from the peer's authenticated packets in any case (roaming).
  Endpoint endpoint;
  // With a persistent keepalive: restart its timer only when we send, not when we receive (as
  // WireGuard does), so that both ends of an idle tunnel hear each other every interval. The
  // transit layer uses it as a heartbeat to notice a dead HA member within seconds.
  bool keepalive_as_heartbeat = false;
};

struct PeerStatus {
  PublicKey public_key{};
  Endpoint endpoint;
  std::optional<TimePoint> last_handshake;
  std::optional<TimePoint> last_received;  // the last authenticated message of any kind
  // The last data or keepalive message: proof that a session works in the receive direction
  // (an initiation proves only that the peer can reach us).
  std::optional<TimePoint> last_transport_received;
  bool has_session = false;  // a current session exists (it may be past its age limit)
  uint64_t rx_bytes = 0;     // transport message sizes, keepalives and handshakes excluded
  uint64_t tx_bytes = 0;
  uint64_t rx_packets = 0;
  uint64_t tx_packets = 0;
  uint64_t handshakes = 0;  // completed
  size_t staged_packets = 0;
  std::array<uint64_t, size_t(DropReason::kCount)> drops{};
};

// What a peer shares with its device.
struct PeerContext {
  Env& env;
  const LocalIdentity& local;
  IndexTable& indices;
  size_t mtu;  // inner packets are padded to a multiple of 16, but not beyond this
};

class Peer {
 public:
  Peer(PeerId id, const PeerConfig& config, PeerContext& context, TimePoint now);
  ~Peer();
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  PeerId id() const { return id_; }
  const PublicKey& publicKey() const { return handshake_.remoteStatic(); }
  // False when the peer's key is a low-order point: no handshake can ever complete.
  bool valid() const { return handshake_.valid(); }
  const Key& staticStatic() const { return handshake_.staticStatic(); }
  PeerStatus status() const;
  void setEndpoint(const Endpoint& e) { endpoint_ = e; }
  // Changes the persistent keepalive (PeerConfig) of a running peer.
  void setPersistentKeepalive(std::chrono::seconds interval, bool as_heartbeat, TimePoint now);
  // The session data is sent on (nullptr when none), for status and tests.
  Keypair* currentSession() { return current_.get(); }
  const Endpoint& endpoint() const { return endpoint_; }

  // Sends an inner IP packet: sealed at once on a usable session, else kept until one exists
  // (starting a handshake). kNone, kStagedOverflow (an older waiting packet was dropped) or
  // kNoEndpoint (nowhere to send: dropped).
  DropReason send(std::span<const uint8_t> packet, TimePoint now, Actions& out);
  // Runs the timers due at `now`.
  void tick(TimePoint now, Actions& out);
  // The earliest time tick() has something to do; nullopt when no timer is armed.
  std::optional<TimePoint> nextDeadline() const;

  // --- called by Device after it parsed the message, checked its MACs and found the peer ---
  DropReason receiveInitiation(const OpenedInitiation& opened, const Endpoint& source,
                               TimePoint now, Actions& out);
  DropReason receiveResponse(const Response& msg, const Endpoint& source, TimePoint now,
                             Actions& out);
  DropReason receiveCookieReply(const CookieReply& msg, TimePoint now);
  DropReason receiveData(std::span<const uint8_t> message, uint32_t receiver_index,
                         const Endpoint& source, TimePoint now, Actions& out);
  void countDrop(DropReason r) { ++drops_[size_t(r)]; }

 private:
  bool canSendNow(TimePoint now) const { return current_ && current_->canSend(now); }
  void sealAndSend(std::span<const uint8_t> packet, TimePoint now, Actions& out);
  void sendKeepalive(TimePoint now, Actions& out);
  void sendStaged(TimePoint now, Actions& out);
  void emit(std::vector<uint8_t>&& bytes, Actions& out);
  // Starts a handshake unless one is under way (retry: the retransmission timer fired).
  void initiateHandshake(TimePoint now, Actions& out, bool retry);
  void releaseHandshakeIndex();
  void dropKeypair(std::unique_ptr<Keypair>& slot);
  void wipeAllKeys();
  Duration jitter();

  // Timer events (whitepaper 6.2-6.5).
  void onAuthenticatedSent(TimePoint now);
  void onAuthenticatedReceived(TimePoint now);
  void onDataSent(TimePoint now);
  void onDataReceived(TimePoint now);
  void onHandshakeComplete(TimePoint now);
  void onSessionDerived(TimePoint now);

  PeerId id_;
  PeerContext& ctx_;
  Handshake handshake_;
  MacSigner signer_;
  Endpoint endpoint_;
  std::chrono::seconds persistent_keepalive_;
  bool keepalive_as_heartbeat_;

  std::unique_ptr<Keypair> previous_;
  std::unique_ptr<Keypair> current_;
  std::unique_ptr<Keypair> next_;
  std::deque<std::vector<uint8_t>> staged_;

  std::optional<TimePoint> retransmit_at_;        // the next initiation of an attempt
  std::optional<TimePoint> attempt_started_;      // the first initiation of an attempt
  std::optional<TimePoint> last_handshake_sent_;  // initiation or response
  std::optional<TimePoint> keepalive_at_;         // passive keepalive
  std::optional<TimePoint> new_handshake_at_;     // sent data but heard nothing back
  std::optional<TimePoint> persistent_at_;
  std::optional<TimePoint> zero_keys_at_;
  bool last_minute_rekey_sent_ = false;

  std::optional<TimePoint> last_handshake_;
  std::optional<TimePoint> last_received_;
  std::optional<TimePoint> last_transport_received_;
  uint64_t rx_bytes_ = 0, tx_bytes_ = 0, rx_packets_ = 0, tx_packets_ = 0, handshakes_ = 0;
  std::array<uint64_t, size_t(DropReason::kCount)> drops_{};
};

// The length of the IPv4 or IPv6 packet at the start of `plain` (its own length field), or
// nullopt when `plain` does not start with one that fits.
std::optional<size_t> innerPacketLength(std::span<const uint8_t> plain);

}  // namespace causeway::wg
