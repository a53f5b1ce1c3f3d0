// `causeway cp`: the control plane. Admin API (loopback by default), store (SQLite in --data-dir,
// or PostgreSQL with --store), and the cluster listener data planes sync from.
//   causeway cp [--data-dir DIR] [--store postgres://...] [--cluster-cert-dir DIR] ...
//   causeway cp migrate [--store ...]            apply schema migrations and exit
//   causeway cp token create --name N [--read-only]  print a new admin token (stored hashed)
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <atomic>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/log.h"
#include "cli/commands.h"
#include "cp/admin_api.h"
#include "cp/api_server.h"
#include "cp/cluster_server.h"
#include "cp/config_state.h"
#include "cp/mesh_channel.h"
#include "cp/mesh_identity.h"
#include "cp/network_config.h"
#include "model/network/resources.h"
#include "net/address.h"
#include "net/tls.h"
#include "store/store.h"
#include "sync/cluster_tls.h"

namespace causeway::cli {
namespace {

struct CpFlags {
  std::string data_dir = "causeway-data";
  std::string store_uri;
  std::string admin_listen = "127.0.0.1:8001";
  std::string admin_ssl_listen = "127.0.0.1:8444";
  std::string cluster_listen = "0.0.0.0:8005";
  std::string cluster_cert_dir;
  std::string log_level = "info";
  std::string token_name;
  bool token_read_only = false;
  std::string sync_mode = "delta";
};

bool isLoopback(const asio::ip::tcp::endpoint& ep) { return ep.address().is_loopback(); }

Result<std::unique_ptr<store::Store>> openAndMigrate(const CpFlags& f) {
  auto st = store::openStore(f.store_uri, f.data_dir);
  if (!st.isOk()) return st.status();
  if (Status m = st.value()->migrate(); !m.isOk()) return m;
  return std::move(st.value());
}

int fail(const Status& st) {
  spdlog::error("{}", st.message());
  return 1;
}

int runCp(const CpFlags& f) {
  log::init(f.log_level);
  auto opened = openAndMigrate(f);
  if (!opened.isOk()) return fail(opened.status());
  store::Store& store = *opened.value();
  spdlog::info("store: {}", store.describe());

  asio::io_context io;
  cp::ConfigState config(store);
  if (f.sync_mode != "delta" && f.sync_mode != "full") {
    return fail(Status::invalidArgument("--sync-mode must be delta or full"));
  }
  config.setFullSnapshotsOnly(f.sync_mode == "full");
  if (Status st = config.load(); !st.isOk()) return fail(st);
  // The transit network (and the keys gateways registered), served to `causeway transit --cp`.
  cp::ConfigState network_config(
      store, 4096, [](std::string_view kind) { return model::network::isNetworkKind(kind); });
  if (Status st = network_config.load(); !st.isOk()) return fail(st);
  // The service mesh (Kuma resources and the CAs sidecars trust), served to `causeway sidecar`.
  cp::ConfigState mesh_config(store, 4096, cp::isMeshChannelKind);
  if (Status st = mesh_config.load(); !st.isOk()) return fail(st);
  cp::MeshChannel mesh_channel(store);

  std::unique_ptr<cp::ClusterServer> cluster;
  if (!f.cluster_cert_dir.empty()) {
    auto tls = sync::makeClusterServerContext(f.cluster_cert_dir);
    if (!tls.isOk()) return fail(tls.status());
    auto ep = net::parseEndpoint(f.cluster_listen);
    if (!ep.isOk()) return fail(ep.status());
    cluster = std::make_unique<cp::ClusterServer>(io, config, tls.value());
    cluster->addChannel(
        "transit", network_config,
        [&store](const nlohmann::json& hello) -> Result<cp::ChannelAdmission> {
          auto t = hello.find("transit");
          auto text = [&](const char* key) -> std::string {
            if (t == hello.end() || !t->is_object()) return "";
            auto v = t->find(key);
            return v != t->end() && v->is_string() ? v->get<std::string>() : "";
          };
          cp::GatewayRegistration reg{text("name"), text("public_key")};
          if (reg.name.empty()) {
            return Status::invalidArgument("a transit data plane must name its gateway");
          }
          if (Status st = cp::registerGatewayKey(store, reg); !st.isOk()) return st;
          cp::ChannelAdmission admission;
          admission.labels["transit_gateway"] = reg.name;
          return admission;
        });
    // Mesh sidecars have no client certificate: a dataplane token in their hello instead.
    cluster->addChannel(
        "mesh", mesh_config,
        [&mesh_channel](const nlohmann::json& hello) { return mesh_channel.admit(hello); },
        mesh_channel.channelOptions());
    if (Status st = cluster->listen(ep.value()); !st.isOk()) return fail(st);
    spdlog::info(
        "cluster listening on {} (mutual TLS with certificates from {}; mesh sidecars: CA and "
        "dataplane token)",
        f.cluster_listen, f.cluster_cert_dir);
  } else {
    spdlog::warn("no --cluster-cert-dir: data planes cannot connect (run `causeway cert init`)");
  }

  cp::AdminApiHooks hooks;
  hooks.data_planes = [&] { return cluster ? cluster->dataPlanes() : nlohmann::json::array(); };
  hooks.status = [&] {
    return nlohmann::json{{"configuration_hash", config.hash()},
                          {"config_revision", config.revision()},
                          {"data_planes_connected", cluster ? cluster->connectedCount() : 0},
                          {"snapshot_bytes", config.lastSnapshotBytes()}};
  };
  cp::AdminApi admin(store, hooks);
  cp::ApiServer api(io, [&](const cp::ApiRequest& r) { return admin.handle(r); });

  auto anyToken = cp::AdminApi::anyToken(store);
  if (!anyToken.isOk()) return fail(anyToken.status());
  for (const auto& [text, https] : {std::pair{f.admin_listen, false}, {f.admin_ssl_listen, true}}) {
    if (text.empty() || text == "off") continue;
    auto ep = net::parseEndpoint(text);
    if (!ep.isOk()) return fail(ep.status());
    if (!isLoopback(ep.value()) && !anyToken.value()) {
      return fail(Status::invalidArgument(
          "refusing to serve the Admin API on " + text +
          " without admin tokens: create one with `causeway cp token create --name NAME`, or "
          "listen on 127.0.0.1"));
    }
    std::shared_ptr<SSL_CTX> ctx;
    if (https) {
      auto pem = net::generateSelfSigned("localhost");
      if (!pem.isOk()) return fail(pem.status());
      auto made = net::makeServerContext(pem->cert, pem->key);
      if (!made.isOk()) return fail(made.status());
      ctx = made.value();
    }
    if (Status st = api.listen(ep.value(), ctx); !st.isOk()) return fail(st);
    spdlog::info("admin API listening on {}{}", https ? "https://" : "http://", text);
  }

  // The store's watcher runs on its own thread: hop to the main thread, then refresh and push.
  // Set by the store's thread when a refresh is posted, cleared by the main thread when it runs:
  // a burst of commits costs one refresh, which reads all of them.
  std::atomic<bool> refresh_queued{false};
  auto refresh = [&] {
    refresh_queued = false;
    auto changed = config.refresh();
    auto network_changed = network_config.refresh();
    auto mesh_changed = mesh_config.refresh();
    for (const auto* r : {&changed, &network_changed, &mesh_changed}) {
      if (!r->isOk()) {
        spdlog::error("cannot read the store's changes: {}", r->status().message());
        return;
      }
    }
    if ((changed.value() || network_changed.value() || mesh_changed.value()) && cluster) {
      cluster->configChanged();
    }
  };
  Status watching = store.watch([&io, &refresh, &refresh_queued](int64_t) {
    if (!refresh_queued.exchange(true)) asio::post(io, refresh);
  });
  if (!watching.isOk()) return fail(watching);
  refresh();  // anything committed between load() and watch()

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](std::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("signal {}: stopping", sig);
    io.stop();
  });
  io.run();
  // Stop the store's watcher thread while the callbacks it calls still exist.
  opened.value().reset();
  return 0;
}

