#include "pki/ca.h"

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <initializer_list>
#include <vector>

#include "pki/csr.h"
#include "pki/ossl.h"

namespace causeway::pki {

// Everything is computed once when the CA is built and only read afterwards, so concurrent
// issue() calls share no mutable state (the issuer name is kept as DER and decoded per call).
struct CertificateAuthority::State {
  KeyPair key;
  std::string cert_pem;
  CertificateInfo info;
  std::vector<unsigned char> subject_der;  // the CA's subject name: issuer of what it signs
  std::vector<unsigned char> key_id;       // the CA's subjectKeyIdentifier
};

namespace {

constexpr int64_t kClockSkewSeconds = 60;
constexpr int kKeyUsageDigitalSignature = 0;
constexpr int kKeyUsageKeyCertSign = 5;
constexpr int kKeyUsageCrlSign = 6;

template <class T, auto Free>
using Owned = std::unique_ptr<T, ossl::FreeWith<Free>>;

void freeObjects(STACK_OF(ASN1_OBJECT) * objects) {
  sk_ASN1_OBJECT_pop_free(objects, ASN1_OBJECT_free);
}

Status opensslFailure(std::string_view what) {
  return Status::internal(std::string(what) + ": " + ossl::takeError());
}

Status addExtension(X509* cert, int nid, void* value, bool critical) {
  if (X509_add1_ext_i2d(cert, nid, value, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1) {
    return opensslFailure("cannot add certificate extension");
  }
  return Status::ok();
}

Status setCommonName(X509_NAME* name, const std::string& cn) {
  if (cn.empty() || cn.size() > 64) {
    return Status::invalidArgument("common name must have 1 to 64 characters: '" + cn + "'");
  }
  if (X509_NAME_add_entry_by_NID(name, NID_commonName, MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(cn.data()), int(cn.size()),
                                 -1, 0) != 1) {
    return Status::invalidArgument("invalid common name '" + cn + "': " + ossl::takeError());
  }
  return Status::ok();
}

// A random positive 128-bit serial number (RFC 5280 allows up to 20 octets).
Status setRandomSerial(X509* cert) {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) return opensslFailure("no random bytes for serial");
  bytes[sizeof bytes - 1] |= 1;  // never zero
  Owned<BIGNUM, BN_free> bn(BN_bin2bn(bytes, sizeof bytes, nullptr));
  if (!bn || !BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert))) {
    return opensslFailure("cannot set serial");
  }
  return Status::ok();
}

Status setValidity(X509* cert, int64_t not_before, int64_t not_after) {
  if (not_after <= not_before) {
    return Status::invalidArgument("certificate lifetime must be positive");
  }
  if (!ASN1_TIME_set(X509_getm_notBefore(cert), time_t(not_before)) ||
      !ASN1_TIME_set(X509_getm_notAfter(cert), time_t(not_after))) {
    return opensslFailure("cannot set validity");
  }
  return Status::ok();
}

Status addBasicConstraints(X509* cert, bool ca) {
  Owned<BASIC_CONSTRAINTS, BASIC_CONSTRAINTS_free> bc(BASIC_CONSTRAINTS_new());
  if (!bc) return opensslFailure("basicConstraints");
  bc->ca = ca ? 1 : 0;
  return addExtension(cert, NID_basic_constraints, bc.get(), true);
}

Status addKeyUsage(X509* cert, std::initializer_list<int> bits) {
  Owned<ASN1_BIT_STRING, ASN1_BIT_STRING_free> usage(ASN1_BIT_STRING_new());
  if (!usage) return opensslFailure("keyUsage");
  for (int bit : bits) {
    if (ASN1_BIT_STRING_set_bit(usage.get(), bit, 1) != 1) return opensslFailure("keyUsage");
  }
  return addExtension(cert, NID_key_usage, usage.get(), true);
}

Status addExtendedKeyUsage(X509* cert, KeyUsage usage) {
  Owned<STACK_OF(ASN1_OBJECT), freeObjects> eku(sk_ASN1_OBJECT_new_null());
  if (!eku) return opensslFailure("extendedKeyUsage");
  if (usage != KeyUsage::kClient) sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(NID_server_auth));
  if (usage != KeyUsage::kServer) sk_ASN1_OBJECT_push(eku.get(), OBJ_nid2obj(NID_client_auth));
  return addExtension(cert, NID_ext_key_usage, eku.get(), false);
}

// RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits. Needs the public key set.
Result<std::vector<unsigned char>> keyIdentifier(const X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_pubkey_digest(cert, EVP_sha1(), md, &len) != 1) {
    return opensslFailure("cannot compute key identifier");
  }
  return std::vector<unsigned char>(md, md + len);
}

Status addKeyIdentifiers(X509* cert, const std::vector<unsigned char>& subject_key_id,
                         const std::vector<unsigned char>& authority_key_id) {
  Owned<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free> skid(ASN1_OCTET_STRING_new());
  if (!skid ||
      ASN1_OCTET_STRING_set(skid.get(), subject_key_id.data(), int(subject_key_id.size())) != 1) {
    return opensslFailure("subjectKeyIdentifier");
  }
  if (Status st = addExtension(cert, NID_subject_key_identifier, skid.get(), false); !st.isOk()) {
    return st;
  }
  Owned<AUTHORITY_KEYID, AUTHORITY_KEYID_free> akid(AUTHORITY_KEYID_new());
  if (!akid) return opensslFailure("authorityKeyIdentifier");
  akid->keyid = ASN1_OCTET_STRING_new();
  if (!akid->keyid || ASN1_OCTET_STRING_set(akid->keyid, authority_key_id.data(),
                                            int(authority_key_id.size())) != 1) {
    return opensslFailure("authorityKeyIdentifier");
  }
  return addExtension(cert, NID_authority_key_identifier, akid.get(), false);
}

Result<std::vector<unsigned char>> nameDer(const X509_NAME* name) {
  unsigned char* der = nullptr;
  int len = i2d_X509_NAME(name, &der);
  if (len <= 0) return opensslFailure("cannot encode name");
  std::vector<unsigned char> out(der, der + len);
  OPENSSL_free(der);
  return out;
}

Status sign(X509* cert, EVP_PKEY* key) {
  if (X509_sign(cert, key, EVP_sha256()) <= 0) return opensslFailure("cannot sign certificate");
  return Status::ok();
}

}  // namespace

Result<CertificateAuthority> CertificateAuthority::create(const CaSpec& spec) {
  ossl::clearErrors();
  if (spec.lifetime.count() <= 0) return Status::invalidArgument("CA lifetime must be positive");
  auto key = KeyPair::generate();
  if (!key.isOk()) return key.status();

  ossl::X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return opensslFailure("cannot create certificate");
  }
  if (Status st = setRandomSerial(cert.get()); !st.isOk()) return st;
  int64_t now = spec.now.value_or(unixNow());
  if (Status st = setValidity(cert.get(), now - kClockSkewSeconds, now + spec.lifetime.count());
      !st.isOk()) {
    return st;
  }
  if (Status st = setCommonName(X509_get_subject_name(cert.get()), spec.common_name); !st.isOk()) {
    return st;
  }
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(cert.get())) != 1 ||
      X509_set_pubkey(cert.get(), key->get()) != 1) {
    return opensslFailure("cannot build CA certificate");
  }
  auto key_id = keyIdentifier(cert.get());
  if (!key_id.isOk()) return key_id.status();
  if (Status st = addBasicConstraints(cert.get(), true); !st.isOk()) return st;
  if (Status st = addKeyUsage(cert.get(), {kKeyUsageKeyCertSign, kKeyUsageCrlSign}); !st.isOk()) {
    return st;
  }
  if (Status st = addKeyIdentifiers(cert.get(), key_id.value(), key_id.value()); !st.isOk()) {
    return st;
  }
  if (Status st = sign(cert.get(), key->get()); !st.isOk()) return st;
  return load(ossl::certificateToPem(cert.get()), key->toPem().view());
}

