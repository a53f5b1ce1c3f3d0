// `causeway gateway`: the API gateway data plane, serving a Kong declarative config (DB-less).
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "base/log.h"
#include "base/strings.h"
#include "cli/commands.h"
#include "cli/mesh_files.h"
#include "cli/sidecar_cp.h"
#include "gateway/snapshot.h"
#include "http/status_server.h"
#include "mesh/mesh_member.h"
#include "model/kong/loader.h"
#include "model/kong/loader_json.h"
#include "net/address.h"
#include "net/tls.h"
#include "observe/stats.h"
#include "proxy/server.h"
#include "sync/sync_client.h"

namespace causeway::cli {
namespace {

struct GatewayFlags {
  std::string config;
  std::string cp_url;  // hybrid mode: the control plane to sync from
  std::string cluster_cert_dir;
  std::string data_dir = "causeway-dp-data";
  std::vector<std::string> proxy_listen;
  size_t workers = 0;
  std::string status_listen = "127.0.0.1:9901";
  std::string access_log;
  std::string log_level = "info";
  int header_timeout_ms = 60000;
  int keepalive_timeout_ms = 60000;
  int body_timeout_ms = 60000;
  int send_timeout_ms = 60000;
  // The gateway as a member of a service mesh (a delegated gateway Dataplane).
  std::string mesh_dataplane;
  std::string mesh_config;  // from files
  std::string mesh_cert, mesh_key;
  std::vector<std::string> mesh_ca_certs;
  std::string mesh_cp;  // or from a control plane
  std::string mesh_cp_ca_cert;
  std::string mesh_token;
  std::string mesh_data_dir = "causeway-gateway-mesh";
};

// "ADDR:PORT" or "ADDR:PORT ssl" (Kong's proxy_listen syntax).
Result<proxy::ListenerConfig> parseListen(const std::string& text) {
  std::string_view s = trimOws(text);
  proxy::ListenerConfig l;
  size_t space = s.find(' ');
  if (space != std::string_view::npos) {
    std::string_view flags = trimOws(s.substr(space + 1));
    if (flags != "ssl") {
      return Status::invalidArgument("bad --proxy-listen '" + text +
                                     "': only the 'ssl' flag is known");
    }
    l.tls = true;
    s = s.substr(0, space);
  }
  auto ep = net::parseEndpoint(s);
  if (!ep.isOk()) return ep.status();
  l.endpoint = ep.value();
  return l;
}

class Gateway {
 public:
  explicit Gateway(GatewayFlags f) : flags_(std::move(f)) {}