int runMigrate(const CpFlags& f) {
  log::init(f.log_level);
  auto st = store::openStore(f.store_uri, f.data_dir);
  if (!st.isOk()) return fail(st.status());
  auto before = st.value()->schemaVersion();
  if (Status m = st.value()->migrate(); !m.isOk()) return fail(m);
  auto after = st.value()->schemaVersion();
  std::printf("%s: schema version %d -> %d\n", st.value()->describe().c_str(),
              before.isOk() ? before.value() : 0, after.isOk() ? after.value() : 0);
  return 0;
}

int runTokenCreate(const CpFlags& f) {
  log::init(f.log_level);
  auto opened = openAndMigrate(f);
  if (!opened.isOk()) return fail(opened.status());
  auto token = cp::AdminApi::createToken(
      *opened.value(), f.token_name,
      f.token_read_only ? cp::AdminApi::Role::kReadOnly : cp::AdminApi::Role::kReadWrite);
  if (!token.isOk()) return fail(token.status());
  // The token is shown once; only its hash is stored.
  std::printf("%s\n", token.value().c_str());
  return 0;
}

}  // namespace

Run addCpCommand(CLI::App& app) {
  auto flags = std::make_shared<CpFlags>();
  auto* cmd = app.add_subcommand("cp", "Control plane: Admin API, store, data-plane sync");
  auto storeFlags = [flags](CLI::App* c) {
    c->add_option("--data-dir", flags->data_dir, "Directory of the SQLite store")
        ->capture_default_str();
    c->add_option("--store", flags->store_uri,
                  "postgres://USER:PASS@HOST:PORT/DB for PostgreSQL (several CP replicas)");
    c->add_option("--log-level", flags->log_level)->capture_default_str();
  };
  storeFlags(cmd);
  cmd->add_option("--admin-listen", flags->admin_listen,
                  "Admin API (HTTP); a non-loopback address needs admin tokens")
      ->capture_default_str();
  cmd->add_option("--admin-ssl-listen", flags->admin_ssl_listen, "Admin API (HTTPS), or 'off'")
      ->capture_default_str();
  cmd->add_option("--cluster-listen", flags->cluster_listen, "Data-plane sync (mutual TLS)")
      ->capture_default_str();
  cmd->add_option("--cluster-cert-dir", flags->cluster_cert_dir,
                  "ca.crt, cp.crt and cp.key from `causeway cert init`");
  cmd->add_option("--sync-mode", flags->sync_mode,
                  "delta (default), or full: a whole snapshot on every change, as Kong does "
                  "(for comparisons)")
      ->capture_default_str();
  auto* migrate = cmd->add_subcommand("migrate", "Apply the store's schema migrations and exit");
  storeFlags(migrate);
  auto* token = cmd->add_subcommand("token", "Admin tokens");
  auto* create = token->add_subcommand("create", "Create an admin token and print it once");
  storeFlags(create);
  create->add_option("--name", flags->token_name, "A name for the token")->required();
  create->add_flag("--read-only", flags->token_read_only, "GET and HEAD only");
  token->require_subcommand(1);
  return [flags, migrate, create] {
    if (migrate->parsed()) return runMigrate(*flags);
    if (create->parsed()) return runTokenCreate(*flags);
    return runCp(*flags);
  };
}

}  // namespace causeway::cli