Result<CertificateAuthority> CertificateAuthority::load(std::string_view cert_pem,
                                                        std::string_view key_pem) {
  auto cert = ossl::parseCertificate(cert_pem);
  if (!cert.isOk()) return Status::invalidArgument("CA certificate: " + cert.status().message());
  auto key = KeyPair::fromPem(key_pem);
  if (!key.isOk()) return Status::invalidArgument("CA key: " + key.status().message());
  if (X509_check_private_key(cert->get(), key->get()) != 1) {
    ossl::clearErrors();
    return Status::invalidArgument("the CA key does not match the CA certificate");
  }
  if ((X509_get_extension_flags(cert->get()) & EXFLAG_CA) == 0) {
    return Status::invalidArgument("the CA certificate is not a CA (basicConstraints CA:TRUE)");
  }
  std::vector<unsigned char> key_id;
  if (const ASN1_OCTET_STRING* skid = X509_get0_subject_key_id(cert->get())) {
    const unsigned char* p = ASN1_STRING_get0_data(skid);
    key_id.assign(p, p + ASN1_STRING_length(skid));
  } else {
    auto computed = keyIdentifier(cert->get());
    if (!computed.isOk()) return computed.status();
    key_id = std::move(computed.value());
  }
  auto subject = nameDer(X509_get_subject_name(cert->get()));
  if (!subject.isOk()) return subject.status();
  std::string pem = ossl::certificateToPem(cert->get());
  auto info = certificateInfo(pem);
  if (!info.isOk()) return info.status();
  ossl::clearErrors();
  auto state = std::make_shared<const State>(State{std::move(key.value()), std::move(pem),
                                                   std::move(info.value()),
                                                   std::move(subject.value()), std::move(key_id)});
  return CertificateAuthority(std::move(state));
}

const std::string& CertificateAuthority::certificatePem() const { return state_->cert_pem; }

SecretString CertificateAuthority::keyPem() const { return state_->key.toPem(); }

const CertificateInfo& CertificateAuthority::info() const { return state_->info; }

Result<std::string> CertificateAuthority::issue(const PublicKey& subject_key,
                                                const CertSpec& spec) const {
  ossl::clearErrors();
  if (spec.lifetime.count() <= 0) {
    return Status::invalidArgument("certificate lifetime must be positive");
  }
  auto names = ossl::toGeneralNames(spec.sans);
  if (!names.isOk()) return names.status();

  ossl::X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return opensslFailure("cannot create certificate");
  }
  if (Status st = setRandomSerial(cert.get()); !st.isOk()) return st;
  int64_t now = spec.now.value_or(unixNow());
  int64_t not_after = std::min(now + int64_t(spec.lifetime.count()), state_->info.not_after);
  if (Status st = setValidity(cert.get(), now - kClockSkewSeconds, not_after); !st.isOk()) {
    return Status::invalidArgument(st.message() + " (and end before the CA expires at " +
                                   formatUtc(state_->info.not_after) + ")");
  }
  if (Status st = setCommonName(X509_get_subject_name(cert.get()), spec.common_name); !st.isOk()) {
    return st;
  }
  const unsigned char* p = state_->subject_der.data();
  Owned<X509_NAME, X509_NAME_free> issuer(
      d2i_X509_NAME(nullptr, &p, long(state_->subject_der.size())));
  if (!issuer || X509_set_issuer_name(cert.get(), issuer.get()) != 1 ||
      X509_set_pubkey(cert.get(), subject_key.get()) != 1) {
    return opensslFailure("cannot build certificate");
  }
  auto key_id = keyIdentifier(cert.get());
  if (!key_id.isOk()) return key_id.status();
  if (Status st = addBasicConstraints(cert.get(), false); !st.isOk()) return st;
  if (Status st = addKeyUsage(cert.get(), {kKeyUsageDigitalSignature}); !st.isOk()) return st;
  if (Status st = addExtendedKeyUsage(cert.get(), spec.usage); !st.isOk()) return st;
  if (!spec.sans.empty()) {
    if (Status st = addExtension(cert.get(), NID_subject_alt_name, names->get(), false);
        !st.isOk()) {
      return st;
    }
  }
  if (Status st = addKeyIdentifiers(cert.get(), key_id.value(), state_->key_id); !st.isOk()) {
    return st;
  }
  if (Status st = sign(cert.get(), state_->key.get()); !st.isOk()) return st;
  std::string pem = ossl::certificateToPem(cert.get());
  if (pem.empty()) return opensslFailure("cannot encode certificate");
  return pem;
}

Result<std::string> CertificateAuthority::signCsr(std::string_view csr_pem,
                                                  const CertSpec& spec) const {
  auto csr = readCsr(csr_pem);
  if (!csr.isOk()) return csr.status();
  return issue(csr->public_key, spec);
}

Result<CertifiedKey> CertificateAuthority::issueWithNewKey(const CertSpec& spec) const {
  auto key = KeyPair::generate();
  if (!key.isOk()) return key.status();
  auto cert = issue(key->publicKey(), spec);
  if (!cert.isOk()) return cert.status();
  return CertifiedKey{std::move(cert.value()), key->toPem()};
}

}  // namespace causeway::pki
