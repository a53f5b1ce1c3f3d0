// The contract between the proxy engine and a role (gateway, sidecar): for each request head the
// role's immutable config decides to answer locally or to forward to a cluster, and says how the
// upstream request differs from the downstream one.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "http/http1_parser.h"
#include "http/local_reply.h"
#include "proxy/load_balancer.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace causeway::proxy {

struct ConnectionInfo {
  std::string client_ip;
  uint16_t client_port = 0;
  uint16_t local_port = 0;
  bool tls = false;
  std::string sni;  // TLS server name sent by the client
  // The URI SAN of the client's certificate, verified by the listener's TLS context (mutual TLS:
  // a sidecar's SPIFFE ID); empty without one.
  std::string peer_uri;
};

enum class LbAlgorithm { kRoundRobin, kLeastConnections, kConsistentHashing, kRandom };

// Which answers from an upstream are retried (on a body-less request, on another endpoint when
// there is one) beyond connect failures, which `Cluster::retries` always covers.
struct RetryOn {
  bool any_5xx = false;        // every 5xx answer
  bool gateway_error = false;  // 502, 503, 504
  bool reset = false;          // the connection closed or failed before a response head
  std::vector<uint16_t> statuses;
  std::vector<std::string> methods;           // only these methods are retried; empty: any
  std::chrono::milliseconds backoff_base{0};  // before retry n: base * 2^n (jittered), capped
  std::chrono::milliseconds backoff_max{0};

  bool status(int s) const {
    if (any_5xx && s >= 500 && s <= 599) return true;
    if (gateway_error && s >= 502 && s <= 504) return true;
    return std::find(statuses.begin(), statuses.end(), s) != statuses.end();
  }
  bool empty() const { return !any_5xx && !gateway_error && !reset && statuses.empty(); }
  bool method(std::string_view m) const {
    return methods.empty() || std::find(methods.begin(), methods.end(), m) != methods.end();
  }
};

// Passive health checking (Envoy's outlier detection): an endpoint that fails `consecutive`
// times in a row (5xx answers or failed connections; or gateway errors only) is left out for
// base_ejection x the number of times it was ejected, while at most max_ejection_percent of the
// cluster is out.
struct OutlierDetection {
  bool enabled = false;
  int consecutive_total = 5;    // 0: off
  int consecutive_gateway = 0;  // 502/503/504 and connect failures; 0: off
  std::chrono::milliseconds base_ejection{30000};
  int max_ejection_percent = 20;
};

// A set of endpoints and how to talk to them. Immutable, owned by a config snapshot.
struct Cluster {
  std::string name;  // metric label (the service name)
  size_t index = 0;  // position in the snapshot, for per-worker balancer state
  std::vector<Endpoint> endpoints;
  std::vector<std::string> pool_keys;  // per endpoint: the upstream connection pool key
  LbAlgorithm algorithm = LbAlgorithm::kRoundRobin;
  uint32_t slots = 10000;
  bool tls = false;
  bool tls_verify = false;
  int retries = 5;
  int connect_timeout_ms = 60000;
  int read_timeout_ms = 60000;
  int write_timeout_ms = 60000;
  std::optional<std::string> host_header;  // fixed upstream Host (Kong upstream.host_header)
  // Mutual TLS (a sidecar's outbound): the context with this proxy's certificate and the CAs it
  // trusts, and the URI SAN the upstream's certificate must carry (its SPIFFE ID).
  std::shared_ptr<SSL_CTX> tls_context;
  std::string peer_uri;
  RetryOn retry_on;
  OutlierDetection outlier;
  bool health_checked = false;  // skip endpoints an active health check marked unhealthy
  // Circuit breaking: requests (HTTP) or connections (TCP) in flight to this cluster at once, per
  // worker; beyond it the proxy answers 503 (HTTP) or closes (TCP). 0: no limit.
  uint32_t max_requests = 0;
  uint32_t max_connections = 0;
  // Message of the 503 answered when no endpoint can be picked.
  std::string no_endpoint_message = "failure to get a peer from the ring-balancer";
};

using http::LocalReply;

struct ForwardPlan {
  const Cluster* cluster = nullptr;
  std::string target;               // request-target sent upstream (path and query)
  std::optional<std::string> host;  // Host sent upstream; nullopt: the picked endpoint's host
  std::string extra_headers;        // serialized "Name: value\r\n" lines added upstream
  std::vector<std::string> remove_headers;  // request headers not sent upstream (any case)
  std::string response_extra_headers;       // lines added to the response to the client
  std::vector<std::string> response_remove_headers;
  bool replace_forwarded = true;  // drop incoming X-Forwarded-*, X-Real-IP, Via (re-added above)
  std::string hash_key;           // consistent hashing key
  std::string service_label;      // metric labels
  std::string route_label;
};

using Decision = std::variant<LocalReply, ForwardPlan>;

// A role's immutable configuration as the proxy engine sees it; shared by all workers.
class ProxyConfig {
 public:
  virtual ~ProxyConfig() = default;
  virtual Decision dispatch(const http::RequestHead& head, const ConnectionInfo& conn) const = 0;
  // The certificate context for a TLS server name; never null (a default certificate).
  virtual SSL_CTX* certificateFor(std::string_view sni) const = 0;
  virtual size_t clusterCount() const = 0;
  virtual const Cluster& cluster(size_t i) const = 0;
  virtual const std::string& hash() const = 0;
};

using http::kongDefaultMessage;
using http::kongErrorBody;

}  // namespace causeway::proxy