  int run() {
    log::init(flags_.log_level);
    auto pem = net::generateSelfSigned("localhost");
    if (!pem.isOk()) return fail(pem.status());
    auto def = net::makeServerContext(pem->cert, pem->key);
    if (!def.isOk()) return fail(def.status());
    default_cert_ = def.value();
    if (Status st = startMesh(); !st.isOk()) return fail(st);

    const bool hybrid = !flags_.cp_url.empty();
    if (hybrid == !flags_.config.empty()) {
      return fail(
          Status::invalidArgument("give either --config FILE (DB-less) or --cp URL (hybrid)"));
    }
    // Hybrid mode starts with an empty config until the saved snapshot or the CP provides one.
    auto snap = hybrid ? gateway::GatewaySnapshot::build(model::kong::Config{}, default_cert_,
                                                         meshClusters())
                       : load();
    if (!snap.isOk()) {
      spdlog::error("cannot start: {}", snap.status().message());
      return 1;
    }
    current_hash_ = snap.value()->hash();
    current_ = snap.value();

    proxy::ServerOptions opt;
    if (flags_.proxy_listen.empty()) flags_.proxy_listen = {"0.0.0.0:8000", "0.0.0.0:8443 ssl"};
    for (const auto& text : flags_.proxy_listen) {
      auto l = parseListen(text);
      if (!l.isOk()) return fail(l.status());
      opt.listeners.push_back(l.value());
    }
    opt.workers =
        flags_.workers ? flags_.workers : std::max(1u, std::thread::hardware_concurrency());
    opt.session.header_timeout = std::chrono::milliseconds(flags_.header_timeout_ms);
    opt.session.keepalive_timeout = std::chrono::milliseconds(flags_.keepalive_timeout_ms);
    opt.session.body_timeout = std::chrono::milliseconds(flags_.body_timeout_ms);
    opt.session.send_timeout = std::chrono::milliseconds(flags_.send_timeout_ms);
    if (!flags_.access_log.empty()) {
      auto log = observe::AccessLog::open(flags_.access_log);
      if (!log.isOk()) return fail(log.status());
      opt.access_log = std::move(log.value());
    }
    server_ = std::make_unique<proxy::ProxyServer>(std::move(opt));
    if (Status st = server_->start(snap.value()); !st.isOk()) return fail(st);

    http::StatusServer status(io_, [this](std::string_view path) { return statusPage(path); });
    auto sep = net::parseEndpoint(flags_.status_listen);
    if (!sep.isOk()) return fail(sep.status());
    if (Status st = status.listen(sep.value()); !st.isOk()) return fail(st);

    if (hybrid) {
      sync::SyncClientOptions so;
      so.cp_url = flags_.cp_url;
      so.cert_dir = flags_.cluster_cert_dir;
      so.data_dir = flags_.data_dir;
      char host[256] = {0};
      gethostname(host, sizeof host - 1);
      so.hostname = host;
      if (const char* v = std::getenv("CAUSEWAY_DP_VERSION")) so.version = v;  // tests only
      sync_ = std::make_unique<sync::SyncClient>(
          io_, so, [this](const model::kong::Config& config, const std::string& hash) {
            return applySynced(config, hash);
          });
      if (Status st = sync_->start(); !st.isOk()) return fail(st);
      spdlog::info("hybrid mode: syncing from {}", flags_.cp_url);
    }
    for (const auto& text : flags_.proxy_listen) spdlog::info("proxy listening on {}", text);
    spdlog::info("status listening on {}; {} workers; config {}", flags_.status_listen,
                 server_->workers(), current_hash_);

    asio::signal_set signals(io_, SIGINT, SIGTERM, SIGHUP);
    std::function<void(std::error_code, int)> on_signal = [&](std::error_code ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        reload();
        signals.async_wait(on_signal);
        return;
      }
      spdlog::info("signal {}: stopping", sig);
      io_.stop();
    };
    signals.async_wait(on_signal);
    io_.run();
    server_->stop();
    return 0;
  }

 private:
  static int fail(const Status& st) {
    spdlog::error("{}", st.message());
    return 1;
  }

  Result<std::shared_ptr<const gateway::GatewaySnapshot>> load() {
    auto loaded = model::kong::loadDeclarativeFile(flags_.config);
    if (!loaded.isOk()) {
      return Status::invalidArgument("invalid declarative config " + flags_.config + ": " +
                                     loaded.error().message());
    }
    return gateway::GatewaySnapshot::build(loaded.takeConfig(), default_cert_, meshClusters());
  }

  // A config from the control plane (or its saved copy): validate, compile, publish.
  Status applySynced(const model::kong::Config& synced, const std::string& hash) {
    model::kong::Config config = synced;  // the snapshot owns its copy
    config.hash = hash;                   // the CP's hash, so /status and the CP agree
    auto snap = gateway::GatewaySnapshot::build(std::move(config), default_cert_, meshClusters());
    if (!snap.isOk()) return snap.status();
    current_hash_ = hash;
    current_ = snap.value();
    server_->update(snap.value());
    ++reloads_ok_;
    return Status::ok();
  }

