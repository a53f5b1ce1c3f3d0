// `causeway sidecar`: the mesh data plane next to one service instance (mesh/sidecar.h).
//   from a control plane: --cp wss://HOST:8005 --cp-ca-cert ca.crt --dataplane FILE --token FILE
//     (registers with a dataplane token, gets its certificate by CSR, renews it, follows the
//     mesh's resources; keeps serving its last config and certificate while the CP is away)
//   from files: --config MESH.yaml --dataplane FILE [--cert F --key F --ca-cert F...]
//     (SIGHUP re-reads them; a change that does not compile is refused whole)
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/log.h"
#include "cli/commands.h"
#include "cli/mesh_files.h"
#include "cli/sidecar_cp.h"
#include "http/status_server.h"
#include "mesh/sidecar.h"
#include "model/mesh/loader.h"
#include "net/address.h"
#include "observe/stats.h"
#include "pki/files.h"

namespace causeway::cli {
namespace {

struct SidecarFlags {
  std::string cp_url;
  std::string cp_ca_cert;
  std::string token;
  std::string data_dir;
  std::string config;
  std::string dataplane;
  std::string cert, key;
  std::vector<std::string> ca_certs;
  std::string status_listen = "127.0.0.1:9901";
  size_t workers = 1;
  std::string log_level = "info";
};

class SidecarRunner {
 public:
  explicit SidecarRunner(SidecarFlags f) : f_(std::move(f)) {}

  int run() {
    log::init(f_.log_level);
    const bool from_cp = !f_.cp_url.empty();
    if (from_cp == !f_.config.empty()) {
      return fail(
          Status::invalidArgument("give either --cp (with --cp-ca-cert and --token) or "
                                  "--config"));
    }
    auto self = loadDataplaneFile(f_.dataplane);
    if (!self.isOk()) return fail(self.status());
    mesh::SidecarOptions opt;
    opt.self = self->dataplane;
    opt.workers = std::max<size_t>(1, f_.workers);
    sidecar_ = std::make_unique<mesh::Sidecar>(std::move(opt));

    if (from_cp) {
      if (f_.cp_ca_cert.empty() || f_.token.empty()) {
        return fail(Status::invalidArgument("--cp needs --cp-ca-cert and --token"));
      }
      SidecarCpOptions co;
      co.cp_url = f_.cp_url;
      co.ca_cert = f_.cp_ca_cert;
      co.token_file = f_.token;
      co.data_dir =
          f_.data_dir.empty() ? "/var/lib/causeway/sidecar-" + self->dataplane.name : f_.data_dir;
      co.dataplane = self->document;
      cp_ = std::make_unique<SidecarCpClient>(
          io_, co,
          [this](mesh::Identity id) {
            Status st = sidecar_->setIdentity(std::move(id));
            if (!st.isOk()) spdlog::warn("sidecar: identity refused: {}", st.message());
          },
          [this](model::mesh::MeshResources r) { return sidecar_->setResources(std::move(r)); });
      if (Status st = cp_->start(); !st.isOk()) return fail(st);
      spdlog::info("sidecar {}: following the control plane at {}", self->dataplane.name,
                   f_.cp_url);
    } else {
      if (Status st = reloadFiles(); !st.isOk()) return fail(st);
    }

    std::unique_ptr<http::StatusServer> status;
    if (f_.status_listen != "off") {
      status = std::make_unique<http::StatusServer>(
          io_, [this](std::string_view path) { return statusPage(path); });
      auto ep = net::parseEndpoint(f_.status_listen);
      if (!ep.isOk()) return fail(ep.status());
      if (Status st = status->listen(ep.value()); !st.isOk()) return fail(st);
    }

    asio::signal_set signals(io_, SIGINT, SIGTERM, SIGHUP);
    std::function<void(std::error_code, int)> on_signal = [&](std::error_code ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        if (cp_) {
          spdlog::info("SIGHUP ignored: the control plane owns the config");
        } else if (Status st = reloadFiles(); !st.isOk()) {
          spdlog::error("reload refused, the running config stays: {}", st.message());
        }
        signals.async_wait(on_signal);
        return;
      }
      spdlog::info("signal {}: stopping", sig);
      io_.stop();
    };
    signals.async_wait(on_signal);
    io_.run();
    if (cp_) cp_->stop();
    sidecar_->stop();
    return 0;
  }

 private:
  static int fail(const Status& st) {
    spdlog::error("{}", st.message());
    return 1;
  }

  Status reloadFiles() {
    auto resources = loadMeshFile(f_.config);
    if (!resources.isOk()) return resources.status();
    if (!f_.cert.empty() || !f_.key.empty()) {
      auto id = loadIdentityFiles(f_.cert, f_.key, f_.ca_certs);
      if (!id.isOk()) return id.status();
      if (Status st = sidecar_->setIdentity(id.value()); !st.isOk()) return st;
    }
    return sidecar_->setResources(resources.value());
  }

  http::LocalReply statusPage(std::string_view path) {
    http::LocalReply r;
    r.status = 200;
    if (path == "/status" || path == "/ready") {
      nlohmann::json s = sidecar_->status();
      if (cp_) s["control_plane"] = cp_->status();
      if (path == "/ready") {
        r.status = sidecar_->serving() ? 200 : 503;
        r.body = sidecar_->serving() ? "{\"ready\":true}" : "{\"ready\":false}";
        return r;
      }
      r.body = s.dump();
      return r;
    }
    if (path == "/metrics") {
      observe::ProcessInfo p;
      p.config_hash = sidecar_->configHash();
      p.workers = f_.workers;
      r.body = observe::renderPrometheus(sidecar_->stats(), p);
      r.content_type = "text/plain; version=0.0.4; charset=utf-8";
      return r;
    }
    r.status = 404;
    r.body = http::kongErrorBody("Not found");
    return r;
  }

  SidecarFlags f_;
  asio::io_context io_;
  std::unique_ptr<mesh::Sidecar> sidecar_;
  std::unique_ptr<SidecarCpClient> cp_;
};

}  // namespace

Run addSidecarCommand(CLI::App& app) {
  auto f = std::make_shared<SidecarFlags>();
  auto* cmd = app.add_subcommand(
      "sidecar", "service-mesh data plane next to one service instance (Kuma-compatible)");
  cmd->add_option("--cp", f->cp_url, "control plane: wss://HOST:8005");
  cmd->add_option("--cp-ca-cert", f->cp_ca_cert, "the cluster CA (ca.crt of `causeway cert init`)");
  cmd->add_option("--token", f->token, "file holding the dataplane token");
  cmd->add_option("--data-dir", f->data_dir,
                  "where the key, certificate and last config are kept (CP mode)");
  cmd->add_option("--dataplane", f->dataplane, "this instance's Dataplane (Kuma YAML)")->required();
  cmd->add_option("--config", f->config,
                  "mesh resources (Kuma Universal YAML) when running without a control plane");
  cmd->add_option("--cert", f->cert, "workload certificate (file mode, mTLS)");
  cmd->add_option("--key", f->key, "its private key");
  cmd->add_option("--ca-cert", f->ca_certs, "trusted mesh CA certificate (repeatable)");
  cmd->add_option("--status-listen", f->status_listen, "/status, /ready, /metrics; or off")
      ->capture_default_str();
  cmd->add_option("--workers", f->workers, "proxy worker threads")->capture_default_str();
  cmd->add_option("--log-level", f->log_level)->capture_default_str();
  return [f] { return SidecarRunner(*f).run(); };
}

}  // namespace causeway::cli
