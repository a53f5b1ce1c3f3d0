// CertificateAuthority: a self-signed CA (cluster CA, mesh CA) that issues certificates for
// public keys or CSRs. It is immutable once created or loaded, and cheap to copy (copies share
// the key); issue() and signCsr() are const and may be called from several threads at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "pki/certificate.h"
#include "pki/keys.h"
#include "pki/secret.h"

namespace causeway::pki {

struct CaSpec {
  std::string common_name;
  std::chrono::seconds lifetime = std::chrono::hours(24 * 3650);
  // Creation time, unix seconds (default: the system clock). The validity starts one minute
  // earlier, for clock skew between machines.
  std::optional<int64_t> now;
};

// What a CA certifies about a key.
struct CertSpec {
  std::string common_name;
  SubjectAltNames sans;
  std::chrono::seconds lifetime = std::chrono::hours(24 * 365);
  KeyUsage usage = KeyUsage::kServerAndClient;
  // Issuance time, unix seconds (default: the system clock). not_before = now - 60 s for clock
  // skew; not_after = now + lifetime, but never past the CA's own not_after.
  std::optional<int64_t> now;
};

// A certificate with the private key it was issued for.
struct CertifiedKey {
  std::string cert_pem;
  SecretString key_pem;
};

class CertificateAuthority {
 public:
  // A new CA with a fresh P-256 key: self-signed, basicConstraints CA:TRUE (critical), keyUsage
  // keyCertSign + cRLSign (critical), subjectKeyIdentifier.
  static Result<CertificateAuthority> create(const CaSpec& spec);
  // An existing CA from its certificate and unencrypted private key. Refused when the key does
  // not match the certificate or the certificate is not a CA certificate.
  static Result<CertificateAuthority> load(std::string_view cert_pem, std::string_view key_pem);

  const std::string& certificatePem() const;
  SecretString keyPem() const;
  const CertificateInfo& info() const;

  // A certificate for `subject_key`: subject CN and subjectAltNames from the spec, a random
  // 128-bit serial, basicConstraints CA:FALSE, keyUsage digitalSignature, extendedKeyUsage per
  // spec.usage, subject and authority key identifiers; signed with ECDSA-SHA256. PEM.
  Result<std::string> issue(const PublicKey& subject_key, const CertSpec& spec) const;
  // Verifies the CSR's self-signature and issues for its public key. Names come from `spec`
  // only: the CN and SANs requested in the CSR are ignored.
  Result<std::string> signCsr(std::string_view csr_pem, const CertSpec& spec) const;
  // Generates a P-256 key and issues for it (for callers that hold both ends, like cert init).
  Result<CertifiedKey> issueWithNewKey(const CertSpec& spec) const;

 private:
  struct State;
  explicit CertificateAuthority(std::shared_ptr<const State> state) : state_(std::move(state)) {}
  std::shared_ptr<const State> state_;
};

}  // namespace causeway::pki
