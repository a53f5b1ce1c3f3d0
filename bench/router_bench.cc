// Router benchmarks: match latency over config sizes, and build time at 100k routes.
//
// Configs: one host per ten routes ("svcN.example.com"), plain prefix paths, every tenth route a
// regex path. Requests cycle over routes spread across the whole set.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "gateway/router.h"

namespace {

using causeway::gateway::RouteRequest;
using causeway::gateway::Router;
using causeway::model::kong::Config;
using causeway::model::kong::Route;

Config makeConfig(size_t n, bool with_hosts) {
  Config c;
  c.routes.reserve(n);
  const size_t hosts = std::max<size_t>(1, n / 10);
  for (size_t i = 0; i < n; ++i) {
    Route& r = c.routes.emplace_back();
    r.id = "route-" + std::to_string(i);
    r.name = r.id;
    r.order = i;
    if (with_hosts) r.hosts = {"svc" + std::to_string(i % hosts) + ".example.com"};
    if (i % 10 == 0) {
      r.paths = {"~/v1/items" + std::to_string(i) + "/(\\d+)$"};
    } else {
      r.paths = {"/api/v1/svc" + std::to_string(i) + "/res"};
    }
  }
  return c;
}

struct Request {
  std::string host;
  std::string path;
};

std::vector<Request> makeRequests(size_t n, bool with_hosts) {
  std::vector<Request> out;
  const size_t hosts = std::max<size_t>(1, n / 10);
  for (size_t k = 0; k < 1024; ++k) {
    size_t i = (k * 7919) % n;
    Request q;
    q.host = with_hosts ? "svc" + std::to_string(i % hosts) + ".example.com" : "any.example.com";
    q.path = i % 10 == 0 ? "/v1/items" + std::to_string(i) + "/77"
                         : "/api/v1/svc" + std::to_string(i) + "/res/123";
    out.push_back(std::move(q));
  }
  return out;
}

void runMatch(benchmark::State& state, bool with_hosts) {
  const size_t n = size_t(state.range(0));
  Config config = makeConfig(n, with_hosts);
  auto router = Router::build(config);
  if (!router.isOk()) {
    state.SkipWithError(router.status().message().c_str());
    return;
  }
  const auto requests = makeRequests(n, with_hosts);
  size_t k = 0;
  size_t misses = 0;
  for (auto _ : state) {
    const Request& q = requests[k++ & 1023];
    RouteRequest rr;
    rr.method = "GET";
    rr.host = q.host;
    rr.port = 80;
    rr.path = q.path;
    auto m = (*router)->match(rr);
    misses += !m;
    benchmark::DoNotOptimize(m);
  }
  if (misses != 0) state.SkipWithError("a request did not match");
}

void BM_Match(benchmark::State& state) { runMatch(state, true); }
void BM_MatchHostless(benchmark::State& state) { runMatch(state, false); }

void BM_Build(benchmark::State& state) {
  Config config = makeConfig(size_t(state.range(0)), true);
  for (auto _ : state) {
    auto router = Router::build(config);
    benchmark::DoNotOptimize(router);
  }
}

BENCHMARK(BM_Match)->Arg(10)->Arg(1000)->Arg(10000)->Arg(100000);
BENCHMARK(BM_MatchHostless)->Arg(10)->Arg(1000)->Arg(10000);
BENCHMARK(BM_Build)->Arg(100000)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace

BENCHMARK_MAIN();
