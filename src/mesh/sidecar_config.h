// A sidecar's compiled configuration: what its own Dataplane, its mesh's resources and its
// Identity mean for each of its ports, as the proxy engine's ProxyConfig. Immutable; built on the
// main thread for every change (resources, renewal) and shared by the workers.
//
// Inbound ports (Dataplane inbound[].port) take mTLS from other sidecars (STRICT: only mTLS;
// PERMISSIVE: mTLS or plaintext; mTLS off: plaintext), check the caller's SPIFFE ID against
// MeshTrafficPermission (default deny under mTLS; a plaintext caller counts as no service, so
// only a mesh-wide rule can let it in) and forward to the application at servicePort. HTTP
// denials answer 403 with the reason; TCP denials close the connection.
//
// Outbound ports (outbound[].port, on 127.0.0.1) take the application's plaintext calls to a
// service, route them (MeshHTTPRoute: the first matching rule, then a weighted choice among its
// backendRefs, each a cluster of the instances whose inbound tags contain the ref's tags;
// MeshTCPRoute: weighted), balance, retry, time out, eject outliers, and connect to the chosen
// remote sidecar's inbound with mTLS, checking that it is spiffe://<mesh>/<service>.
// A service whose instances all declare kuma.io/protocol http is HTTP; the others are TCP (tcp,
// and for now http2 and grpc, passed through whole over mTLS).
//
// A delegated gateway's Dataplane (networking.gateway, e.g. `causeway gateway` in the mesh) has no
// listeners here: serviceCluster() gives the API gateway each mesh service's cluster instead
// (instances, mTLS, outlier detection, health checks; the Kong service keeps its own retries,
// timeouts and balancing).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "mesh/http_match.h"
#include "mesh/identity.h"
#include "model/mesh/loader.h"
#include "model/mesh/matching.h"
#include "net/tls.h"
#include "proxy/dispatch.h"
#include "proxy/tcp_session.h"

namespace causeway::mesh {

enum class Protocol { kTcp, kHttp };

struct WeightedCluster {
  size_t cluster = 0;
  uint32_t weight = 1;
};

// One routing choice of an outbound: the rule's match and where matching requests go.
struct OutboundRoute {
  std::optional<CompiledMatch> match;  // nullopt: every request
  std::vector<WeightedCluster> backends;
  std::vector<std::string> remove_headers;  // requestHeaderModifier remove and set
  std::string extra_headers;                // set and add, serialized
  std::vector<std::string> response_remove_headers;
  std::string response_extra_headers;
  std::string name;  // for /config: "rule 0" ...
};

struct HashPolicy {
  enum class Type { kNone, kHeader, kSourceIp, kQueryParameter };
  Type type = Type::kNone;
  std::string name;
};

struct OutboundListener {
  uint16_t port = 0;
  std::string address;
  std::string service;
  Protocol protocol = Protocol::kTcp;
  std::vector<OutboundRoute> routes;  // HTTP: in precedence order; TCP: one, without a match
  HashPolicy hash;
  std::chrono::milliseconds idle_timeout{3600000};
};

struct InboundListener {
  uint16_t port = 0;
  std::string service;
  Protocol protocol = Protocol::kTcp;
  size_t local_cluster = 0;  // the application
  model::mesh::InboundPermissions permissions;
  std::chrono::milliseconds idle_timeout{3600000};
};

// An active health check of one cluster (MeshHealthCheck).
struct HealthCheckSpec {
  size_t cluster = 0;
  std::chrono::milliseconds interval{60000};
  std::chrono::milliseconds timeout{15000};
  int unhealthy_threshold = 5;
  int healthy_threshold = 1;
  bool http = true;  // else a TCP (and mTLS) connect
  std::string path = "/";
};

struct SidecarInputs {
  model::mesh::Dataplane self;
  model::mesh::MeshResources resources;  // may hold other meshes' resources: they are ignored
  Identity identity;                     // empty when the mesh has mTLS off
};

class SidecarConfig final : public proxy::ProxyConfig {
 public:
  // Refuses inputs it cannot serve: its mesh missing, mTLS on without an identity, a bad regex.
  static Result<std::shared_ptr<const SidecarConfig>> compile(const SidecarInputs& inputs);

  proxy::Decision dispatch(const http::RequestHead& head,
                           const proxy::ConnectionInfo& conn) const override;
  SSL_CTX* certificateFor(std::string_view sni) const override { return tls_inbound_.get(); }
  size_t clusterCount() const override { return clusters_.size(); }
  const proxy::Cluster& cluster(size_t i) const override { return *clusters_[i]; }
  const std::string& hash() const override { return hash_; }

  const InboundListener* inboundAt(uint16_t port) const;
  const OutboundListener* outboundAt(uint16_t port) const;
  // The TCP plan of an outbound (weighted choice) or of an inbound (the application).
  proxy::TcpPlan tcpOutbound(const OutboundListener& out, const std::string& client_ip) const;
  proxy::TcpPlan tcpInbound(const InboundListener& in) const;
  // Whether an inbound lets a caller in, and why not: `tls` says whether it came over mTLS,
  // `peer_uri` is its certificate's URI SAN. An mTLS caller without this mesh's SPIFFE ID (another
  // trust domain sharing a CA) and a plaintext caller under STRICT are refused outright.
  bool allowed(const InboundListener& in, bool tls, std::string_view peer_uri,
               std::string* why) const;

  const std::string& mesh() const { return mesh_; }
  bool mtls() const { return mtls_; }
  model::mesh::MtlsMode mode() const { return mode_; }
  SSL_CTX* inboundTls() const { return tls_inbound_.get(); }
  const std::vector<InboundListener>& inbounds() const { return inbounds_; }
  const std::vector<OutboundListener>& outbounds() const { return outbounds_; }
  const std::vector<HealthCheckSpec>& healthChecks() const { return health_checks_; }
  // A delegated gateway's view: the cluster of every service of the mesh (its instances, mTLS to
  // them, the outbound policies that apply to the gateway), or null for an unknown service.
  const proxy::Cluster* serviceCluster(std::string_view service) const;
  // For /config: listeners, routes, clusters and endpoints.
  nlohmann::json describe() const;

 private:
  proxy::Decision dispatchInbound(const InboundListener& in, const http::RequestHead& head,
                                  const proxy::ConnectionInfo& conn) const;
  proxy::Decision dispatchOutbound(const OutboundListener& out, const http::RequestHead& head,
                                   const proxy::ConnectionInfo& conn) const;

  friend class SidecarCompiler;
  std::string mesh_;
  bool mtls_ = false;
  model::mesh::MtlsMode mode_ = model::mesh::MtlsMode::kPermissive;
  net::SslCtxPtr tls_inbound_;
  net::SslCtxPtr tls_outbound_;
  std::vector<std::unique_ptr<proxy::Cluster>> clusters_;
  std::vector<InboundListener> inbounds_;
  std::vector<OutboundListener> outbounds_;
  std::vector<HealthCheckSpec> health_checks_;
  std::map<std::string, size_t, std::less<>> service_clusters_;  // delegated gateways
  std::string hash_;
};

// The caller's service from its SPIFFE ID, when it belongs to `mesh`; empty otherwise.
std::string callerService(std::string_view peer_uri, std::string_view mesh);

}  // namespace causeway::mesh
