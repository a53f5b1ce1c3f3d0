// Loading Kuma Universal YAML: a realistic multi-document file, document splitting, one resource
// for the REST path, the type/plural table, and each validation error with its path.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "model/mesh/loader.h"

namespace causeway::model::mesh {
namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kDemo = std::string(CAUSEWAY_TEST_DATA_DIR) + "/mesh/demo.yaml";

// Loads `text`, expecting failure, and returns the errors as "path: message" lines.
std::vector<std::string> errorsOf(std::string_view text) {
  kong::LoadError errors;
  auto r = loadMeshResources(text, &errors);
  EXPECT_FALSE(r) << "loaded although invalid";
  std::vector<std::string> out;
  for (const auto& e : errors.errors) out.push_back(e.path + ": " + e.message);
  return out;
}

// True when some error has exactly `path` and a message containing `fragment`.
bool hasError(const std::vector<std::string>& errors, const std::string& path,
              const std::string& fragment) {
  for (const auto& e : errors) {
    if (e.rfind(path + ": ", 0) == 0 && e.find(fragment, path.size()) != std::string::npos) {
      return true;
    }
  }
  return false;
}

std::string joined(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += e + "\n";
  return out;
}

TEST(MeshLoader, LoadsTheDemoFileInFull) {
  kong::LoadError errors;
  auto loaded = loadMeshResources(readFile(kDemo), &errors);
  ASSERT_TRUE(loaded) << loaded.status().message();
  const MeshResources& r = *loaded;
  ASSERT_EQ(r.meshes.size(), 1u);
  const Mesh& m = r.meshes[0];
  EXPECT_EQ(m.name, "default");
  EXPECT_TRUE(m.mtlsEnabled());
  EXPECT_EQ(m.mtlsMode(), MtlsMode::kStrict);
  ASSERT_EQ(m.backends.size(), 1u);
  EXPECT_EQ(m.backends[0].type, "builtin");
  EXPECT_EQ(m.backends[0].cert_expiration_s, 86400);
  EXPECT_EQ(m.backends[0].conf["caCert"]["RSAbits"], 2048);

  ASSERT_EQ(r.dataplanes.size(), 1u);
  const Dataplane& dp = r.dataplanes[0];
  EXPECT_EQ(dp.name, "web-01");
  EXPECT_EQ(dp.mesh, "default");
  EXPECT_EQ(dp.address, "10.0.0.1");
  ASSERT_EQ(dp.inbound.size(), 1u);
  EXPECT_EQ(dp.inbound[0].port, 8080u);
  EXPECT_EQ(dp.inbound[0].service_port, 18080u);
  EXPECT_EQ(dp.inbound[0].service(), "web");
  EXPECT_EQ(dp.inbound[0].protocol(), "http");
  ASSERT_EQ(dp.outbound.size(), 2u);
  EXPECT_EQ(dp.outbound[0].service, "backend");
  EXPECT_EQ(dp.outbound[0].address, "127.0.0.1");
  EXPECT_EQ(dp.outbound[1].port, 10002u);

  ASSERT_EQ(r.policies.size(), 8u);
  EXPECT_EQ(r.policies[0].type, PolicyType::kMeshTrafficPermission);
  EXPECT_EQ(r.policies[0].target_ref.kind, TargetKind::kMeshService);
  ASSERT_EQ(r.policies[0].from.size(), 1u);
  EXPECT_EQ(r.policies[0].from[0].conf["action"], "Allow");

  const Policy& route = r.policies[1];
  EXPECT_EQ(route.type, PolicyType::kMeshHTTPRoute);
  ASSERT_EQ(route.to.size(), 1u);
  ASSERT_EQ(route.to[0].rules.size(), 2u);
  const RouteRule& canary = route.to[0].rules[0];
  ASSERT_EQ(canary.matches.size(), 1u);
  EXPECT_EQ(canary.matches[0].path->type, HttpPathMatch::Type::kPathPrefix);
  EXPECT_EQ(canary.matches[0].path->value, "/api");
  ASSERT_EQ(canary.matches[0].headers.size(), 1u);
  EXPECT_EQ(canary.matches[0].headers[0].value, "true");
  const RouteConf split = routeConf(route.to[0].rules[1].conf);
  ASSERT_EQ(split.backend_refs.size(), 2u);
  EXPECT_EQ(split.backend_refs[0].weight, 90u);
  EXPECT_EQ(split.backend_refs[1].tags.at("version"), "v2");
  ASSERT_TRUE(split.request_headers);
  EXPECT_EQ(split.request_headers->set[0].first, "x-routed-by");

  // `mesh` defaults to "default"; the `...` end marker and a `--- # comment` both split.
  EXPECT_EQ(r.policies[3].type, PolicyType::kMeshRetry);
  EXPECT_EQ(r.policies[3].mesh, "default");
  EXPECT_EQ(r.policies[2].to[0].conf["http"]["requestTimeout"], "15s");
  EXPECT_EQ(r.policies[7].type, PolicyType::kMeshTCPRoute);
}

TEST(MeshLoader, SplitsDocumentsOnlyAtMarkers) {
  const std::string text =
      "# leading comment\n---\na: 1\nb: \"---\"\n---\n# only a comment\n--- {c: 3}\n---\n"
      "d: |\n  ---not a marker\n...\n";
  auto docs = splitYamlDocuments(text);
  ASSERT_EQ(docs.size(), 3u);
  EXPECT_NE(docs[0].find("a: 1"), std::string_view::npos);
  EXPECT_NE(docs[0].find("b: \"---\""), std::string_view::npos);
  EXPECT_NE(docs[1].find("{c: 3}"), std::string_view::npos);
  EXPECT_NE(docs[2].find("---not a marker"), std::string_view::npos);
  EXPECT_TRUE(splitYamlDocuments("\n# nothing\n---\n").empty());
}

TEST(MeshLoader, LoadsEveryDocumentNotOnlyTheFirst) {
  auto r = loadMeshResources("type: Mesh\nname: a\n---\ntype: Mesh\nname: b\n");
  ASSERT_TRUE(r) << r.status().message();
  ASSERT_EQ(r->meshes.size(), 2u);
  EXPECT_EQ(r->meshes[1].name, "b");
}

TEST(MeshLoader, DelegatedGatewayDataplanes) {
  auto ok = loadMeshResources(
      "type: Dataplane\nname: edge\nnetworking:\n  address: 10.0.0.9\n  gateway:\n"
      "    type: DELEGATED\n    tags: {kuma.io/service: edge}\n");
  ASSERT_TRUE(ok) << ok.status().message();
  ASSERT_TRUE(ok->dataplanes.at(0).isGateway());
  EXPECT_EQ(ok->dataplanes.at(0).gateway_tags->at("kuma.io/service"), "edge");
  EXPECT_TRUE(ok->dataplanes.at(0).inbound.empty());

  auto errors = errorsOf(
      "type: Dataplane\nname: edge\nnetworking:\n  address: 10.0.0.9\n  gateway:\n"
      "    type: BUILTIN\n    tags: {app: edge}\n");
  EXPECT_TRUE(hasError(errors, "[0].networking.gateway.type", "only DELEGATED")) << joined(errors);
  EXPECT_TRUE(hasError(errors, "[0].networking.gateway.tags", "kuma.io/service")) << joined(errors);
  // Without a gateway, inbounds stay required.
  errors = errorsOf("type: Dataplane\nname: x\nnetworking:\n  address: 10.0.0.9\n");
  EXPECT_TRUE(hasError(errors, "[0].networking.inbound", "")) << joined(errors);
}

TEST(MeshLoader, RefusesHeaderModifiersThatCouldSmuggleAndPortClashes) {
  auto errors = errorsOf(R"(type: MeshHTTPRoute
name: r
spec:
  to:
    - targetRef: {kind: MeshService, name: backend}
      rules:
        - default:
            filters:
              - type: RequestHeaderModifier
                requestHeaderModifier:
                  set: [{name: Transfer-Encoding, value: chunked}, {name: x-ok, value: "a\r\nb"}]
                  add: [{name: "bad name", value: v}]
                  remove: [Host]
)");
  const std::string m = "[0].spec.to[0].rules[0].default.filters[0].requestHeaderModifier";
  EXPECT_TRUE(hasError(errors, m + ".set[0].name", "owns")) << joined(errors);
  EXPECT_TRUE(hasError(errors, m + ".set[1].value", "CR, LF")) << joined(errors);
  EXPECT_TRUE(hasError(errors, m + ".add[0].name", "not a valid header name")) << joined(errors);
  EXPECT_TRUE(hasError(errors, m + ".remove", "owns")) << joined(errors);

  errors = errorsOf(
      "type: Dataplane\nname: x\nnetworking:\n  address: 127.0.0.1\n  inbound:\n"
      "    - port: 9000\n      tags: {kuma.io/service: x}\n  outbound:\n    - port: 9000\n"
      "      tags: {kuma.io/service: y}\n");
  EXPECT_TRUE(hasError(errors, "[0].networking.outbound[0].port", "used by an inbound"))
      << joined(errors);
}

TEST(MeshLoader, RefusesUnknownTypesByName) {
  auto errors = errorsOf("type: Mesh\nname: a\n---\ntype: TrafficRoute\nname: r\n");
  EXPECT_TRUE(hasError(errors, "[1].type", "unknown type 'TrafficRoute'")) << joined(errors);
  EXPECT_TRUE(hasError(errors, "[1].type", "MeshHTTPRoute")) << joined(errors);
}

TEST(MeshLoader, NamesEachErrorWithItsPath) {
  const std::string text = R"(type: Mesh
name: default
mtls:
  enabledBackend: ca-2
  backends:
    - name: ca-1
      type: vault
      mode: LOOSE
---
type: Dataplane
name: dp
networking:
  address: 10.0.0.2
  inbound:
    - port: 70000
      tags:
        version: v1
  outbound:
    - port: 1
      tags: {}
---
type: MeshTimeout
name: t
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshSubset, tags: {a: b}}
      default:
        connectionTimeout: soon
        http: {requestTimeout: 5}
---
type: MeshTrafficPermission
name: p
spec:
  targetRef: {kind: Mesh}
  from:
    - targetRef: {kind: MeshService}
      default: {action: Permit}
    - targetRef: {kind: MeshSubset, tags: {version: v1}}
      default: {}
---
type: MeshHTTPRoute
name: r
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: b}
      rules:
        - matches:
            - path: {type: Prefix, value: /a}
              method: FETCH
              headers: [{type: RegularExpression, name: x, value: "("}]
            - path: {type: Exact, value: nope}
          default:
            backendRefs: [{kind: Mesh, name: b, weight: -1}]
            filters: [{type: Teleport}]
