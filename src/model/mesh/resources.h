// The service-mesh resources, in Kuma's shapes and field names: Mesh (mTLS backends), Dataplane
// (one service instance's inbounds and outbounds) and the targetRef policies. Plain values, built
// by the loader (loader.h) and read by policy matching (matching.h); safe to share between
// threads once built.
//
// A policy keeps each `default` conf as the JSON it was given (after the loader validated the
// fields the data plane uses), because Kuma merges confs of several policies field by field:
// matching.h merges the JSON, then the typed views below read the result.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace causeway::model::mesh {

using Tags = std::map<std::string, std::string>;

inline constexpr std::string_view kServiceTag = "kuma.io/service";
inline constexpr std::string_view kProtocolTag = "kuma.io/protocol";
inline constexpr std::string_view kDefaultMesh = "default";

// ---- Mesh -------------------------------------------------------------------------------------

enum class MtlsMode { kStrict, kPermissive };

struct MtlsBackend {
  std::string name;
  std::string type;  // "builtin" (the only type the CA implements) or "provided"
  MtlsMode mode = MtlsMode::kStrict;
  int64_t cert_expiration_s = 24 * 3600;  // dpCert.rotation.expiration (Kuma's default 24h)
  nlohmann::json conf = nlohmann::json::object();  // conf (caCert.RSAbits, caCert.expiration...)
};

struct Mesh {
  std::string name;
  std::vector<MtlsBackend> backends;  // several listed during a CA rotation
  std::string enabled_backend;        // empty: mTLS off

  bool mtlsEnabled() const { return !enabled_backend.empty(); }
  const MtlsBackend* enabledBackend() const;
  // The enabled backend's mode; PERMISSIVE when mTLS is off (plaintext is all there is).
  MtlsMode mtlsMode() const;
};

// ---- Dataplane --------------------------------------------------------------------------------

struct Inbound {
  uint32_t port = 0;            // where the sidecar listens for the mesh
  uint32_t service_port = 0;    // the local application's port (defaults to port)
  std::string service_address;  // the local application's address (default 127.0.0.1)
  Tags tags;                    // kuma.io/service required

  const std::string& service() const { return tags.at(std::string(kServiceTag)); }
  std::string protocol() const;  // kuma.io/protocol, "tcp" when absent
};

struct Outbound {
  uint32_t port = 0;
  std::string address = "127.0.0.1";
  std::string service;  // tags.kuma.io/service
  Tags tags;
};

struct Dataplane {
  std::string name;
  std::string mesh{kDefaultMesh};
  std::string address;  // networking.address
  std::vector<Inbound> inbound;
  std::vector<Outbound> outbound;
  // networking.gateway (type DELEGATED): an API gateway in the mesh, known by these tags.
  std::optional<Tags> gateway_tags;

  bool isGateway() const { return gateway_tags.has_value(); }
};

// ---- targetRef policies -----------------------------------------------------------------------

// Ordered from the least to the most specific, as Kuma orders top-level targetRefs.
enum class TargetKind { kMesh, kMeshSubset, kMeshGateway, kMeshService, kMeshServiceSubset };

std::string_view targetKindName(TargetKind kind);

struct TargetRef {
  TargetKind kind = TargetKind::kMesh;
  std::string name;  // MeshService, MeshServiceSubset, MeshGateway
  Tags tags;         // MeshSubset, MeshServiceSubset
};

enum class PolicyType {
  kMeshTrafficPermission,
  kMeshHTTPRoute,
  kMeshTCPRoute,
  kMeshTimeout,
  kMeshRetry,
  kMeshCircuitBreaker,
  kMeshHealthCheck,
  kMeshLoadBalancingStrategy,
};

std::string_view policyTypeName(PolicyType type);

// One rule of a route's `to` item: the requests it matches (HTTP only; empty: every request) and
// its `default` (backendRefs, filters).
struct HttpPathMatch {
  enum class Type { kExact, kPathPrefix, kRegularExpression };
  Type type = Type::kPathPrefix;
  std::string value;
};

struct HttpValueMatch {  // a header or a query parameter
  enum class Type { kExact, kRegularExpression, kPresent, kAbsent, kPrefix };
  Type type = Type::kExact;
  std::string name;
  std::string value;
};

struct HttpMatch {
  std::optional<HttpPathMatch> path;
  std::string method;  // empty: any
  std::vector<HttpValueMatch> headers;
  std::vector<HttpValueMatch> query_params;
};

struct RouteRule {
  std::vector<HttpMatch> matches;                  // MeshHTTPRoute only
  nlohmann::json matches_json;                     // as given, for merging rules with equal matches
  nlohmann::json conf = nlohmann::json::object();  // `default`
};

// A from[] or to[] item: which peers, and the conf (`default`, or the rules of a route).
struct PolicyItem {
  TargetRef target_ref;
  nlohmann::json conf = nlohmann::json::object();
  std::vector<RouteRule> rules;  // MeshHTTPRoute, MeshTCPRoute
};

struct Policy {
  PolicyType type = PolicyType::kMeshTimeout;
  std::string name;
  std::string mesh{kDefaultMesh};
  TargetRef target_ref;  // which proxies; Mesh when absent
  std::vector<PolicyItem> from;
  std::vector<PolicyItem> to;
};

// ---- typed views of merged confs ----------------------------------------------------------------

enum class PermissionAction { kAllow, kDeny, kAllowWithShadowDeny };

struct BackendRef {
  TargetKind kind = TargetKind::kMeshService;
  std::string name;
  Tags tags;  // MeshServiceSubset: the instances of `name` carrying these tags
  uint32_t weight = 1;
};

struct HeaderModifier {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::pair<std::string, std::string>> add;
  std::vector<std::string> remove;
};

struct RouteConf {
  std::vector<BackendRef> backend_refs;  // empty: the destination service itself
  std::optional<HeaderModifier> request_headers;
  std::optional<HeaderModifier> response_headers;
};

// Reads a route rule's `default` (already validated by the loader, or merged from such confs).
RouteConf routeConf(const nlohmann::json& conf);

}  // namespace causeway::model::mesh
