// Device: the WireGuard protocol core of one interface, with no I/O (ZeroTier's
// processWirePacket style): datagrams, inner packets and `now` go in, actions come out (send
// these bytes to this endpoint, deliver this inner packet from this peer). It holds the local
// static key, the configured peers, the session indices and the cookie checker, and routes each
// received message to its peer. Choosing the peer for an inner packet (allowed IPs, routes) is
// the caller's job, as is checking a delivered packet's source against it.
//
// The caller also says when the device is under load (for instance when handshakes queue up):
// then a handshake message without a valid mac2 gets a cookie reply instead of a DH.
//
// Not thread-safe: one thread owns a device (and its peers).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>

#include "base/status.h"
#include "wg/action.h"
#include "wg/cookie.h"
#include "wg/env.h"
#include "wg/index_table.h"
#include "wg/noise.h"
#include "wg/peer.h"

namespace causeway::wg {

struct DeviceOptions {
  size_t mtu = 1420;  // of the tunnel: inner packets are padded up to it at most
};

class Device {
 public:
  // Checks the crypto primitives (cryptoSelfTest) and derives the public key.
  static Result<std::unique_ptr<Device>> create(Env& env, const Key& private_key,
                                                DeviceOptions options = {});
  Device(const Device&) = delete;
  Device& operator=(const Device&) = delete;

  const PublicKey& publicKey() const { return local_.public_key; }

  // Adds a peer; refuses our own key, a key already added, or a low-order key.
  Result<PeerId> addPeer(const PeerConfig& config, TimePoint now);
  // Removes a peer and wipes its keys. False when there is no such peer.
  bool removePeer(PeerId id);
  std::optional<PeerId> findPeer(const PublicKey& key) const;
  Peer* peer(PeerId id);
  const Peer* peer(PeerId id) const;
  size_t peerCount() const { return peers_.size(); }

  // A datagram from `source`. Returns why it was dropped, or kNone (also counted).
  DropReason receive(std::span<const uint8_t> datagram, const Endpoint& source, TimePoint now,
                     bool under_load, Actions& out);
  // An inner IP packet for `peer`. kUnknownPeer when there is no such peer.
  DropReason send(PeerId peer, std::span<const uint8_t> packet, TimePoint now, Actions& out);
  // Runs every peer's timers due at `now`.
  void tick(TimePoint now, Actions& out);
  // When tick() next has something to do; nullopt when no timer is armed.
  std::optional<TimePoint> nextDeadline() const;

  // Received datagrams dropped, by reason (kNone counts those taken).
  const std::array<uint64_t, size_t(DropReason::kCount)>& receiveCounts() const { return counts_; }

 private:
  Device(Env& env, LocalIdentity local, DeviceOptions options);
  DropReason dispatch(std::span<const uint8_t> datagram, const Endpoint& source, TimePoint now,
                      bool under_load, Actions& out);
  // mac1, then mac2 under load; kCookieSent after appending the cookie reply.
  DropReason checkMacs(std::span<const uint8_t> datagram, uint32_t sender_index,
                       const Endpoint& source, TimePoint now, bool under_load, Actions& out);
  Peer* peerForIndex(uint32_t index);

  Env& env_;
  LocalIdentity local_;
  DeviceOptions options_;
  IndexTable indices_;
  PeerContext context_;
  CookieChecker cookies_;
  std::map<PeerId, std::unique_ptr<Peer>> peers_;
  std::map<PublicKey, PeerId> by_key_;
  PeerId next_id_ = 1;
  std::array<uint64_t, size_t(DropReason::kCount)> counts_{};
};

}  // namespace causeway::wg