---
type: MeshLoadBalancingStrategy
name: lb
spec:
  to:
    - targetRef: {kind: Mesh}
      default: {loadBalancer: {type: Sticky}, extra: kept}
  surprise: true
---
type: MeshRetry
name: r2
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: b}
      default: {http: {numRetries: many, retryOn: [5xx, 3]}}
---
type: MeshRetry
name: r2
spec:
  to: []
)";
  auto e = errorsOf(text);
  const std::string all = joined(e);
  EXPECT_TRUE(hasError(e, "[0].mtls.backends[0].type", "builtin or provided")) << all;
  EXPECT_TRUE(hasError(e, "[0].mtls.backends[0].mode", "STRICT or PERMISSIVE")) << all;
  EXPECT_TRUE(hasError(e, "[0].mtls.enabledBackend", "no backend named 'ca-2'")) << all;
  EXPECT_TRUE(hasError(e, "[1].networking.inbound[0].port", "between 1 and 65535")) << all;
  EXPECT_TRUE(hasError(e, "[1].networking.inbound[0].tags", "kuma.io/service")) << all;
  EXPECT_TRUE(hasError(e, "[1].networking.outbound[0].tags", "must not be empty")) << all;
  EXPECT_TRUE(hasError(e, "[2].spec.to[0].targetRef.kind", "'MeshSubset' is not allowed")) << all;
  EXPECT_TRUE(hasError(e, "[2].spec.to[0].default.connectionTimeout", "duration")) << all;
  EXPECT_TRUE(hasError(e, "[2].spec.to[0].default.http.requestTimeout", "duration")) << all;
  EXPECT_TRUE(hasError(e, "[3].spec.from[0].targetRef.name", "required field missing")) << all;
  EXPECT_TRUE(hasError(e, "[3].spec.from[0].default.action", "Allow, Deny")) << all;
  EXPECT_TRUE(hasError(e, "[3].spec.from[1].targetRef.tags", "kuma.io/service")) << all;
  EXPECT_TRUE(hasError(e, "[3].spec.from[1].default.action", "required field missing")) << all;
  const std::string m = "[4].spec.to[0].rules[0].matches";
  EXPECT_TRUE(hasError(e, m + "[0].path.type", "Exact, PathPrefix")) << all;
  EXPECT_TRUE(hasError(e, m + "[0].method", "HTTP method")) << all;
  EXPECT_TRUE(hasError(e, m + "[0].headers[0].value", "invalid regex")) << all;
  EXPECT_TRUE(hasError(e, m + "[1].path.value", "must start with '/'")) << all;
  const std::string d = "[4].spec.to[0].rules[0].default";
  EXPECT_TRUE(hasError(e, d + ".backendRefs[0].kind", "'Mesh' is not allowed")) << all;
  EXPECT_TRUE(hasError(e, d + ".backendRefs[0].weight", "between")) << all;
  EXPECT_TRUE(hasError(e, d + ".filters[0].type", "RequestHeaderModifier")) << all;
  EXPECT_TRUE(hasError(e, "[5].spec.to[0].default.loadBalancer.type", "RoundRobin")) << all;
  EXPECT_TRUE(hasError(e, "[5].spec.surprise", "unknown field")) << all;
  EXPECT_TRUE(hasError(e, "[6].spec.to[0].default.http.numRetries", "non-negative")) << all;
  EXPECT_TRUE(hasError(e, "[6].spec.to[0].default.http.retryOn", "array of strings")) << all;
  EXPECT_TRUE(hasError(e, "[7].spec.to", "must not be empty")) << all;
  // Unchecked fields of a `default` are kept, not refused.
  EXPECT_FALSE(hasError(e, "[5].spec.to[0].default.extra", "")) << all;
}

