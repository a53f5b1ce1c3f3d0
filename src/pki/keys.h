// Keys for Causeway's certificates: EC P-256, the key type of every certificate the built-in CA
// issues. KeyPair holds a private key, PublicKey only the public half (what a CA signs for).
// Both are immutable once built and cheap to copy (they share one OpenSSL object); OpenSSL 3
// allows concurrent read-only use of a key, so copies may be used from several threads.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "pki/secret.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace causeway::pki {

class PublicKey {
 public:
  // "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo). Only EC P-256 keys are accepted.
  static Result<PublicKey> fromPem(std::string_view pem);
  // A copy of the public half of an OpenSSL key (for glue code: a CSR's or a peer's key).
  static Result<PublicKey> fromOpenSsl(const EVP_PKEY* key);
  std::string toPem() const;
  bool operator==(const PublicKey& other) const;

  // For OpenSSL glue; never null. The object stays owned by this PublicKey (and its copies).
  EVP_PKEY* get() const { return key_.get(); }

 private:
  friend class KeyPair;
  explicit PublicKey(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

class KeyPair {
 public:
  // A fresh EC P-256 key from OpenSSL's default random generator.
  static Result<KeyPair> generate();
  // Unencrypted PKCS#8 ("PRIVATE KEY") or SEC1 ("EC PRIVATE KEY") PEM of an EC P-256 key.
  static Result<KeyPair> fromPem(std::string_view pem);

  // PKCS#8 PEM; the returned string is wiped when it is destroyed.
  SecretString toPem() const;
  // The public half, as a separate object that holds no private material.
  PublicKey publicKey() const;

  // For OpenSSL glue; never null.
  EVP_PKEY* get() const { return key_.get(); }

 private:
  explicit KeyPair(std::shared_ptr<EVP_PKEY> key) : key_(std::move(key)) {}
  std::shared_ptr<EVP_PKEY> key_;
};

// Same as KeyPair::generate().
Result<KeyPair> generateKey();

}  // namespace causeway::pki
