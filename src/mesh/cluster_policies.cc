#include "mesh/cluster_policies.h"

#include <spdlog/spdlog.h>

#include <cctype>

#include "base/strings.h"
#include "model/mesh/loader.h"

namespace causeway::mesh {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

// A conf value at a dotted path, or null.
const Json* at(const Json& conf, std::initializer_list<const char*> path) {
  const Json* j = &conf;
  for (const char* key : path) {
    if (!j->is_object()) return nullptr;
    auto it = j->find(key);
    if (it == j->end() || it->is_null()) return nullptr;
    j = &*it;
  }
  return j;
}

std::optional<milliseconds> duration(const Json& conf, std::initializer_list<const char*> path) {
  const Json* j = at(conf, path);
  if (!j || !j->is_string()) return std::nullopt;
  auto s = model::mesh::parseDurationSeconds(j->get<std::string>());
  if (!s) return std::nullopt;
  return milliseconds(int64_t(*s * 1000.0));
}

std::optional<int64_t> count(const Json& conf, std::initializer_list<const char*> path) {
  const Json* j = at(conf, path);
  if (!j || !j->is_number_integer()) return std::nullopt;
  return j->get<int64_t>();
}

int toMs(milliseconds d) {
  // 0 in Kuma means "no timeout": a day is as good as none for a request.
  if (d.count() <= 0) return 24 * 3600 * 1000;
  return int(std::min<int64_t>(d.count(), INT32_MAX));
}

}  // namespace

