// Internal to the pki module: owning pointers for OpenSSL objects and PEM/BIO glue shared by its
// .cc files. Not part of the module's interface; other modules include the public headers.
#pragma once

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "pki/certificate.h"
#include "pki/secret.h"

namespace causeway::pki::ossl {

template <auto Free>
struct FreeWith {
  template <class T>
  void operator()(T* p) const {
    Free(p);
  }
};

using BioPtr = std::unique_ptr<BIO, FreeWith<BIO_free_all>>;
using X509Ptr = std::unique_ptr<X509, FreeWith<X509_free>>;
using X509ReqPtr = std::unique_ptr<X509_REQ, FreeWith<X509_REQ_free>>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, FreeWith<EVP_PKEY_free>>;
using StorePtr = std::unique_ptr<X509_STORE, FreeWith<X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, FreeWith<X509_STORE_CTX_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, FreeWith<GENERAL_NAMES_free>>;

// The reason of the most recent OpenSSL error on this thread ("no start line"), and clears the
// thread's error queue. `fallback` when the queue is empty.
std::string takeError(std::string_view fallback = "unknown OpenSSL error");

// Drops whatever errors earlier calls left on this thread's queue.
void clearErrors();

// A read-only memory BIO over `data` (which must outlive it).
BioPtr readBio(std::string_view data);

// The content written to a memory BIO.
std::string bioString(BIO* bio);

// The first certificate of a PEM text, or the reason there is none.
Result<X509Ptr> parseCertificate(std::string_view pem);
// Every certificate of a PEM bundle, in order; an error when there is none.
Result<std::vector<X509Ptr>> parseCertificates(std::string_view pem);
std::string certificateToPem(X509* cert);

// Private keys: unencrypted PEM (PKCS#8 or SEC1), never prompting for a pass phrase.
Result<PkeyPtr> parsePrivateKey(std::string_view pem);
SecretString privateKeyToPem(EVP_PKEY* key);

// Whether `key` is an EC key on P-256, the only key type Causeway issues for.
bool isP256(const EVP_PKEY* key);

// Unix seconds of an ASN1_TIME.
Result<int64_t> toUnix(const ASN1_TIME* time);

// The first commonName of a name, UTF-8; empty when it has none.
std::string commonName(const X509_NAME* name);

// subjectAltName entries: DNS names, IP addresses and URIs. An invalid entry is an
// invalidArgument naming it.
Result<GeneralNamesPtr> toGeneralNames(const SubjectAltNames& sans);
SubjectAltNames fromGeneralNames(const GENERAL_NAMES* names);

}  // namespace causeway::pki::ossl
