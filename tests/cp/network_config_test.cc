// The transit network in the CP's store: POST /config with a network: section (validated whole,
// one transaction, Kong untouched), GET /config exports it back, gateways' key registrations
// (trust on first use) and /network, and the network's ConfigState deltas.
#include "cp/network_config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cp/admin_api.h"
#include "cp/config_endpoint.h"
#include "cp/config_state.h"
#include "model/network/resources.h"
#include "sqlite_store_fixture.h"
#include "sync/protocol.h"

namespace causeway::cp {
namespace {

using Json = nlohmann::json;

const char* kKeyA = "y7hZtjFWQKrEJJRLKMCGf7BCYYzyVx77ckUE99rJvRY=";
const char* kKeyB = "HpP/9qoHRQOQL2dDoR7fkhL9TQVM9ivHwm4N+LomA1c=";

Json networkDoc(bool second_spoke) {
  Json net = {{"domains", {"prod"}},
              {"transit_gateways", {{{"name", "hub"}, {"endpoint", "10.0.0.1:51820"}}}},
              {"spoke_gateways",
               {{{"name", "s1"},
                 {"endpoint", "10.0.0.2:51820"},
                 {"cidrs", {"10.1.0.0/16"}},
                 {"transits", {"hub"}},
                 {"domain", "prod"}}}}};
  if (second_spoke) {
    net["spoke_gateways"].push_back({{"name", "s2"},
                                     {"endpoint", "10.0.0.3:51820"},
                                     {"cidrs", {"10.2.0.0/16"}},
                                     {"transits", {"hub"}},
                                     {"domain", "prod"}});
  }
  return Json{{"network", net}};
}

class NetworkConfigTest : public SqliteStoreTest {
 protected:
  std::pair<int, Json> call(const std::string& method, const std::string& path,
                            const std::string& body = "", const std::string& query = "") {
    ApiRequest req;
    req.method = method;
    req.path = path;
    req.query = query;
    req.body = body;
    req.remote = "127.0.0.1";
    AdminApi api(*store_, AdminApiHooks{});
    ApiResponse r = api.handle(req);
    return {r.status, r.body.empty() ? Json() : Json::parse(r.body, nullptr, false)};
  }
};

TEST_F(NetworkConfigTest, ApplyIsOneRevisionAndExportsBack) {
  // A Kong entity applied first stays when a network-only file is applied.
  auto [st0, kong] =
      call("POST", "/config", R"({"_format_version":"3.0","services":[{"name":"s","host":"h"}]})");
  ASSERT_EQ(st0, 201) << kong.dump();
  const int64_t before = revision();
  auto [st, plan] = call("POST", "/config", networkDoc(false).dump());
  ASSERT_EQ(st, 201) << plan.dump();
  EXPECT_EQ(revision(), before + 1);
  EXPECT_EQ(plan["created"], 3);  // a domain, a transit, a spoke; nothing of Kong
  auto [gst, doc] = call("GET", "/config");
  ASSERT_EQ(gst, 200);
  EXPECT_EQ(doc["network"], networkDoc(false)["network"]);
  EXPECT_EQ(doc["services"].size(), 1u);

  // The same again: nothing to do, no revision.
  auto [st2, plan2] = call("POST", "/config", networkDoc(false).dump());
  EXPECT_EQ(st2, 200);
  EXPECT_TRUE(plan2["operations"].empty()) << plan2.dump();
  EXPECT_EQ(revision(), before + 1);

  // A second spoke is one create; a dry run changes nothing.
  auto [st3, plan3] = call("POST", "/config", networkDoc(true).dump(), "dry_run=true");
  EXPECT_EQ(st3, 200);
  ASSERT_EQ(plan3["operations"].size(), 1u);
  EXPECT_EQ(plan3["operations"][0]["kind"], "network_spoke_gateways");
  EXPECT_EQ(plan3["operations"][0]["name"], "s2");
  EXPECT_EQ(revision(), before + 1);
}

TEST_F(NetworkConfigTest, TheWholeNetworkIsValidatedWithFieldPaths) {
  Json bad = networkDoc(true);
  bad["network"]["spoke_gateways"][0]["cidrs"].push_back("10.9.0.1/16");
  auto [st, err] = call("POST", "/config", bad.dump());
  ASSERT_EQ(st, 400);
  EXPECT_EQ(err["code"], 14);
  // network.spoke_gateways[0].cidrs[1], nested as Kong nests field errors.
  EXPECT_EQ(err["fields"]["network"]["spoke_gateways"][0]["cidrs"][1],
            "invalid CIDR: host bits set: did you mean 10.9.0.0/16?")
      << err.dump();
  EXPECT_EQ(revision(), 0);

  // What spans records: s2 overlapping s1.
  Json overlap = networkDoc(true);
  overlap["network"]["spoke_gateways"][1]["cidrs"][0] = "10.1.0.0/24";
  auto [st2, err2] = call("POST", "/config", overlap.dump());
  ASSERT_EQ(st2, 400);
  EXPECT_TRUE(err2["fields"]["network"]["spoke_gateways"][1].contains("cidrs")) << err2.dump();
}

TEST_F(NetworkConfigTest, KeysAreRegisteredOnFirstUse) {
  ASSERT_EQ(call("POST", "/config", networkDoc(false).dump()).first, 201);
  const int64_t r0 = revision();
  ASSERT_TRUE(registerGatewayKey(*store_, {"hub", kKeyA}).isOk());
  EXPECT_EQ(revision(), r0 + 1);
  ASSERT_TRUE(registerGatewayKey(*store_, {"hub", kKeyA}).isOk());  // again: nothing new
  EXPECT_EQ(revision(), r0 + 1);
  Status other = registerGatewayKey(*store_, {"hub", kKeyB});
  EXPECT_EQ(other.code(), Status::Code::kAlreadyExists);
  EXPECT_NE(other.message().find("DELETE /network/gateways/hub/key"), std::string::npos);
  EXPECT_EQ(registerGatewayKey(*store_, {"nobody", kKeyB}).code(), Status::Code::kNotFound);
  EXPECT_EQ(registerGatewayKey(*store_, {"s1", kKeyA}).code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(registerGatewayKey(*store_, {"s1", "not a key"}).code(),
            Status::Code::kInvalidArgument);

  auto [nst, net] = call("GET", "/network");
  ASSERT_EQ(nst, 200);
  EXPECT_EQ(net["network"]["transit_gateways"][0]["public_key"], kKeyA);
  auto [gst, gws] = call("GET", "/network/gateways");
  ASSERT_EQ(gst, 200);
  ASSERT_EQ(gws["data"].size(), 2u);
  EXPECT_EQ(gws["data"][0]["name"], "hub");
  EXPECT_EQ(gws["data"][0]["key_source"], "registered");
  EXPECT_EQ(gws["data"][1]["public_key"], nullptr);
  // GET /config keeps the registrations out (the file has no keys); re-applying keeps them.
  EXPECT_FALSE(
      call("GET", "/config").second["network"]["transit_gateways"][0].contains("public_key"));
  ASSERT_EQ(call("POST", "/config", networkDoc(true).dump()).first, 201);
  EXPECT_EQ(call("GET", "/network").second["network"]["transit_gateways"][0]["public_key"], kKeyA);

  EXPECT_EQ(call("DELETE", "/network/gateways/hub/key").first, 204);
  EXPECT_EQ(call("DELETE", "/network/gateways/hub/key").first, 404);
  EXPECT_TRUE(registerGatewayKey(*store_, {"hub", kKeyB}).isOk());
}

TEST_F(NetworkConfigTest, TheNetworkStateSendsOnlyWhatChanged) {
  ConfigState gateway(*store_);
  ConfigState network(*store_, 4096,
                      [](std::string_view kind) { return model::network::isNetworkKind(kind); });
  ASSERT_TRUE(call("POST", "/config", networkDoc(false).dump()).first == 201);
  ASSERT_TRUE(gateway.load().isOk());
  ASSERT_TRUE(network.load().isOk());
  EXPECT_EQ(gateway.entities().size(), 0u);  // gateways never see the network
  EXPECT_EQ(network.entities().size(), 3u);
  const int64_t from = network.revision();
  const std::string hash = network.hash();
  ASSERT_TRUE(registerGatewayKey(*store_, {"hub", kKeyA}).isOk());
  ASSERT_EQ(call("POST", "/config", networkDoc(true).dump()).first, 201);
  EXPECT_FALSE(gateway.refresh().value());
  EXPECT_TRUE(network.refresh().value());
  auto msg = network.deltaMessage(from, hash);
  ASSERT_TRUE(msg);
  Json delta = Json::parse(sync::inflateBytes(*msg, sync::kMaxMessageBytes).value());
  ASSERT_EQ(delta["upserts"].size(), 2u) << delta.dump();
  std::set<std::string> kinds;
  for (const auto& u : delta["upserts"]) kinds.insert(u["kind"].get<std::string>());
  EXPECT_EQ(kinds, (std::set<std::string>{"network_gateway_keys", "network_spoke_gateways"}));
}

}  // namespace
}  // namespace causeway::cp
