// Compiling a sidecar's config from its Dataplane, its mesh's resources and its identity:
// listeners, clusters of instances (subsets by tags), mTLS, permissions, weighted routes,
// header matches, and the policies that shape clusters (timeouts, retries, outlier detection,
// balancing, health checks). No I/O: dispatch() is called with parsed request heads.
#include "mesh/sidecar_config.h"

#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "http/http1_parser.h"
#include "pki/csr.h"
#include "pki/spiffe.h"

namespace causeway::mesh {
namespace {

namespace mm = model::mesh;

mm::MeshResources load(const std::string& text) {
  auto r = mm::loadMeshResources(text);
  EXPECT_TRUE(r.isOk()) << r.status().message();
  return r.isOk() ? r.value() : mm::MeshResources{};
}

Identity identityFor(const std::string& mesh, const std::string& service) {
  static std::map<std::string, pki::CertificateAuthority> cas;
  auto it = cas.find(mesh);
  if (it == cas.end()) {
    auto ca = pki::createMeshCa({mesh, "ca-1", std::chrono::hours(24 * 365), pki::unixNow()});
    EXPECT_TRUE(ca.isOk());
    it = cas.emplace(mesh, ca.value()).first;
  }
  auto key = pki::KeyPair::generate();
  auto csr = pki::makeCsr(key.value(), service);
  auto cert = pki::issueWorkloadCertificate(it->second, csr.value(),
                                            pki::meshServiceId(mesh, service).value(),
                                            std::chrono::hours(24), pki::unixNow());
  EXPECT_TRUE(cert.isOk()) << cert.status().message();
  Identity id;
  id.cert_pem = cert.value();
  id.key_pem = key->toPem();
  id.trusted_ca_pems = {it->second.certificatePem()};
  EXPECT_TRUE(completeIdentity(id, pki::unixNow()).isOk());
  return id;
}

const char* kMesh = R"(
type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends:
    - name: ca-1
      type: builtin
)";

const char* kWeb = R"(
type: Dataplane
name: web-1
networking:
  address: 127.0.0.1
  inbound:
    - port: 20001
      servicePort: 10001
      tags: {kuma.io/service: web, kuma.io/protocol: http}
  outbound:
    - port: 30001
      tags: {kuma.io/service: backend}
    - port: 30002
      tags: {kuma.io/service: db}
)";

const char* kInstances = R"(
---
type: Dataplane
name: backend-v1
networking:
  address: 10.0.0.1
  inbound:
    - port: 20002
      tags: {kuma.io/service: backend, kuma.io/protocol: http, version: v1}
---
type: Dataplane
name: backend-v2
networking:
  address: 10.0.0.2
  inbound:
    - port: 20002
      tags: {kuma.io/service: backend, kuma.io/protocol: http, version: v2}
---
type: Dataplane
name: db-1
networking:
  address: 10.0.0.3
  inbound:
    - port: 5432
      tags: {kuma.io/service: db}
)";

struct Req {
  std::string raw;
  http::RequestHead head;
  explicit Req(const std::string& text) : raw(text) {
    EXPECT_EQ(http::parseRequestHead(raw, http::Limits{}, head).status, http::ParseStatus::kDone);
  }
};

proxy::ConnectionInfo on(uint16_t port, std::string peer = "") {
  proxy::ConnectionInfo c;
  c.client_ip = "127.0.0.1";
  c.local_port = port;
  c.tls = !peer.empty();  // a peer identity comes with mTLS
  c.peer_uri = std::move(peer);
  return c;
}

std::shared_ptr<const SidecarConfig> compile(const std::string& policies,
                                             bool with_identity = true) {
  SidecarInputs in;
  auto self = load(kWeb);
  in.self = self.dataplanes.at(0);
  in.resources = load(std::string(kMesh) + kInstances + policies);
  if (with_identity) in.identity = identityFor("default", "web");
  auto c = SidecarConfig::compile(in);
  EXPECT_TRUE(c.isOk()) << c.status().message();
  return c.isOk() ? c.value() : nullptr;
}

const proxy::ForwardPlan* plan(const proxy::Decision& d) {
  return std::get_if<proxy::ForwardPlan>(&d);
}

