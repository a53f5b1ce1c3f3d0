#include "observe/stats.h"

#include <gtest/gtest.h>

namespace causeway::observe {
namespace {

TEST(Stats, CountsByRouteAndCodeAndMergesWorkers) {
  WorkerStats a, b;
  a.request("orders", "list", 200, 0.003);
  a.request("orders", "list", 200, 0.2);
  a.request("orders", "list", 502, 0.001);
  b.request("orders", "list", 200, 40.0);  // beyond the last bucket: +Inf only
  b.upstreamError("orders", "connect_refused");
  a.connectionOpened();
  b.connectionOpened();
  b.connectionClosed();

  Stats total;
  total.merge(a.snapshot());
  total.merge(b.snapshot());
  EXPECT_EQ(total.requests, 4u);
  EXPECT_EQ(total.connections_accepted, 2u);
  EXPECT_EQ(total.connections_active, 1u);
  ASSERT_EQ(total.routes.size(), 1u);
  const RouteSeries& r = total.routes.begin()->second;
  EXPECT_EQ(r.count, 4u);
  uint64_t ok = 0, bad = 0;
  for (auto [code, n] : r.by_code) (code == 200 ? ok : bad) += n;
  EXPECT_EQ(ok, 3u);
  EXPECT_EQ(bad, 1u);
  EXPECT_EQ(r.buckets.back(), 1u);
  EXPECT_EQ((total.upstream_errors[{"orders", "connect_refused"}]), 1u);
}

TEST(Stats, PrometheusTextHasCumulativeBucketsAndEscapedLabels) {
  WorkerStats w;
  w.request("svc \"q\"", "r\\1", 200, 0.004);
  w.request("svc \"q\"", "r\\1", 200, 0.02);
  ProcessInfo p;
  p.config_hash = "abc";
  p.workers = 2;
  std::string text = renderPrometheus(w.snapshot(), p);
  EXPECT_NE(text.find("causeway_http_requests_total{service=\"svc \\\"q\\\"\",route=\"r\\\\1\","
                      "code=\"200\"} 2\n"),
            std::string::npos)
      << text;
  // 0.004 falls in le=0.005, 0.02 in le=0.025: cumulative counts 0,0,1,1,2...
  EXPECT_NE(text.find("le=\"0.0025\"} 0\n"), std::string::npos);
  EXPECT_NE(text.find("le=\"0.005\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("le=\"0.025\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("le=\"+Inf\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("causeway_config_info{hash=\"abc\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE causeway_http_request_duration_seconds histogram\n"),
            std::string::npos);
}

}  // namespace
}  // namespace causeway::observe
