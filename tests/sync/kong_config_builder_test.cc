// KongConfigBuilder: after any sequence of changes, the incrementally patched Config must equal a
// full load of the same set (the data plane would otherwise serve something the CP never had).
#include "sync/kong_config_builder.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "net/tls.h"

namespace causeway::sync {
namespace {

using Json = nlohmann::json;

std::string uuid(int n) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "00000000-0000-4000-8000-%012d", n);
  return buf;
}

// Everything the data path reads, in a comparable text form.
std::string describe(const model::kong::Config& c) {
  std::ostringstream o;
  for (const auto& s : c.services) o << "S " << s.id << " " << s.name << " " << s.host << ":" << s.port << "\n";
  for (const auto& r : c.routes) {
    o << "R " << r.order << " " << r.id << " " << r.name << " svc=" << r.service_id;
    for (const auto& p : r.paths) o << " " << p;
    o << "\n";
  }
  for (const auto& u : c.upstreams) {
    o << "U " << u.id << " " << u.name;
    for (const auto& t : u.targets) o << " " << t.id << "=" << t.host << ":" << t.port << "/" << t.weight;
    o << "\n";
  }
  for (const auto& cert : c.certificates) {
    o << "C " << cert.id;
    std::vector<std::string> snis = cert.snis;
    std::sort(snis.begin(), snis.end());
    for (const auto& n : snis) o << " " << n;
    o << "\n";
  }
  for (const auto& k : c.consumers) o << "K " << k.id << " " << k.username << "\n";
  return o.str();
}

class KongConfigBuilderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto pem = net::generateSelfSigned("example.test");
    ASSERT_TRUE(pem.isOk());
    cert_ = pem->cert;
    key_ = pem->key;
  }

  void put(const std::string& kind, Json body) {
    const std::string id = body["id"];
    set_.upsert(kind, id, body);
    touched_.emplace_back(kind, id);
  }
  void drop(const std::string& kind, const std::string& id) {
    set_.erase(kind, id);
    touched_.emplace_back(kind, id);
  }
  // Applies what was touched since the last step and compares with a full load.
  void step(const char* what) {
    SCOPED_TRACE(what);
    ASSERT_TRUE(builder_.apply(set_, touched_).isOk());
    touched_.clear();
    KongConfigBuilder full;
    ASSERT_TRUE(full.reset(set_).isOk());
    EXPECT_EQ(describe(builder_.config()), describe(full.config()));
  }

  Json service(int n, const std::string& host) {
    return {{"id", uuid(n)}, {"name", "s" + std::to_string(n)}, {"host", host}, {"port", 80},
            {"created_at", n}};
  }
  Json route(int n, int svc, const std::string& path, int created) {
    return {{"id", uuid(n)}, {"name", "r" + std::to_string(n)}, {"paths", {path}},
            {"service", {{"id", uuid(svc)}}}, {"created_at", created}};
  }
  // Later targets are created earlier, so creation order differs from id order.
  Json target(int n, int up, const std::string& t, int weight) {
    return {{"id", uuid(n)}, {"target", t}, {"weight", weight}, {"upstream", {{"id", uuid(up)}}},
            {"created_at", 1000 - n}};
  }

  EntitySet set_;
  KongConfigBuilder builder_;
  KongConfigBuilder::Touched touched_;
  std::string cert_, key_;
};

TEST_F(KongConfigBuilderTest, IncrementalEqualsFullLoadAcrossKinds) {
  // A starting set, loaded whole.
  put("services", service(1, "a.internal"));
  put("services", service(2, "pool"));
  for (int i = 0; i < 6; ++i) put("routes", route(100 + i, 1 + i % 2, "/r" + std::to_string(i), 10));
  put("upstreams", {{"id", uuid(200)}, {"name", "pool"}});
  put("targets", target(201, 200, "10.0.0.1:80", 100));
  put("targets", target(202, 200, "10.0.0.2:80", 50));
  put("certificates", {{"id", uuid(300)}, {"cert", cert_}, {"key", key_}});
  put("snis", {{"id", uuid(301)}, {"name", "example.test"}, {"certificate", {{"id", uuid(300)}}}});
  put("snis", {{"id", uuid(302)}, {"name", "www.example.test"}, {"certificate", {{"id", uuid(300)}}}});
  put("consumers", {{"id", uuid(400)}, {"username", "alice"}});
  ASSERT_TRUE(builder_.reset(set_).isOk());
  touched_.clear();

  put("routes", route(103, 2, "/moved", 10));
  step("a route changes its path and service");
  put("routes", route(106, 1, "/early", 1));
  step("a new route created earlier than the rest sorts first");
  drop("routes", uuid(101));
  step("a route deleted");
  put("targets", target(202, 200, "10.0.0.2:80", 0));
  step("a target's weight changed");
  drop("targets", uuid(201));
  step("a target deleted");
  put("targets", target(203, 200, "10.0.0.3:8080", 10));
  step("a target added");
  drop("snis", uuid(302));
  step("an sni deleted");
  put("snis", {{"id", uuid(303)}, {"name", "api.example.test"}, {"certificate", {{"id", uuid(300)}}}});
  step("an sni added");
  put("services", service(1, "b.internal"));
  step("a service changed");
  put("consumers", {{"id", uuid(401)}, {"username", "bob"}});
  drop("consumers", uuid(400));
  step("consumers added and deleted in one delta");
  put("services", service(3, "c.internal"));
  put("routes", route(107, 3, "/new", 20));
  step("a new service and its route in one delta");
  for (int i = 0; i < 6; ++i) drop("routes", uuid(100 + i));
  drop("routes", uuid(106));
  drop("routes", uuid(107));
  drop("targets", uuid(202));
  drop("targets", uuid(203));
  drop("upstreams", uuid(200));
  step("most of the set deleted (falls back to a full load)");
}

TEST_F(KongConfigBuilderTest, AnInvalidDeltaLeavesTheConfigUnchanged) {
  put("services", service(1, "a.internal"));
  put("routes", route(100, 1, "/a", 1));
  put("routes", route(101, 1, "/b", 2));
  put("routes", route(102, 1, "/c", 3));
  ASSERT_TRUE(builder_.reset(set_).isOk());
  touched_.clear();
  const std::string before = describe(builder_.config());
  put("routes", route(100, 1, "~/(unclosed", 1));
  EXPECT_FALSE(builder_.apply(set_, touched_).isOk());
  EXPECT_EQ(describe(builder_.config()), before);
}

}  // namespace
}  // namespace causeway::sync