TEST(SidecarConfigTest, ListenersClustersAndMtls) {
  auto cfg = compile("");
  ASSERT_TRUE(cfg);
  ASSERT_EQ(cfg->inbounds().size(), 1u);
  EXPECT_EQ(cfg->inbounds()[0].protocol, Protocol::kHttp);
  ASSERT_EQ(cfg->outbounds().size(), 2u);
  EXPECT_EQ(cfg->outbounds()[0].protocol, Protocol::kHttp);  // every backend instance says http
  EXPECT_EQ(cfg->outbounds()[1].protocol, Protocol::kTcp);   // db declares no protocol
  EXPECT_TRUE(cfg->mtls());
  EXPECT_NE(cfg->inboundTls(), nullptr);

  Req r("GET /x HTTP/1.1\r\nHost: backend\r\n\r\n");
  const auto d = cfg->dispatch(r.head, on(30001));
  ASSERT_TRUE(plan(d));
  const proxy::Cluster& c = *plan(d)->cluster;
  EXPECT_EQ(c.endpoints.size(), 2u);
  EXPECT_TRUE(c.tls);
  EXPECT_EQ(c.peer_uri, "spiffe://default/backend");
  EXPECT_EQ(plan(d)->host, "backend");  // the application's Host goes through
  EXPECT_EQ(c.connect_timeout_ms, 5000);
  EXPECT_EQ(c.read_timeout_ms, 15000);
  EXPECT_EQ(c.retries, 1);  // without MeshRetry: one more connect attempt

  // A port that is neither inbound nor outbound.
  EXPECT_TRUE(std::holds_alternative<proxy::LocalReply>(cfg->dispatch(r.head, on(1))));
}

TEST(SidecarConfigTest, MtlsWithoutIdentityIsRefused) {
  SidecarInputs in;
  in.self = load(kWeb).dataplanes.at(0);
  in.resources = load(std::string(kMesh) + kInstances);
  auto c = SidecarConfig::compile(in);
  EXPECT_FALSE(c.isOk());
  in.resources = load(std::string("type: Mesh\nname: other\n"));
  EXPECT_FALSE(SidecarConfig::compile(in).isOk());  // its mesh is missing
}

TEST(SidecarConfigTest, PermissionsDefaultDenyUnderMtls) {
  auto cfg = compile(R"(
---
type: MeshTrafficPermission
name: allow-gateway
spec:
  targetRef: {kind: MeshService, name: web}
  from:
    - targetRef: {kind: MeshSubset, tags: {kuma.io/service: gateway}}
      default: {action: Allow}
    - targetRef: {kind: MeshService, name: intruder}
      default: {action: Deny}
)");
  ASSERT_TRUE(cfg);
  Req r("GET / HTTP/1.1\r\nHost: web\r\n\r\n");
  auto allowed = cfg->dispatch(r.head, on(20001, "spiffe://default/gateway"));
  ASSERT_TRUE(plan(allowed));
  EXPECT_EQ(plan(allowed)->cluster->endpoints.at(0).port, 10001);  // the application
  for (std::string peer :
       {"spiffe://default/intruder", "spiffe://default/other", "spiffe://othermesh/gateway", ""}) {
    auto denied = cfg->dispatch(r.head, on(20001, peer));
    auto* reply = std::get_if<proxy::LocalReply>(&denied);
    ASSERT_TRUE(reply) << peer;
    EXPECT_EQ(reply->status, 403);
    EXPECT_NE(reply->body.find("RBAC: access denied"), std::string::npos) << reply->body;
  }
}

TEST(SidecarConfigTest, WeightedSplitFollowsWeights) {
  auto cfg = compile(R"(
---
type: MeshHTTPRoute
name: canary
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      rules:
        - matches: [{path: {type: PathPrefix, value: /}}]
          default:
            backendRefs:
              - {kind: MeshServiceSubset, name: backend, tags: {version: v1}, weight: 90}
              - {kind: MeshServiceSubset, name: backend, tags: {version: v2}, weight: 10}
)");
  ASSERT_TRUE(cfg);
  Req r("GET /x HTTP/1.1\r\nHost: backend\r\n\r\n");
  std::map<std::string, int> hits;
  for (int i = 0; i < 10000; ++i) {
    auto d = cfg->dispatch(r.head, on(30001));
    ASSERT_TRUE(plan(d));
    ASSERT_EQ(plan(d)->cluster->endpoints.size(), 1u);
    hits[plan(d)->cluster->endpoints[0].host]++;
  }
  EXPECT_NEAR(hits["10.0.0.1"], 9000, 300);
  EXPECT_NEAR(hits["10.0.0.2"], 1000, 300);
}

