// Policy matching: top-level targetRef selection, specificity order (Mesh < MeshSubset <
// MeshService < MeshServiceSubset), the name tie-break, deep merge of `default` confs, traffic
// permissions with default deny under mTLS, and route rule merging and precedence.
#include <gtest/gtest.h>

#include "model/mesh/loader.h"
#include "model/mesh/matching.h"

namespace causeway::model::mesh {
namespace {

using Json = nlohmann::json;

MeshResources load(std::string_view text) {
  kong::LoadError errors;
  auto r = loadMeshResources(text, &errors);
  EXPECT_TRUE(r) << r.status().message();
  return r ? *r : MeshResources{};
}

// A data plane of `service` with tags version=`version`, calling backend.
const char* kDataplane = R"(
type: Dataplane
name: web-01
networking:
  address: 10.0.0.1
  inbound:
    - port: 8080
      tags: {kuma.io/service: web, version: v1, zone: east}
  outbound:
    - port: 10001
      tags: {kuma.io/service: backend}
    - port: 10002
      tags: {kuma.io/service: db}
)";

std::string timeout(const std::string& name, const std::string& top, const std::string& conf,
                    const std::string& to = "{kind: Mesh}") {
  return "---\ntype: MeshTimeout\nname: " + name + "\nspec:\n  targetRef: " + top +
         "\n  to:\n    - targetRef: " + to + "\n      default: " + conf + "\n";
}

TEST(MeshMatching, SelectsProxiesByTopLevelTargetRef) {
  const Tags tags = {{"kuma.io/service", "web"}, {"version", "v1"}};
  EXPECT_TRUE(selectsTags({TargetKind::kMesh, "", {}}, tags));
  EXPECT_TRUE(selectsTags({TargetKind::kMeshSubset, "", {{"version", "v1"}}}, tags));
  EXPECT_FALSE(selectsTags({TargetKind::kMeshSubset, "", {{"version", "v2"}}}, tags));
  EXPECT_TRUE(selectsTags({TargetKind::kMeshService, "web", {}}, tags));
  EXPECT_FALSE(selectsTags({TargetKind::kMeshService, "backend", {}}, tags));
  EXPECT_TRUE(selectsTags({TargetKind::kMeshServiceSubset, "web", {{"version", "v1"}}}, tags));
  EXPECT_FALSE(selectsTags({TargetKind::kMeshServiceSubset, "web", {{"version", "v2"}}}, tags));
  EXPECT_FALSE(selectsTags({TargetKind::kMeshGateway, "edge", {}}, tags));
}

TEST(MeshMatching, MoreSpecificTopLevelKindWinsWhateverTheFileOrder) {
  // Listed most specific first, so file order would give the wrong answer.
  auto r = load(std::string(kDataplane) +
                timeout("d-subset-svc", "{kind: MeshServiceSubset, name: web, tags: {version: v1}}",
                        "{idleTimeout: 4s}") +
                timeout("c-service", "{kind: MeshService, name: web}", "{idleTimeout: 3s}") +
                timeout("b-subset", "{kind: MeshSubset, tags: {zone: east}}", "{idleTimeout: 2s}") +
                timeout("a-mesh", "{kind: Mesh}", "{idleTimeout: 1s}") +
                timeout("other-service", "{kind: MeshService, name: api}", "{idleTimeout: 9s}"));
  const Dataplane& dp = r.dataplanes.at(0);
  auto ordered = orderedPolicies(r.policies, PolicyType::kMeshTimeout, "default",
                                 [&](const TargetRef& ref) { return selectsDataplane(ref, dp); });
  ASSERT_EQ(ordered.size(), 4u);
  EXPECT_EQ(ordered[0]->name, "a-mesh");
  EXPECT_EQ(ordered[1]->name, "b-subset");
  EXPECT_EQ(ordered[2]->name, "c-service");
  EXPECT_EQ(ordered[3]->name, "d-subset-svc");
  EXPECT_EQ(outboundPolicies(dp, "backend", r.policies).timeout["idleTimeout"], "4s");

  // Without the most specific one, MeshService beats MeshSubset and Mesh.
  r.policies.erase(r.policies.begin());
  EXPECT_EQ(outboundPolicies(dp, "backend", r.policies).timeout["idleTimeout"], "3s");
  r.policies.erase(r.policies.begin());
  EXPECT_EQ(outboundPolicies(dp, "backend", r.policies).timeout["idleTimeout"], "2s");
}

TEST(MeshMatching, SameKindTieBrokenByName) {
  auto r = load(std::string(kDataplane) + timeout("zeta", "{kind: Mesh}", "{idleTimeout: 9s}") +
                timeout("alpha", "{kind: Mesh}", "{idleTimeout: 1s}") +
                timeout("mid", "{kind: Mesh}", "{idleTimeout: 5s}"));
  const auto out = outboundPolicies(r.dataplanes.at(0), "backend", r.policies);
  // The lexicographically smallest name is applied last and wins.
  EXPECT_EQ(out.timeout["idleTimeout"], "1s");
  Policy a, b;
  a.name = "alpha";
  b.name = "beta";
  EXPECT_TRUE(appliedBefore(b, a));
  EXPECT_FALSE(appliedBefore(a, b));
  b.target_ref.kind = TargetKind::kMeshService;  // kind comes before name
  EXPECT_TRUE(appliedBefore(a, b));
}

TEST(MeshMatching, DeepMergesDefaultsFieldByField) {
  auto r = load(std::string(kDataplane) +
                timeout("global", "{kind: Mesh}",
                        "{connectionTimeout: 1s, idleTimeout: 1h, http: {requestTimeout: 10s, "
                        "streamIdleTimeout: 30m}}") +
                timeout("web", "{kind: MeshService, name: web}",
                        "{idleTimeout: 5m, http: {requestTimeout: 2s}}",
                        "{kind: MeshService, name: backend}"));
  const Dataplane& dp = r.dataplanes.at(0);
  const Json t = outboundPolicies(dp, "backend", r.policies).timeout;
  EXPECT_EQ(t["connectionTimeout"], "1s");           // only in the Mesh policy
  EXPECT_EQ(t["idleTimeout"], "5m");                 // overridden
  EXPECT_EQ(t["http"]["requestTimeout"], "2s");      // overridden inside a nested record
  EXPECT_EQ(t["http"]["streamIdleTimeout"], "30m");  // kept inside the same nested record
  // The MeshService-targeted item does not apply to db.
  const Json db = outboundPolicies(dp, "db", r.policies).timeout;
  EXPECT_EQ(db["idleTimeout"], "1h");
  EXPECT_EQ(db["http"]["requestTimeout"], "10s");

  Json into = {{"a", {1, 2}}, {"b", {{"c", 1}}}};
  mergeConf(into, {{"a", {3}}, {"b", nullptr}});
  EXPECT_EQ(into["a"], Json::array({3}));  // arrays are replaced, not appended
  EXPECT_EQ(into["b"]["c"], 1);            // null leaves the earlier value
}

TEST(MeshMatching, PoliciesOfOtherMeshesAndUnselectedProxiesDoNotApply) {
  auto r = load(std::string(kDataplane) +
                "---\ntype: MeshRetry\nname: other\nmesh: prod\nspec:\n  to:\n"
                "    - targetRef: {kind: Mesh}\n      default: {tcp: {maxConnectAttempt: 7}}\n" +
                "---\ntype: MeshRetry\nname: api-only\nspec:\n  targetRef: {kind: MeshService, "
                "name: api}\n  to:\n    - targetRef: {kind: Mesh}\n"
                "      default: {tcp: {maxConnectAttempt: 8}}\n");
  const auto out = outboundPolicies(r.dataplanes.at(0), "backend", r.policies);
  EXPECT_TRUE(out.retry.is_null()) << out.retry.dump();
}

const char* kBackendDataplane = R"(
type: Dataplane
name: backend-01
networking:
  address: 10.0.0.2
  inbound:
    - port: 8080
      tags: {kuma.io/service: backend, version: v2}
)";

