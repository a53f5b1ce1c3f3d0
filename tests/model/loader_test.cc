// Loading valid Kong 3.x declarative configs: defaults, shorthands, nesting, references, ids and
// the content hash.
#include "model/kong/loader.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "model/kong/plugin_registry.h"

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

const Route* routeNamed(const Config& c, const std::string& name) {
  for (const auto& r : c.routes) {
    if (r.name == name) return &r;
  }
  return nullptr;
}

TEST(LoaderTest, RealisticConfigLoads) {
  auto r = loadDeclarativeFile(std::string(CAUSEWAY_TEST_DATA_DIR) + "/kong/full.yml");
  ASSERT_TRUE(r.isOk()) << r.error().message();
  const Config& c = r.config();
  EXPECT_EQ(c.format_version, "3.0");
  ASSERT_EQ(c.services.size(), 3u);
  ASSERT_EQ(c.routes.size(), 5u);
  ASSERT_EQ(c.upstreams.size(), 1u);
  ASSERT_EQ(c.certificates.size(), 1u);
  ASSERT_EQ(c.consumers.size(), 2u);
  EXPECT_TRUE(c.plugins.empty());
  EXPECT_EQ(c.hash.size(), 32u);

  const Service& users = c.services[0];
  EXPECT_EQ(users.protocol, "https");
  EXPECT_EQ(users.host, "users.internal");
  EXPECT_EQ(users.port, 8443);
  EXPECT_EQ(users.path, "/api");
  EXPECT_EQ(users.retries, 3);
  EXPECT_EQ(users.connect_timeout_ms, 5000);
  EXPECT_EQ(users.tls_verify, true);
  EXPECT_EQ(users.tls_verify_depth, 2);
  EXPECT_EQ(users.tags, (std::vector<std::string>{"team-a", "prod"}));

  const Route* list = routeNamed(c, "users-list");
  ASSERT_NE(list, nullptr);
  EXPECT_EQ(list->service_id, users.id);
  EXPECT_EQ(list->methods, (std::vector<std::string>{"GET", "HEAD"}));
  EXPECT_EQ(list->paths[1], "~/users/(?<id>\\d+)$");
  EXPECT_FALSE(list->strip_path);
  EXPECT_EQ(list->regex_priority, 10);
  EXPECT_EQ(list->path_handling, PathHandling::kV1);

  const Route* admin = routeNamed(c, "users-admin");
  ASSERT_NE(admin, nullptr);
  EXPECT_EQ(admin->protocols, (std::vector<std::string>{"https"}));
  ASSERT_EQ(admin->headers.size(), 1u);
  EXPECT_EQ(admin->headers[0].name, "x-version");
  EXPECT_EQ(admin->headers[0].values, (std::vector<std::string>{"v2"}));
  EXPECT_EQ(admin->headers[0].regexes, (std::vector<std::string>{"^v[34]$"}));
  EXPECT_EQ(admin->https_redirect_status_code, 308);
  EXPECT_TRUE(admin->preserve_host);

  EXPECT_EQ(routeNamed(c, "orders")->service_id, c.services[1].id);
  EXPECT_EQ(routeNamed(c, "billing")->service_id, c.services[2].id);
  EXPECT_EQ(routeNamed(c, "catch-all")->service_id, "");
  EXPECT_FALSE(routeNamed(c, "orders")->request_buffering);

  const Upstream& up = c.upstreams[0];
  EXPECT_EQ(up.algorithm, LbAlgorithm::kConsistentHashing);
  EXPECT_EQ(up.hash_on, HashOn::kHeader);
  EXPECT_EQ(up.hash_on_header, "x-user-id");
  EXPECT_EQ(up.hash_fallback, HashOn::kIp);
  EXPECT_EQ(up.slots, 1000u);
  EXPECT_EQ(up.host_header, "orders.internal");
  ASSERT_EQ(up.targets.size(), 3u);
  EXPECT_EQ(up.targets[0].host, "10.0.0.1");
  EXPECT_EQ(up.targets[0].port, 8080);
  EXPECT_EQ(up.targets[0].weight, 50u);
  EXPECT_EQ(up.targets[1].port, 8000);  // Kong's default target port
  EXPECT_EQ(up.targets[1].weight, 100u);
  EXPECT_EQ(up.targets[2].host, "::1");
  EXPECT_EQ(up.targets[2].port, 9000);
  EXPECT_EQ(up.targets[2].weight, 0u);
  for (const auto& t : up.targets) EXPECT_EQ(t.upstream_id, up.id);
  EXPECT_EQ(c.findUpstreamByName("orders-upstream"), &up);

  const Certificate& cert = c.certificates[0];
  EXPECT_EQ(cert.id, "2b5b5d0e-6a0c-4f7e-9d3a-1c2e3f4a5b6c");
  EXPECT_EQ(cert.snis, (std::vector<std::string>{"example.com", "*.example.com",
                                                 "www.example.com"}));
  EXPECT_EQ(c.consumers[0].username, "alice");
  EXPECT_EQ(c.consumers[0].custom_id, "1001");
  EXPECT_EQ(c.consumers[1].custom_id, "bob-42");
}

