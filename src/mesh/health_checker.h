// Active health checks (MeshHealthCheck) of a sidecar's outbound clusters. For each checked
// endpoint, every `interval`: connect (with the cluster's mTLS, checking the peer's identity)
// and, for HTTP, GET `path` expecting a 2xx answer within `timeout`. After unhealthyThreshold
// failures in a row the endpoint is marked unhealthy on every worker (the balancers skip it);
// after healthyThreshold successes it is healthy again. Runs on worker 0's thread; a new config
// replaces the checks; what they learnt of each endpoint (counts, verdict) carries over.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

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
  // What the checks learnt of an endpoint, kept across configs (by pool key; worker 0 only).
  struct Verdict {
    int failures = 0;
    int successes = 0;
    bool healthy = true;
  };
  using Verdicts = std::unordered_map<std::string, Verdict>;

 private:
  proxy::ProxyServer& server_;
  std::shared_ptr<Run> run_;
  std::shared_ptr<Verdicts> verdicts_ = std::make_shared<Verdicts>();
};

}  // namespace causeway::mesh
