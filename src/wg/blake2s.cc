#include "wg/blake2s.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "wg/chacha20poly1305.h"
#include "wg/x25519.h"

namespace causeway::wg {
namespace {

constexpr size_t kBlockSize = 64;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "wg: OpenSSL failed in %s\n", what);
  std::abort();
}

const EVP_MD* blake2sDigest() {
  static EVP_MD* md = EVP_MD_fetch(nullptr, "BLAKE2S-256", nullptr);
  return md;
}

EVP_MAC* blake2sMac() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "BLAKE2SMAC", nullptr);
  return mac;
}

struct MdCtx {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  ~MdCtx() { EVP_MD_CTX_free(ctx); }
};

struct MacCtx {
  EVP_MAC_CTX* ctx;
  explicit MacCtx(EVP_MAC* mac) : ctx(mac ? EVP_MAC_CTX_new(mac) : nullptr) {}
  ~MacCtx() { EVP_MAC_CTX_free(ctx); }
};

void hashInto(std::initializer_list<Bytes> parts, uint8_t* out) {
  MdCtx c;
  if (c.ctx == nullptr || blake2sDigest() == nullptr ||
      EVP_DigestInit_ex2(c.ctx, blake2sDigest(), nullptr) != 1) {
    fail("BLAKE2s init");
  }
  for (Bytes p : parts) {
    if (!p.empty() && EVP_DigestUpdate(c.ctx, p.data(), p.size()) != 1) fail("BLAKE2s update");
  }
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(c.ctx, out, &len) != 1 || len != 32) fail("BLAKE2s final");
}

void keyedInto(Bytes key, std::initializer_list<Bytes> parts, uint8_t* out, size_t out_size) {
  MacCtx c(blake2sMac());
  if (c.ctx == nullptr) fail("BLAKE2SMAC fetch");
  size_t size = out_size;
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size),
                               OSSL_PARAM_construct_end()};
  if (key.empty() || key.size() > 32 || EVP_MAC_init(c.ctx, key.data(), key.size(), params) != 1) {
    fail("BLAKE2SMAC init");
  }
  for (Bytes p : parts) {
    if (!p.empty() && EVP_MAC_update(c.ctx, p.data(), p.size()) != 1) fail("BLAKE2SMAC update");
  }
  size_t len = 0;
  if (EVP_MAC_final(c.ctx, out, &len, out_size) != 1 || len != out_size) fail("BLAKE2SMAC final");
}

}  // namespace

Hash blake2s(std::initializer_list<Bytes> parts) {
  Hash h;
  hashInto(parts, h.data());
  return h;
}

Mac blake2sMac16(Bytes key, std::initializer_list<Bytes> parts) {
  Mac m;
  keyedInto(key, parts, m.data(), m.size());
  return m;
}

Hash blake2sMac32(Bytes key, std::initializer_list<Bytes> parts) {
  Hash m;
  keyedInto(key, parts, m.data(), m.size());
  return m;
}

Key hmacBlake2s(Bytes key, std::initializer_list<Bytes> parts) {
  // K0: the key zero-padded to a block (a key longer than a block is hashed first).
  SecretBytes<kBlockSize> pad;
  if (key.size() > kBlockSize) {
    hashInto({key}, pad.data());
  } else if (!key.empty()) {
    std::memcpy(pad.data(), key.data(), key.size());
  }
  for (size_t i = 0; i < kBlockSize; ++i) pad[i] ^= 0x36;
  Key inner;
  {
    MdCtx c;
    if (c.ctx == nullptr || EVP_DigestInit_ex2(c.ctx, blake2sDigest(), nullptr) != 1 ||
        EVP_DigestUpdate(c.ctx, pad.data(), kBlockSize) != 1) {
      fail("HMAC-BLAKE2s inner");
    }
    for (Bytes p : parts) {
      if (!p.empty() && EVP_DigestUpdate(c.ctx, p.data(), p.size()) != 1) {
        fail("HMAC-BLAKE2s update");
      }
    }
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(c.ctx, inner.data(), &len) != 1) fail("HMAC-BLAKE2s inner final");
  }
  for (size_t i = 0; i < kBlockSize; ++i) pad[i] ^= 0x36 ^ 0x5c;  // ipad -> opad
  Key out;
  hashInto({Bytes(pad.data(), kBlockSize), Bytes(inner.data(), inner.size())}, out.data());
  return out;
}

Key kdf1(const Key& key, Bytes input) {
  const Key t0 = hmacBlake2s(key.span(), {input});
  static constexpr uint8_t one = 1;
  return hmacBlake2s(t0.span(), {Bytes(&one, 1)});
}

Kdf2Out kdf2(const Key& key, Bytes input) {
  const Key t0 = hmacBlake2s(key.span(), {input});
  static constexpr uint8_t one = 1, two = 2;
  Kdf2Out out;
  out.first = hmacBlake2s(t0.span(), {Bytes(&one, 1)});
  out.second = hmacBlake2s(t0.span(), {out.first.span(), Bytes(&two, 1)});
  return out;
}

Kdf3Out kdf3(const Key& key, Bytes input) {
  const Key t0 = hmacBlake2s(key.span(), {input});
  static constexpr uint8_t one = 1, two = 2, three = 3;
  Kdf3Out out;
  out.first = hmacBlake2s(t0.span(), {Bytes(&one, 1)});
  out.second = hmacBlake2s(t0.span(), {out.first.span(), Bytes(&two, 1)});
  out.third = hmacBlake2s(t0.span(), {out.second.span(), Bytes(&three, 1)});
  return out;
}

Status cryptoSelfTest() {
  static const Status result = [] {
    if (blake2sDigest() == nullptr) return Status::internal("OpenSSL lacks BLAKE2S-256");
    if (blake2sMac() == nullptr) return Status::internal("OpenSSL lacks BLAKE2SMAC");
    // RFC 7693 appendix B: BLAKE2s-256("abc").
    static constexpr uint8_t abc[] = {'a', 'b', 'c'};
    static constexpr uint8_t abc_hash[4] = {0x50, 0x8c, 0x5e, 0x8c};
    if (std::memcmp(blake2s({Bytes(abc)}).data(), abc_hash, 4) != 0) {
      return Status::internal("BLAKE2s known answer mismatch");
    }
    // A 16-byte keyed output is a different function from a truncated 32-byte one.
    const Mac m16 = blake2sMac16(Bytes(abc), {Bytes(abc)});
    const Hash m32 = blake2sMac32(Bytes(abc), {Bytes(abc)});
    if (std::memcmp(m16.data(), m32.data(), m16.size()) == 0) {
      return Status::internal("BLAKE2SMAC ignores its output size");
    }
    Key k;
    uint8_t sealed[3 + kAeadTagSize];
    uint8_t opened[3];
    if (!aeadSeal(k, 1, Bytes(abc), {}, sealed) || !aeadOpen(k, 1, sealed, {}, opened) ||
        std::memcmp(opened, abc, 3) != 0) {
      return Status::internal("OpenSSL lacks a working ChaCha20-Poly1305");
    }
    if (hchacha20(k, std::span<const uint8_t, 16>(k.data(), 16)).isZero()) {
      return Status::internal("OpenSSL lacks ChaCha20");
    }
    k[0] = 9;
    if (!publicKeyOf(k)) return Status::internal("OpenSSL lacks X25519");
    return Status::ok();
  }();
  return result;
}

}  // namespace causeway::wg
