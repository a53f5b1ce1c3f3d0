#include "wg/chacha20poly1305.h"

#include <openssl/evp.h>

#include <cstring>
#include <limits>

namespace causeway::wg {
namespace {

const EVP_CIPHER* aeadCipher() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr);
  return cipher;
}

const EVP_CIPHER* streamCipher() {
  static EVP_CIPHER* cipher = EVP_CIPHER_fetch(nullptr, "ChaCha20", nullptr);
  return cipher;
}

std::array<uint8_t, 12> counterNonce(uint64_t counter) {
  std::array<uint8_t, 12> nonce{};
  for (int i = 0; i < 8; ++i) nonce[4 + i] = uint8_t(counter >> (8 * i));
  return nonce;
}

bool fitsInt(size_t n) { return n <= size_t(std::numeric_limits<int>::max()); }

uint32_t load32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

void store32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v);
  p[1] = uint8_t(v >> 8);
  p[2] = uint8_t(v >> 16);
  p[3] = uint8_t(v >> 24);
}

}  // namespace

AeadKey::AeadKey(const Key& key) {
  const EVP_CIPHER* cipher = aeadCipher();
  if (cipher == nullptr) return;
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return;
  // The key is set now; every message then only sets its nonce.
  if (EVP_CipherInit_ex2(ctx, cipher, key.data(), nullptr, 1, nullptr) != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return;
  }
  ctx_ = ctx;
}

AeadKey::~AeadKey() { EVP_CIPHER_CTX_free(ctx_); }  // frees and cleanses the key schedule

bool AeadKey::seal(uint64_t counter, std::span<const uint8_t> plain, std::span<const uint8_t> ad,
                   std::span<uint8_t> out) {
  const std::array<uint8_t, 12> nonce = counterNonce(counter);
  return sealWithNonce(nonce, plain, ad, out);
}

bool AeadKey::open(uint64_t counter, std::span<const uint8_t> cipher, std::span<const uint8_t> ad,
                   std::span<uint8_t> out) {
  const std::array<uint8_t, 12> nonce = counterNonce(counter);
  return openWithNonce(nonce, cipher, ad, out);
}

bool AeadKey::sealWithNonce(std::span<const uint8_t, 12> nonce, std::span<const uint8_t> plain,
                            std::span<const uint8_t> ad, std::span<uint8_t> out) {
  if (ctx_ == nullptr || out.size() != plain.size() + kAeadTagSize || !fitsInt(plain.size()) ||
      !fitsInt(ad.size())) {
    return false;
  }
  int len = 0;
  if (EVP_CipherInit_ex2(ctx_, nullptr, nullptr, nonce.data(), 1, nullptr) != 1) return false;
  if (!ad.empty() && EVP_CipherUpdate(ctx_, nullptr, &len, ad.data(), int(ad.size())) != 1) {
    return false;
  }
  if (!plain.empty() &&
      (EVP_CipherUpdate(ctx_, out.data(), &len, plain.data(), int(plain.size())) != 1 ||
       size_t(len) != plain.size())) {
    return false;
  }
  if (EVP_CipherFinal_ex(ctx_, out.data() + plain.size(), &len) != 1) return false;
  return EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_GET_TAG, int(kAeadTagSize),
                             out.data() + plain.size()) == 1;
}

bool AeadKey::openWithNonce(std::span<const uint8_t, 12> nonce, std::span<const uint8_t> cipher,
                            std::span<const uint8_t> ad, std::span<uint8_t> out) {
  if (ctx_ == nullptr || cipher.size() < kAeadTagSize ||
      out.size() != cipher.size() - kAeadTagSize || !fitsInt(cipher.size()) ||
      !fitsInt(ad.size())) {
    return false;
  }
  const size_t body = cipher.size() - kAeadTagSize;
  // A copy: OpenSSL's control call takes a non-const pointer.
  uint8_t tag[kAeadTagSize];
  std::memcpy(tag, cipher.data() + body, kAeadTagSize);
  int len = 0;
  bool ok = EVP_CipherInit_ex2(ctx_, nullptr, nullptr, nonce.data(), 0, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_AEAD_SET_TAG, int(kAeadTagSize), tag) == 1;
  if (ok && !ad.empty()) ok = EVP_CipherUpdate(ctx_, nullptr, &len, ad.data(), int(ad.size())) == 1;
  if (ok && body != 0) {
    ok = EVP_CipherUpdate(ctx_, out.data(), &len, cipher.data(), int(body)) == 1 &&
         size_t(len) == body;
  }
  uint8_t final_block[16];
  if (ok) ok = EVP_CipherFinal_ex(ctx_, final_block, &len) == 1;
  if (!ok && !out.empty()) secureWipe(out.data(), out.size());  // no unauthenticated plaintext
  return ok;
}

bool aeadSeal(const Key& key, uint64_t counter, std::span<const uint8_t> plain,
              std::span<const uint8_t> ad, std::span<uint8_t> out) {
  AeadKey k(key);
  return k.seal(counter, plain, ad, out);
}

bool aeadOpen(const Key& key, uint64_t counter, std::span<const uint8_t> cipher,
              std::span<const uint8_t> ad, std::span<uint8_t> out) {
  AeadKey k(key);
  return k.open(counter, cipher, ad, out);
}

Key hchacha20(const Key& key, std::span<const uint8_t, 16> nonce) {
  static constexpr uint32_t kSigma[4] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
  Key out;
  // OpenSSL's ChaCha20 IV is the last 16 bytes of the state (counter word, then nonce): exactly
  // where HChaCha20 puts its 16-byte nonce.
  uint8_t block[64] = {};
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  const bool ok =
      ctx != nullptr && streamCipher() != nullptr &&
      EVP_EncryptInit_ex2(ctx, streamCipher(), key.data(), nonce.data(), nullptr) == 1 &&
      EVP_EncryptUpdate(ctx, block, &len, block, sizeof(block)) == 1 && len == 64;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) {
    secureWipe(block, sizeof(block));
    return out;  // all zero: every AEAD under it then fails to open what the peer sealed
  }
  // Keystream word i = rounds(state)[i] + state[i]; HChaCha20 returns rounds(state) words.
  for (size_t i = 0; i < 4; ++i) {
    store32(out.data() + 4 * i, load32(block + 4 * i) - kSigma[i]);
    store32(out.data() + 16 + 4 * i, load32(block + 48 + 4 * i) - load32(nonce.data() + 4 * i));
  }
  secureWipe(block, sizeof(block));
  return out;
}

namespace {

std::array<uint8_t, 12> xNonceTail(const XNonce& nonce) {
  std::array<uint8_t, 12> n{};
  std::memcpy(n.data() + 4, nonce.data() + 16, 8);
  return n;
}

}  // namespace

bool xaeadSeal(const Key& key, const XNonce& nonce, std::span<const uint8_t> plain,
               std::span<const uint8_t> ad, std::span<uint8_t> out) {
  const Key subkey = hchacha20(key, std::span<const uint8_t, 16>(nonce.data(), 16));
  AeadKey k(subkey);
  return k.sealWithNonce(xNonceTail(nonce), plain, ad, out);
}

bool xaeadOpen(const Key& key, const XNonce& nonce, std::span<const uint8_t> cipher,
               std::span<const uint8_t> ad, std::span<uint8_t> out) {
  const Key subkey = hchacha20(key, std::span<const uint8_t, 16>(nonce.data(), 16));
  AeadKey k(subkey);
  return k.openWithNonce(xNonceTail(nonce), cipher, ad, out);
}

}  // namespace causeway::wg
