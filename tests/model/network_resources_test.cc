// The network section as store records (resources.h): split and assembled back to the same
// document in file order, content ids, registered keys, and the Kong/network parts of a file.
// Also the loader's require_keys option and the planner leaving out peers without a key.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "model/kong/document.h"
#include "model/network/loader.h"
#include "model/network/plan.h"
#include "model/network/resources.h"

namespace causeway::model::network {
namespace {

using Json = nlohmann::json;

Json labNetwork() {
  std::ifstream in(std::string(CAUSEWAY_TEST_DATA_DIR) + "/network/lab.yml");
  std::stringstream text;
  text << in.rdbuf();
  Json root;
  std::string problem;
  EXPECT_TRUE(kong::parseDocument(text.str(), root, problem)) << problem;
  return root["network"];
}

// The chain fixture without keys for b and t3, as a CP holds it before they register.
Json chainWithoutKeys() {
  Json root;
  std::string problem;
  std::ifstream in(std::string(CAUSEWAY_TEST_DATA_DIR) + "/network/chain.yml");
  std::stringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(kong::parseDocument(text.str(), root, problem)) << problem;
  for (auto& g : root["network"]["transit_gateways"]) {
    if (g["name"] == "t3") g.erase("public_key");
  }
  for (auto& g : root["network"]["spoke_gateways"]) {
    if (g["name"] == "b") g.erase("public_key");
  }
  return root;
}

TEST(NetworkResources, SplitAndAssembleGiveTheSectionBack) {
  const Json net = labNetwork();
  auto resources = splitNetwork(net);
  // One record per entry; named resources by name.
  size_t transits = 0;
  for (const auto& r : resources) {
    EXPECT_TRUE(isNetworkConfigKind(r.kind)) << r.kind;
    EXPECT_EQ(r.body["id"], r.id);
    if (r.kind == "network_transit_gateways") {
      ++transits;
      EXPECT_EQ(r.id, r.body["name"]);
    }
  }
  EXPECT_EQ(transits, 4u);
  // Any order in, file order out.
  std::reverse(resources.begin(), resources.end());
  EXPECT_EQ(assembleNetwork(resources), net);
}

TEST(NetworkResources, IdsComeFromContentAndStayStable) {
  Json net = {{"domains", {"a", "b"}},
              {"connection_policies", {{{"domains", {"a", "b"}}}, {{"domains", {"a", "b"}}}}},
              {"transit_peerings", Json::array({Json::array({"t1", "t2"})})},
              {"mtu", 1380}};
  auto first = splitNetwork(net);
  auto again = splitNetwork(net);
  ASSERT_EQ(first.size(), again.size());
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(first[i].id, again[i].id);
  std::vector<std::string> policy_ids;
  for (const auto& r : first) {
    if (r.kind == "network_connection_policies") policy_ids.push_back(r.id);
  }
  ASSERT_EQ(policy_ids.size(), 2u);
  EXPECT_EQ(policy_ids[1], policy_ids[0] + "#2");  // the same content twice
  EXPECT_EQ(assembleNetwork(first), net);
  const auto* settings = &first.back();
  EXPECT_EQ(settings->kind, "network_settings");
  EXPECT_EQ(settings->body["mtu"], 1380);
  EXPECT_EQ(displayName(first[2]), "a <-> b");
}

TEST(NetworkResources, RegisteredKeysFillOnlyGatewaysWithout) {
  Json net = chainWithoutKeys()["network"];
  const std::string key = "ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=";
  fillRegisteredKeys(net, {{"t3", key}, {"a", key}});
  EXPECT_EQ(net["transit_gateways"][2]["public_key"], key);
  EXPECT_NE(net["spoke_gateways"][0]["public_key"], key);  // configured in the file
  EXPECT_FALSE(net["spoke_gateways"][1].contains("public_key"));
}

TEST(NetworkResources, SplitDocumentTellsTheParts) {
  auto kong_only = splitDocument("_format_version: \"3.0\"\nservices: []\n");
  ASSERT_TRUE(kong_only);
  EXPECT_TRUE(kong_only->has_kong);
  EXPECT_FALSE(kong_only->has_network);

  auto network_only = splitDocument("_format_version: \"3.0\"\nnetwork: {domains: [a]}\n");
  ASSERT_TRUE(network_only);
  EXPECT_FALSE(network_only->has_kong);  // _format_version alone does not manage Kong
  EXPECT_TRUE(network_only->has_network);
  EXPECT_EQ(network_only->network["domains"][0], "a");

  auto both = splitDocument("services: []\nnetwork: {}\n");
  ASSERT_TRUE(both);
  EXPECT_TRUE(both->has_kong);
  EXPECT_TRUE(both->has_network);
  EXPECT_EQ(Json::parse(both->kong_text), (Json{{"_format_version", "3.0"}, {"services", Json::array()}}));

  EXPECT_FALSE(splitDocument("network: [unclosed"));
}

TEST(NetworkLoadOptions, KeysAreRequiredUnlessTheControlPlaneRegistersThem) {
  const Json root = chainWithoutKeys();
  kong::LoadError errors;
  EXPECT_FALSE(loadNetworkJson(root, &errors));
  ASSERT_EQ(errors.errors.size(), 2u);
  EXPECT_EQ(errors.errors[0].path, "network.transit_gateways[2].public_key");
  EXPECT_EQ(errors.errors[0].message, "required field missing");

  LoadOptions options;
  options.require_keys = false;
  auto loaded = loadNetworkJson(root, &errors, options);
  ASSERT_TRUE(loaded) << loaded.status().message();
  EXPECT_FALSE(hasKey(loaded->transit_gateways[2].public_key));
  EXPECT_TRUE(hasKey(loaded->transit_gateways[0].public_key));

  // External connections always need their key: they never register.
  Json ext = root;
  ext["network"]["external_connections"] = {
      {{"name", "dc1"}, {"transit", "t1"}, {"cidrs", {"192.168.0.0/16"}}, {"domain", "d"}}};
  EXPECT_FALSE(loadNetworkJson(ext, &errors, options));
  ASSERT_EQ(errors.errors.size(), 1u);
  EXPECT_EQ(errors.errors[0].path, "network.external_connections[0].public_key");
}

TEST(NetworkLoadOptions, PlansLeaveOutPeersWithoutKeys) {
  LoadOptions options;
  options.require_keys = false;
  auto n = loadNetworkJson(chainWithoutKeys(), nullptr, options);
  ASSERT_TRUE(n);
  // t2's attachment b and peer t3 have no key yet: no tunnel, no route through them.
  auto t2 = planGateway(n.value(), "t2");
  ASSERT_TRUE(t2);
  std::vector<std::string> peers;
  for (const auto& p : t2->peers) peers.push_back(p.name);
  EXPECT_EQ(peers, (std::vector<std::string>{"t1"}));
  for (const auto& r : t2->routes) {
    EXPECT_NE(r.origin, "b") << r.cidr.toString();
    for (size_t h : r.next_hops) EXPECT_LT(h, t2->peers.size());
  }
  bool routes_a = false;
  for (const auto& r : t2->routes) routes_a |= r.origin == "a";
  EXPECT_TRUE(routes_a);
  // b itself plans (it runs with its own private key), with its one transit.
  auto b = planGateway(n.value(), "b");
  ASSERT_TRUE(b);
  ASSERT_EQ(b->peers.size(), 1u);
  EXPECT_EQ(b->peers[0].name, "t2");
}

}  // namespace
}  // namespace causeway::model::network