TEST(SidecarConfigTest, HeaderMatchesAndModifiers) {
  auto cfg = compile(R"(
---
type: MeshHTTPRoute
name: ab
spec:
  targetRef: {kind: MeshService, name: web}
  to:
    - targetRef: {kind: MeshService, name: backend}
      rules:
        - matches: [{headers: [{type: Exact, name: x-group, value: beta}]}]
          default:
            backendRefs: [{kind: MeshServiceSubset, name: backend, tags: {version: v2}}]
            filters:
              - type: RequestHeaderModifier
                requestHeaderModifier:
                  set: [{name: x-routed, value: beta}]
                  remove: [x-group]
)");
  ASSERT_TRUE(cfg);
  Req beta("GET / HTTP/1.1\r\nHost: backend\r\nX-Group: beta\r\n\r\n");
  Req other("GET / HTTP/1.1\r\nHost: backend\r\n\r\n");
  for (int i = 0; i < 20; ++i) {
    auto d = cfg->dispatch(beta.head, on(30001));
    ASSERT_TRUE(plan(d));
    EXPECT_EQ(plan(d)->cluster->endpoints.at(0).host, "10.0.0.2");
    EXPECT_NE(plan(d)->extra_headers.find("x-routed: beta"), std::string::npos);
    EXPECT_EQ(plan(d)->remove_headers.size(), 2u);  // x-group, and x-routed (set replaces)
  }
  auto d = cfg->dispatch(other.head, on(30001));
  ASSERT_TRUE(plan(d));
  EXPECT_EQ(plan(d)->cluster->endpoints.size(), 2u);  // the default route: the whole service
}

TEST(SidecarConfigTest, PoliciesShapeClusters) {
  auto cfg = compile(R"(
---
type: MeshRetry
name: retry
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      default:
        http: {numRetries: 3, perTryTimeout: 2s, retryOn: [5xx, "409", HttpMethodGet], backOff: {baseInterval: 10ms, maxInterval: 100ms}}
    - targetRef: {kind: MeshService, name: db}
      default:
        tcp: {maxConnectAttempt: 4}
---
type: MeshTimeout
name: timeouts
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: Mesh}
      default: {connectionTimeout: 1s, idleTimeout: 30s, http: {requestTimeout: 3s}}
---
type: MeshCircuitBreaker
name: cb
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      default:
        connectionLimits: {maxRequests: 100, maxPendingRequests: 20, maxConnections: 7}
        outlierDetection:
          baseEjectionTime: 5s
          maxEjectionPercent: 50
          detectors: {totalFailures: {consecutive: 3}}
---
type: MeshLoadBalancingStrategy
name: lb
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      default:
        loadBalancer:
          type: RingHash
          ringHash: {hashPolicies: [{type: Header, header: {name: x-user}}]}
---
type: MeshHealthCheck
name: hc
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      default: {interval: 2s, timeout: 1s, unhealthyThreshold: 2, healthyThreshold: 1, http: {path: /health}}
)");
  ASSERT_TRUE(cfg);
  Req r("GET / HTTP/1.1\r\nHost: backend\r\nX-User: alice\r\n\r\n");
  auto d = cfg->dispatch(r.head, on(30001));
  ASSERT_TRUE(plan(d));
  const proxy::Cluster& c = *plan(d)->cluster;
  EXPECT_EQ(c.retries, 3);
  EXPECT_EQ(c.read_timeout_ms, 2000);  // perTryTimeout
  EXPECT_EQ(c.connect_timeout_ms, 1000);
  EXPECT_TRUE(c.retry_on.status(503));
  EXPECT_TRUE(c.retry_on.status(409));
  EXPECT_FALSE(c.retry_on.status(404));
  EXPECT_EQ(c.retry_on.backoff_base.count(), 10);
  EXPECT_TRUE(c.retry_on.method("GET"));
  EXPECT_FALSE(c.retry_on.method("POST"));  // HttpMethodGet: only GETs are retried
  EXPECT_EQ(c.max_requests, 120u);
  EXPECT_EQ(c.max_connections, 7u);
  EXPECT_TRUE(c.outlier.enabled);
  EXPECT_EQ(c.outlier.consecutive_total, 3);
  EXPECT_EQ(c.outlier.base_ejection.count(), 5000);
  EXPECT_EQ(c.outlier.max_ejection_percent, 50);
  EXPECT_EQ(c.algorithm, proxy::LbAlgorithm::kConsistentHashing);
  EXPECT_EQ(plan(d)->hash_key, "alice");
  EXPECT_TRUE(c.health_checked);
  ASSERT_EQ(cfg->healthChecks().size(), 1u);
  EXPECT_EQ(cfg->healthChecks()[0].path, "/health");
  EXPECT_EQ(cfg->healthChecks()[0].unhealthy_threshold, 2);
  EXPECT_TRUE(cfg->healthChecks()[0].http);

  const OutboundListener* db = cfg->outboundAt(30002);
  ASSERT_TRUE(db);
  EXPECT_EQ(db->idle_timeout.count(), 30000);
  auto tcp = cfg->tcpOutbound(*db, "127.0.0.1");
  EXPECT_EQ(tcp.cluster->retries, 3);  // maxConnectAttempt 4
  EXPECT_FALSE(tcp.cluster->outlier.enabled);
  EXPECT_EQ(tcp.cluster->endpoints.at(0).port, 5432);
}