std::string permission(const std::string& name, const std::string& top,
                       const std::vector<std::pair<std::string, std::string>>& from) {
  std::string s = "---\ntype: MeshTrafficPermission\nname: " + name +
                  "\nspec:\n  targetRef: " + top + "\n  from:\n";
  for (const auto& [ref, action] : from) {
    s += "    - targetRef: " + ref + "\n      default: {action: " + action + "}\n";
  }
  return s;
}

TEST(MeshMatching, DeniesEveryoneByDefaultWhenMtlsIsOn) {
  auto r = load(kBackendDataplane);
  const auto perms = matchPolicies(r.dataplanes.at(0), r.policies).inbound.at(0);
  EXPECT_TRUE(perms.rules.empty());
  EXPECT_FALSE(permissionFor(perms, "web"));
  EXPECT_FALSE(callAllowed(perms, "web", /*mtls_enabled=*/true));
  EXPECT_TRUE(callAllowed(perms, "web", /*mtls_enabled=*/false));
}

TEST(MeshMatching, ResolvesAllowAndDenyPerCaller) {
  auto r =
      load(std::string(kBackendDataplane) +
           permission("allow-all", "{kind: Mesh}", {{"{kind: Mesh}", "Allow"}}) +
           permission("backend-lockdown", "{kind: MeshService, name: backend}",
                      {{"{kind: Mesh}", "Deny"},
                       {"{kind: MeshSubset, tags: {kuma.io/service: web}}", "Allow"},
                       {"{kind: MeshService, name: legacy}", "AllowWithShadowDeny"}}) +
           permission("not-me", "{kind: MeshService, name: web}", {{"{kind: Mesh}", "Allow"}}));
  const auto perms = matchPolicies(r.dataplanes.at(0), r.policies).inbound.at(0);
  EXPECT_EQ(perms.service, "backend");
  EXPECT_EQ(perms.port, 8080u);
  ASSERT_EQ(perms.rules.size(), 3u);
  EXPECT_EQ(perms.rules[0].service, "legacy");
  EXPECT_EQ(perms.rules[1].service, "web");
  EXPECT_EQ(perms.rules[2].service, "");
  EXPECT_EQ(permissionFor(perms, "web"), PermissionAction::kAllow);
  EXPECT_EQ(permissionFor(perms, "legacy"), PermissionAction::kAllowWithShadowDeny);
  EXPECT_EQ(permissionFor(perms, "billing"), PermissionAction::kDeny);  // the MeshService Deny
  EXPECT_TRUE(callAllowed(perms, "web", true));
  EXPECT_TRUE(callAllowed(perms, "legacy", true));
  EXPECT_FALSE(callAllowed(perms, "billing", true));
}