TEST(LoaderTest, JsonConfigLoads) {
  auto r = loadDeclarative(readTestFile("minimal.json"));
  ASSERT_TRUE(r.isOk()) << r.error().message();
  EXPECT_EQ(r.config().services[0].host, "echo.internal");
  EXPECT_EQ(r.config().upstreams[0].targets[0].port, 9001);
}

TEST(LoaderTest, RouteOrderIsNestedThenTopLevel) {
  auto r = load3(R"yml(
routes:
- name: top
  paths: [/top]
services:
- name: a
  host: a.internal
  routes:
  - name: a1
    paths: [/a1]
  - name: a2
    paths: [/a2]
- name: b
  host: b.internal
  routes:
  - name: b1
    paths: [/b1]
)yml");
  ASSERT_TRUE(r.isOk()) << r.error().message();
  const auto& routes = r.config().routes;
  ASSERT_EQ(routes.size(), 4u);
  EXPECT_EQ(routes[0].name, "a1");
  EXPECT_EQ(routes[1].name, "a2");
  EXPECT_EQ(routes[2].name, "b1");
  EXPECT_EQ(routes[3].name, "top");
  for (size_t i = 0; i < routes.size(); ++i) EXPECT_EQ(routes[i].order, i);
}

TEST(LoaderTest, ServiceDefaults) {
  auto r = load3("services:\n- host: example.com\n");
  ASSERT_TRUE(r.isOk()) << r.error().message();
  const Service& s = r.config().services[0];
  EXPECT_EQ(s.protocol, "http");
  EXPECT_EQ(s.port, 80);
  EXPECT_FALSE(s.path.has_value());
  EXPECT_EQ(s.retries, 5);
  EXPECT_EQ(s.connect_timeout_ms, 60000);
  EXPECT_EQ(s.read_timeout_ms, 60000);
  EXPECT_EQ(s.write_timeout_ms, 60000);
  EXPECT_FALSE(s.tls_verify.has_value());
  EXPECT_TRUE(s.enabled);
  EXPECT_EQ(s.id.size(), 36u);
  // https without url keeps Kong's port default of 80.
  auto https = load3("services:\n- host: example.com\n  protocol: https\n");
  ASSERT_TRUE(https.isOk());
  EXPECT_EQ(https.config().services[0].port, 80);
}

TEST(LoaderTest, UrlShorthand) {
  struct Case {
    const char* url;
    const char* protocol;
    const char* host;
    int port;
    std::optional<std::string> path;
  } cases[] = {
      {"http://example.com", "http", "example.com", 80, std::nullopt},
      {"https://example.com", "https", "example.com", 443, std::nullopt},
      {"https://example.com:8443/a/b", "https", "example.com", 8443, "/a/b"},
      {"http://10.1.2.3:81/", "http", "10.1.2.3", 81, "/"},
      {"http://[::1]:8080/x", "http", "::1", 8080, "/x"},
      {"HTTP://Example.com/", "http", "Example.com", 80, "/"},
  };
  for (const auto& c : cases) {
    auto r = load3(std::string("services:\n- url: \"") + c.url + "\"\n");
    ASSERT_TRUE(r.isOk()) << c.url << ": " << r.error().message();
    const Service& s = r.config().services[0];
    EXPECT_EQ(s.protocol, c.protocol) << c.url;
    EXPECT_EQ(s.host, c.host) << c.url;
    EXPECT_EQ(s.port, c.port) << c.url;
    EXPECT_EQ(s.path, c.path) << c.url;
  }
}

TEST(LoaderTest, RouteDefaults) {
  auto r = load3("routes:\n- paths: [/]\n");
  ASSERT_TRUE(r.isOk()) << r.error().message();
  const Route& route = r.config().routes[0];
  EXPECT_EQ(route.protocols, (std::vector<std::string>{"http", "https"}));
  EXPECT_TRUE(route.strip_path);
  EXPECT_FALSE(route.preserve_host);
  EXPECT_EQ(route.path_handling, PathHandling::kV0);
  EXPECT_EQ(route.https_redirect_status_code, 426);
  EXPECT_TRUE(route.request_buffering);
  EXPECT_TRUE(route.response_buffering);
  EXPECT_EQ(route.regex_priority, 0);
}

