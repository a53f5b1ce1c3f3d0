#include "wg/cookie.h"

#include <cstring>

#include "wg/chacha20poly1305.h"
#include "wg/constants.h"

namespace causeway::wg {
namespace {

Bytes asBytes(std::string_view s) {
  return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

Hash labelledKey(std::string_view label, const PublicKey& key) {
  return blake2s({asBytes(label), Bytes(key)});
}

bool isHandshakeSize(size_t n) { return n == kInitiationSize || n == kResponseSize; }

MacBytes computeMac1(const Hash& key, std::span<const uint8_t> message) {
  return blake2sMac16(Bytes(key), {message.first(mac1Offset(message.size()))});
}

MacBytes computeMac2(std::span<const uint8_t, 16> cookie, std::span<const uint8_t> message) {
  return blake2sMac16(cookie, {message.first(mac2Offset(message.size()))});
}

}  // namespace

CookieChecker::CookieChecker(const PublicKey& local_public)
    : mac1_key_(labelledKey(kLabelMac1, local_public)) {
  const Hash ck = labelledKey(kLabelCookie, local_public);
  cookie_key_.assign(ck);
}

bool CookieChecker::checkMac1(std::span<const uint8_t> message) const {
  if (!isHandshakeSize(message.size())) return false;
  const MacBytes expected = computeMac1(mac1_key_, message);
  return constantTimeEqual(expected, message.subspan(mac1Offset(message.size()), kMacSize));
}

bool CookieChecker::secretValid(TimePoint now) const {
  return secret_born_ && now - *secret_born_ < kCookieLifetime && now >= *secret_born_;
}

bool CookieChecker::checkMac2(std::span<const uint8_t> message, Bytes source, TimePoint now) const {
  if (!isHandshakeSize(message.size()) || !secretValid(now)) return false;
  SecretBytes<16> cookie;
  cookie.assign(blake2sMac16(secret_.span(), {source}));
  const MacBytes expected = computeMac2(cookie.span(), message);
  return constantTimeEqual(expected, message.subspan(mac2Offset(message.size()), kMacSize));
}

CookieReply CookieChecker::makeReply(std::span<const uint8_t> message, uint32_t receiver_index,
                                     Bytes source, TimePoint now, Env& env) {
  if (!secretValid(now)) {
    env.randomBytes(secret_.span());
    secret_born_ = now;
  }
  CookieReply reply;
  reply.receiver_index = receiver_index;
  env.randomBytes(reply.nonce);
  SecretBytes<16> cookie;
  cookie.assign(blake2sMac16(secret_.span(), {source}));
  // The additional data is the mac1 of the message answered, binding the reply to it.
  const Bytes mac1 = message.size() >= 2 * kMacSize
                         ? message.subspan(mac1Offset(message.size()), kMacSize)
                         : Bytes();
  if (!xaeadSeal(cookie_key_, reply.nonce, cookie.span(), mac1, reply.encrypted_cookie)) {
    reply.encrypted_cookie.fill(0);  // undecryptable: the initiator drops it
  }
  return reply;
}

MacSigner::MacSigner(const PublicKey& remote_public)
    : mac1_key_(labelledKey(kLabelMac1, remote_public)) {
  const Hash ck = labelledKey(kLabelCookie, remote_public);
  cookie_key_.assign(ck);
}

bool MacSigner::hasFreshCookie(TimePoint now) const {
  return cookie_received_ && now >= *cookie_received_ && now - *cookie_received_ < kCookieLifetime;
}

void MacSigner::sign(std::span<uint8_t> message, TimePoint now) {
  if (!isHandshakeSize(message.size())) return;
  const MacBytes mac1 = computeMac1(mac1_key_, message);
  std::memcpy(message.data() + mac1Offset(message.size()), mac1.data(), kMacSize);
  last_mac1_ = mac1;
  awaiting_reply_ = true;
  MacBytes mac2{};
  if (hasFreshCookie(now)) mac2 = computeMac2(cookie_.span(), message);
  std::memcpy(message.data() + mac2Offset(message.size()), mac2.data(), kMacSize);
}

bool MacSigner::consumeReply(const CookieReply& reply, TimePoint now) {
  if (!awaiting_reply_) return false;
  SecretBytes<16> cookie;
  if (!xaeadOpen(cookie_key_, reply.nonce, reply.encrypted_cookie, last_mac1_, cookie.span())) {
    return false;
  }
  cookie_ = cookie;
  cookie_received_ = now;
  awaiting_reply_ = false;
  return true;
}

}  // namespace causeway::wg
