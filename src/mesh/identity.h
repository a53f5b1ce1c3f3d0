// What a sidecar proves itself with and whom it trusts: its workload certificate (SPIFFE ID
// spiffe://<mesh>/<service> as the only URI SAN), the private key it generated (never sent
// anywhere), and the CA certificates of every mTLS backend of its mesh (several during a CA
// rotation). Comes from the control plane (cli/sidecar_cp) and is handed to the sidecar runtime
// whole; a renewal is a new Identity. A plain value; the key is wiped on destruction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "pki/secret.h"

namespace causeway::mesh {

struct Identity {
  std::string cert_pem;                      // leaf first, then any intermediates
  pki::SecretString key_pem;                 // PKCS#8, EC P-256
  std::vector<std::string> trusted_ca_pems;  // one PEM per backend CA of the mesh
  std::string spiffe_id;                     // spiffe://mesh/service, from the certificate
  int64_t not_after = 0;                     // unix seconds
  int64_t renew_at = 0;                      // unix seconds (80% of the lifetime)

  bool empty() const { return cert_pem.empty(); }
};

// Checks that the certificate, key and CAs fit together (the key matches the certificate, the
// certificate chains to one of the CAs at `now`) and fills spiffe_id, not_after and renew_at.
Status completeIdentity(Identity& id, int64_t now);

}  // namespace causeway::mesh