TEST(LoaderTest, ReferencesByNameAndById) {
  auto r = load3(R"yml(
services:
- name: svc
  id: 5F3C1A20-1111-4222-8333-444455556666
  host: svc.internal
routes:
- {name: r1, service: svc, paths: [/1]}
- {name: r2, service: 5f3c1a20-1111-4222-8333-444455556666, paths: [/2]}
- {name: r3, service: {id: 5f3c1a20-1111-4222-8333-444455556666}, paths: [/3]}
- {name: r4, service: {name: svc}, paths: [/4]}
upstreams:
- name: up.internal
  id: 0e8b8f8a-0000-4000-8000-000000000001
targets:
- {target: a.internal, upstream: up.internal}
- {target: b.internal, upstream: {id: 0e8b8f8a-0000-4000-8000-000000000001}}
)yml");
  ASSERT_TRUE(r.isOk()) << r.error().message();
  const auto& c = r.config();
  EXPECT_EQ(c.services[0].id, "5f3c1a20-1111-4222-8333-444455556666");  // lower-cased
  for (const auto& route : c.routes) EXPECT_EQ(route.service_id, c.services[0].id);
  ASSERT_EQ(c.upstreams[0].targets.size(), 2u);
  EXPECT_EQ(c.findService(c.services[0].id), &c.services[0]);
}

TEST(LoaderTest, MetaFieldsAndLegacyFormatVersions) {
  for (const char* v : {"1.1", "2.1", "3.0"}) {
    auto r = loadDeclarative(std::string("_format_version: \"") + v +
                             "\"\n_transform: false\n_workspace: default\n_comment: hi\n");
    EXPECT_TRUE(r.isOk()) << v << ": " << r.error().message();
  }
  // Kong 3 reads regex-looking paths of 2.x files as regexes.
  auto r = loadDeclarative("_format_version: \"2.1\"\nroutes:\n- paths: [\"/users/\\\\d+\", /plain]\n");
  ASSERT_TRUE(r.isOk()) << r.error().message();
  EXPECT_EQ(r.config().routes[0].paths,
            (std::vector<std::string>{"~/users/\\d+", "/plain"}));
}

TEST(LoaderTest, ExportedNullsAndTimestampsAreAccepted) {
  // `kong config db_export` writes nulls for unset fields and timestamps.
  auto r = load3(R"yml(
services:
- name: s
  host: s.internal
  created_at: 1700000000
  updated_at: 1700000000
  path: null
  tls_verify: null
  tls_verify_depth: null
  client_certificate: null
  ca_certificates: null
  routes:
  - name: r
    paths: [/s]
    methods: null
    hosts: null
    headers: null
    snis: null
    sources: null
    destinations: null
    created_at: 1700000000
)yml");
  ASSERT_TRUE(r.isOk()) << r.error().message();
  EXPECT_TRUE(r.config().routes[0].methods.empty());
}

TEST(LoaderTest, DeterministicIdsAndHash) {
  const std::string text = readTestFile("full.yml");
  auto a = loadDeclarative(text);
  auto b = loadDeclarative(text);
  ASSERT_TRUE(a.isOk() && b.isOk());
  EXPECT_EQ(a.config().hash, b.config().hash);
  for (size_t i = 0; i < a.config().routes.size(); ++i) {
    EXPECT_EQ(a.config().routes[i].id, b.config().routes[i].id);
  }
  EXPECT_EQ(a.config().services[0].id, b.config().services[0].id);
  EXPECT_EQ(a.config().consumers[1].id, b.config().consumers[1].id);
  EXPECT_EQ(a.config().upstreams[0].targets[0].id, b.config().upstreams[0].targets[0].id);
  for (char ch : a.config().hash) EXPECT_TRUE((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'));
}

TEST(LoaderTest, HashIgnoresKeyOrderAndFormatting) {
  auto a = load3("services:\n- name: s\n  host: s.internal\n  retries: 2\n"
                 "  routes:\n  - {name: r, paths: [/a], methods: [GET]}\n");
  auto b = loadDeclarative(R"yml({"services": [{"routes": [{"methods": ["GET"], "paths": ["/a"],
      "name": "r"}], "retries": 2, "host": "s.internal", "name": "s"}],
      "_format_version": "3.0"})yml");
  ASSERT_TRUE(a.isOk()) << a.error().message();
  ASSERT_TRUE(b.isOk()) << b.error().message();
  EXPECT_EQ(a.config().hash, b.config().hash);
  EXPECT_EQ(a.config().routes[0].id, b.config().routes[0].id);
  auto changed = load3("services:\n- name: s\n  host: s.internal\n  retries: 3\n"
                       "  routes:\n  - {name: r, paths: [/a], methods: [GET]}\n");
  ASSERT_TRUE(changed.isOk());
  EXPECT_NE(a.config().hash, changed.config().hash);
}

