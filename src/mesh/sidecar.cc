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
    : options_(std::move(options)),
      member_(options_.self),
      counters_(std::make_unique<ListenerCounters>()) {}

Sidecar::~Sidecar() { stop(); }

void Sidecar::stop() {
  health_.reset();
  if (server_) server_->stop();
}

Status Sidecar::setResources(model::mesh::MeshResources resources) {
  return publish(member_.setResources(std::move(resources)));
}

Status Sidecar::setIdentity(Identity identity) {
  return publish(member_.setIdentity(std::move(identity)));
}

Status Sidecar::publish(Status compiled) {
  auto config = member_.config();
  if (!config || config == config_) return compiled;
  if (!server_) {
    if (Status st = startServer(config); !st.isOk()) return st;
  } else {
    server_->update(config);
  }
  if (health_) health_->update(config);
  config_ = config;
  spdlog::info("sidecar: serving config {} (mesh {}, mTLS {})", config->hash(), config->mesh(),
               config->mtls() ? "on" : "off");
  return compiled;
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
  const Identity& id = member_.identity();
  Json out{{"dataplane", options_.self.name},
           {"mesh", options_.self.mesh},
           {"serving", serving()},
           {"configuration_hash", configHash()},
           {"updates", {{"ok", member_.updatesOk()}, {"refused", member_.updatesRefused()}}},
           {"last_error", member_.lastError()}};
  if (!id.empty()) {
    auto info = pki::certificateInfo(id.cert_pem);
    out["identity"] = {{"spiffe_id", id.spiffe_id},
                       {"issuer", info.isOk() ? info->issuer_cn : ""},
                       {"serial", info.isOk() ? info->serial_hex : ""},
                       {"not_after", pki::formatUtc(id.not_after)},
                       {"renew_at", pki::formatUtc(id.renew_at)},
                       {"trusted_cas", id.trusted_ca_pems.size()}};
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
