// Outlier detection and health marks: consecutive failures eject for base x n, at most
// max_ejection_percent of a cluster, never every endpoint (panic), and a success resets.
#include "proxy/endpoint_health.h"

#include <gtest/gtest.h>

namespace causeway::proxy {
namespace {

using namespace std::chrono_literals;

Cluster cluster(size_t n, int consecutive, int percent = 100) {
  Cluster c;
  for (size_t i = 0; i < n; ++i) {
    c.endpoints.push_back({"10.0.0." + std::to_string(i + 1), 80, 100});
    c.pool_keys.push_back(c.endpoints.back().host);
  }
  c.outlier.enabled = true;
  c.outlier.consecutive_total = consecutive;
  c.outlier.base_ejection = 10s;
  c.outlier.max_ejection_percent = percent;
  return c;
}

TEST(EndpointHealthTest, ConsecutiveFailuresEjectForAWhile) {
  EndpointHealth h;
  Cluster c = cluster(3, 3);
  auto t0 = EndpointHealth::Clock::now();
  h.record(c, "10.0.0.1", 503, t0);
  h.record(c, "10.0.0.1", 503, t0);
  h.record(c, "10.0.0.1", 200, t0);  // a success resets the count
  h.record(c, "10.0.0.1", 503, t0);
  h.record(c, "10.0.0.1", 0, t0);
  EXPECT_TRUE(h.available(c, "10.0.0.1", t0));
  h.record(c, "10.0.0.1", 500, t0);
  EXPECT_FALSE(h.available(c, "10.0.0.1", t0));
  EXPECT_EQ(h.excluded(c, t0), std::vector<size_t>{0});
  EXPECT_TRUE(h.available(c, "10.0.0.1", t0 + 11s));  // back after base_ejection
  // A second ejection lasts twice as long.
  for (int i = 0; i < 3; ++i) h.record(c, "10.0.0.1", 502, t0 + 12s);
  EXPECT_FALSE(h.available(c, "10.0.0.1", t0 + 12s + 19s));
  EXPECT_TRUE(h.available(c, "10.0.0.1", t0 + 12s + 21s));
  EXPECT_EQ(h.ejectionsTotal(), 2u);
  h.record(c, "10.0.0.2", 404, t0);  // 4xx is not a failure
  EXPECT_TRUE(h.available(c, "10.0.0.2", t0));
}

TEST(EndpointHealthTest, MaxEjectionPercentAndPanic) {
  EndpointHealth h;
  Cluster c = cluster(4, 1, 50);
  auto t0 = EndpointHealth::Clock::now();
  for (const auto& k : c.pool_keys) h.record(c, k, 503, t0);
  EXPECT_EQ(h.excluded(c, t0).size(), 2u);  // 50% of 4

  Cluster all = cluster(2, 1, 100);
  EndpointHealth h2;
  for (const auto& k : all.pool_keys) h2.record(all, k, 503, t0);
  EXPECT_TRUE(h2.excluded(all, t0).empty());  // every endpoint out: use them all
}

TEST(EndpointHealthTest, ActiveHealthMarks) {
  EndpointHealth h;
  Cluster c = cluster(2, 5);
  c.outlier.enabled = false;
  auto t0 = EndpointHealth::Clock::now();
  h.setHealthy("10.0.0.2", false);
  EXPECT_TRUE(h.available(c, "10.0.0.2", t0));  // the cluster is not health-checked
  c.health_checked = true;
  EXPECT_FALSE(h.available(c, "10.0.0.2", t0));
  EXPECT_EQ(h.excluded(c, t0), std::vector<size_t>{1});
  h.setHealthy("10.0.0.2", true);
  EXPECT_TRUE(h.available(c, "10.0.0.2", t0));
  // Outlier detection off: failures are not counted.
  for (int i = 0; i < 10; ++i) h.record(c, "10.0.0.1", 503, t0);
  EXPECT_TRUE(h.available(c, "10.0.0.1", t0));
}

}  // namespace
}  // namespace causeway::proxy
