// Reading and checking X.509 certificates given as PEM text: what a certificate says
// (certificateInfo) and whether it chains to a trusted CA at a given time (verifyChain).
// Pure functions of their arguments; safe to call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "pki/keys.h"

namespace causeway::pki {

// subjectAltName entries of a certificate or CSR.
struct SubjectAltNames {
  std::vector<std::string> dns;   // "causeway-cp", "*.example.com"
  std::vector<std::string> ips;   // "127.0.0.1", "::1"
  std::vector<std::string> uris;  // "spiffe://mesh/service"

  bool empty() const { return dns.empty() && ips.empty() && uris.empty(); }
  // Adds `host` as an IP address when it is one (IPv4 or IPv6 text), otherwise as a DNS name.
  void addHost(std::string_view host);
  bool operator==(const SubjectAltNames&) const = default;
};

// Extended key usage of an issued certificate: which end of a TLS connection it may be.
enum class KeyUsage { kServer, kClient, kServerAndClient };

struct CertificateInfo {
  std::string subject_cn;
  std::string issuer_cn;
  SubjectAltNames sans;
  int64_t not_before = 0;  // unix seconds
  int64_t not_after = 0;   // unix seconds
  std::string serial_hex;  // upper-case hex, no separators
  // SHA-256 of the DER encoding, "AB:CD:..." as `openssl x509 -fingerprint -sha256` prints it.
  std::string sha256_fingerprint;
  bool is_ca = false;
  bool server_auth = false;  // extendedKeyUsage allows serverAuth (or has no EKU at all)
  bool client_auth = false;  // extendedKeyUsage allows clientAuth (or has no EKU at all)
};

// What the first certificate of `cert_pem` says.
Result<CertificateInfo> certificateInfo(std::string_view cert_pem);
// The public key the first certificate of `cert_pem` certifies (EC P-256 only).
Result<PublicKey> certificatePublicKey(std::string_view cert_pem);

// Checks that the first certificate of `cert_pem` chains to one of the trusted CA certificates
// at `now` (unix seconds). Further certificates in `cert_pem` are untrusted intermediates.
// `ca_bundle_pem` holds one or more PEM certificates. The error names the reason: expired, not
// yet valid, not issued by a trusted CA, bad signature, ...
Status verifyChain(std::string_view cert_pem, std::string_view ca_bundle_pem, int64_t now);
Status verifyChain(std::string_view cert_pem, const std::vector<std::string>& ca_pems, int64_t now);

// The current time in unix seconds (system clock), for callers that have no injected clock.
int64_t unixNow();
// "2036-05-01 12:00:00 UTC".
std::string formatUtc(int64_t unix_seconds);

}  // namespace causeway::pki
