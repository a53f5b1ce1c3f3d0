// The OpenSSL contexts of a sidecar's mutual TLS, built from its Identity: TLS 1.3 only (both ends
// are Causeway), this proxy's certificate and key, and a trust store holding the CA of every mTLS
// backend of the mesh (both during a CA rotation). The inbound context requires a client
// certificate that chains to one of them; the outbound context verifies the server's chain (its
// SPIFFE ID is checked by the caller, see proxy/upstream_connect.h). A new Identity (renewal,
// rotation) gives new contexts; connections keep the one they started with.
#pragma once

#include <memory>

#include "base/status.h"
#include "mesh/identity.h"
#include "net/tls.h"

namespace causeway::mesh {

struct MeshTls {
  net::SslCtxPtr inbound;   // server side: client certificate required
  net::SslCtxPtr outbound;  // client side
};

Result<MeshTls> makeMeshTls(const Identity& identity);

}  // namespace causeway::mesh
