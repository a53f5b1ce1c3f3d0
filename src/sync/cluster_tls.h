// TLS contexts for the cluster (CP <-> DP) connection, from the directory `causeway cert init`
// writes: both sides present a certificate signed by the cluster CA (ca.crt) and require the
// other's. The DP checks the CP by the name "causeway-cp" (as Kong's cluster_server_name), so the
// CP's address does not matter. TLS 1.3 only: both ends are Causeway.
#pragma once

#include <string>

#include "base/status.h"
#include "net/tls.h"

namespace causeway::sync {

// The directory layout and the CP's name are pki's (pki/cert_init.h), which writes them.
// cp.crt, cp.key, ca.crt in `dir`.
Result<net::SslCtxPtr> makeClusterServerContext(const std::string& dir);
// dp.crt, dp.key, ca.crt in `dir`.
Result<net::SslCtxPtr> makeClusterClientContext(const std::string& dir);

}  // namespace causeway::sync
