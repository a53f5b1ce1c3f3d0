// Certificate signing requests (PKCS#10): a requester builds one with its own key, so the
// private key never leaves it, and a CA checks its self-signature before signing for its key.
// Pure functions; safe to call from any thread.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"
#include "pki/certificate.h"
#include "pki/keys.h"

namespace causeway::pki {

// A PEM CSR ("-----BEGIN CERTIFICATE REQUEST-----") for `key`'s public key, with subject CN
// `common_name` and the given subjectAltNames (requested, not binding on the CA), signed with
// `key` (ECDSA with SHA-256).
Result<std::string> makeCsr(const KeyPair& key, const std::string& common_name,
                            const SubjectAltNames& sans = {});

struct CsrInfo {
  std::string common_name;
  SubjectAltNames sans;  // as requested
  PublicKey public_key;
};

// Parses a PEM CSR and verifies its self-signature; a CSR whose signature does not match its
// content (tampered, or a key swapped in) is refused. Only EC P-256 keys are accepted.
Result<CsrInfo> readCsr(std::string_view csr_pem);

}  // namespace causeway::pki
