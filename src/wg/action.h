// What the WireGuard core asks its caller to do after an event: send bytes to an endpoint, or
// deliver a decrypted inner packet from a peer. Events append actions to an Actions vector the
// caller owns (and may reuse), in the order they must happen. Also why a packet was dropped.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "wg/endpoint.h"

namespace causeway::wg {

using PeerId = uint32_t;
inline constexpr PeerId kNoPeer = 0;  // a cookie reply answers a sender not yet authenticated

struct Action {
  enum class Type {
    kSend,     // send `bytes` as one UDP datagram to `endpoint`
    kDeliver,  // `bytes` is an IP packet that came from `peer` (at `endpoint`)
  };
  Type type = Type::kSend;
  PeerId peer = kNoPeer;
  Endpoint endpoint;
  std::vector<uint8_t> bytes;
};

using Actions = std::vector<Action>;

// The outcome of one received datagram or one packet to send: kNone when it was taken.
enum class DropReason : uint8_t {
  kNone,
  kMalformed,           // not a WireGuard message: bad type, size or reserved bytes
  kBadMac1,             // a handshake message not addressed to our key
  kCookieSent,          // under load without a valid mac2: answered with a cookie reply
  kDecryptFailed,       // a handshake or transport message that does not authenticate
  kUnknownPeer,         // an initiation from a static key that is not a configured peer
  kReplayedInitiation,  // a timestamp not later than the last accepted one
  kInitiationFlood,     // initiations from one peer faster than 50 a second
  kUnknownIndex,        // a receiver index naming no handshake or session here
  kUnexpectedResponse,  // a response to no initiation under way
  kBadCookieReply,      // a cookie reply that does not decrypt or answers nothing
  kReplayedData,        // a transport counter already seen or below the window
  kExpiredSession,      // a session past REJECT_AFTER_TIME
  kBadInnerPacket,      // decrypted data that is not an IPv4/IPv6 packet of the right length
  kStagedOverflow,      // a packet waiting for a session pushed out by newer ones
  kNoEndpoint,          // a packet for a peer whose address is not known yet
  kCount
};

std::string_view dropReasonName(DropReason r);

}  // namespace causeway::wg
