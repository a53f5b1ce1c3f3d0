// `causeway cert init`: the cluster certificates that control and data planes use for their
// mutual-TLS sync connection. One directory holds a cluster CA and one certificate per role.
// Data planes verify the control plane by the name "causeway-cp" (like Kong's
// cluster_server_name), not by its address, so the same directory works wherever the control
// plane runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace causeway::pki {

// The name data planes expect in the control plane's certificate.
inline constexpr char kClusterServerName[] = "causeway-cp";
inline constexpr char kClusterClientName[] = "causeway-dp";
inline constexpr char kClusterCaName[] = "Causeway cluster CA";

// File names inside the cluster certificate directory.
inline constexpr char kCaCertFile[] = "ca.crt";
inline constexpr char kCaKeyFile[] = "ca.key";
inline constexpr char kCpCertFile[] = "cp.crt";
inline constexpr char kCpKeyFile[] = "cp.key";
inline constexpr char kDpCertFile[] = "dp.crt";
inline constexpr char kDpKeyFile[] = "dp.key";

struct CertInitOptions {
  // Extra subjectAltNames of the CP certificate: host names or IP addresses.
  std::vector<std::string> cp_hosts;
  // Replace existing files instead of refusing.
  bool force = false;
  // Issuance time, unix seconds (default: the system clock).
  std::optional<int64_t> now;
};

// Creates `out_dir` (mode 0700) if needed and writes into it:
//   ca.crt, ca.key  cluster CA "Causeway cluster CA", 10 years
//   cp.crt, cp.key  "causeway-cp", SAN DNS:causeway-cp, DNS:localhost, IP:127.0.0.1, IP:::1
//                   and options.cp_hosts; serverAuth + clientAuth; 3 years
//   dp.crt, dp.key  "causeway-dp", SAN DNS:causeway-dp; clientAuth; 3 years
// Keys get mode 0600, certificates 0644; each file is written atomically. Without
// options.force, nothing is written when any of the six files exists, and the error names it.
Status certInit(const std::string& out_dir, const CertInitOptions& options);

}  // namespace causeway::pki
