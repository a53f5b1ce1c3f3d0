#include "pki/spiffe.h"

namespace causeway::pki {
namespace {

constexpr size_t kMaxIdLength = 2048;
constexpr size_t kMaxTrustDomainLength = 255;
constexpr std::string_view kScheme = "spiffe://";

bool isTrustDomainChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

bool isPathChar(char c) { return isTrustDomainChar(c) || (c >= 'A' && c <= 'Z'); }

// What a character that has no place in a SPIFFE ID means there, if it names a URI part the
// specification forbids; empty otherwise.
std::string_view forbiddenUriPart(char c) {
  switch (c) {
    case ':':
      return "a port";
    case '@':
      return "userinfo";
    case '?':
      return "a query";
    case '#':
      return "a fragment";
    case '%':
      return "percent-encoding";
    default:
      return {};
  }
}

Status forbidden(std::string_view part) {
  return Status::invalidArgument("SPIFFE ID must not have " + std::string(part));
}

Status checkTrustDomain(std::string_view td) {
  if (td.empty()) return Status::invalidArgument("SPIFFE ID has an empty trust domain");
  if (td.size() > kMaxTrustDomainLength) {
    return Status::invalidArgument("SPIFFE trust domain longer than 255 characters");
  }
  for (char c : td) {
    if (isTrustDomainChar(c)) continue;
    if (c >= 'A' && c <= 'Z') {
      return Status::invalidArgument("SPIFFE trust domain '" + std::string(td) +
                                     "' must be lowercase");
    }
    if (auto part = forbiddenUriPart(c); !part.empty()) return forbidden(part);
    return Status::invalidArgument("SPIFFE trust domain '" + std::string(td) +
                                   "' has a character other than a-z 0-9 . - _");
  }
  return Status::ok();
}

Status checkSegment(std::string_view seg) {
  if (seg.empty()) return Status::invalidArgument("SPIFFE ID path has an empty segment");
  if (seg == "." || seg == "..") {
    return Status::invalidArgument("SPIFFE ID path has a '" + std::string(seg) + "' segment");
  }
  for (char c : seg) {
    if (isPathChar(c)) continue;
    if (auto part = forbiddenUriPart(c); c != ':' && c != '@' && !part.empty()) {
      return forbidden(part);
    }
    return Status::invalidArgument("SPIFFE ID path segment '" + std::string(seg) +
                                   "' has a character other than a-z A-Z 0-9 . - _");
  }
  return Status::ok();
}

Status checkPath(std::string_view path) {
  if (path.empty()) return Status::ok();
  if (path.front() != '/') return Status::invalidArgument("SPIFFE ID path must start with '/'");
  std::string_view rest = path.substr(1);
  while (true) {
    size_t slash = rest.find('/');
    if (Status st = checkSegment(rest.substr(0, slash)); !st.isOk()) return st;
    if (slash == std::string_view::npos) return Status::ok();
    rest = rest.substr(slash + 1);
  }
}

std::string workloadCommonName(const SpiffeId& id) {
  std::string cn = id.toString();
  if (cn.size() > 64) cn = id.path.substr(id.path.rfind('/') + 1).substr(0, 64);
  return cn;
}

}  // namespace

Result<SpiffeId> parseSpiffeId(std::string_view uri) {
  if (uri.size() > kMaxIdLength) {
    return Status::invalidArgument("SPIFFE ID longer than 2048 bytes");
  }
  if (uri.substr(0, kScheme.size()) != kScheme) {
    return Status::invalidArgument("'" + std::string(uri) +
                                   "' is not a SPIFFE ID (expected spiffe://trust-domain/path)");
  }
  std::string_view rest = uri.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view td = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (Status st = checkTrustDomain(td); !st.isOk()) return st;
  if (path == "/") return Status::invalidArgument("SPIFFE ID must not end with '/'");
  if (Status st = checkPath(path); !st.isOk()) return st;
  return SpiffeId{std::string(td), std::string(path)};
}

Result<SpiffeId> meshServiceId(std::string_view mesh, std::string_view service) {
  if (Status st = checkTrustDomain(mesh); !st.isOk()) {
    return Status::invalidArgument("mesh '" + std::string(mesh) + "': " + st.message());
  }
  if (Status st = checkSegment(service); !st.isOk()) {
    return Status::invalidArgument("service '" + std::string(service) + "': " + st.message());
  }
  SpiffeId id{std::string(mesh), "/" + std::string(service)};
  if (id.toString().size() > kMaxIdLength) {
    return Status::invalidArgument("SPIFFE ID longer than 2048 bytes");
  }
  return id;
}

Result<CertificateAuthority> createMeshCa(const MeshCaSpec& spec) {
  if (spec.mesh.empty() || spec.backend.empty()) {
    return Status::invalidArgument("a mesh CA needs a mesh and a backend name");
  }
  CaSpec ca;
  ca.common_name = (spec.mesh + " mesh CA (" + spec.backend + ")").substr(0, 64);
  ca.lifetime = spec.lifetime;
  ca.now = spec.now;
  return CertificateAuthority::create(ca);
}

Result<std::string> issueWorkloadCertificate(const CertificateAuthority& ca,
                                             std::string_view csr_pem, const SpiffeId& id,
                                             std::chrono::seconds lifetime, int64_t now) {
  // Re-validate: a SpiffeId is a plain struct and may have been built by hand.
  auto checked = parseSpiffeId(id.toString());
  if (!checked.isOk()) return checked.status();
  if (id.path.empty()) {
    return Status::invalidArgument("a workload SPIFFE ID needs a path (spiffe://mesh/service)");
  }
  CertSpec spec;
  spec.common_name = workloadCommonName(id);
  spec.sans.uris = {id.toString()};
  spec.lifetime = lifetime;
  spec.usage = KeyUsage::kServerAndClient;
  spec.now = now;
  // signCsr verifies the CSR's self-signature and ignores the names it requests.
  return ca.signCsr(csr_pem, spec);
}

Result<SpiffeId> spiffeIdOf(std::string_view cert_pem) {
  auto info = certificateInfo(cert_pem);
  if (!info.isOk()) return info.status();
  const auto& uris = info->sans.uris;
  if (uris.size() != 1) {
    return Status::invalidArgument("a workload certificate must have exactly one URI SAN, not " +
                                   std::to_string(uris.size()));
  }
  return parseSpiffeId(uris.front());
}

Result<SpiffeId> verifyWorkloadCertificate(std::string_view chain_pem,
                                           const std::vector<std::string>& trusted_ca_pems,
                                           int64_t now, std::string_view trust_domain) {
  if (Status st = verifyChain(chain_pem, trusted_ca_pems, now); !st.isOk()) return st;
  auto info = certificateInfo(chain_pem);
  if (!info.isOk()) return info.status();
  if (info->is_ca) return Status::invalidArgument("a workload certificate must not be a CA");
  if (!info->server_auth || !info->client_auth) {
    return Status::invalidArgument("a workload certificate must allow serverAuth and clientAuth");
  }
  auto id = spiffeIdOf(chain_pem);
  if (!id.isOk()) return id.status();
  if (id->path.empty()) return Status::invalidArgument("workload SPIFFE ID has no path");
  if (!trust_domain.empty() && id->trust_domain != trust_domain) {
    return Status::invalidArgument("peer " + id->toString() + " is not in trust domain '" +
                                   std::string(trust_domain) + "'");
  }
  return id;
}

int64_t renewAt(const CertificateInfo& info) {
  int64_t lifetime = info.not_after - info.not_before;
  return info.not_before + lifetime * kRenewAtPercent / 100;
}

Result<int64_t> renewAt(std::string_view cert_pem) {
  auto info = certificateInfo(cert_pem);
  if (!info.isOk()) return info.status();
  return renewAt(info.value());
}

}  // namespace causeway::pki
