// A sidecar at run time: a MeshMember (its Dataplane, the latest mesh resources and identity, the
// SidecarConfig compiled from them) and the proxy server with its inbound and outbound
// listeners. Every change (resources from the CP or a file, a renewed certificate, a rotated CA)
// recompiles; a config that does not compile is refused with the reason and the running one
// keeps serving. Listeners open with the first config that compiles. Main thread only.
#pragma once

#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "base/status.h"
#include "mesh/identity.h"
#include "mesh/mesh_member.h"
#include "mesh/sidecar_config.h"
#include "model/mesh/loader.h"
#include "observe/stats.h"

namespace causeway::proxy {
class ProxyServer;
}

namespace causeway::mesh {

class HealthChecker;
struct ListenerCounters;

struct SidecarOptions {
  model::mesh::Dataplane self;
  size_t workers = 1;
};

class Sidecar {
 public:
  explicit Sidecar(SidecarOptions options);
  ~Sidecar();

  Status setResources(model::mesh::MeshResources resources);
  Status setIdentity(Identity identity);
  bool serving() const { return config_ != nullptr; }
  const model::mesh::Dataplane& self() const { return member_.self(); }
  const Identity& identity() const { return member_.identity(); }

  // /status: the config's listeners, routes and clusters, the identity's validity, counters.
  nlohmann::json status();
  observe::Stats stats();
  const std::string& configHash() const;
  void stop();

 private:
  // Serves the member's config if it is new (the first one opens the listeners).
  Status publish(Status compiled);
  Status startServer(std::shared_ptr<const SidecarConfig> config);

  SidecarOptions options_;
  MeshMember member_;
  std::shared_ptr<const SidecarConfig> config_;  // serving
  std::unique_ptr<ListenerCounters> counters_;
  std::unique_ptr<proxy::ProxyServer> server_;
  std::unique_ptr<HealthChecker> health_;
};

}  // namespace causeway::mesh
