#include "pki/keys.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <cstdlib>

#include "pki/ossl.h"

namespace causeway::pki {
namespace {

std::shared_ptr<EVP_PKEY> share(ossl::PkeyPtr key) {
  return std::shared_ptr<EVP_PKEY>(key.release(), ossl::FreeWith<EVP_PKEY_free>{});
}

// A new object holding only the public half of `key` (through its SubjectPublicKeyInfo DER).
Result<ossl::PkeyPtr> publicOnly(const EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int len = i2d_PUBKEY(key, &der);
  if (len <= 0) return Status::invalidArgument("cannot encode public key: " + ossl::takeError());
  const unsigned char* p = der;
  ossl::PkeyPtr pub(d2i_PUBKEY(nullptr, &p, len));
  OPENSSL_free(der);
  if (!pub) return Status::invalidArgument("cannot decode public key: " + ossl::takeError());
  return pub;
}

}  // namespace

Result<PublicKey> PublicKey::fromPem(std::string_view pem) {
  ossl::clearErrors();
  ossl::BioPtr bio = ossl::readBio(pem);
  ossl::PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return Status::invalidArgument("invalid public key PEM: " + ossl::takeError());
  if (!ossl::isP256(key.get())) return Status::invalidArgument("public key is not EC P-256");
  return PublicKey(share(std::move(key)));
}

Result<PublicKey> PublicKey::fromOpenSsl(const EVP_PKEY* key) {
  if (!ossl::isP256(key)) return Status::invalidArgument("public key is not EC P-256");
  auto pub = publicOnly(key);
  if (!pub.isOk()) return pub.status();
  return PublicKey(share(std::move(pub.value())));
}

std::string PublicKey::toPem() const {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    ossl::clearErrors();
    return {};
  }
  return ossl::bioString(bio.get());
}

bool PublicKey::operator==(const PublicKey& other) const {
  return EVP_PKEY_eq(key_.get(), other.key_.get()) == 1;
}

Result<KeyPair> KeyPair::generate() {
  ossl::clearErrors();
  ossl::PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return Status::internal("cannot generate an EC P-256 key: " + ossl::takeError());
  return KeyPair(share(std::move(key)));
}

Result<KeyPair> KeyPair::fromPem(std::string_view pem) {
  auto key = ossl::parsePrivateKey(pem);
  if (!key.isOk()) return key.status();
  if (!ossl::isP256(key->get())) return Status::invalidArgument("private key is not EC P-256");
  return KeyPair(share(std::move(key.value())));
}

SecretString KeyPair::toPem() const { return ossl::privateKeyToPem(key_.get()); }

PublicKey KeyPair::publicKey() const {
  auto pub = publicOnly(key_.get());
  // A key that generate() or fromPem() accepted always has an encodable public half.
  if (!pub.isOk()) std::abort();
  return PublicKey(share(std::move(pub.value())));
}

Result<KeyPair> generateKey() { return KeyPair::generate(); }

}  // namespace causeway::pki
