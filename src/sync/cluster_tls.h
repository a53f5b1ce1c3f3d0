// TLS contexts for the cluster (CP <-> DP) connection, from the directory `causeway cert init`
// writes: both sides present a certificate signed by the cluster CA (ca.crt) and verify the
// other's. The CP asks for the DP's certificate without requiring it in the handshake: mesh
// sidecars connect with the CA certificate alone and a dataplane token, and cp::ClusterServer
// refuses every other data plane without a certificate. The DP checks the CP by the name
// "causeway-cp" (as Kong's cluster_server_name), so the CP's address does not matter. TLS 1.3 only:
// both ends are Causeway.
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
// A DP without a client certificate (a mesh sidecar): verifies the CP against `ca_file` only.
Result<net::SslCtxPtr> makeClusterCaOnlyClientContext(const std::string& ca_file);

}  // namespace causeway::sync
