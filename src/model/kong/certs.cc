#include "model/kong/certs.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <climits>
#include <memory>
#include <string>

namespace causeway::model::kong {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

BioPtr memoryBio(std::string_view data) {
  if (data.size() > size_t(INT_MAX)) return nullptr;
  return BioPtr(BIO_new_mem_buf(data.data(), int(data.size())));
}

// Refuses to prompt for a pass phrase: an encrypted key is reported as invalid.
int noPassphrase(char*, int, int, void*) { return -1; }

// Clears OpenSSL's thread-local error queue on every exit path.
struct ErrorQueueGuard {
  ~ErrorQueueGuard() { ERR_clear_error(); }
};

std::string lastOpenSslError() {
  const unsigned long code = ERR_peek_last_error();
  if (code == 0) return "no PEM data found";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof buf);
  return buf;
}

}  // namespace

Problem checkCertificatePem(std::string_view pem) {
  ErrorQueueGuard guard;
  BioPtr bio = memoryBio(pem);
  if (!bio) return std::string("invalid certificate: too large");
  X509Ptr first(PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr));
  if (!first) return "invalid certificate: " + lastOpenSslError();
  for (int i = 0; i < 64; ++i) {  // the rest of the chain
    ERR_clear_error();
    X509Ptr next(PEM_read_bio_X509(bio.get(), nullptr, noPassphrase, nullptr));
    if (next) continue;
    const unsigned long code = ERR_peek_last_error();
    if (ERR_GET_REASON(code) == PEM_R_NO_START_LINE) return std::nullopt;  // end of input
    return "invalid certificate: " + lastOpenSslError();
  }
  return std::string("invalid certificate: chain longer than 64 certificates");
}

Problem checkPrivateKeyPem(std::string_view pem) {
  ErrorQueueGuard guard;
  BioPtr bio = memoryBio(pem);
  if (!bio) return std::string("invalid key: too large");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassphrase, nullptr));
  if (!key) return "invalid key: " + lastOpenSslError();
  return std::nullopt;
}

bool keyMatchesCertificate(std::string_view certPem, std::string_view keyPem) {
  ErrorQueueGuard guard;
  BioPtr certBio = memoryBio(certPem);
  BioPtr keyBio = memoryBio(keyPem);
  if (!certBio || !keyBio) return false;
  X509Ptr cert(PEM_read_bio_X509(certBio.get(), nullptr, noPassphrase, nullptr));
  PkeyPtr key(PEM_read_bio_PrivateKey(keyBio.get(), nullptr, noPassphrase, nullptr));
  if (!cert || !key) return false;
  return X509_check_private_key(cert.get(), key.get()) == 1;
}

}  // namespace causeway::model::kong
