// The control plane's end of mesh sidecars on the cluster port (the "mesh" channel of
// ClusterServer). A sidecar has no cluster client certificate: it proves itself with a Kuma
// dataplane token in its hello:
//
//   DP -> CP  hello        {..., "capabilities": ["mesh"],
//                           "mesh": {"token": JWT, "dataplane": {Kuma Dataplane}, "csr": PEM}}
//   CP -> DP  certificate  {"cert": PEM, "ca": [PEM of every builtin backend CA of the mesh]}
//   DP -> CP  csr          {"csr": PEM}              renewal (or the enabled backend changed)
//   CP -> DP  error        {"error": "..."}          a csr that could not be signed
//
// Admission checks the token (signature by kid, expiry, the mesh's revocation list), the
// Dataplane (model::mesh::loadMeshResource), that the token is for the dataplane's mesh and (when
// it names one) for its name, that every inbound's tags are allowed by the token's tags (the
// token must list each inbound's kuma.io/service; other tags it lists restrict those too), and
// that the mesh exists. It then upserts the Dataplane record (the shape PUT
// /meshes/{mesh}/dataplanes/{name} stores; no revision when unchanged) and, when the mesh has
// mTLS on with a builtin backend, signs the CSR with the enabled backend's CA: SPIFFE ID
// spiffe://<mesh>/<first inbound's service>, lifetime the backend's dpCert expiration. With mTLS
// off the sidecar is admitted without a certificate. A csr is signed only while the hello's token
// still verifies; a token revoked or expired since closes the stream (kCloseRefused).
// A Dataplane record stays after its sidecar disconnects.
//
// Runs on the CP's main thread (blocking store calls), like ClusterServer.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json_fwd.hpp>

#include "base/status.h"
#include "cp/cluster_server.h"
#include "store/store.h"

namespace causeway::cp {

class MeshChannel {
 public:
  // `clock` returns unix seconds (default: the system clock).
  explicit MeshChannel(store::Store& store, std::function<int64_t()> clock = nullptr);

  Result<ChannelAdmission> admit(const nlohmann::json& hello);
  ChannelReply onMessage(const nlohmann::json& hello, const nlohmann::json& message);
  // For ClusterServer::addChannel: certificate optional, onMessage bound to this object (which
  // must outlive the server).
  ClusterServer::ChannelOptions channelOptions();

 private:
  store::Store& store_;
  std::function<int64_t()> clock_;
};

}  // namespace causeway::cp