void applyClusterPolicies(proxy::Cluster& c, Protocol protocol,
                          const model::mesh::OutboundPolicies& p) {
  // MeshTimeout.
  c.connect_timeout_ms =
      toMs(duration(p.timeout, {"connectionTimeout"}).value_or(kDefaultConnectTimeout));
  const milliseconds request =
      duration(p.timeout, {"http", "requestTimeout"}).value_or(kDefaultRequestTimeout);
  c.read_timeout_ms = toMs(request);
  c.write_timeout_ms =
      toMs(duration(p.timeout, {"http", "streamIdleTimeout"}).value_or(milliseconds(1800000)));

  // MeshRetry. Without one, a failed connection is tried once more elsewhere.
  c.retries = 1;
  c.retry_on = {};
  if (!p.retry.is_null()) {
    if (protocol == Protocol::kTcp) {
      c.retries =
          int(std::max<int64_t>(0, count(p.retry, {"tcp", "maxConnectAttempt"}).value_or(5) - 1));
    } else {
      c.retries = int(count(p.retry, {"http", "numRetries"}).value_or(1));
      if (auto per_try = duration(p.retry, {"http", "perTryTimeout"})) {
        c.read_timeout_ms = toMs(*per_try);
      }
      c.retry_on.backoff_base =
          duration(p.retry, {"http", "backOff", "baseInterval"}).value_or(milliseconds(25));
      c.retry_on.backoff_max = duration(p.retry, {"http", "backOff", "maxInterval"})
                                   .value_or(c.retry_on.backoff_base * 10);
      const Json* on = at(p.retry, {"http", "retryOn"});
      if (!on || !on->is_array()) {
        // Kuma's default conditions, on idempotent methods only: a POST is never replayed.
        c.retry_on.any_5xx = c.retry_on.gateway_error = c.retry_on.reset = true;
        c.retry_on.methods = {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"};
      } else {
        for (const Json& v : *on) {
          if (!v.is_string()) continue;
          const std::string s = v.get<std::string>();
          if (equalsIgnoreCase(s, "5xx")) {
            c.retry_on.any_5xx = true;
          } else if (s == "GatewayError") {
            c.retry_on.gateway_error = true;
          } else if (s == "Reset") {
            c.retry_on.reset = true;
          } else if (s == "Retriable4xx") {
            c.retry_on.statuses.push_back(409);
          } else if (s.rfind("HttpMethod", 0) == 0) {
            std::string m = s.substr(10);  // HttpMethodGet -> GET
            for (char& ch : m) ch = char(std::toupper(static_cast<unsigned char>(ch)));
            c.retry_on.methods.push_back(m);
          } else if (s.size() == 3 && s.find_first_not_of("0123456789") == std::string::npos) {
            c.retry_on.statuses.push_back(uint16_t(std::stoi(s)));
          }
          // ConnectFailure: always retried. RefusedStream, EnvoyRatelimited,
          // Http3PostConnectFailure: HTTP/2-3 and Envoy conditions that HTTP/1.1 upstreams
          // never produce here.
        }
      }
    }
  }

  // MeshCircuitBreaker: connection limits (per worker; maxPendingRequests counts with
  // maxRequests: requests are not queued), and outlier detection.
  c.max_requests = 0;
  c.max_connections = 0;
  if (const Json* limits = at(p.circuit_breaker, {"connectionLimits"})) {
    auto requests = count(*limits, {"maxRequests"});
    auto pending = count(*limits, {"maxPendingRequests"});
    if (requests || pending) {
      c.max_requests = uint32_t(std::max<int64_t>(1, requests.value_or(0) + pending.value_or(0)));
    }
    if (auto conns = count(*limits, {"maxConnections"})) {
      c.max_connections = uint32_t(std::max<int64_t>(1, *conns));
      if (protocol == Protocol::kHttp && c.max_requests == 0) c.max_requests = c.max_connections;
    }
    for (const char* unused : {"maxRetries", "maxConnectionPools"}) {
      if (count(*limits, {unused})) {
        spdlog::warn("MeshCircuitBreaker connectionLimits.{} for '{}' is not enforced", unused,
                     c.name);
      }
    }
  }
  c.outlier = {};
  if (const Json* od = at(p.circuit_breaker, {"outlierDetection"})) {
    const Json* disabled = at(*od, {"disabled"});
    c.outlier.enabled = !(disabled && disabled->is_boolean() && disabled->get<bool>());
    const auto total = count(*od, {"detectors", "totalFailures", "consecutive"});
    const auto gateway = count(*od, {"detectors", "gatewayFailures", "consecutive"});
    c.outlier.consecutive_total = int(total.value_or(gateway ? 0 : 5));
    c.outlier.consecutive_gateway = int(gateway.value_or(0));
    c.outlier.base_ejection = duration(*od, {"baseEjectionTime"}).value_or(milliseconds(30000));
    c.outlier.max_ejection_percent = int(count(*od, {"maxEjectionPercent"}).value_or(20));
  }

  // MeshLoadBalancingStrategy.
  c.algorithm = proxy::LbAlgorithm::kRoundRobin;
  if (const Json* type = at(p.load_balancing, {"loadBalancer", "type"});
      type && type->is_string()) {
    const std::string t = type->get<std::string>();
    if (t == "LeastRequest") c.algorithm = proxy::LbAlgorithm::kLeastConnections;
    if (t == "Random") c.algorithm = proxy::LbAlgorithm::kRandom;
    if (t == "RingHash" || t == "Maglev") c.algorithm = proxy::LbAlgorithm::kConsistentHashing;
  }
}

std::chrono::milliseconds idleTimeout(const nlohmann::json& conf) {
  return milliseconds(toMs(duration(conf, {"idleTimeout"}).value_or(kDefaultIdleTimeout)));
}

HashPolicy hashPolicy(const nlohmann::json& conf) {
  HashPolicy h;
  const Json* type = at(conf, {"loadBalancer", "type"});
  if (!type || !type->is_string()) return h;
  const std::string t = type->get<std::string>();
  const char* section = t == "RingHash" ? "ringHash" : t == "Maglev" ? "maglev" : nullptr;
  if (!section) return h;
  const Json* policies = at(conf, {"loadBalancer", section, "hashPolicies"});
  if (!policies || !policies->is_array() || policies->empty()) return h;
  const Json& first = (*policies)[0];
  const std::string kind = first.value("type", "");
  if (kind == "Header") {
    h.type = HashPolicy::Type::kHeader;
    if (const Json* n = at(first, {"header", "name"}); n && n->is_string())
      h.name = n->get<std::string>();
  } else if (kind == "QueryParameter") {
    h.type = HashPolicy::Type::kQueryParameter;
    if (const Json* n = at(first, {"queryParameter", "name"}); n && n->is_string()) {
      h.name = n->get<std::string>();
    }
  } else if (kind == "SourceIP" || kind == "Connection") {
    h.type = HashPolicy::Type::kSourceIp;
  }
  return h;
}

std::optional<HealthCheckSpec> healthCheck(const nlohmann::json& conf, size_t cluster,
                                           Protocol protocol) {
  if (conf.is_null()) return std::nullopt;
  HealthCheckSpec h;
  h.cluster = cluster;
  h.interval = duration(conf, {"interval"}).value_or(milliseconds(60000));
  h.timeout = duration(conf, {"timeout"}).value_or(milliseconds(15000));
  h.unhealthy_threshold = int(count(conf, {"unhealthyThreshold"}).value_or(5));
  h.healthy_threshold = int(count(conf, {"healthyThreshold"}).value_or(1));
  const Json* http_off = at(conf, {"http", "disabled"});
  h.http =
      protocol == Protocol::kHttp && !(http_off && http_off->is_boolean() && http_off->get<bool>());
  if (const Json* path = at(conf, {"http", "path"}); path && path->is_string()) {
    h.path = path->get<std::string>();
  }
  if (h.interval.count() < 10) h.interval = milliseconds(10);
  return h;
}

}  // namespace causeway::mesh