TEST(SidecarConfigTest, TcpRouteWeights) {
  auto cfg = compile(R"(
---
type: Dataplane
name: db-2
networking:
  address: 10.0.0.4
  inbound:
    - port: 5432
      tags: {kuma.io/service: db-next}
---
type: MeshTCPRoute
name: move-db
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: db}
      rules:
        - default:
            backendRefs:
              - {kind: MeshService, name: db-next, weight: 1}
)");
  ASSERT_TRUE(cfg);
  auto tcp = cfg->tcpOutbound(*cfg->outboundAt(30002), "127.0.0.1");
  EXPECT_EQ(tcp.cluster->endpoints.at(0).host, "10.0.0.4");
  EXPECT_EQ(tcp.cluster->peer_uri, "spiffe://default/db-next");
}

TEST(SidecarConfigTest, DelegatedGatewaySeesEveryService) {
  SidecarInputs in;
  in.self = load(
                "type: Dataplane\nname: edge-1\nnetworking:\n  address: 127.0.0.1\n"
                "  gateway: {type: DELEGATED, tags: {kuma.io/service: edge}}\n")
                .dataplanes.at(0);
  in.resources = load(std::string(kMesh) + kInstances + R"(
---
type: MeshTimeout
name: edge-timeouts
spec:
  targetRef: {kind: MeshService, name: edge}
  to:
    - targetRef: {kind: MeshService, name: backend}
      default: {connectionTimeout: 2s}
)");
  in.identity = identityFor("default", "edge");
  auto cfg = SidecarConfig::compile(in);
  ASSERT_TRUE(cfg.isOk()) << cfg.status().message();
  EXPECT_TRUE(cfg.value()->inbounds().empty());
  const proxy::Cluster* backend = cfg.value()->serviceCluster("backend");
  ASSERT_TRUE(backend);
  EXPECT_EQ(backend->endpoints.size(), 2u);
  EXPECT_EQ(backend->peer_uri, "spiffe://default/backend");
  EXPECT_TRUE(backend->tls_context);
  EXPECT_EQ(backend->connect_timeout_ms, 2000);  // the policy selects the gateway by its tags
  ASSERT_TRUE(cfg.value()->serviceCluster("db"));
  EXPECT_FALSE(cfg.value()->serviceCluster("nowhere"));
}

TEST(SidecarConfigTest, CallerService) {
  EXPECT_EQ(callerService("spiffe://default/web", "default"), "web");
  EXPECT_EQ(callerService("spiffe://other/web", "default"), "");
  EXPECT_EQ(callerService("spiffe://default", "default"), "");
  EXPECT_EQ(callerService("https://default/web", "default"), "");
  EXPECT_EQ(callerService("", "default"), "");
}

}  // namespace
}  // namespace causeway::mesh
