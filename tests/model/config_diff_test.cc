// Planning config changes: create, update, delete and no-op; matching by natural key keeps the
// existing id and rewrites child references; ordering; timestamps ignored; the plan's JSON.
#include "model/kong/config_diff.h"

#include <gtest/gtest.h>

#include <string>

namespace causeway::model::kong {
namespace {

using Json = nlohmann::json;

Json ref(const std::string& id) { return Json{{"id", id}}; }

Json service(const std::string& id, const std::string& name, const std::string& host = "h") {
  return Json{{"id", id},
              {"name", name},
              {"host", host},
              {"port", 80},
              {"protocol", "http"},
              {"path", nullptr},
              {"created_at", 1700000000},
              {"updated_at", 1700000000}};
}

Json route(const std::string& id, const std::string& name, const std::string& serviceId,
           Json paths = Json::array({"/"})) {
  return Json{{"id", id},
              {"name", name},
              {"service", serviceId.empty() ? Json() : ref(serviceId)},
              {"paths", std::move(paths)},
              {"created_at", 1700000000}};
}

Json upstream(const std::string& id, const std::string& name) {
  return Json{{"id", id}, {"name", name}};
}

Json target(const std::string& id, const std::string& upstreamId, const std::string& t) {
  return Json{{"id", id}, {"upstream", ref(upstreamId)}, {"target", t}, {"weight", 100}};
}

Json plugin(const std::string& id, const std::string& name, const std::string& serviceId,
            const std::string& routeId = "") {
  return Json{{"id", id},
              {"name", name},
              {"service", serviceId.empty() ? Json() : ref(serviceId)},
              {"route", routeId.empty() ? Json() : ref(routeId)},
              {"consumer", nullptr},
              {"config", {{"minute", 5}}}};
}

std::vector<std::string> lines(const ConfigPlan& plan) { return plan.describe(); }

ConfigPlan planOk(const EntityLists& current, const EntityLists& desired, bool naturalKeys = true) {
  auto plan = planConfigDiff(current, desired, naturalKeys);
  EXPECT_TRUE(plan.isOk()) << plan.status().message();
  return plan.isOk() ? plan.value() : ConfigPlan{};
}

TEST(ConfigDiffTest, CreatesEverythingParentsFirst) {
  EntityLists desired;
  desired["plugins"] = {plugin("p1", "rate-limiting", "s1")};
  desired["routes"] = {route("r1", "r1", "s1")};
  desired["services"] = {service("s1", "users")};
  desired["targets"] = {target("t1", "u1", "10.0.0.1:80")};
  desired["upstreams"] = {upstream("u1", "pool")};
  auto plan = planOk({}, desired);
  EXPECT_EQ(lines(plan),
            (std::vector<std::string>{"creating service users", "creating route r1",
                                      "creating upstream pool", "creating target 10.0.0.1:80",
                                      "creating plugin rate-limiting (service users)"}));
  EXPECT_EQ(plan.count(OperationType::kCreate), 5u);
  EXPECT_EQ(plan.summary(), "created 5, updated 0, deleted 0");
  EXPECT_EQ(plan.operations[0].body, desired["services"][0]);
}

TEST(ConfigDiffTest, SameConfigIsNoChangeEvenWithOtherTimestamps) {
  EntityLists current;
  current["services"] = {service("s1", "users")};
  current["routes"] = {route("r1", "r1", "s1")};
  EntityLists desired = current;
  desired["services"][0]["created_at"] = 1;
  desired["services"][0].erase("updated_at");
  desired["routes"][0]["updated_at"] = 5;
  auto plan = planOk(current, desired);
  EXPECT_TRUE(plan.empty());
  EXPECT_EQ(plan.summary(), "no changes");
  EXPECT_EQ(plan.toJson(), Json::parse(R"({"created":0,"updated":0,"deleted":0,"operations":[]})"));
}

TEST(ConfigDiffTest, AbsentFieldEqualsNull) {
  EntityLists current;
  current["services"] = {service("s1", "users")};
  EntityLists desired = current;
  desired["services"][0].erase("path");
  desired["services"][0]["tags"] = nullptr;
  EXPECT_TRUE(planOk(current, desired).empty());
}

TEST(ConfigDiffTest, UpdateNamesTheChangedFieldsAndKeepsCreatedAt) {
  EntityLists current;
  current["services"] = {service("s1", "users")};
  current["routes"] = {route("r1", "r1", "s1")};
  EntityLists desired;
  desired["services"] = {service("s1", "users")};
  desired["routes"] = {route("r1", "r1", "s1", Json::array({"/v2"}))};
  desired["routes"][0]["hosts"] = Json::array({"example.com"});
  desired["routes"][0].erase("created_at");
  auto plan = planOk(current, desired);
  ASSERT_EQ(plan.operations.size(), 1u);
  const auto& op = plan.operations[0];
  EXPECT_EQ(op.op, OperationType::kUpdate);
  EXPECT_EQ(op.changed, (std::vector<std::string>{"hosts", "paths"}));
  EXPECT_EQ(op.body["paths"], Json::array({"/v2"}));
  EXPECT_EQ(op.body["created_at"], 1700000000);
  EXPECT_EQ(lines(plan), std::vector<std::string>{"updating route r1: hosts, paths"});
  EXPECT_EQ(plan.summary(), "created 0, updated 1, deleted 0");
}

TEST(ConfigDiffTest, DeletesChildrenFirstAfterCreatesAndUpdates) {
  EntityLists current;
  current["services"] = {service("s1", "users"), service("s2", "old")};
  current["routes"] = {route("r1", "r1", "s1"), route("r2", "r2", "s2")};
  current["plugins"] = {plugin("p2", "cors", "s2")};
  current["upstreams"] = {upstream("u1", "pool")};
  current["targets"] = {target("t1", "u1", "10.0.0.1:80"), target("t2", "u1", "10.0.0.2:80")};
  EntityLists desired;
  desired["services"] = {service("s1", "users", "new-host")};
  desired["routes"] = {route("r1", "r1", "s1")};
  desired["upstreams"] = {upstream("u1", "pool")};
  desired["targets"] = {target("t2", "u1", "10.0.0.2:80"), target("t3", "u1", "10.0.0.3:80")};
  auto plan = planOk(current, desired);
  EXPECT_EQ(lines(plan), (std::vector<std::string>{
                             "updating service users: host", "creating target 10.0.0.3:80",
                             "deleting plugin cors (service old)", "deleting target 10.0.0.1:80",
                             "deleting route r2", "deleting service old"}));
  EXPECT_EQ(plan.summary(), "created 1, updated 1, deleted 4");
  EXPECT_TRUE(plan.operations.back().body.is_null());
  EXPECT_EQ(plan.operations.back().id, "s2");
}

TEST(ConfigDiffTest, MatchByNameKeepsTheExistingIdAndRewritesChildren) {
  EntityLists current;
  current["services"] = {service("old-s", "users")};
  current["routes"] = {route("old-r", "r1", "old-s")};
  current["upstreams"] = {upstream("old-u", "pool")};
  current["targets"] = {target("old-t", "old-u", "10.0.0.1:8000")};
  current["plugins"] = {plugin("old-p", "cors", "old-s", "old-r")};
  EntityLists desired;
  desired["services"] = {service("new-s", "users")};
  desired["routes"] = {route("new-r", "r1", "new-s"), route("new-r2", "r2", "new-s")};
  desired["upstreams"] = {upstream("new-u", "pool")};
  desired["targets"] = {target("new-t", "new-u", "10.0.0.1")};  // default port: same target
  desired["plugins"] = {plugin("new-p", "cors", "new-s", "new-r"),
                        plugin("new-p2", "cors", "new-s", "new-r2")};
  auto plan = planOk(current, desired);
  // Only the target's spelling and the new route and plugin differ.
  ASSERT_EQ(plan.operations.size(), 3u) << plan.toJson().dump(2);
  EXPECT_EQ(plan.operations[0].op, OperationType::kCreate);
  EXPECT_EQ(plan.operations[0].kind, "routes");
  EXPECT_EQ(plan.operations[0].id, "new-r2");
  EXPECT_EQ(plan.operations[0].body["service"], ref("old-s"));
  EXPECT_EQ(plan.operations[1].op, OperationType::kUpdate);
  EXPECT_EQ(plan.operations[1].id, "old-t");
  EXPECT_EQ(plan.operations[1].body["id"], "old-t");
  EXPECT_EQ(plan.operations[1].body["upstream"], ref("old-u"));
  EXPECT_EQ(plan.operations[1].changed, std::vector<std::string>{"target"});
  EXPECT_EQ(plan.operations[2].op, OperationType::kCreate);
  EXPECT_EQ(plan.operations[2].body["service"], ref("old-s"));
  EXPECT_EQ(plan.operations[2].body["route"], ref("new-r2"));
  EXPECT_EQ(plan.operations[2].name, "cors (service users, route r2)");

  // By id only, the same input replaces everything.
  auto byId = planOk(current, desired, /*naturalKeys=*/false);
  EXPECT_EQ(byId.count(OperationType::kCreate), 7u);
  EXPECT_EQ(byId.count(OperationType::kDelete), 5u);
  EXPECT_EQ(byId.count(OperationType::kUpdate), 0u);
}

TEST(ConfigDiffTest, IdMatchWinsOverNaturalKey) {
  EntityLists current;
  current["services"] = {service("a", "first"), service("b", "second")};
  EntityLists desired;
  desired["services"] = {service("x", "second"), service("b", "renamed")};
  auto plan = planOk(current, desired);
  // "b" is matched by its id (and renamed), so "second" is free: "x" is a new service.
  EXPECT_EQ(lines(plan),
            (std::vector<std::string>{"creating service second", "updating service renamed: name",
                                      "deleting service first"}));
}

TEST(ConfigDiffTest, ConsumersMatchByUsernameThenCustomId) {
  EntityLists current;
  current["consumers"] = {Json{{"id", "c1"}, {"username", "alice"}, {"custom_id", nullptr}},
                          Json{{"id", "c2"}, {"username", nullptr}, {"custom_id", "42"}}};
  EntityLists desired;
  desired["consumers"] = {Json{{"id", "d1"}, {"username", "alice"}, {"custom_id", "7"}},
                          Json{{"id", "d2"}, {"username", "bob"}, {"custom_id", "42"}}};
  auto plan = planOk(current, desired);
  EXPECT_EQ(lines(plan), (std::vector<std::string>{"updating consumer alice: custom_id",
                                                   "updating consumer bob: username"}));
  EXPECT_EQ(plan.operations[0].id, "c1");
  EXPECT_EQ(plan.operations[1].id, "c2");
}

TEST(ConfigDiffTest, CertificatesMatchByPemAndSnisFollow) {
  EntityLists current;
  current["certificates"] = {Json{{"id", "cert-old"}, {"cert", "PEM"}, {"key", "KEY"}}};
  current["snis"] = {
      Json{{"id", "sni-old"}, {"name", "a.example.com"}, {"certificate", ref("cert-old")}}};
  EntityLists desired;
  desired["certificates"] = {Json{{"id", "cert-new"}, {"cert", "PEM"}, {"key", "KEY"}}};
  desired["snis"] = {
      Json{{"id", "sni-new"}, {"name", "A.example.com"}, {"certificate", ref("cert-new")}},
      Json{{"id", "sni-2"}, {"name", "b.example.com"}, {"certificate", ref("cert-new")}}};
  auto plan = planOk(current, desired);
  ASSERT_EQ(plan.operations.size(), 2u) << plan.toJson().dump(2);
  EXPECT_EQ(lines(plan), (std::vector<std::string>{"updating sni A.example.com: name",
                                                   "creating sni b.example.com"}));
  EXPECT_EQ(plan.operations[0].id, "sni-old");
  EXPECT_EQ(plan.operations[1].body["certificate"], ref("cert-old"));
}

TEST(ConfigDiffTest, PlanJsonRoundTrips) {
  EntityLists current;
  current["services"] = {service("s1", "users"), service("s2", "gone")};
  EntityLists desired;
  desired["services"] = {service("s1", "users", "h2"), service("s3", "new")};
  auto plan = planOk(current, desired);
  const Json j = plan.toJson();
  EXPECT_EQ(j["created"], 1);
  EXPECT_EQ(j["updated"], 1);
  EXPECT_EQ(j["deleted"], 1);
  ASSERT_EQ(j["operations"].size(), 3u);
  EXPECT_EQ(j["operations"][0], Json({{"op", "update"},
                                      {"kind", "services"},
                                      {"id", "s1"},
                                      {"name", "users"},
                                      {"changed", {"host"}},
                                      {"body", plan.operations[0].body}}));
  EXPECT_EQ(j["operations"][2],
            Json({{"op", "delete"}, {"kind", "services"}, {"id", "s2"}, {"name", "gone"}}));
  auto back = ConfigPlan::fromJson(j);
  ASSERT_TRUE(back.isOk()) << back.status().message();
  EXPECT_EQ(back->toJson(), j);
  EXPECT_EQ(back->describe(), plan.describe());

  EXPECT_FALSE(ConfigPlan::fromJson(Json::array()).isOk());
  EXPECT_FALSE(ConfigPlan::fromJson(Json{{"operations", {{{"op", "rename"}}}}}).isOk());
  EXPECT_FALSE(ConfigPlan::fromJson(Json{{"operations", {{{"op", "create"}}}}}).isOk());
}

TEST(ConfigDiffTest, MalformedBodiesAreErrors) {
  EntityLists bad;
  bad["services"] = {Json{{"name", "no-id"}}};
  EXPECT_FALSE(planConfigDiff({}, bad).isOk());
  EXPECT_FALSE(planConfigDiff(bad, {}).isOk());
  EntityLists twice;
  twice["routes"] = {route("r", "a", ""), route("r", "b", "")};
  EXPECT_FALSE(planConfigDiff({}, twice).isOk());
  EntityLists notObject;
  notObject["routes"] = {Json::array()};
  EXPECT_FALSE(planConfigDiff({}, notObject).isOk());
}

}  // namespace
}  // namespace causeway::model::kong
