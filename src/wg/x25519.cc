#include "wg/x25519.h"

#include <openssl/evp.h>

#include <cstdlib>
#include <memory>

namespace causeway::wg {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;

}  // namespace

void clampPrivateKey(Key& key) {
  key[0] &= 248;
  key[31] &= 127;
  key[31] |= 64;
}

Key generatePrivateKey(Env& env) {
  Key key;
  env.randomBytes(key.span());
  clampPrivateKey(key);
  return key;
}

std::optional<PublicKey> publicKeyOf(const Key& private_key) {
  PkeyPtr pkey(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), Key::size()));
  if (!pkey) return std::nullopt;
  PublicKey pub{};
  size_t len = pub.size();
  if (EVP_PKEY_get_raw_public_key(pkey.get(), pub.data(), &len) != 1 || len != pub.size()) {
    return std::nullopt;
  }
  return pub;
}

std::optional<Key> dh(const Key& private_key, const PublicKey& public_key) {
  PkeyPtr priv(
      EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nullptr, private_key.data(), Key::size()));
  PkeyPtr peer(
      EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, public_key.data(), public_key.size()));
  if (!priv || !peer) return std::nullopt;
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new(priv.get(), nullptr));
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) != 1) {
    return std::nullopt;
  }
  Key shared;
  size_t len = Key::size();
  // OpenSSL itself refuses an all-zero result; the check below does not rely on that.
  if (EVP_PKEY_derive(ctx.get(), shared.data(), &len) != 1 || len != Key::size()) {
    return std::nullopt;
  }
  if (shared.isZero()) return std::nullopt;
  return shared;
}

KeyPair generateKeyPair(Env& env) {
  KeyPair kp;
  kp.private_key = generatePrivateKey(env);
  std::optional<PublicKey> pub = publicKeyOf(kp.private_key);
  if (!pub) std::abort();  // OpenSSL cannot derive a public key from a valid scalar: broken build
  kp.public_key = *pub;
  return kp;
}

}  // namespace causeway::wg
