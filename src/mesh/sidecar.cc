#include "mesh/sidecar.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "mesh/health_checker.h"
#include "mesh/listeners.h"
#include "pki/certificate.h"
#include "proxy/server.h"

namespace causeway::mesh {

namespace {
const std::string kNoHash;
}

Sidecar::Sidecar(SidecarOptions options)
    : options_(std::move(options)), counters_(std::make_unique<ListenerCounters>()) {}

Sidecar::~Sidecar() { stop(); }

void Sidecar::stop() {
  health_.reset();
  if (server_) server_->stop();
}

Status Sidecar::setResources(model::mesh::MeshResources resources) {
  std::swap(resources_, resources);
  const bool had = have_resources_;
  have_resources_ = true;
  Status st = recompile();
  if (!st.isOk() && config_) {  // keep serving what was there
    std::swap(resources_, resources);
    have_resources_ = had;
  }
  return st;
}

Status Sidecar::setIdentity(Identity identity) {
  if (Status st = completeIdentity(identity, pki::unixNow()); !st.isOk()) return st;
  std::swap(identity_, identity);
  if (!have_resources_) return Status::ok();
  Status st = recompile();
  if (!st.isOk() && config_) std::swap(identity_, identity);
  return st;
}

Status Sidecar::recompile() {
  if (!have_resources_) return Status::unavailable("no mesh resources yet");
  SidecarInputs in{options_.self, resources_, identity_};
  auto compiled = SidecarConfig::compile(in);
  if (!compiled.isOk()) {
    ++updates_refused_;
    last_error_ = compiled.status().message();
    spdlog::warn("sidecar: config refused{}: {}", config_ ? ", the running one stays" : "",
                 last_error_);
    return compiled.status();
  }
  auto config = compiled.value();
  if (!server_) {
    if (Status st = startServer(config); !st.isOk()) {
      last_error_ = st.message();
      return st;
    }
  } else {
    server_->update(config);
  }
  health_->update(config);
  config_ = config;
  ++updates_ok_;
  last_error_.clear();
  spdlog::info("sidecar: serving config {} (mesh {}, mTLS {})", config->hash(), config->mesh(),
               config->mtls() ? "on" : "off");
  return Status::ok();
}

Status Sidecar::startServer(std::shared_ptr<const SidecarConfig> config) {
  proxy::ServerOptions opt;
  opt.workers = options_.workers;
  ListenerCounters* counters = counters_.get();
  for (const InboundListener& in : config->inbounds()) {
    std::error_code ec;
    auto addr = asio::ip::make_address(options_.self.address, ec);
    if (ec) return Status::invalidArgument("dataplane address '" + options_.self.address + "'");
    proxy::ListenerConfig l;
    l.endpoint = {addr, in.port};
    l.handler = [counters](proxy::Worker& w, asio::ip::tcp::socket s) {
      return serveInbound(w, std::move(s), counters);
    };
    opt.listeners.push_back(std::move(l));
  }
  for (const OutboundListener& out : config->outbounds()) {
    std::error_code ec;
    auto addr = asio::ip::make_address(out.address, ec);
    if (ec) return Status::invalidArgument("outbound address '" + out.address + "'");
    proxy::ListenerConfig l;
    l.endpoint = {addr, out.port};
    l.handler = [](proxy::Worker& w, asio::ip::tcp::socket s) {
      return serveOutbound(w, std::move(s));
    };
    opt.listeners.push_back(std::move(l));
  }
  auto server = std::make_unique<proxy::ProxyServer>(std::move(opt));
  if (Status st = server->start(config); !st.isOk()) return st;
  server_ = std::move(server);
  health_ = std::make_unique<HealthChecker>(*server_);
  return Status::ok();
}

observe::Stats Sidecar::stats() { return server_ ? server_->collectStats() : observe::Stats{}; }

const std::string& Sidecar::configHash() const { return config_ ? config_->hash() : kNoHash; }

nlohmann::json Sidecar::status() {
  using Json = nlohmann::json;
  Json out{{"dataplane", options_.self.name},
           {"mesh", options_.self.mesh},
           {"serving", serving()},
           {"configuration_hash", configHash()},
           {"updates", {{"ok", updates_ok_}, {"refused", updates_refused_}}},
           {"last_error", last_error_}};
  if (!identity_.empty()) {
    out["identity"] = {{"spiffe_id", identity_.spiffe_id},
                       {"not_after", pki::formatUtc(identity_.not_after)},
                       {"renew_at", pki::formatUtc(identity_.renew_at)},
                       {"trusted_cas", identity_.trusted_ca_pems.size()}};
  }
  if (config_) out["config"] = config_->describe();
  out["counters"] = {
      {"mtls_handshake_failed", counters_->mtls_handshake_failed.load()},
      {"tcp_denied", counters_->tcp_denied.load()},
  };
  if (server_) {
    auto s = server_->collectStats();
    out["server"] = {{"connections_active", s.connections_active},
                     {"connections_accepted", s.connections_accepted},
                     {"total_requests", s.requests}};
  }
  return out;
}

}  // namespace causeway::mesh
