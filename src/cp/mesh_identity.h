// The service mesh's key material in the control plane's store: one CA per builtin mTLS backend
// of each Mesh, the CP's dataplane-token signing keys, and the revoked token ids of each mesh.
//
// Records (kind, id: body):
//   mesh_ca_keys            "<mesh>/<backend>": {mesh, backend, cert, key}      NEVER streamed
//   mesh_trust              "<mesh>/<backend>": {id, mesh, backend, cert}       streamed to
//   sidecars mesh_token_signing_keys "<kid>": {kid, alg, key, created_at}                NEVER
//   streamed mesh_token_revocations  "<mesh>": {mesh, ids: [jti...]}                     NEVER
//   streamed
// The CA and trust records of a mesh refer to "mesh_identity/<mesh>", so a mesh's are one query.
// Revocations outlive their mesh (tokens are signed by the CP's key, not the mesh's: a mesh
// deleted and created again must not bring revoked tokens back).
//
// Functions block on the store; they run on the CP's main thread.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/mesh/resources.h"
#include "pki/ca.h"
#include "pki/dataplane_token.h"
#include "store/store.h"

namespace causeway::cp {

inline constexpr char kMeshCaKeysKind[] = "mesh_ca_keys";
inline constexpr char kMeshTrustKind[] = "mesh_trust";
inline constexpr char kTokenSigningKeysKind[] = "mesh_token_signing_keys";
inline constexpr char kTokenRevocationsKind[] = "mesh_token_revocations";

// The kinds mesh sidecars are streamed: the Kuma resources and the trust records.
bool isMeshChannelKind(std::string_view kind);

// Makes the CAs stored for `mesh` match its builtin backends, in `txn`: a CA for each listed
// builtin backend that has none (lifetime conf.caCert.expiration, default 10 years), and the CA
// and trust records of backends no longer listed removed. Writes nothing when they match.
Status reconcileMeshCas(store::WriteTxn& txn, const model::mesh::Mesh& mesh, int64_t now);
// Removes the CA and trust records of `mesh` (the mesh is being deleted).
Status removeMeshCas(store::WriteTxn& txn, const std::string& mesh);

// Reads the stored Mesh `name` and reconciles its CAs in a transaction of its own (no new
// revision when nothing was missing): the lazy path for meshes stored before their CAs were.
// kNotFound when there is no such mesh.
Result<model::mesh::Mesh> loadMeshWithCas(store::Store& store, const std::string& name,
                                          int64_t now);
// The CA (with its key) of `backend` of `mesh`; kNotFound when none is stored.
Result<pki::CertificateAuthority> loadMeshCa(store::Store& store, const std::string& mesh,
                                             const std::string& backend);
// The CA certificate of every builtin backend of `mesh` (its trust records, in backend name
// order): what a sidecar of the mesh trusts.
Result<std::vector<std::string>> meshTrustedCas(store::Store& store, const std::string& mesh);

// The CP's dataplane-token keys: the newest signs, every stored one verifies (by kid). Created
// (ES256, a random kid) on first use.
struct TokenKeys {
  pki::TokenSigningKey signing;
  std::map<std::string, pki::JwtVerifyKey> verify;
};
Result<TokenKeys> loadOrCreateTokenKeys(store::Store& store, int64_t now);

// The revoked token ids (jti) of `mesh`.
Result<std::set<std::string>> revokedTokenIds(store::Store& store, const std::string& mesh);
// Adds `jti` to the revoked ids of `mesh` (one revision; none when it was there already).
Status revokeTokenId(store::Store& store, const std::string& mesh, const std::string& jti);

}  // namespace causeway::cp