TEST(LoaderTest, GeneratedIdsAreUuidsAndUnique) {
  auto r = load3("services:\n- host: a.internal\n- host: b.internal\n"
                 "routes:\n- paths: [/a]\n- paths: [/b]\n");
  ASSERT_TRUE(r.isOk()) << r.error().message();
  const auto& c = r.config();
  EXPECT_NE(c.services[0].id, c.services[1].id);
  EXPECT_NE(c.routes[0].id, c.routes[1].id);
  EXPECT_EQ(c.services[0].id[14], '5');  // version nibble
}

TEST(LoaderTest, HostsWildcardsAndPorts) {
  auto r = load3("routes:\n- hosts: [example.com, \"*.example.com\", \"example.*\", "
                 "\"example.com:8080\", \"[::1]:80\", 10.0.0.1]\n");
  ASSERT_TRUE(r.isOk()) << r.error().message();
  EXPECT_EQ(r.config().routes[0].hosts.size(), 6u);
}

TEST(LoaderTest, RegisteredPluginLoadsWithScope) {
  PluginRegistry::global().add({"test-echo", [](std::string& config) {
                                  std::vector<FieldError> errors;
                                  if (config.find("bad") != std::string::npos) {
                                    errors.push_back({"bad", "must not be set"});
                                  }
                                  return errors;
                                }});
  auto r = load3(R"yml(
consumers:
- username: alice
  plugins:
  - name: test-echo
services:
- name: s
  host: s.internal
  plugins:
  - name: test-echo
    config: {greeting: hi}
  routes:
  - name: r
    paths: [/]
    plugins:
    - name: test-echo
plugins:
- name: test-echo
  service: s
  consumer: alice
  protocols: [http]
)yml");
  ASSERT_TRUE(r.isOk()) << r.error().message();
  const auto& c = r.config();
  ASSERT_EQ(c.plugins.size(), 4u);
  int scoped = 0;
  for (const auto& p : c.plugins) {
    EXPECT_EQ(p.name, "test-echo");
    if (p.config_json == R"({"greeting":"hi"})") {
      EXPECT_EQ(p.service_id, c.services[0].id);
      ++scoped;
    }
    if (!p.route_id.empty()) {
      EXPECT_EQ(p.route_id, c.routes[0].id);
    }
    if (!p.consumer_id.empty()) {
      EXPECT_EQ(p.consumer_id, c.consumers[0].id);
    }
  }
  EXPECT_EQ(scoped, 1);

  auto bad = load3("plugins:\n- name: test-echo\n  config: {bad: 1}\n"
                   "- name: test-echo\n");
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.error().errors.size(), 2u) << bad.error().message();
  EXPECT_EQ(bad.error().errors[0].path, "plugins[0].config.bad");
  EXPECT_EQ(bad.error().errors[1].path, "plugins[1].name");  // same plugin twice, same scope
  PluginRegistry::global().remove("test-echo");
}

TEST(LoaderTest, ManyRoutesLoadLinearly) {
  std::string text = "{\"_format_version\":\"3.0\",\"services\":[{\"name\":\"s\",\"host\":\"s.in\","
                     "\"routes\":[";
  constexpr int kRoutes = 30000;  // 100k: see the release timing in the report; ASan is slow
  for (int i = 0; i < kRoutes; ++i) {
    if (i) text += ',';
    text += "{\"name\":\"r" + std::to_string(i) + "\",\"paths\":[\"/p" + std::to_string(i) +
            "\"],\"hosts\":[\"h" + std::to_string(i % 100) + ".example.com\"]}";
  }
  text += "]}]}";
  auto r = loadDeclarative(text);
  ASSERT_TRUE(r.isOk()) << r.error().message().substr(0, 500);
  EXPECT_EQ(r.config().routes.size(), size_t(kRoutes));
  EXPECT_EQ(r.config().routes.back().order, size_t(kRoutes - 1));
}

}  // namespace
}  // namespace causeway::model::kong
