// Refusals of the declarative-config loader: every error class, at its exact field path, all
// collected at once, and hostile input that must neither crash nor hang.
#include "model/kong/loader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace causeway::model::kong {
namespace {

std::string readTestFile(const std::string& name) {
  std::ifstream in(std::string(CAUSEWAY_TEST_DATA_DIR) + "/kong/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

LoadResult load3(const std::string& body) {
  return loadDeclarative("_format_version: \"3.0\"\n" + body);
}

// The message of the first error at exactly `path` (or a readable "<none>" with every error).
std::string errorAt(const LoadResult& r, const std::string& path) {
  for (const auto& e : r.error().errors) {
    if (e.path == path) return e.message;
  }
  return "<none> in: " + r.error().message();
}

TEST(LoaderErrorsTest, FormatVersion) {
  EXPECT_EQ(errorAt(loadDeclarative("services: []\n"), "_format_version"),
            "required field missing");
  EXPECT_EQ(errorAt(loadDeclarative("_format_version: \"4.0\"\n"), "_format_version"),
            "expected one of: 1.1, 2.1, 3.0");
  EXPECT_NE(errorAt(loadDeclarative("_format_version: 3.0\n"), "_format_version")
                .find("expected a string"),
            std::string::npos);
}

TEST(LoaderErrorsTest, UnknownAndUnsupportedTopLevelKeys) {
  auto r = load3("servicez: []\nca_certificates:\n- cert: x\nvaults: []\n");
  EXPECT_EQ(errorAt(r, "servicez"), "unknown field");
  EXPECT_EQ(errorAt(r, "ca_certificates"),
            "entity type 'ca_certificates' is not supported yet by causeway");
  EXPECT_EQ(r.error().errors.size(), 2u) << r.error().message();  // empty vaults is fine
}

TEST(LoaderErrorsTest, UnknownFieldsOnEntities) {
  auto r = load3("services:\n- host: a.internal\n  hots: x\n  routes:\n  - paths: [/]\n"
                 "    stripPath: true\n");
  EXPECT_EQ(errorAt(r, "services[0].hots"), "unknown field");
  EXPECT_EQ(errorAt(r, "services[0].routes[0].stripPath"), "unknown field");
}

TEST(LoaderErrorsTest, WrongTypes) {
  auto r = load3(R"yml(
services:
- host: 42
  port: "80"
  retries: 1.5
  tls_verify: "yes"
  tags: [ok, 7]
  routes: {}
routes:
- paths: /a
  headers: [x]
  strip_path: 1
)yml");
  EXPECT_EQ(errorAt(r, "services[0].host"), "expected a string");
  EXPECT_EQ(errorAt(r, "services[0].port"), "expected an integer");
  EXPECT_EQ(errorAt(r, "services[0].retries"), "expected an integer");
  EXPECT_EQ(errorAt(r, "services[0].tls_verify"), "expected a boolean");
  EXPECT_EQ(errorAt(r, "services[0].tags[1]"), "expected a string");
  EXPECT_EQ(errorAt(r, "services[0].routes"), "expected an array");
  EXPECT_EQ(errorAt(r, "routes[0].paths"), "expected an array");
  EXPECT_EQ(errorAt(r, "routes[0].headers"), "expected a map");
  EXPECT_EQ(errorAt(r, "routes[0].strip_path"), "expected a boolean");
  EXPECT_EQ(errorAt(load3("services: [3]\n"), "services[0]"), "expected a record");
}

TEST(LoaderErrorsTest, ServiceFieldRanges) {
  auto r = load3(R"yml(
services:
- host: a.internal
  port: 65536
  retries: 40000
  connect_timeout: 0
  read_timeout: 2147483648
  tls_verify_depth: 65
  name: "has space"
  path: relative
  id: not-a-uuid
)yml");
  EXPECT_EQ(errorAt(r, "services[0].port"), "value should be between 0 and 65535");
  EXPECT_EQ(errorAt(r, "services[0].retries"), "value should be between 0 and 32767");
  EXPECT_EQ(errorAt(r, "services[0].connect_timeout"),
            "value should be between 1 and 2147483647");
  EXPECT_EQ(errorAt(r, "services[0].read_timeout"), "value should be between 1 and 2147483647");
  EXPECT_EQ(errorAt(r, "services[0].tls_verify_depth"), "value should be between 0 and 64");
  EXPECT_NE(errorAt(r, "services[0].name").find("invalid value 'has space'"), std::string::npos);
  EXPECT_EQ(errorAt(r, "services[0].path"), "should start with: /");
  EXPECT_EQ(errorAt(r, "services[0].id"), "expected a valid UUID");
}

TEST(LoaderErrorsTest, ServiceHostRequiredAndInvalid) {
  EXPECT_EQ(errorAt(load3("services:\n- name: a\n"), "services[0].host"),
            "required field missing");
  EXPECT_EQ(errorAt(load3("services:\n- host: \"bad host\"\n"), "services[0].host"),
            "invalid hostname: bad host");
}

TEST(LoaderErrorsTest, UnsupportedProtocolsAreRefusedHonestly) {
  auto r = load3("services:\n- host: a.internal\n  protocol: grpc\n- url: ws://b.internal\n"
                 "- host: c.internal\n  protocol: gopher\n"
                 "routes:\n- paths: [/]\n  protocols: [http, tcp]\n");
  EXPECT_EQ(errorAt(r, "services[0].protocol"), "protocol 'grpc' is not supported yet by causeway");
  EXPECT_EQ(errorAt(r, "services[1].url"), "protocol 'ws' is not supported yet by causeway");
  EXPECT_EQ(errorAt(r, "services[2].protocol"),
            "expected one of: grpc, grpcs, http, https, tcp, tls, tls_passthrough, udp, ws, wss");
  EXPECT_EQ(errorAt(r, "routes[0].protocols[1]"), "protocol 'tcp' is not supported yet by causeway");
}

TEST(LoaderErrorsTest, UrlIsExclusiveAndValidated) {
  auto r = load3("services:\n- url: http://a.internal\n  host: b.internal\n  port: 81\n"
                 "- url: a.internal\n- url: \"http://a.internal/x?y=1\"\n"
                 "- url: \"http://a.internal:99999\"\n- url: \"http://user@a.internal\"\n");
  EXPECT_NE(errorAt(r, "services[0].url").find("cannot be combined with 'host', 'port'"),
            std::string::npos);
  EXPECT_NE(errorAt(r, "services[1].url").find("invalid url"), std::string::npos);
  EXPECT_NE(errorAt(r, "services[2].url").find("query and fragment"), std::string::npos);
  EXPECT_NE(errorAt(r, "services[3].url").find("bad host or port"), std::string::npos);
  EXPECT_NE(errorAt(r, "services[4].url").find("invalid url"), std::string::npos);
}

TEST(LoaderErrorsTest, RouteNeedsAMatcher) {
  auto r = load3("routes:\n- name: a\n- name: b\n  protocols: [http]\n  paths: []\n");
  EXPECT_EQ(errorAt(r, "routes[0]"),
            "must set one of 'methods', 'hosts', 'headers', 'paths', 'snis' when 'protocols' is "
            "'https'");
  EXPECT_EQ(errorAt(r, "routes[1]"),
            "must set one of 'methods', 'hosts', 'headers', 'paths' when 'protocols' is 'http'");
}

TEST(LoaderErrorsTest, RoutePaths) {
  auto r = load3(R"yml(
services:
- host: a.internal
  routes:
  - paths: [/ok, users, "~/(unclosed", "/a/../b", "/%zz", "/a b", "~users", "~/(?=look)"]
)yml");
  const std::string base = "services[0].routes[0].paths";
  EXPECT_EQ(errorAt(r, base + "[1]"), "should start with: / (fixed path) or ~/ (regex path)");
  EXPECT_NE(errorAt(r, base + "[2]").find("invalid regex: '/(unclosed'"), std::string::npos);
  EXPECT_EQ(errorAt(r, base + "[3]"), "non-normalized path, consider use '/b' instead");
  EXPECT_EQ(errorAt(r, base + "[4]"), "invalid url-encoded value: '%zz'");
  EXPECT_NE(errorAt(r, base + "[5]").find("characters outside of the reserved list"),
            std::string::npos);
  EXPECT_EQ(errorAt(r, base + "[6]"), "should start with: / (fixed path) or ~/ (regex path)");
  EXPECT_NE(errorAt(r, base + "[7]").find("invalid regex"), std::string::npos);
  EXPECT_EQ(errorAt(r, base + "[0]").substr(0, 6), "<none>");
}

TEST(LoaderErrorsTest, RouteHosts) {
  auto r = load3("routes:\n- hosts: [\"*.*.example.com\", \"a.*.com\", \"bad_host!\", "
                 "\"example.com:99999\", \"a.example.com\"]\n");
  EXPECT_EQ(errorAt(r, "routes[0].hosts[0]"), "invalid wildcard: must have at most one wildcard");
  EXPECT_EQ(errorAt(r, "routes[0].hosts[1]"),
            "invalid wildcard: must be placed at leftmost or rightmost label");
  EXPECT_EQ(errorAt(r, "routes[0].hosts[2]"), "invalid hostname: bad_host!");
  EXPECT_EQ(errorAt(r, "routes[0].hosts[3]"), "invalid port number: example.com:99999");
  EXPECT_EQ(r.error().errors.size(), 4u) << r.error().message();
}

TEST(LoaderErrorsTest, RouteHeaders) {
  auto r = load3(R"yml(
routes:
- headers:
    Host: [a.example.com]
    x-a: ["~*(bad"]
    x-b: []
    x-c: "not a list"
    "bad header": [v]
)yml");
  EXPECT_EQ(errorAt(r, "routes[0].headers.Host"),
            "cannot contain 'host' header, which must be specified in the 'hosts' attribute");
  EXPECT_NE(errorAt(r, "routes[0].headers.x-a[0]").find("invalid regex"), std::string::npos);
  EXPECT_EQ(errorAt(r, "routes[0].headers.x-b"), "length must be at least 1");
  EXPECT_EQ(errorAt(r, "routes[0].headers.x-c"), "expected an array");
  EXPECT_EQ(errorAt(r, "routes[0].headers.bad header"), "invalid header name: 'bad header'");
}

TEST(LoaderErrorsTest, RouteMethodsSnisAndEnums) {
  auto r = load3(R"yml(
routes:
- methods: [get, POST]
  snis: [example.com]
  protocols: [http]
  path_handling: v2
  https_redirect_status_code: 303
- paths: [/]
  snis: [10.0.0.1, "a.example.com:443"]
)yml");
  EXPECT_EQ(errorAt(r, "routes[0].methods[0]"), "invalid value: get");
  EXPECT_EQ(errorAt(r, "routes[0].snis"),
            "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or "
            "'tls_passthrough'");
  EXPECT_EQ(errorAt(r, "routes[0].path_handling"), "expected one of: v0, v1");
  EXPECT_EQ(errorAt(r, "routes[0].https_redirect_status_code"),
            "expected one of: 426, 301, 302, 307, 308");
  EXPECT_EQ(errorAt(r, "routes[1].snis[0]"), "must not be an IP");
  EXPECT_EQ(errorAt(r, "routes[1].snis[1]"), "must not have a port");
}

TEST(LoaderErrorsTest, RouteStreamAndExpressionFieldsRefused) {
  auto r = load3("routes:\n- paths: [/]\n  sources: [{ip: 10.0.0.1}]\n  expression: 'x'\n");
  EXPECT_NE(errorAt(r, "routes[0].sources").find("not supported yet"), std::string::npos);
  EXPECT_NE(errorAt(r, "routes[0].expression").find("not supported yet"), std::string::npos);
}

TEST(LoaderErrorsTest, NestedEntitiesCannotNameTheirParent) {
  auto r = load3("services:\n- name: s\n  host: s.internal\n  routes:\n  - paths: [/]\n"
                 "    service: s\n");
  EXPECT_EQ(errorAt(r, "services[0].routes[0].service"), "unknown field");
}

TEST(LoaderErrorsTest, DanglingReferences) {
  auto r = load3(R"yml(
routes:
- {paths: [/], service: nope}
- {paths: [/], service: {id: 11111111-2222-4333-8444-555555555555}}
targets:
- {target: a.internal, upstream: nope}
- {target: a.internal}
snis:
- {name: a.example.com, certificate: 11111111-2222-4333-8444-555555555555}
plugins:
- {name: cors, service: nope, route: nope, consumer: nope}
)yml");
  EXPECT_EQ(errorAt(r, "routes[0].service"),
            "invalid reference 'service: nope' (no such entry in 'services')");
  EXPECT_EQ(errorAt(r, "routes[1].service"),
            "invalid reference 'service: 11111111-2222-4333-8444-555555555555' (no such entry in "
            "'services')");
  EXPECT_EQ(errorAt(r, "targets[0].upstream"),
            "invalid reference 'upstream: nope' (no such entry in 'upstreams')");
  EXPECT_EQ(errorAt(r, "targets[1].upstream"), "required field missing");
  EXPECT_NE(errorAt(r, "snis[0].certificate").find("no such entry in 'certificates'"),
            std::string::npos);
  EXPECT_NE(errorAt(r, "plugins[0].service").find("invalid reference"), std::string::npos);
  EXPECT_NE(errorAt(r, "plugins[0].route").find("invalid reference"), std::string::npos);
  EXPECT_NE(errorAt(r, "plugins[0].consumer").find("invalid reference"), std::string::npos);
}

TEST(LoaderErrorsTest, UniquenessViolations) {
  auto r = load3(R"yml(
services:
- {name: s, host: a.internal, id: 11111111-2222-4333-8444-555555555555}
- {name: s, host: b.internal, id: 11111111-2222-4333-8444-555555555555}
routes:
- {name: r, paths: [/a]}
- {name: r, paths: [/b]}
upstreams:
- name: up
  targets: [{target: "a.internal:80"}, {target: "A.internal:80"}]
- name: up
consumers:
- {username: u}
- {username: u}
- {custom_id: c}
- {custom_id: c}
)yml");
  EXPECT_EQ(errorAt(r, "services[1].name"),
            "uniqueness violation: 'services' entity with name set to 's' already declared");
  EXPECT_EQ(errorAt(r, "services[1].id"),
            "uniqueness violation: 'services' entity with primary key set to "
            "'11111111-2222-4333-8444-555555555555' already declared");
  EXPECT_NE(errorAt(r, "routes[1].name").find("uniqueness violation"), std::string::npos);
  EXPECT_NE(errorAt(r, "upstreams[1].name").find("uniqueness violation"), std::string::npos);
  EXPECT_NE(errorAt(r, "upstreams[0].targets[1].target").find("uniqueness violation"),
            std::string::npos);
  EXPECT_NE(errorAt(r, "consumers[1].username").find("uniqueness violation"), std::string::npos);
  EXPECT_NE(errorAt(r, "consumers[3].custom_id").find("uniqueness violation"), std::string::npos);
}

TEST(LoaderErrorsTest, UpstreamRules) {
  auto r = load3(R"yml(
upstreams:
- name: "not a host"
  slots: 5
  algorithm: latency
- name: a.internal
  hash_on: header
- name: b.internal
  hash_on: cookie
  hash_on_cookie: c
  hash_fallback: ip
- name: c.internal
  hash_fallback: header
  hash_fallback_header: x
- name: d.internal
  hash_on: ip
  hash_fallback: ip
- name: e.internal
  hash_on: query_arg
  hash_fallback: uri_capture
- name: f.internal
  algorithm: fastest
  hash_on: body
)yml");
  EXPECT_EQ(errorAt(r, "upstreams[0].name"), "Invalid name ('not a host'); must be a valid hostname");
  EXPECT_EQ(errorAt(r, "upstreams[0].slots"), "value should be between 10 and 65536");
  EXPECT_EQ(errorAt(r, "upstreams[0].algorithm"),
            "algorithm 'latency' is not supported yet by causeway");
  EXPECT_EQ(errorAt(r, "upstreams[1].hash_on_header"), "required field missing");
  EXPECT_EQ(errorAt(r, "upstreams[2].hash_fallback"), "expected one of: none");
  EXPECT_EQ(errorAt(r, "upstreams[3].hash_fallback"), "expected one of: none");
  EXPECT_EQ(errorAt(r, "upstreams[4]"),
            "values of these fields must be distinct: 'hash_on', 'hash_fallback'");
  EXPECT_EQ(errorAt(r, "upstreams[5].hash_on_query_arg"), "required field missing");
  EXPECT_EQ(errorAt(r, "upstreams[5].hash_fallback_uri_capture"), "required field missing");
  EXPECT_NE(errorAt(r, "upstreams[6].algorithm").find("expected one of"), std::string::npos);
  EXPECT_NE(errorAt(r, "upstreams[6].hash_on").find("expected one of"), std::string::npos);
}

TEST(LoaderErrorsTest, HealthchecksShapeAndEnabledProbesRefused) {
  auto r = load3(R"yml(
upstreams:
- name: a.internal
  healthchecks:
    active:
      healthy: {interval: 5, successes: 2}
- name: b.internal
  healthchecks:
    passive:
      unhealthy: {http_failures: 3}
- name: c.internal
  healthchecks:
    active:
      type: smtp
      healthy: {interval: -1, succeses: 1}
)yml");
  EXPECT_EQ(errorAt(r, "upstreams[0].healthchecks.active"),
            "active health checking is not supported yet by causeway");
  EXPECT_EQ(errorAt(r, "upstreams[1].healthchecks.passive"),
            "passive health checking is not supported yet by causeway");
  EXPECT_NE(errorAt(r, "upstreams[2].healthchecks.active.type").find("expected one of"),
            std::string::npos);
  EXPECT_EQ(errorAt(r, "upstreams[2].healthchecks.active.healthy.interval"),
            "value should be between 0 and 65535");
  EXPECT_EQ(errorAt(r, "upstreams[2].healthchecks.active.healthy.succeses"), "unknown field");
}

TEST(LoaderErrorsTest, Targets) {
  auto r = load3(R"yml(
upstreams:
- name: up
  targets:
  - target: "bad host:80"
  - target: a.internal:70000
  - target: "[::1"
  - target: a.internal
    weight: 65536
  - weight: 1
)yml");
  EXPECT_EQ(errorAt(r, "upstreams[0].targets[0].target"),
            "Invalid target ('bad host:80'); not a valid hostname or ip address");
  EXPECT_NE(errorAt(r, "upstreams[0].targets[1].target").find("Invalid target"), std::string::npos);
  EXPECT_NE(errorAt(r, "upstreams[0].targets[2].target").find("Invalid target"), std::string::npos);
  EXPECT_EQ(errorAt(r, "upstreams[0].targets[3].weight"), "value should be between 0 and 65535");
  EXPECT_EQ(errorAt(r, "upstreams[0].targets[4].target"), "required field missing");
}

std::string indentBlock(const std::string& pem) {
  std::string out;
  std::istringstream in(pem);
  for (std::string line; std::getline(in, line);) out += "    " + line + "\n";
  return out;
}

std::string certificateYaml(const std::string& cert, const std::string& key,
                            const std::string& extra = "") {
  return "certificates:\n- cert: |\n" + indentBlock(cert) + "  key: |\n" + indentBlock(key) +
         extra;
}

TEST(LoaderErrorsTest, CertificateKeyMismatch) {
  auto r = load3(certificateYaml(readTestFile("example.crt"), readTestFile("other.key")));
  EXPECT_EQ(errorAt(r, "certificates[0]"), "certificate does not match key");
  auto ok = load3(certificateYaml(readTestFile("other.crt"), readTestFile("other.key")));
  EXPECT_TRUE(ok.isOk()) << ok.error().message();
}

TEST(LoaderErrorsTest, CertificateInvalidPem) {
  auto r = load3(certificateYaml("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
                                 "not a key"));
  EXPECT_NE(errorAt(r, "certificates[0].cert").find("invalid certificate"), std::string::npos);
  EXPECT_NE(errorAt(r, "certificates[0].key").find("invalid key"), std::string::npos);
  auto missing = load3("certificates:\n- snis: [a.example.com]\n");
  EXPECT_EQ(errorAt(missing, "certificates[0].cert"), "required field missing");
  EXPECT_EQ(errorAt(missing, "certificates[0].key"), "required field missing");
}

TEST(LoaderErrorsTest, SnisUniqueAcrossTheConfig) {
  const std::string cert = readTestFile("example.crt");
  const std::string key = readTestFile("example.key");
  auto r = load3(certificateYaml(cert, key,
                                 "  id: 11111111-2222-4333-8444-555555555555\n"
                                 "  snis: [a.example.com, \"*.example.com\", \"bad..name\"]\n") +
                 "snis:\n- name: A.example.com\n  certificate: 11111111-2222-4333-8444-555555555555\n");
  EXPECT_EQ(errorAt(r, "snis[0].name"),
            "uniqueness violation: 'snis' entity with name set to 'A.example.com' already "
            "declared");
  EXPECT_EQ(errorAt(r, "certificates[0].snis[2]"), "invalid hostname: bad..name");
  EXPECT_EQ(r.error().errors.size(), 2u) << r.error().message();
}

TEST(LoaderErrorsTest, ConsumersNeedAnIdentity) {
  auto r = load3("consumers:\n- tags: [a]\n- username: \"\"\n");
  EXPECT_EQ(errorAt(r, "consumers[0]"),
            "at least one of these fields must be non-empty: 'custom_id', 'username'");
  EXPECT_EQ(errorAt(r, "consumers[1]"),
            "at least one of these fields must be non-empty: 'custom_id', 'username'");
}

TEST(LoaderErrorsTest, PluginsAreRefusedUntilRegistered) {
  auto r = load3(R"yml(
plugins:
- name: rate-limiting
  config: {minute: 5}
services:
- host: a.internal
  plugins:
  - name: key-auth
  routes:
  - paths: [/]
    plugins:
    - name: cors
consumers:
- username: u
  plugins:
  - name: acl
  - config: {}
)yml");
  EXPECT_EQ(errorAt(r, "plugins[0].name"),
            "plugin 'rate-limiting' not enabled; add it to the 'plugins' configuration property");
  EXPECT_EQ(errorAt(r, "services[0].plugins[0].name"),
            "plugin 'key-auth' not enabled; add it to the 'plugins' configuration property");
  EXPECT_EQ(errorAt(r, "services[0].routes[0].plugins[0].name"),
            "plugin 'cors' not enabled; add it to the 'plugins' configuration property");
  EXPECT_EQ(errorAt(r, "consumers[0].plugins[0].name"),
            "plugin 'acl' not enabled; add it to the 'plugins' configuration property");
  EXPECT_EQ(errorAt(r, "consumers[0].plugins[1].name"), "required field missing");
}

TEST(LoaderErrorsTest, ManyErrorsCollectedAtOnce) {
  auto r = loadDeclarative(readTestFile("many_errors.yml"));
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(errorAt(r, "services[0].name").substr(0, 6), "<none>");
  EXPECT_EQ(errorAt(r, "services[0].port"), "value should be between 0 and 65535");
  EXPECT_NE(errorAt(r, "services[0].routes[0].paths[0]").substr(0, 6), "<none>");
  EXPECT_NE(errorAt(r, "services[1].protocol").substr(0, 6), "<none>");
  EXPECT_NE(errorAt(r, "routes[0].service").substr(0, 6), "<none>");
  EXPECT_NE(errorAt(r, "upstreams[0].slots").substr(0, 6), "<none>");
  EXPECT_NE(errorAt(r, "targets[0].upstream").substr(0, 6), "<none>");
  EXPECT_NE(errorAt(r, "consumers[0]").substr(0, 6), "<none>");
  EXPECT_NE(errorAt(r, "plugins[0].name").substr(0, 6), "<none>");
  EXPECT_EQ(r.error().errors.size(), 9u) << r.error().message();
  // One line naming every field.
  const std::string line = r.error().message();
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_NE(line.find("services[0].port: value should be between 0 and 65535"), std::string::npos);
  EXPECT_NE(line.find("; plugins[0].name: plugin 'rate-limiting' not enabled"), std::string::npos);
  // A failed load hands back no half-built config.
  EXPECT_TRUE(r.config().services.empty());
}

TEST(LoaderErrorsTest, UnreadableFile) {
  auto r = loadDeclarativeFile("/nonexistent/kong.yml");
  ASSERT_EQ(r.error().errors.size(), 1u);
  EXPECT_EQ(r.error().errors[0].path, "");
  auto dir = loadDeclarativeFile(CAUSEWAY_TEST_DATA_DIR);
  ASSERT_EQ(dir.error().errors.size(), 1u);
  EXPECT_EQ(dir.error().errors[0].path, "");
}

TEST(LoaderErrorsTest, NotAMapping) {
  for (const char* text : {"", "- a\n- b\n", "just a string", "42", "null"}) {
    auto r = loadDeclarative(text);
    ASSERT_FALSE(r.isOk()) << text;
    EXPECT_EQ(r.error().errors[0].path, "") << text;
  }
}

TEST(LoaderErrorsTest, SyntaxErrorIsReportedWithLine) {
  auto r = loadDeclarative("_format_version: \"3.0\"\nservices:\n  - host: [a\n");
  ASSERT_EQ(r.error().errors.size(), 1u);
  EXPECT_NE(r.error().errors[0].message.find("line"), std::string::npos);
}

TEST(LoaderErrorsTest, HostileDeepNesting) {
  for (const std::string& open : {std::string("["), std::string("{a: "), std::string("- ")}) {
    std::string text = "_format_version: \"3.0\"\nservices:\n";
    for (int i = 0; i < 100000; ++i) text += open;
    auto r = loadDeclarative(text);
    ASSERT_FALSE(r.isOk());
    EXPECT_NE(r.error().message().find("nests deeper"), std::string::npos)
        << open << ": " << r.error().message();
  }
  // Deep block indentation too.
  std::string text = "_format_version: \"3.0\"\n";
  std::string indent;
  for (int i = 0; i < 200; ++i) {
    text += indent + "k" + std::to_string(i) + ":\n";
    indent += " ";
  }
  EXPECT_FALSE(loadDeclarative(text).isOk());
  // JSON too.
  EXPECT_FALSE(loadDeclarative("{\"a\":" + std::string(5000, '[')).isOk());
}

TEST(LoaderErrorsTest, HostileAliasExpansion) {
  std::string text = "_format_version: \"3.0\"\na0: &a0 [x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 12; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int k = 0; k < 8; ++k) text += std::string(k ? ", " : "") + "*a" + std::to_string(i - 1);
    text += "]\n";
  }
  auto r = loadDeclarative(text);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.error().message().find("too many values"), std::string::npos)
      << r.error().message();
}

TEST(LoaderErrorsTest, HostileNumbersAndBytes) {
  auto r = load3("services:\n- host: a.internal\n  port: 99999999999999999999999999\n"
                 "  retries: -99999999999999999999\n  connect_timeout: .inf\n"
                 "  read_timeout: .nan\n  write_timeout: 1e400\n");
  EXPECT_EQ(errorAt(r, "services[0].port"), "value should be between 0 and 65535");
  EXPECT_EQ(errorAt(r, "services[0].retries"), "value should be between 0 and 32767");
  EXPECT_EQ(errorAt(r, "services[0].connect_timeout"), "expected an integer");
  EXPECT_EQ(errorAt(r, "services[0].read_timeout"), "expected an integer");
  EXPECT_EQ(errorAt(r, "services[0].write_timeout"), "expected an integer");

  std::string garbage;
  for (int i = 0; i < 4096; ++i) garbage += char((i * 7919 + 13) % 256);
  auto g = loadDeclarative(garbage);
  EXPECT_FALSE(g.isOk());
  (void)g.error().kongJson();
  auto nul = loadDeclarative(std::string("_format_version: \"3.0\"\0services: []\n", 36));
  (void)nul.error().kongJson();
}

}  // namespace
}  // namespace causeway::model::kong
