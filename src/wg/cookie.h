// The MACs of handshake messages and the cookie mechanism (whitepaper section 5.4.4 and 5.4.7),
// which lets a responder under load make an initiator prove it owns its source address before
// any Diffie-Hellman is spent on it.
//
// CookieChecker is the receiving side, one per device (keyed by the local static public key):
// it checks mac1 and mac2 and writes cookie replies. MacSigner is the sending side, one per
// peer (keyed by that peer's public key): it writes mac1 and mac2 into outgoing handshake
// messages and takes in the cookie replies the peer sends back. Neither is thread-safe.
#pragma once

#include <optional>
#include <span>

#include "wg/blake2s.h"
#include "wg/env.h"
#include "wg/messages.h"
#include "wg/secret.h"

namespace causeway::wg {

class CookieChecker {
 public:
  explicit CookieChecker(const PublicKey& local_public);

  // Whether mac1 of a handshake message (initiation or response, whole bytes) is right.
  bool checkMac1(std::span<const uint8_t> message) const;
  // Whether mac2 is right for a message that came from `source` (the sender's address bytes,
  // opaque here). False when no cookie secret exists yet or it has expired.
  bool checkMac2(std::span<const uint8_t> message, Bytes source, TimePoint now) const;
  // The cookie reply to a message whose mac1 was right but mac2 was not; `receiver_index` is
  // the sender index of that message. Makes or renews the cookie secret as needed.
  CookieReply makeReply(std::span<const uint8_t> message, uint32_t receiver_index, Bytes source,
                        TimePoint now, Env& env);

 private:
  bool secretValid(TimePoint now) const;

  Hash mac1_key_;   // HASH(LABEL_MAC1 || local public)
  Key cookie_key_;  // HASH(LABEL_COOKIE || local public)
  Key secret_;      // Rm, random, renewed every kCookieLifetime
  std::optional<TimePoint> secret_born_;
};

class MacSigner {
 public:
  explicit MacSigner(const PublicKey& remote_public);

  // Writes mac1 and mac2 into a serialized handshake message addressed to the peer; mac2 is
  // zero unless a cookie younger than kCookieLifetime is held.
  void sign(std::span<uint8_t> message, TimePoint now);
  // Takes the cookie out of a reply to the last signed message. False (and nothing changes)
  // when it does not decrypt, or no message was signed since the last accepted reply.
  bool consumeReply(const CookieReply& reply, TimePoint now);

  bool hasFreshCookie(TimePoint now) const;

 private:
  Hash mac1_key_;
  Key cookie_key_;
  SecretBytes<16> cookie_;
  std::optional<TimePoint> cookie_received_;
  MacBytes last_mac1_{};
  bool awaiting_reply_ = false;
};

}  // namespace causeway::wg
