// One member of a mesh (a sidecar, or an API gateway in the mesh): its own Dataplane and the
// latest resources and identity it was given, compiled into a SidecarConfig on every change.
// A change that does not compile is refused with the reason and the previous config stays.
// Not thread-safe: one thread (the main thread) calls it.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "mesh/identity.h"
#include "mesh/sidecar_config.h"
#include "model/mesh/loader.h"

namespace causeway::mesh {

class MeshMember {
 public:
  explicit MeshMember(model::mesh::Dataplane self) : self_(std::move(self)) {}

  // Each returns the compile result; unavailable until both resources and (under mTLS) an
  // identity arrived.
  Status setResources(model::mesh::MeshResources resources);
  Status setIdentity(Identity identity);

  const model::mesh::Dataplane& self() const { return self_; }
  const Identity& identity() const { return identity_; }
  std::shared_ptr<const SidecarConfig> config() const { return config_; }
  const std::string& lastError() const { return last_error_; }
  uint64_t updatesOk() const { return updates_ok_; }
  uint64_t updatesRefused() const { return updates_refused_; }

 private:
  Status recompile();

  model::mesh::Dataplane self_;
  model::mesh::MeshResources resources_;
  bool have_resources_ = false;
  Identity identity_;
  std::shared_ptr<const SidecarConfig> config_;
  std::string last_error_;
  uint64_t updates_ok_ = 0, updates_refused_ = 0;
};

}  // namespace causeway::mesh
