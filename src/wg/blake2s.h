// The BLAKE2s functions of the WireGuard protocol, on OpenSSL 3 (RFC 7693):
//   HASH(in)       = BLAKE2s-256(in)                      blake2s()
//   MAC(key, in)   = keyed BLAKE2s with a 16-byte output   blake2sMac16()
//   HMAC(key, in)  = HMAC (RFC 2104) over BLAKE2s-256      hmacBlake2s()
//   KDFn(key, in)  = the HKDF-style chain of HMACs          kdf1/kdf2/kdf3()
// Inputs are given as lists of parts, hashed as their concatenation. Stateless and safe from
// any thread. OpenSSL failing here is an impossible state once cryptoSelfTest() has passed, so
// these functions abort rather than return a wrong value.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>

#include "base/status.h"
#include "wg/secret.h"

namespace causeway::wg {

using Bytes = std::span<const uint8_t>;
using Hash = std::array<uint8_t, 32>;
using Mac = std::array<uint8_t, 16>;

Hash blake2s(std::initializer_list<Bytes> parts);

// Keyed BLAKE2s (the key is 1 to 32 bytes) with a 16- or 32-byte output.
Mac blake2sMac16(Bytes key, std::initializer_list<Bytes> parts);
Hash blake2sMac32(Bytes key, std::initializer_list<Bytes> parts);

// HMAC-BLAKE2s: H((K ^ opad) || H((K ^ ipad) || in)) with the 64-byte block of BLAKE2s.
Key hmacBlake2s(Bytes key, std::initializer_list<Bytes> parts);

struct Kdf2Out {
  Key first, second;
};
struct Kdf3Out {
  Key first, second, third;
};
// T0 = HMAC(key, input); T1 = HMAC(T0, 0x1); Ti = HMAC(T0, T(i-1) || i).
Key kdf1(const Key& key, Bytes input);
Kdf2Out kdf2(const Key& key, Bytes input);
Kdf3Out kdf3(const Key& key, Bytes input);

// Checks once that OpenSSL provides every primitive the core needs (BLAKE2s, BLAKE2SMAC,
// ChaCha20, ChaCha20-Poly1305, X25519) and that each gives a known answer.
Status cryptoSelfTest();

}  // namespace causeway::wg