TEST(MeshLoader, RefusesDuplicateResources) {
  auto e = errorsOf(
      "type: MeshTimeout\nname: t\nspec:\n  to: [{targetRef: {kind: Mesh}, default: {}}]\n---\n"
      "type: MeshTimeout\nname: t\nmesh: default\n"
      "spec:\n  to: [{targetRef: {kind: Mesh}, default: {}}]\n");
  EXPECT_TRUE(hasError(e, "[1].name", "duplicate MeshTimeout 't' in mesh 'default'")) << joined(e);
}

TEST(MeshLoader, ReportsYamlSyntaxAtTheDocument) {
  auto e = errorsOf("type: Mesh\nname: a\n---\ntype: [oops\n");
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].rfind("[1]: ", 0), 0u) << e[0];
  EXPECT_NE(e[0].find("(line 5,"), std::string::npos) << e[0];  // the stream's line (EOF), not 3
}

TEST(MeshLoader, RefusesAPortUsedTwiceInOneDataplane) {
  auto e = errorsOf(R"(type: Dataplane
name: dp
networking:
  address: 10.0.0.1
  inbound:
    - {port: 8080, tags: {kuma.io/service: a}}
    - {port: 8080, tags: {kuma.io/service: b}}
  outbound:
    - {port: 9000, tags: {kuma.io/service: c}}
    - {port: 9000, tags: {kuma.io/service: d}}
)");
  EXPECT_TRUE(hasError(e, "[0].networking.inbound[1].port", "another inbound")) << joined(e);
  EXPECT_TRUE(hasError(e, "[0].networking.outbound[1].port", "another outbound")) << joined(e);
}