  // Mesh membership: from files, or from a control plane's mesh channel.
  Status startMesh() {
    if (flags_.mesh_dataplane.empty()) {
      if (!flags_.mesh_config.empty() || !flags_.mesh_cp.empty()) {
        return Status::invalidArgument("--mesh-config and --mesh-cp need --mesh-dataplane");
      }
      return Status::ok();
    }
    auto dp = loadDataplaneFile(flags_.mesh_dataplane);
    if (!dp.isOk()) return dp.status();
    if (!dp->dataplane.isGateway()) {
      return Status::invalidArgument(flags_.mesh_dataplane +
                                     ": a gateway's Dataplane has networking.gateway "
                                     "(type DELEGATED, tags with kuma.io/service)");
    }
    mesh_ = std::make_unique<mesh::MeshMember>(dp->dataplane);
    if (!flags_.mesh_cp.empty()) {
      SidecarCpOptions co;
      co.cp_url = flags_.mesh_cp;
      co.ca_cert = flags_.mesh_cp_ca_cert;
      co.token_file = flags_.mesh_token;
      co.data_dir = flags_.mesh_data_dir;
      co.dataplane = dp->document;
      mesh_cp_ = std::make_unique<SidecarCpClient>(
          io_, co,
          [this](mesh::Identity id) {
            Status st = mesh_->setIdentity(std::move(id));
            if (st.isOk()) meshChanged();
          },
          [this](model::mesh::MeshResources r) {
            Status st = mesh_->setResources(std::move(r));
            if (st.isOk()) meshChanged();
            return st.code() == Status::Code::kUnavailable ? Status::ok() : st;
          });
      return mesh_cp_->start();
    }
    if (flags_.mesh_config.empty()) {
      return Status::invalidArgument("--mesh-dataplane needs --mesh-config or --mesh-cp");
    }
    return reloadMeshFiles();
  }

  Status reloadMeshFiles() {
    auto resources = loadMeshFile(flags_.mesh_config);
    if (!resources.isOk()) return resources.status();
    if (!flags_.mesh_cert.empty()) {
      auto id = loadIdentityFiles(flags_.mesh_cert, flags_.mesh_key, flags_.mesh_ca_certs);
      if (!id.isOk()) return id.status();
      if (Status st = mesh_->setIdentity(id.value()); !st.isOk() && mesh_->config()) return st;
    }
    return mesh_->setResources(resources.value());
  }

  gateway::MeshClusters meshClusters() const {
    if (!mesh_ || !mesh_->config()) return nullptr;
    return [view = mesh_->config()](std::string_view service) {
      return view->serviceCluster(service);
    };
  }

  // The mesh changed (instances, certificates): the same Kong config, new mesh clusters.
  void meshChanged() {
    if (!server_ || !current_) return;
    auto snap = gateway::GatewaySnapshot::build(current_->config(), default_cert_, meshClusters());
    if (!snap.isOk()) {
      spdlog::error("mesh update refused: {}", snap.status().message());
      return;
    }
    current_ = snap.value();
    server_->update(snap.value());
    spdlog::info("mesh: the gateway serves its config with the mesh's current instances");
  }

  void reload() {
    if (mesh_ && !mesh_cp_) {
      if (Status st = reloadMeshFiles(); !st.isOk()) {
        spdlog::error("mesh reload refused, keeping the running one: {}", st.message());
      }
    }
    if (sync_) {
      if (mesh_ && !mesh_cp_) meshChanged();
      spdlog::info("SIGHUP ignored in hybrid mode: the control plane owns the config");
      return;
    }
    auto snap = load();
    if (!snap.isOk()) {
      ++reloads_failed_;
      spdlog::error("reload refused, keeping config {}: {}", current_hash_,
                    snap.status().message());
      if (mesh_ && !mesh_cp_) meshChanged();
      return;
    }
    current_hash_ = snap.value()->hash();
    current_ = snap.value();
    server_->update(snap.value());
    ++reloads_ok_;
    spdlog::info("reloaded {}: config {}", flags_.config, current_hash_);
  }

  proxy::LocalReply statusPage(std::string_view path) {
    proxy::LocalReply r;
    r.status = 200;
    if (path == "/status") {
      auto s = server_->collectStats();
      r.body = "{\"configuration_hash\":\"" + current_hash_ + "\",\"server\":{" +
               "\"connections_active\":" + std::to_string(s.connections_active) +
               ",\"connections_accepted\":" + std::to_string(s.connections_accepted) +
               ",\"total_requests\":" + std::to_string(s.requests) +
               "},\"workers\":" + std::to_string(server_->workers()) +
               ",\"config_reloads\":{\"ok\":" + std::to_string(reloads_ok_) +
               ",\"failed\":" + std::to_string(reloads_failed_) + "}" +
               (sync_ ? ",\"control_plane\":" + sync_->status().dump() : std::string()) + "}";
      return r;
    }
    if (path == "/metrics") {
      observe::ProcessInfo p;
      p.config_hash = current_hash_;
      p.config_reloads_ok = reloads_ok_;
      p.config_reloads_failed = reloads_failed_;
      p.workers = server_->workers();
      r.body = observe::renderPrometheus(server_->collectStats(), p);
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      return r;
    }
    r.status = 404;
    r.body = proxy::kongErrorBody("Not found");
    return r;
  }

