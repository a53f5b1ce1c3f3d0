// The contract between the proxy engine and a role (gateway, sidecar): for each request head the
// role's immutable config decides to answer locally or to forward to a cluster, and says how the
// upstream request differs from the downstream one.
#pragma once

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
};

enum class LbAlgorithm { kRoundRobin, kLeastConnections, kConsistentHashing };

// A set of endpoints and how to talk to them. Immutable, owned by a config snapshot.
struct Cluster {
  std::string name;   // metric label (the service name)
  size_t index = 0;   // position in the snapshot, for per-worker balancer state
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
  // Message of the 503 answered when no endpoint can be picked.
  std::string no_endpoint_message = "failure to get a peer from the ring-balancer";
};

using http::LocalReply;

struct ForwardPlan {
  const Cluster* cluster = nullptr;
  std::string target;                // request-target sent upstream (path and query)
  std::optional<std::string> host;   // Host sent upstream; nullopt: the picked endpoint's host
  std::string extra_headers;         // serialized "Name: value\r\n" lines added upstream
  bool replace_forwarded = true;     // drop incoming X-Forwarded-*, X-Real-IP, Via (re-added above)
  std::string hash_key;              // consistent hashing key
  std::string service_label;         // metric labels
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
