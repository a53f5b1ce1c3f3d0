// Active health checks (MeshHealthCheck) of a sidecar's outbound clusters. For each checked
// endpoint, every `interval`: connect (with the cluster's mTLS, checking the peer's identity)
// and, for HTTP, GET `path` expecting a 2xx answer within `timeout`. After unhealthyThreshold
// failures in a row the endpoint is marked unhealthy on every worker (the balancers skip it);
// after healthyThreshold successes it is healthy again. Runs on worker 0's thread; a new config
// replaces the checks (the marks, kept by endpoint, stay until a check changes them).
#pragma once

#include <memory>

#include "mesh/sidecar_config.h"
#include "proxy/server.h"

namespace causeway::mesh {

class HealthChecker {
 public:
  explicit HealthChecker(proxy::ProxyServer& server) : server_(server) {}
  ~HealthChecker();
  // Starts the checks of `config` and stops the previous ones. Main thread.
  void update(std::shared_ptr<const SidecarConfig> config);

  struct Run;  // one config's checks

 private:
  proxy::ProxyServer& server_;
  std::shared_ptr<Run> run_;
};

}  // namespace causeway::mesh
