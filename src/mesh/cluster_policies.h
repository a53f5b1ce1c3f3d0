// How the merged confs of an outbound's policies (MeshTimeout, MeshRetry, MeshCircuitBreaker,
// MeshLoadBalancingStrategy, MeshHealthCheck; see model/mesh/matching.h) set up a cluster of the
// proxy engine, with Kuma's defaults for what they leave out. Pure functions.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "mesh/sidecar_config.h"
#include "proxy/dispatch.h"

namespace causeway::mesh {

// Kuma's defaults (MeshTimeout).
inline constexpr std::chrono::milliseconds kDefaultConnectTimeout{5000};
inline constexpr std::chrono::milliseconds kDefaultRequestTimeout{15000};
inline constexpr std::chrono::milliseconds kDefaultIdleTimeout{3600000};

// Timeouts, retries, outlier detection and the balancing algorithm of `c` from the confs (null
// JSON: no policy of that type applies).
void applyClusterPolicies(proxy::Cluster& c, Protocol protocol,
                          const model::mesh::OutboundPolicies& policies);
// The TCP idle timeout (MeshTimeout idleTimeout).
std::chrono::milliseconds idleTimeout(const nlohmann::json& timeout_conf);
// RingHash's first hash policy.
HashPolicy hashPolicy(const nlohmann::json& load_balancing_conf);
// MeshHealthCheck's conf for `cluster`, or nullopt when none applies.
std::optional<HealthCheckSpec> healthCheck(const nlohmann::json& conf, size_t cluster,
                                           Protocol protocol);

}  // namespace causeway::mesh
