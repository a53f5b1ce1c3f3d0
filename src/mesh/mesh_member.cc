#include "mesh/mesh_member.h"

#include <spdlog/spdlog.h>

#include "pki/certificate.h"

namespace causeway::mesh {

Status MeshMember::setResources(model::mesh::MeshResources resources) {
  std::swap(resources_, resources);
  const bool had = have_resources_;
  have_resources_ = true;
  Status st = recompile();
  if (!st.isOk() && config_) {  // keep what serves
    std::swap(resources_, resources);
    have_resources_ = had;
  }
  return st;
}

Status MeshMember::setIdentity(Identity identity) {
  if (Status st = completeIdentity(identity, pki::unixNow()); !st.isOk()) {
    ++updates_refused_;
    last_error_ = st.message();
    return st;
  }
  std::swap(identity_, identity);
  if (!have_resources_) return Status::ok();
  Status st = recompile();
  if (!st.isOk() && config_) std::swap(identity_, identity);
  return st;
}

Status MeshMember::recompile() {
  if (!have_resources_) return Status::unavailable("no mesh resources yet");
  auto compiled = SidecarConfig::compile({self_, resources_, identity_});
  if (!compiled.isOk()) {
    ++updates_refused_;
    last_error_ = compiled.status().message();
    spdlog::warn("mesh: config refused{}: {}", config_ ? ", the running one stays" : "",
                 last_error_);
    return compiled.status();
  }
  config_ = compiled.value();
  ++updates_ok_;
  last_error_.clear();
  return Status::ok();
}

}  // namespace causeway::mesh
