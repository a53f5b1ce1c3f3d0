// `causeway sidecar --cp`: a mesh sidecar's end of the control plane. It connects to the CP's
// cluster port with the cluster CA certificate only (no client certificate) and a Kuma dataplane
// token, registers its Dataplane, and gets:
//  - its identity: a key generated here (it leaves the process only into data_dir, mode 0600), a
//    CSR sent in each hello, the workload certificate the CP signs and the CAs of every builtin
//    backend of the mesh (several during a CA rotation). Renewed at 80% of its lifetime with a
//    fresh key, and as soon as the Mesh's enabled backend is not the one that issued it. A CA
//    added to the mesh becomes trusted without a new certificate (on_identity again, same
//    certificate and key, the new CA list).
//  - the Mesh, Dataplanes and policies of its own mesh, from each snapshot or delta.
// The last identity (cert, key, CAs) is kept in data_dir and loaded at start, as the sync client
// keeps the last snapshot, so a sidecar restarting while the CP is away serves with both.
// Runs on the caller's io_context (the sidecar's main thread): the callbacks run there.
#pragma once

#include <asio/io_context.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"
#include "mesh/identity.h"
#include "model/mesh/loader.h"

namespace causeway::cli {

struct SidecarCpOptions {
  std::string cp_url;        // wss://HOST:PORT[,wss://...]
  std::string ca_cert;       // the cluster CA certificate (ca.crt of `causeway cert init`)
  std::string token_file;    // the dataplane token (POST /tokens/dataplane, `ctl mesh token`)
  nlohmann::json dataplane;  // the Kuma Dataplane this sidecar serves (type, name, mesh, ...)
  std::string data_dir;      // node id, last snapshot, last identity
};

class SidecarCpClient {
 public:
  // A new or renewed identity (or the same one with a new CA list). Checked whole first.
  using OnIdentity = std::function<void(mesh::Identity identity)>;
  // The Mesh, Dataplanes and policies of this sidecar's mesh; an error is nacked to the CP and
  // the previous resources kept.
  using OnResources = std::function<Status(model::mesh::MeshResources resources)>;

  SidecarCpClient(asio::io_context& io, SidecarCpOptions options, OnIdentity on_identity,
                  OnResources on_resources);
  ~SidecarCpClient();
  SidecarCpClient(const SidecarCpClient&) = delete;
  SidecarCpClient& operator=(const SidecarCpClient&) = delete;

  // Reads the token, loads the saved identity (handed to on_identity when still valid) and the
  // saved snapshot, then connects in the background. Errors: bad options, unreadable files.
  Status start();
  void stop();
  // {"sync": {...}, "dataplane", "mesh", "identity": {"spiffe_id", "not_after", "renew_at",
  // "trusted_cas"} or null, "last_error"}. From the io_context's thread only.
  nlohmann::json status() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace causeway::cli