  GatewayFlags flags_;
  asio::io_context io_;
  net::SslCtxPtr default_cert_;
  std::unique_ptr<proxy::ProxyServer> server_;
  std::unique_ptr<sync::SyncClient> sync_;
  std::shared_ptr<const gateway::GatewaySnapshot> current_;
  std::unique_ptr<mesh::MeshMember> mesh_;
  std::unique_ptr<SidecarCpClient> mesh_cp_;
  std::string current_hash_;
  uint64_t reloads_ok_ = 0;
  uint64_t reloads_failed_ = 0;
};

}  // namespace

Run addGatewayCommand(CLI::App& app) {
  auto flags = std::make_shared<GatewayFlags>();
  auto* cmd = app.add_subcommand("gateway", "API gateway data plane (Kong-compatible, DB-less)");
  cmd->add_option("--config", flags->config, "Kong declarative config (YAML or JSON), DB-less")
      ->check(CLI::ExistingFile);
  cmd->add_option("--cp", flags->cp_url, "Hybrid mode: wss://HOST[:8005] of the control plane");
  cmd->add_option("--cluster-cert-dir", flags->cluster_cert_dir,
                  "Hybrid mode: ca.crt, dp.crt and dp.key from `causeway cert init`");
  cmd->add_option("--data-dir", flags->data_dir, "Hybrid mode: node id and the last good snapshot")
      ->capture_default_str();
  cmd->add_option("--proxy-listen", flags->proxy_listen,
                  "ADDR:PORT [ssl], repeatable (default 0.0.0.0:8000 and 0.0.0.0:8443 ssl)");
  cmd->add_option("--workers", flags->workers, "worker threads (default: one per core)");
  cmd->add_option("--status-listen", flags->status_listen, "/status and /metrics listener")
      ->capture_default_str();
  cmd->add_option("--access-log", flags->access_log, "JSON access log file, or - for stdout");
  cmd->add_option("--log-level", flags->log_level, "trace|debug|info|warn|error")
      ->capture_default_str();
  cmd->add_option("--header-timeout-ms", flags->header_timeout_ms,
                  "time allowed to send a request head")
      ->capture_default_str();
  cmd->add_option("--keepalive-timeout-ms", flags->keepalive_timeout_ms,
                  "idle time allowed between requests")
      ->capture_default_str();
  cmd->add_option("--body-timeout-ms", flags->body_timeout_ms,
                  "time allowed between two reads of a request body")
      ->capture_default_str();
  cmd->add_option("--send-timeout-ms", flags->send_timeout_ms,
                  "time allowed between two writes to a client")
      ->capture_default_str();
  cmd->add_option("--mesh-dataplane", flags->mesh_dataplane,
                  "join a service mesh as this delegated gateway Dataplane (Kuma YAML); services "
                  "whose host is SERVICE.mesh go to the mesh with mTLS");
  cmd->add_option("--mesh-config", flags->mesh_config, "the mesh's resources (Kuma YAML)");
  cmd->add_option("--mesh-cert", flags->mesh_cert, "the gateway's workload certificate");
  cmd->add_option("--mesh-key", flags->mesh_key, "its key");
  cmd->add_option("--mesh-ca-cert", flags->mesh_ca_certs, "trusted mesh CA (repeatable)");
  cmd->add_option("--mesh-cp", flags->mesh_cp, "or: the control plane wss://HOST:8005");
  cmd->add_option("--mesh-cp-ca-cert", flags->mesh_cp_ca_cert, "the cluster CA (ca.crt)");
  cmd->add_option("--mesh-token", flags->mesh_token, "dataplane token file");
  cmd->add_option("--mesh-data-dir", flags->mesh_data_dir, "key, certificate, last mesh config")
      ->capture_default_str();
  return [flags] { return Gateway(*flags).run(); };
}

}  // namespace causeway::cli