TEST(MeshMatching, MoreSpecificPolicyDenyOverridesMeshWideAllowForOneCaller) {
  auto r = load(std::string(kBackendDataplane) +
                permission("b-allow", "{kind: Mesh}", {{"{kind: Mesh}", "Allow"}}) +
                permission("a-deny-web", "{kind: MeshSubset, tags: {version: v2}}",
                           {{"{kind: MeshService, name: web}", "Deny"}}));
  const auto perms =
      inboundPermissions(r.dataplanes.at(0), r.dataplanes.at(0).inbound.at(0), r.policies);
  EXPECT_EQ(permissionFor(perms, "web"), PermissionAction::kDeny);
  EXPECT_EQ(permissionFor(perms, "billing"), PermissionAction::kAllow);
}

TEST(MeshMatching, MergesAndOrdersHttpRouteRules) {
  auto r = load(std::string(kDataplane) + R"(
---
type: MeshHTTPRoute
name: base
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      rules:
        - default:
            backendRefs: [{kind: MeshService, name: backend}]
        - matches: [{path: {type: PathPrefix, value: /api}}]
          default:
            filters:
              - type: ResponseHeaderModifier
                responseHeaderModifier: {add: [{name: x-api, value: "1"}]}
            backendRefs: [{kind: MeshServiceSubset, name: backend, tags: {version: v1}}]
---
type: MeshHTTPRoute
name: canary
spec:
  targetRef: {kind: MeshService, name: web}
  to:
    - targetRef: {kind: MeshService, name: backend}
      rules:
        - matches: [{path: {type: PathPrefix, value: /api}}]
          default:
            backendRefs:
              - {kind: MeshServiceSubset, name: backend, tags: {version: v1}, weight: 90}
              - {kind: MeshServiceSubset, name: backend, tags: {version: v2}, weight: 10}
        - matches:
            - path: {type: PathPrefix, value: /api/v2}
            - path: {type: Exact, value: /beta}
              method: GET
          default:
            backendRefs: [{kind: MeshServiceSubset, name: backend, tags: {version: v2}}]
---
type: MeshTCPRoute
name: tcp-backend
spec:
  to:
    - targetRef: {kind: MeshService, name: backend}
      rules: [{default: {backendRefs: [{name: elsewhere}]}}]
)");
  const auto out = outboundPolicies(r.dataplanes.at(0), "backend", r.policies);
  ASSERT_EQ(out.http_routes.size(), 4u);
  // Exact first, then the longer prefix, the shorter prefix, then the catch-all.
  EXPECT_EQ(out.http_routes[0].match->path->value, "/beta");
  EXPECT_EQ(out.http_routes[1].match->path->value, "/api/v2");
  EXPECT_EQ(out.http_routes[2].match->path->value, "/api");
  EXPECT_FALSE(out.http_routes[3].match);
  // The two /api rules merged: the canary's backendRefs replace the base's, the base's filter
  // stays.
  const RouteConf& api = out.http_routes[2].route;
  ASSERT_EQ(api.backend_refs.size(), 2u);
  EXPECT_EQ(api.backend_refs[0].weight, 90u);
  EXPECT_EQ(api.backend_refs[1].tags.at("version"), "v2");
  ASSERT_TRUE(api.response_headers);
  EXPECT_EQ(api.response_headers->add.at(0).first, "x-api");
  // An HTTP route applies, so the TCP route is ignored for backend.
  EXPECT_FALSE(out.tcp_route);
}

