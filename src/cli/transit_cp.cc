#include "cli/transit_cp.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "cli/transit_key.h"
#include "model/network/loader.h"
#include "model/network/plan.h"
#include "model/network/resources.h"
#include "sync/sync_client.h"
#include "wg/env.h"
#include "wg/key_encoding.h"
#include "wg/x25519.h"

namespace causeway::cli {
namespace {

using Json = nlohmann::json;
namespace network = model::network;

// This gateway's plan from the network entities the CP sent.
Result<network::GatewayPlan> planFromSet(const sync::EntitySet& set, const std::string& name,
                                         const std::string& own_key) {
  std::vector<network::NetworkResource> resources;
  std::map<std::string, std::string> registered;
  for (const std::string& kind : network::networkConfigKinds()) {
    set.forEach(kind, [&](const std::string& id, const std::string& body) {
      resources.push_back({kind, id, Json::parse(body, nullptr, false)});
    });
  }
  set.forEach(network::kGatewayKeysKind, [&](const std::string& id, const std::string& body) {
    Json b = Json::parse(body, nullptr, false);
    if (!b.is_discarded() && b.contains("public_key") && b["public_key"].is_string()) {
      registered[id] = b["public_key"].get<std::string>();
    }
  });
  Json net = network::assembleNetwork(resources);
  network::fillRegisteredKeys(net, registered);
  model::kong::LoadError errors;
  network::LoadOptions options;
  options.require_keys = false;
  auto loaded = network::loadNetworkJson(Json{{"network", net}}, &errors, options);
  if (!loaded.isOk()) {
    return Status::invalidArgument(errors.errors.empty() ? loaded.status().message()
                                                         : errors.message());
  }
  for (const char* section : {"transit_gateways", "spoke_gateways"}) {
    for (const Json& g : net.value(section, Json::array())) {
      if (g.value("name", "") != name || !g.contains("public_key")) continue;
      if (g["public_key"] != own_key) {
        return Status::invalidArgument("the network gives " + name + " the public key " +
                                       g["public_key"].get<std::string>() +
                                       ", not this gateway's " + own_key);
      }
    }
  }
  return network::planGateway(loaded.value(), name);
}

// Hands plans from the sync thread to the gateway: the first one to the main thread (which
// starts the gateway with it), the later ones through the gateway's PlanApply.
struct PlanBridge {
  std::mutex mu;
  std::condition_variable cv;
  std::optional<network::GatewayPlan> pending;  // not yet taken by the gateway
  transit::GatewayOptions::PlanApply apply;     // set (on the sync thread) once the gateway runs

  Status deliver(network::GatewayPlan plan) {
    if (apply) return apply(std::move(plan));
    std::lock_guard<std::mutex> lock(mu);
    pending = std::move(plan);
    cv.notify_all();
    return Status::ok();
  }
};

}  // namespace

int runTransitFromCp(const TransitCpOptions& o, transit::GatewayOptions gateway) {
  auto key = loadOrCreatePrivateKey(o.data_dir);
  if (!key.isOk()) {
    std::fprintf(stderr, "causeway transit: %s\n", key.status().message().c_str());
    return 2;
  }
  const std::optional<wg::PublicKey> pub = wg::publicKeyOf(key.value());
  if (!pub) {
    std::fprintf(stderr, "causeway transit: the private key in %s is not usable\n",
                 o.data_dir.c_str());
    return 2;
  }
  const std::string public_key = wg::encodeKey(*pub);
  spdlog::info("transit {}: public key {}; syncing from {}", o.name, public_key, o.cp_url);

  auto bridge = std::make_shared<PlanBridge>();
  const std::string name = o.name;
  auto publish = [bridge, name, public_key](const sync::EntitySet& set) -> Status {
    auto plan = planFromSet(set, name, public_key);
    if (!plan.isOk()) return plan.status();
    return bridge->deliver(std::move(plan.value()));
  };
  sync::SyncHandler handler;
  handler.snapshot = [publish](const sync::EntitySet& set, const Json&, const std::string&) {
    return publish(set);
  };
  handler.delta = [publish](const sync::EntitySet& set, const sync::SyncHandler::Touched& touched,
                            const std::string&) {
    return touched.empty() ? Status::ok() : publish(set);  // another layer's revision
  };
  sync::SyncClientOptions so;
  so.cp_url = o.cp_url;
  so.cert_dir = o.cert_dir;
  so.data_dir = o.data_dir;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  so.hostname = host;
  so.capabilities = {"transit"};
  so.extend_hello = [name, public_key](Json& hello) {
    hello["transit"] = {{"name", name}, {"public_key", public_key}};
  };

  asio::io_context sync_io;
  auto work = asio::make_work_guard(sync_io);
  sync::SyncClient client(sync_io, so, handler);
  if (Status st = client.start(); !st.isOk()) {
    std::fprintf(stderr, "causeway transit: %s\n", st.message().c_str());
    return 2;
  }
  std::thread sync_thread([&sync_io] { sync_io.run(); });
  auto stopSync = [&] {
    asio::post(sync_io, [&] {
      client.stop();
      sync_io.stop();
    });
    sync_thread.join();
  };

  network::GatewayPlan first;
  {
    std::unique_lock<std::mutex> lock(bridge->mu);
    if (!bridge->pending) {
      spdlog::info("transit {}: waiting for the control plane's network", name);
    }
    bridge->cv.wait(lock, [&] { return bridge->pending.has_value(); });
    first = std::move(*bridge->pending);
    bridge->pending.reset();
  }
  gateway.plan_source = [bridge, &sync_io](transit::GatewayOptions::PlanApply apply) {
    // On the sync thread from now on: deliver() calls it, and a plan that arrived while the
    // gateway was starting is applied first.
    asio::post(sync_io, [bridge, apply = std::move(apply)] {
      std::optional<network::GatewayPlan> late;
      {
        std::lock_guard<std::mutex> lock(bridge->mu);
        late = std::move(bridge->pending);
        bridge->pending.reset();
      }
      bridge->apply = apply;
      if (late) (void)apply(std::move(*late));
    });
  };
  const int rc = transit::runGateway(std::move(first), key.value(), gateway);
  stopSync();
  return rc;
}

}  // namespace causeway::cli
