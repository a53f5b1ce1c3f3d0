// X25519 (RFC 7748) on OpenSSL 3: key generation, public key from private key and
// Diffie-Hellman. Stateless functions, safe from any thread.
#pragma once

#include <optional>

#include "wg/env.h"
#include "wg/secret.h"

namespace causeway::wg {

// A fresh private key from `env`'s random bytes, clamped as RFC 7748 section 5 and `wg genkey` do.
Key generatePrivateKey(Env& env);

// Clears and sets the bits RFC 7748 fixes in a scalar (bits 0-2 and 255 cleared, 254 set).
void clampPrivateKey(Key& key);

// The public key X25519(private, 9). nullopt only when OpenSSL fails.
std::optional<PublicKey> publicKeyOf(const Key& private_key);

// X25519(private, public). nullopt when the result is all zero (a low-order public key,
// RFC 7748 section 6.1) or OpenSSL fails: such a peer is refused.
std::optional<Key> dh(const Key& private_key, const PublicKey& public_key);

struct KeyPair {
  Key private_key;
  PublicKey public_key{};
};

// generatePrivateKey plus its public key.
KeyPair generateKeyPair(Env& env);

}  // namespace causeway::wg