TEST(MeshMatching, AMatchWithoutPathIsAPrefixSlashMatch) {
  // Gateway API: an absent path is PathPrefix "/", so a header match on it outranks a bare "/"
  // prefix written before it, and a longer prefix outranks both.
  auto r = load(std::string(kDataplane) + R"(
---
type: MeshHTTPRoute
name: ab
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      rules:
        - matches: [{path: {type: PathPrefix, value: /}}]
          default: {backendRefs: [{kind: MeshServiceSubset, name: backend, tags: {version: v1}}]}
        - matches: [{headers: [{type: Exact, name: x-group, value: beta}]}]
          default: {backendRefs: [{kind: MeshServiceSubset, name: backend, tags: {version: v2}}]}
        - matches: [{path: {type: PathPrefix, value: /a}}]
          default: {backendRefs: [{kind: MeshServiceSubset, name: backend, tags: {version: v3}}]}
)");
  const auto out = outboundPolicies(r.dataplanes.at(0), "backend", r.policies);
  ASSERT_EQ(out.http_routes.size(), 3u);
  EXPECT_EQ(out.http_routes[0].match->path->value, "/a");
  EXPECT_EQ(out.http_routes[1].match->headers.size(), 1u);
  EXPECT_EQ(out.http_routes[2].match->path->value, "/");
}

TEST(MeshMatching, TcpRouteAppliesWhenNoHttpRouteDoes) {
  auto r = load(std::string(kDataplane) + R"(
---
type: MeshTCPRoute
name: b
spec:
  to:
    - targetRef: {kind: MeshService, name: db}
      rules: [{default: {backendRefs: [{name: db-a, weight: 1}]}}]
---
type: MeshTCPRoute
name: a
spec:
  to:
    - targetRef: {kind: MeshService, name: db}
      rules: [{default: {backendRefs: [{name: db-b, weight: 3}]}}]
)");
  const auto all = matchPolicies(r.dataplanes.at(0), r.policies);
  ASSERT_EQ(all.outbound.size(), 2u);
  EXPECT_FALSE(all.outbound[0].tcp_route);  // backend
  const auto& db = all.outbound[1];
  EXPECT_EQ(db.port, 10002u);
  ASSERT_TRUE(db.tcp_route);
  ASSERT_EQ(db.tcp_route->backend_refs.size(), 1u);
  EXPECT_EQ(db.tcp_route->backend_refs[0].name, "db-b");  // "a" wins the tie
  EXPECT_EQ(db.tcp_route->backend_refs[0].weight, 3u);
}

TEST(MeshMatching, DemoFileGivesEachOutboundItsConfs) {
  auto r = load(R"(
type: Dataplane
name: web-01
networking:
  address: 10.0.0.1
  inbound: [{port: 8080, tags: {kuma.io/service: web}}]
  outbound: [{port: 10001, tags: {kuma.io/service: backend}}]
---
type: MeshCircuitBreaker
name: cb
spec:
  to:
    - targetRef: {kind: MeshService, name: backend}
      default: {outlierDetection: {detectors: {totalFailures: {consecutive: 5}}}}
---
type: MeshLoadBalancingStrategy
name: lb
spec:
  to: [{targetRef: {kind: Mesh}, default: {loadBalancer: {type: RingHash}}}]
---
type: MeshHealthCheck
name: hc
spec:
  to: [{targetRef: {kind: MeshService, name: other}, default: {interval: 1s}}]
)");
  const auto out = matchPolicies(r.dataplanes.at(0), r.policies).outbound.at(0);
  EXPECT_EQ(out.service, "backend");
  EXPECT_EQ(out.circuit_breaker["outlierDetection"]["detectors"]["totalFailures"]["consecutive"],
            5);
  EXPECT_EQ(out.load_balancing["loadBalancer"]["type"], "RingHash");
  EXPECT_TRUE(out.health_check.is_null());
  EXPECT_TRUE(out.http_routes.empty());
}

}  // namespace
}  // namespace causeway::model::mesh
