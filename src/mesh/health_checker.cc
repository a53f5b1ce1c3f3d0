#include "mesh/health_checker.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <atomic>

#include "http/http1_parser.h"
#include "net/deadline.h"
#include "proxy/upstream_connect.h"

namespace causeway::mesh {

struct HealthChecker::Run {
  std::shared_ptr<const SidecarConfig> config;
  std::atomic<bool> stopped{false};
};

namespace {

// One probe: true when the endpoint answered as expected within the timeout.
asio::awaitable<bool> probe(proxy::Worker& w, const proxy::Cluster& c, const proxy::Endpoint& ep,
                            const HealthCheckSpec& spec) {
  net::Stream* victim = nullptr;
  auto deadline = std::make_shared<net::Deadline>(w.io(), [&victim] {
    if (victim) victim->close();
  });
  auto arm = [&](net::Stream* s, std::chrono::milliseconds) {
    victim = s;
    deadline->expiresAfter(spec.timeout);
  };
  std::string error;
  auto conn = co_await proxy::connectEndpoint(
      w, c, ep, arm, [&] { return deadline->expired(); }, error);
  if (!conn) {
    deadline->cancel();
    co_return false;
  }
  bool ok = true;
  if (spec.http) {
    victim = conn.get();
    deadline->expiresAfter(spec.timeout);
    std::string req = "GET " + spec.path + " HTTP/1.1\r\nHost: " + ep.host +
                      "\r\nUser-Agent: causeway-health-check\r\nConnection: close\r\n\r\n";
    std::error_code ec;
    co_await conn->writeAll(asio::buffer(req), ec);
    // The answer's status line and head, read with the project's response parser.
    std::string head;
    http::ResponseHead resp;
    ok = false;
    while (!ec && head.size() < 8192) {
      char buf[1024];
      size_t n = co_await conn->readSome(asio::buffer(buf), ec);
      head.append(buf, n);
      auto r = http::parseResponseHead(head, "GET", http::Limits{}, resp);
      if (r.status == http::ParseStatus::kNeedMore) continue;
      ok = r.status == http::ParseStatus::kDone && resp.status >= 200 && resp.status < 300;
      break;
    }
  }
  deadline->cancel();
  conn->close();
  co_return ok;
}

asio::awaitable<void> check(proxy::ProxyServer* server, proxy::Worker* w,
                            std::shared_ptr<HealthChecker::Run> run,
                            std::shared_ptr<HealthChecker::Verdicts> verdicts, HealthCheckSpec spec,
                            size_t endpoint) {
  const proxy::Cluster& c = run->config->cluster(spec.cluster);
  const std::string key = c.pool_keys[endpoint];
  asio::steady_timer timer(w->io());
  while (!run->stopped) {
    const bool ok = co_await probe(*w, c, c.endpoints[endpoint], spec);
    if (run->stopped) break;
    HealthChecker::Verdict& v = (*verdicts)[key];
    v.failures = ok ? 0 : v.failures + 1;
    v.successes = ok ? v.successes + 1 : 0;
    bool next = v.healthy;
    if (v.healthy && v.failures >= spec.unhealthy_threshold) next = false;
    if (!v.healthy && v.successes >= spec.healthy_threshold) next = true;
    if (next != v.healthy) {
      v.healthy = next;
      const bool healthy = next;
      spdlog::info("health check: {} endpoint {}:{} is {}", c.name, c.endpoints[endpoint].host,
                   c.endpoints[endpoint].port, healthy ? "healthy" : "unhealthy");
      for (size_t i = 0; i < server->workers(); ++i) {
        server->post(i,
                     [key, healthy](proxy::Worker& wk) { wk.health().setHealthy(key, healthy); });
      }
    }
    timer.expires_after(spec.interval);
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

}  // namespace

HealthChecker::~HealthChecker() {
  if (run_) run_->stopped = true;
}

void HealthChecker::update(std::shared_ptr<const SidecarConfig> config) {
  if (run_) run_->stopped = true;
  run_ = std::make_shared<Run>();
  run_->config = std::move(config);
  if (run_->config->healthChecks().empty()) return;
  auto run = run_;
  auto verdicts = verdicts_;
  proxy::ProxyServer* server = &server_;
  server_.post(0, [run, verdicts, server](proxy::Worker& w) {
    for (const HealthCheckSpec& spec : run->config->healthChecks()) {
      const size_t n = run->config->cluster(spec.cluster).endpoints.size();
      for (size_t e = 0; e < n; ++e) {
        asio::co_spawn(w.io(), check(server, &w, run, verdicts, spec, e), asio::detached);
      }
    }
  });
}

}  // namespace causeway::mesh
