// ChaCha20-Poly1305 (RFC 8439) and XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha) on OpenSSL 3, as
// WireGuard uses them: AEAD(key, counter, plain, ad) with the nonce 0^32 || LE64(counter), and
// XAEAD(key, 24-byte nonce, plain, ad) for cookie replies.
//
// Sealing writes plain.size() + 16 bytes (ciphertext then tag); opening writes
// cipher.size() - 16 bytes and fails, leaving `out` zeroed, when the tag does not verify.
// `out` may be the input buffer itself (in place) but must not partially overlap it.
// The free functions are safe from any thread; an AeadKey is used by one thread at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

#include "wg/secret.h"

typedef struct evp_cipher_ctx_st EVP_CIPHER_CTX;

namespace causeway::wg {

inline constexpr size_t kAeadTagSize = 16;
using XNonce = std::array<uint8_t, 24>;

// A key with its cipher context set up once, for the transport data path.
class AeadKey {
 public:
  explicit AeadKey(const Key& key);
  ~AeadKey();
  AeadKey(const AeadKey&) = delete;
  AeadKey& operator=(const AeadKey&) = delete;

  // False when OpenSSL failed to set the key up; every seal/open then fails.
  bool valid() const { return ctx_ != nullptr; }

  [[nodiscard]] bool seal(uint64_t counter, std::span<const uint8_t> plain,
                          std::span<const uint8_t> ad, std::span<uint8_t> out);
  [[nodiscard]] bool open(uint64_t counter, std::span<const uint8_t> cipher,
                          std::span<const uint8_t> ad, std::span<uint8_t> out);
  // The same with an explicit 12-byte RFC 8439 nonce.
  [[nodiscard]] bool sealWithNonce(std::span<const uint8_t, 12> nonce,
                                   std::span<const uint8_t> plain, std::span<const uint8_t> ad,
                                   std::span<uint8_t> out);
  [[nodiscard]] bool openWithNonce(std::span<const uint8_t, 12> nonce,
                                   std::span<const uint8_t> cipher, std::span<const uint8_t> ad,
                                   std::span<uint8_t> out);

 private:
  EVP_CIPHER_CTX* ctx_ = nullptr;
};

// One-shot AEAD(key, counter, plain, ad) and its inverse.
[[nodiscard]] bool aeadSeal(const Key& key, uint64_t counter, std::span<const uint8_t> plain,
                            std::span<const uint8_t> ad, std::span<uint8_t> out);
[[nodiscard]] bool aeadOpen(const Key& key, uint64_t counter, std::span<const uint8_t> cipher,
                            std::span<const uint8_t> ad, std::span<uint8_t> out);

// HChaCha20(key, 16-byte nonce): the subkey of XChaCha20, computed from one block of OpenSSL's
// ChaCha20 keystream (the block minus the initial state words it keeps: 0-3 and 12-15).
Key hchacha20(const Key& key, std::span<const uint8_t, 16> nonce);

// XAEAD: ChaCha20-Poly1305 under HChaCha20(key, nonce[0..16)) with nonce 0^32 || nonce[16..24).
[[nodiscard]] bool xaeadSeal(const Key& key, const XNonce& nonce, std::span<const uint8_t> plain,
                             std::span<const uint8_t> ad, std::span<uint8_t> out);
[[nodiscard]] bool xaeadOpen(const Key& key, const XNonce& nonce, std::span<const uint8_t> cipher,
                             std::span<const uint8_t> ad, std::span<uint8_t> out);

}  // namespace causeway::wg