TEST(MeshLoader, LoadsOneResourceForTheRestPath) {
  nlohmann::json body = nlohmann::json::parse(R"({
    "name": "retry", "mesh": "prod",
    "spec": {"to": [{"targetRef": {"kind": "Mesh"}, "default": {"tcp": {"maxConnectAttempt": 5}}}]}
  })");
  auto r = loadMeshResource("MeshRetry", body);
  ASSERT_TRUE(r) << r.status().message();
  const auto& p = std::get<Policy>(*r);
  EXPECT_EQ(p.mesh, "prod");
  EXPECT_EQ(p.to[0].conf["tcp"]["maxConnectAttempt"], 5);

  kong::LoadError errors;
  body["spec"]["to"][0]["default"]["tcp"]["maxConnectAttempt"] = "five";
  ASSERT_FALSE(loadMeshResource("MeshRetry", body, &errors));
  ASSERT_EQ(errors.errors.size(), 1u);
  EXPECT_EQ(errors.errors[0].path, "spec.to[0].default.tcp.maxConnectAttempt");

  body["type"] = "MeshTimeout";
  EXPECT_FALSE(loadMeshResource("MeshRetry", body));
  EXPECT_FALSE(loadMeshResource("Frobnicator", nlohmann::json::object()));
}

TEST(MeshLoader, MapsTypesToRestPlurals) {
  EXPECT_EQ(pluralOfType("MeshHTTPRoute"), "meshhttproutes");
  EXPECT_EQ(pluralOfType("MeshRetry"), "meshretries");
  EXPECT_EQ(pluralOfType("Mesh"), "meshes");
  EXPECT_EQ(pluralOfType("MeshLoadBalancingStrategy"), "meshloadbalancingstrategies");
  EXPECT_EQ(typeOfPlural("meshtrafficpermissions"), "MeshTrafficPermission");
  EXPECT_EQ(typeOfPlural("dataplanes"), "Dataplane");
  EXPECT_FALSE(typeOfPlural("trafficroutes"));
  EXPECT_FALSE(pluralOfType("TrafficRoute"));
}

TEST(MeshLoader, ParsesDurations) {
  EXPECT_DOUBLE_EQ(*parseDurationSeconds("500ms"), 0.5);
  EXPECT_DOUBLE_EQ(*parseDurationSeconds("1m30s"), 90);
  EXPECT_DOUBLE_EQ(*parseDurationSeconds("1.5h"), 5400);
  EXPECT_DOUBLE_EQ(*parseDurationSeconds("1d"), 86400);
  EXPECT_DOUBLE_EQ(*parseDurationSeconds("0"), 0);
  EXPECT_FALSE(parseDurationSeconds("10"));
  EXPECT_FALSE(parseDurationSeconds("s"));
  EXPECT_FALSE(parseDurationSeconds("5 s"));
  EXPECT_FALSE(parseDurationSeconds("."));
}

}  // namespace
}  // namespace causeway::model::mesh
