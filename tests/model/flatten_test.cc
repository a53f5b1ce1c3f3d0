// Flattening declarative configs into per-kind Admin API bodies: every nesting, both reference
// styles, the url shorthand, SNIs as strings, and ids equal to the loader's for the same file.
#include "model/kong/flatten.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "model/kong/ids.h"
#include "model/kong/loader.h"
#include "model/kong/plugin_registry.h"

namespace causeway::model::kong {
namespace {

using Json = nlohmann::json;

std::string readTestFile(const std::string& name) {
  std::ifstream in(std::string(CAUSEWAY_TEST_DATA_DIR) + "/kong/" + name, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class FlattenTest : public ::testing::Test {
 protected:
  void SetUp() override { PluginRegistry::global().add({"test-flat", nullptr}); }
  void TearDown() override { PluginRegistry::global().remove("test-flat"); }

  static constexpr const char* kCertId = "0B7E1C56-2D1A-4C7E-9C3B-7A3D2E1F0A9B";

  // A config using every nesting and both reference styles (strings, {name:..}, {id:..}).
  static Json everything() {
    return Json::parse(R"json({
      "_format_version": "3.0",
      "services": [
        {"name": "users", "url": "https://users.internal:8443/api", "tags": ["a"],
         "routes": [
           {"name": "users-list", "paths": ["/users"],
            "plugins": [{"name": "test-flat", "config": {"k": 1}}]},
           {"paths": ["/anonymous"]}
         ],
         "plugins": [{"name": "test-flat", "consumer": "alice"}]},
        {"host": "nameless.internal"},
        {"id": "9A0D5C1E-3B7F-4E2A-8C6D-1F0E2D3C4B5A", "name": "explicit", "host": "x.internal"}
      ],
      "routes": [
        {"name": "top", "service": "users", "paths": ["/top"]},
        {"service": {"name": "explicit"}, "paths": ["/t2"],
         "plugins": [{"name": "test-flat"}]},
        {"name": "by-id", "service": {"id": "9a0d5c1e-3b7f-4e2a-8c6d-1f0e2d3c4b5a"},
         "paths": ["/t3"]},
        {"name": "by-id-string", "service": "9A0D5C1E-3B7F-4E2A-8C6D-1F0E2D3C4B5A",
         "paths": ["/t4"]},
        {"name": "orphan", "paths": ["/o"]}
      ],
      "upstreams": [
        {"name": "pool", "targets": [{"target": "10.0.0.1:80"}, {"target": "10.0.0.2"}]}
      ],
      "targets": [
        {"target": "[::1]:9000", "upstream": {"name": "pool"}},
        {"target": "pool-b.internal", "upstream": "pool", "weight": 0}
      ],
      "certificates": [],
      "snis": [],
      "consumers": [
        {"username": "alice", "plugins": [{"name": "test-flat", "route": "top"}]},
        {"custom_id": "42"}
      ],
      "plugins": [
        {"name": "test-flat", "service": {"name": "users"}, "route": {"name": "users-list"},
         "consumer": {"username": "alice"}},
        {"name": "test-flat", "_comment": "global"}
      ]
    })json");
  }

  static Json withCertificates(Json doc) {
    doc["certificates"] = Json::array(
        {Json{{"id", kCertId},
              {"cert", readTestFile("example.crt")},
              {"key", readTestFile("example.key")},
              {"snis", Json::array({"example.com", Json{{"name", "*.example.com"}}})}},
         Json{{"cert", readTestFile("other.crt")}, {"key", readTestFile("other.key")}}});
    doc["snis"] =
        Json::array({Json{{"name", "www.example.com"}, {"certificate", kCertId}},
                     Json{{"name", "api.example.com"}, {"certificate", Json{{"id", kCertId}}}}});
    return doc;
  }
};

TEST_F(FlattenTest, EveryNestingBecomesFlatWithForeignKeys) {
  auto flat = flattenDeclarative(withCertificates(everything()));
  ASSERT_TRUE(flat.isOk()) << flat.status().message();
  const EntityLists& e = flat->entities;
  for (auto kind : kEntityKinds) EXPECT_EQ(e.count(std::string(kind)), 1u) << kind;
  EXPECT_EQ(flat->format_version, "3.0");

  ASSERT_EQ(e.at("services").size(), 3u);
  ASSERT_EQ(e.at("routes").size(), 7u);
  ASSERT_EQ(e.at("upstreams").size(), 1u);
  ASSERT_EQ(e.at("targets").size(), 4u);
  ASSERT_EQ(e.at("certificates").size(), 2u);
  ASSERT_EQ(e.at("snis").size(), 4u);
  ASSERT_EQ(e.at("consumers").size(), 2u);
  ASSERT_EQ(e.at("plugins").size(), 6u);

  const Json& users = e.at("services")[0];
  EXPECT_FALSE(users.contains("routes"));
  EXPECT_FALSE(users.contains("plugins"));
  EXPECT_EQ(users["tags"], Json::array({"a"}));
  const std::string usersId = users["id"];
  const std::string explicitId = e.at("services")[2]["id"];
  EXPECT_EQ(explicitId, "9a0d5c1e-3b7f-4e2a-8c6d-1f0e2d3c4b5a");  // explicit ids lower-cased

  // Routes: nested first, then top level; every reference style resolves to {"id": ...}.
  const auto& routes = e.at("routes");
  EXPECT_EQ(routes[0]["name"], "users-list");
  EXPECT_FALSE(routes[0].contains("plugins"));
  EXPECT_EQ(routes[0]["service"], Json({{"id", usersId}}));
  EXPECT_EQ(routes[1]["service"], Json({{"id", usersId}}));  // the nameless nested one
  EXPECT_EQ(routes[2]["name"], "top");
  EXPECT_EQ(routes[2]["service"], Json({{"id", usersId}}));
  EXPECT_EQ(routes[3]["service"], Json({{"id", explicitId}}));
  EXPECT_EQ(routes[4]["service"], Json({{"id", explicitId}}));
  EXPECT_EQ(routes[5]["service"], Json({{"id", explicitId}}));
  EXPECT_TRUE(routes[6]["service"].is_null());

  // Targets: nested then top level, upstream set, the default port added as Kong does.
  const std::string poolId = e.at("upstreams")[0]["id"];
  EXPECT_FALSE(e.at("upstreams")[0].contains("targets"));
  const auto& targets = e.at("targets");
  EXPECT_EQ(targets[0]["target"], "10.0.0.1:80");
  EXPECT_EQ(targets[1]["target"], "10.0.0.2:8000");
  EXPECT_EQ(targets[2]["target"], "[::1]:9000");
  EXPECT_EQ(targets[3]["target"], "pool-b.internal:8000");
  EXPECT_EQ(targets[3]["weight"], 0);
  for (const auto& t : targets) EXPECT_EQ(t["upstream"], Json({{"id", poolId}}));

  // Certificates and SNIs (strings, nested records, top-level with both reference styles).
  const auto& certs = e.at("certificates");
  EXPECT_EQ(certs[0]["id"], "0b7e1c56-2d1a-4c7e-9c3b-7a3d2e1f0a9b");
  EXPECT_FALSE(certs[0].contains("snis"));
  const auto& snis = e.at("snis");
  EXPECT_EQ(snis[0]["name"], "example.com");
  EXPECT_EQ(snis[1]["name"], "*.example.com");
  EXPECT_EQ(snis[2]["name"], "www.example.com");
  EXPECT_EQ(snis[3]["name"], "api.example.com");
  for (const auto& s : snis) {
    EXPECT_EQ(s["certificate"], Json({{"id", certs[0]["id"]}}));
    EXPECT_EQ(s["id"], deterministicUuid("snis:" + sniIdKey(s["name"].get<std::string>())));
  }

  // Plugins: service's routes' plugins, the service's, top routes', consumers', top-level.
  const std::string aliceId = e.at("consumers")[0]["id"];
  const auto& plugins = e.at("plugins");
  for (const auto& p : plugins) {
    EXPECT_TRUE(p.contains("service") && p.contains("route") && p.contains("consumer")) << p;
  }
  EXPECT_EQ(plugins[0]["route"], Json({{"id", routes[0]["id"]}}));
  EXPECT_EQ(plugins[0]["config"], Json({{"k", 1}}));
  EXPECT_TRUE(plugins[0]["service"].is_null());
  EXPECT_EQ(plugins[1]["service"], Json({{"id", usersId}}));
  EXPECT_EQ(plugins[1]["consumer"], Json({{"id", aliceId}}));
  EXPECT_EQ(plugins[2]["route"], Json({{"id", routes[3]["id"]}}));
  EXPECT_EQ(plugins[3]["consumer"], Json({{"id", aliceId}}));
  EXPECT_EQ(plugins[3]["route"], Json({{"id", routes[2]["id"]}}));
  EXPECT_EQ(plugins[4]["service"], Json({{"id", usersId}}));
  EXPECT_EQ(plugins[4]["route"], Json({{"id", routes[0]["id"]}}));
  EXPECT_EQ(plugins[4]["consumer"], Json({{"id", aliceId}}));
  // The last one is global; declarative-only keys are dropped.
  const Json* global = &e.at("plugins").back();
  EXPECT_TRUE((*global)["service"].is_null());
  EXPECT_FALSE(global->contains("_comment"));
  EXPECT_FALSE(e.at("consumers")[0].contains("plugins"));
}

TEST_F(FlattenTest, IdsEqualTheLoaders) {
  const std::string text = withCertificates(everything()).dump();
  auto loaded = loadDeclarative(text);
  ASSERT_TRUE(loaded.isOk()) << loaded.error().message();
  auto flat = flattenDeclarativeText(text);
  ASSERT_TRUE(flat.isOk()) << flat.status().message();
  const Config& c = loaded.config();
  const EntityLists& e = flat->entities;

  ASSERT_EQ(e.at("services").size(), c.services.size());
  for (size_t i = 0; i < c.services.size(); ++i) {
    EXPECT_EQ(e.at("services")[i]["id"], c.services[i].id) << i;
  }
  ASSERT_EQ(e.at("routes").size(), c.routes.size());
  for (size_t i = 0; i < c.routes.size(); ++i) {
    EXPECT_EQ(e.at("routes")[i]["id"], c.routes[i].id) << i;
    const Json& service = e.at("routes")[i]["service"];
    EXPECT_EQ(service.is_null() ? "" : service["id"].get<std::string>(), c.routes[i].service_id);
  }
  ASSERT_EQ(c.upstreams.size(), 1u);
  EXPECT_EQ(e.at("upstreams")[0]["id"], c.upstreams[0].id);
  ASSERT_EQ(e.at("targets").size(), c.upstreams[0].targets.size());
  for (size_t i = 0; i < c.upstreams[0].targets.size(); ++i) {
    EXPECT_EQ(e.at("targets")[i]["id"], c.upstreams[0].targets[i].id) << i;
  }
  ASSERT_EQ(e.at("certificates").size(), c.certificates.size());
  for (size_t i = 0; i < c.certificates.size(); ++i) {
    EXPECT_EQ(e.at("certificates")[i]["id"], c.certificates[i].id) << i;
  }
  ASSERT_EQ(e.at("consumers").size(), c.consumers.size());
  for (size_t i = 0; i < c.consumers.size(); ++i) {
    EXPECT_EQ(e.at("consumers")[i]["id"], c.consumers[i].id) << i;
  }
  ASSERT_EQ(e.at("plugins").size(), c.plugins.size());
  auto idOf = [](const Json& fk) {
    return fk.is_null() ? std::string() : fk["id"].get<std::string>();
  };
  for (size_t i = 0; i < c.plugins.size(); ++i) {
    const Json& p = e.at("plugins")[i];
    EXPECT_EQ(p["id"], c.plugins[i].id) << i;
    EXPECT_EQ(idOf(p["service"]), c.plugins[i].service_id) << i;
    EXPECT_EQ(idOf(p["route"]), c.plugins[i].route_id) << i;
    EXPECT_EQ(idOf(p["consumer"]), c.plugins[i].consumer_id) << i;
  }
  // The loader keeps SNIs as names on their certificate.
  ASSERT_EQ(c.certificates[0].snis.size(), 4u);
  for (size_t i = 0; i < 4; ++i) EXPECT_EQ(e.at("snis")[i]["name"], c.certificates[0].snis[i]);
}

TEST_F(FlattenTest, IdsEqualTheLoadersForTheRealisticFile) {
  const std::string text = readTestFile("full.yml");
  auto loaded = loadDeclarative(text);
  ASSERT_TRUE(loaded.isOk()) << loaded.error().message();
  auto flat = flattenDeclarativeText(text);
  ASSERT_TRUE(flat.isOk()) << flat.status().message();
  const Config& c = loaded.config();
  const EntityLists& e = flat->entities;
  ASSERT_EQ(e.at("services").size(), c.services.size());
  for (size_t i = 0; i < c.services.size(); ++i)
    EXPECT_EQ(e.at("services")[i]["id"], c.services[i].id);
  ASSERT_EQ(e.at("routes").size(), c.routes.size());
  for (size_t i = 0; i < c.routes.size(); ++i) EXPECT_EQ(e.at("routes")[i]["id"], c.routes[i].id);
  size_t t = 0;
  for (const auto& u : c.upstreams) {
    for (const auto& target : u.targets) EXPECT_EQ(e.at("targets")[t++]["id"], target.id);
  }
  EXPECT_EQ(t, e.at("targets").size());
  ASSERT_EQ(e.at("consumers").size(), c.consumers.size());
  for (size_t i = 0; i < c.consumers.size(); ++i)
    EXPECT_EQ(e.at("consumers")[i]["id"], c.consumers[i].id);
  EXPECT_EQ(e.at("certificates")[0]["id"], c.certificates[0].id);
  EXPECT_EQ(e.at("snis").size(), 3u);
}

TEST_F(FlattenTest, UrlShorthandExpandsLikeKong) {
  auto flat = flattenDeclarativeText(R"yml(
_format_version: "3.0"
services:
- name: a
  url: HTTPS://a.internal/api/v1
- name: b
  url: http://10.0.0.7:8080
- name: c
  url: http://[::1]:81/x
)yml");
  ASSERT_TRUE(flat.isOk()) << flat.status().message();
  const auto& s = flat->entities.at("services");
  EXPECT_FALSE(s[0].contains("url"));
  EXPECT_EQ(s[0]["protocol"], "https");
  EXPECT_EQ(s[0]["host"], "a.internal");
  EXPECT_EQ(s[0]["port"], 443);
  EXPECT_EQ(s[0]["path"], "/api/v1");
  EXPECT_EQ(s[1]["protocol"], "http");
  EXPECT_EQ(s[1]["host"], "10.0.0.7");
  EXPECT_EQ(s[1]["port"], 8080);
  EXPECT_TRUE(s[1]["path"].is_null());
  EXPECT_EQ(s[2]["host"], "::1");
  EXPECT_EQ(s[2]["port"], 81);
  EXPECT_EQ(s[2]["path"], "/x");
}

TEST_F(FlattenTest, LegacyFormatRegexPathsGetTheirPrefix) {
  auto flat = flattenDeclarativeText(
      "_format_version: \"2.1\"\nroutes:\n- name: r\n"
      "  paths: [/plain, \"/users/\\\\d+$\"]\n");
  ASSERT_TRUE(flat.isOk()) << flat.status().message();
  const auto& paths = flat->entities.at("routes")[0]["paths"];
  EXPECT_EQ(paths[0], "/plain");
  EXPECT_EQ(paths[1], "~/users/\\d+$");
  EXPECT_EQ(flat->format_version, "2.1");
}

TEST_F(FlattenTest, GeneratedIdsOfNamelessEntitiesFollowPositions) {
  const std::string text =
      "_format_version: \"3.0\"\nservices:\n- host: a.internal\n"
      "  routes:\n  - paths: [/a]\n  - paths: [/b]\n- host: b.internal\n"
      "routes:\n- paths: [/c]\n";
  auto loaded = loadDeclarative(text);
  ASSERT_TRUE(loaded.isOk()) << loaded.error().message();
  auto flat = flattenDeclarativeText(text);
  ASSERT_TRUE(flat.isOk()) << flat.status().message();
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(flat->entities.at("services")[i]["id"], loaded.config().services[i].id);
  }
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(flat->entities.at("routes")[i]["id"], loaded.config().routes[i].id);
  }
  EXPECT_EQ(flat->entities.at("services")[0]["id"],
            deterministicUuid("services:" + serviceIdKey("", 0)));
}

TEST_F(FlattenTest, OddInputIsAnErrorNotACrash) {
  EXPECT_FALSE(flattenDeclarative(Json::array()).isOk());
  EXPECT_FALSE(flattenDeclarative(Json("text")).isOk());
  EXPECT_FALSE(flattenDeclarative(Json::object()).isOk());  // no _format_version
  EXPECT_FALSE(flattenDeclarativeText("_format_version: \"3.0\"\nservices: [: {\n").isOk());

  auto notArray = flattenDeclarativeText("_format_version: \"3.0\"\nservices: 7\n");
  ASSERT_FALSE(notArray.isOk());
  EXPECT_NE(notArray.status().message().find("services"), std::string::npos);

  auto dangling = flattenDeclarativeText(
      "_format_version: \"3.0\"\nroutes:\n- name: r\n"
      "  paths: [/]\n  service: nope\n");
  ASSERT_FALSE(dangling.isOk());
  EXPECT_NE(dangling.status().message().find("routes[0].service"), std::string::npos)
      << dangling.status().message();

  for (const char* odd : {
           "_format_version: \"3.0\"\nservices: [7, null]\n",
           "_format_version: \"3.0\"\nservices:\n- name: s\n  url: 5\n",
           "_format_version: \"3.0\"\nservices:\n- name: s\n  url: nonsense\n",
           "_format_version: \"3.0\"\nservices:\n- name: s\n  host: h\n  routes: {a: 1}\n",
           "_format_version: \"3.0\"\nroutes:\n- service: [1]\n",
           "_format_version: \"3.0\"\nroutes:\n- service: {other: 1}\n",
           "_format_version: \"3.0\"\nroutes:\n- id: 12\n",
           "_format_version: \"3.0\"\ntargets:\n- target: 1.2.3.4\n",
           "_format_version: \"3.0\"\ntargets:\n- target: 1.2.3.4\n  upstream: nope\n",
           "_format_version: \"3.0\"\nupstreams:\n- name: u\n  targets:\n  - target: [x]\n",
           "_format_version: \"3.0\"\ncertificates:\n- snis: [a.com]\n",
           "_format_version: \"3.0\"\nsnis:\n- name: a.com\n",
           "_format_version: \"3.0\"\nsnis:\n- a.com\n",
           "_format_version: \"3.0\"\nconsumers:\n- tags: []\n",
           "_format_version: \"3.0\"\nplugins:\n- config: {}\n",
           "_format_version: \"3.0\"\nplugins:\n- name: p\n  consumer: {id: 5}\n",
           "_format_version: \"3.0\"\nservices:\n- name: a\n  host: h\n- name: a\n  host: h\n",
           "_format_version: \"3.0\"\nupstreams:\n- name: u\n  targets:\n  - target: a:1\n"
           "  - target: A:1\n",
       }) {
    auto r = flattenDeclarativeText(odd);
    EXPECT_FALSE(r.isOk()) << odd;
  }
}

}  // namespace
}  // namespace causeway::model::kong
