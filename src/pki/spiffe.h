// SPIFFE identities of mesh workloads: the ID `spiffe://<mesh>/<service>` (parsed and checked
// strictly per the SPIFFE ID specification), a mesh CA per mTLS backend, workload certificates
// issued from a sidecar's CSR (its private key never leaves it) with the ID as their only URI
// SAN, the peer identity read back from a verified chain, and when to renew.
// Pure functions of their arguments (time is passed in); safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "pki/ca.h"
#include "pki/certificate.h"

namespace causeway::pki {

inline constexpr std::chrono::seconds kDefaultWorkloadLifetime = std::chrono::hours(24);
// Renewal starts when this share of a certificate's lifetime has passed.
inline constexpr int kRenewAtPercent = 80;

// A SPIFFE ID: spiffe://<trust_domain><path>. trust_domain is lowercase letters, digits, '.',
// '-' and '_'; path is empty or "/seg/seg..." with segments of letters, digits, '.', '-', '_',
// never empty, "." or "..". In the mesh, the trust domain is the mesh name and the path the
// service.
struct SpiffeId {
  std::string trust_domain;
  std::string path;  // "" or "/service"

  std::string toString() const { return "spiffe://" + trust_domain + path; }
  bool operator==(const SpiffeId&) const = default;
};

// Parses `uri` strictly: scheme exactly "spiffe", no userinfo, port, query, fragment or
// percent-encoding, no trailing '/', at most 2048 bytes. The error says what is wrong.
Result<SpiffeId> parseSpiffeId(std::string_view uri);
// spiffe://<mesh>/<service>, refused when either does not fit the SPIFFE ID rules (for
// example an upper-case mesh name or a service with '/').
Result<SpiffeId> meshServiceId(std::string_view mesh, std::string_view service);

// A mesh's CA for one of its mTLS backends (several during a rotation): self-signed P-256,
// common name "<mesh> mesh CA (<backend>)" (cut to 64 characters).
struct MeshCaSpec {
  std::string mesh;
  std::string backend;
  std::chrono::seconds lifetime = std::chrono::hours(24 * 3650);
  int64_t now = 0;  // unix seconds
};
Result<CertificateAuthority> createMeshCa(const MeshCaSpec& spec);

// Signs a sidecar's CSR after checking its self-signature: `id` (which must have a path) is the
// only subjectAltName, whatever names the CSR asks for; extendedKeyUsage serverAuth+clientAuth;
// CA:FALSE; valid from now - 60 s until now + lifetime (never past the CA). PEM.
Result<std::string> issueWorkloadCertificate(const CertificateAuthority& ca,
                                             std::string_view csr_pem, const SpiffeId& id,
                                             std::chrono::seconds lifetime, int64_t now);

// The SPIFFE ID of the first certificate of `cert_pem`: its one URI SAN, which must be a valid
// SPIFFE ID. Does not verify the certificate; use verifyWorkloadCertificate for a peer.
Result<SpiffeId> spiffeIdOf(std::string_view cert_pem);

// Verifies a peer's chain against any of the trusted CA certificates (during a CA rotation
// both the old and the new backend's CA), checks that the leaf is not a CA and may be used for
// TLS, and returns its SPIFFE ID. `trust_domain`, when not empty, must match the ID's.
Result<SpiffeId> verifyWorkloadCertificate(std::string_view chain_pem,
                                           const std::vector<std::string>& trusted_ca_pems,
                                           int64_t now, std::string_view trust_domain = {});

// When to renew: not_before + 80% of (not_after - not_before), unix seconds.
int64_t renewAt(const CertificateInfo& info);
Result<int64_t> renewAt(std::string_view cert_pem);

}  // namespace causeway::pki
