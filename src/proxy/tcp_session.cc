#include "proxy/tcp_session.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/use_awaitable.hpp>
#include <vector>

#include "net/deadline.h"
#include "proxy/upstream_connect.h"

namespace causeway::proxy {
namespace {

using Clock = std::chrono::steady_clock;

// Copies `from` to `to` until EOF or an error; every read or write moves the shared idle
// deadline. Returns the bytes copied.
asio::awaitable<uint64_t> pump(net::Stream& from, net::Stream& to, net::Deadline& idle,
                               std::chrono::milliseconds idle_timeout) {
  std::vector<char> buf(16 * 1024);
  uint64_t total = 0;
  for (;;) {
    std::error_code ec;
    idle.expiresAfter(idle_timeout);
    size_t n = co_await from.readSome(asio::buffer(buf), ec);
    if (ec || n == 0) break;
    idle.expiresAfter(idle_timeout);
    co_await to.writeAll(asio::buffer(buf.data(), n), ec);
    if (ec) break;
    total += n;
  }
  co_return total;
}

}  // namespace

asio::awaitable<void> serveTcp(Worker& w, std::unique_ptr<net::Stream> client, TcpPlan plan,
                               std::shared_ptr<WorkerSnapshot> snap) {
  const Cluster& c = *plan.cluster;
  // Circuit breaking: a slot held until both directions are done (refuse rather than queue).
  auto slot = w.acquire(c.name, c.max_connections);
  if (!slot) {
    w.stats().upstreamError(c.name, "overflow");
    client->close();
    co_return;
  }
  std::shared_ptr<net::Stream> down(std::move(client));
  std::shared_ptr<net::Stream> up;
  net::Stream* victim = nullptr;
  auto deadline = std::make_shared<net::Deadline>(w.io(), [&victim] {
    if (victim) victim->close();
  });
  LoadBalancer& lb = snap->balancer(c);
  const std::vector<size_t> excluded = w.health().excluded(c, Clock::now());
  std::vector<size_t> tried = excluded;
  for (int attempts = c.retries + 1; attempts > 0 && !up; --attempts) {
    auto picked = lb.pick(plan.hash_key, tried);
    if (!picked && tried.size() > excluded.size()) {
      tried = excluded;
      picked = lb.pick(plan.hash_key, tried);
    }
    if (!picked) break;
    std::string error;
    auto conn = co_await connectEndpoint(
        w, c, c.endpoints[*picked],
        [&](net::Stream* s, std::chrono::milliseconds d) {
          victim = s;
          deadline->expiresAfter(d);
        },
        [&] { return deadline->expired(); }, error);
    deadline->disarm();
    if (!conn) {
      w.health().record(c, c.pool_keys[*picked], 0, Clock::now());
      w.stats().upstreamError(c.name, error);
      spdlog::debug("tcp upstream of {} failed: {}", c.name, error);
      tried.push_back(*picked);
      continue;
    }
    w.health().record(c, c.pool_keys[*picked], 200, Clock::now());
    up = std::move(conn);
  }
  deadline->cancel();
  if (!up) {
    down->close();
    co_return;
  }
  // Both directions share one idle watchdog that closes both sides. The client's EOF is passed on
  // as a half-close (plain TCP; over TLS nothing is sent) and the answer still flows back; the
  // upstream's EOF ends the connection.
  auto idle = std::make_shared<net::Deadline>(w.io(), [down, up] {
    down->close();
    up->close();
  });
  asio::co_spawn(
      w.io(),
      [down, up, idle, slot = *slot, timeout = plan.idle_timeout]() -> asio::awaitable<void> {
        co_await pump(*up, *down, *idle, timeout);
        down->close();
        up->close();
        idle->cancel();
      },
      asio::detached);
  co_await pump(*down, *up, *idle, plan.idle_timeout);
  if (up->isOpen()) up->shutdownSend();
}

}  // namespace causeway::proxy
