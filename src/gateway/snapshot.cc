#include "gateway/snapshot.h"

#include <openssl/crypto.h>

#include <cstdio>
#include <unordered_set>

#include "base/strings.h"
#include "http/query.h"

namespace causeway::gateway {
namespace {

using model::kong::HashOn;
using proxy::kongErrorBody;

proxy::LocalReply reply(int status, std::string_view message) {
  proxy::LocalReply r;
  r.status = status;
  r.body = kongErrorBody(message);
  return r;
}

std::string_view cookieValue(std::string_view cookies, std::string_view name) {
  while (!cookies.empty()) {
    size_t semi = cookies.find(';');
    std::string_view pair = trimOws(cookies.substr(0, semi));
    size_t eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
    if (semi == std::string_view::npos) break;
    cookies.remove_prefix(semi + 1);
  }
  return {};
}

std::string hashKey(const model::kong::Upstream& u, HashOn on, const std::string& header,
                    const std::string& query_arg, const std::string& capture,
                    const http::RequestHead& head, const proxy::ConnectionInfo& conn,
                    std::string_view path, std::string_view query, const RouteMatch& m) {
  switch (on) {
    case HashOn::kNone:
      return {};
    case HashOn::kIp:
      return conn.client_ip;
    case HashOn::kHeader:
      return std::string(head.header(header));
    case HashOn::kCookie:
      return std::string(cookieValue(head.header("cookie"), u.hash_on_cookie));
    case HashOn::kPath:
      return std::string(path);
    case HashOn::kQueryArg:
      return std::string(http::queryParam(query, query_arg).value_or(""));
    case HashOn::kUriCapture: {
      auto idx = parseDecimal(capture, 1000);
      if (idx && *idx >= 1 && *idx <= m.captures.size()) return m.captures[*idx - 1];
      return {};
    }
    case HashOn::kConsumer:
      return {};  // no authenticated consumer without auth plugins
  }
  return {};
}

}  // namespace

Result<std::shared_ptr<const GatewaySnapshot>> GatewaySnapshot::build(model::kong::Config config,
                                                                      net::SslCtxPtr default_cert,
                                                                      const MeshClusters& mesh) {
  std::shared_ptr<GatewaySnapshot> s(new GatewaySnapshot());
  s->default_cert_ = std::move(default_cert);
  s->config_ = std::make_unique<model::kong::Config>(std::move(config));
  model::kong::Config& cfg = *s->config_;

  // Routes of disabled services do not exist for the router (Kong). Hash lookups: a linear
  // findService per route made 10k routes x 1k services cost 60 ms.
  std::unordered_set<std::string_view> disabled;
  for (const auto& svc : cfg.services) {
    if (!svc.enabled) disabled.insert(svc.id);
  }
  if (!disabled.empty()) {
    std::vector<model::kong::Route> active;
    for (auto& r : cfg.routes) {
      if (!r.service_id.empty() && disabled.count(r.service_id)) continue;
      active.push_back(std::move(r));
    }
    cfg.routes = std::move(active);
  }
  std::unordered_map<std::string_view, const model::kong::Upstream*> upstream_by_name;
  for (const auto& u : cfg.upstreams) upstream_by_name.emplace(u.name, &u);

  for (const auto& svc : cfg.services) {
    proxy::Cluster c;
    c.name = svc.name.empty() ? svc.id : svc.name;
    c.index = s->clusters_.size();
    c.tls = svc.protocol == "https";
    c.tls_verify = svc.tls_verify.value_or(false);
    c.retries = svc.retries;
    c.connect_timeout_ms = svc.connect_timeout_ms;
    c.read_timeout_ms = svc.read_timeout_ms;
    c.write_timeout_ms = svc.write_timeout_ms;
    auto found = upstream_by_name.find(svc.host);
    if (const auto* up = found == upstream_by_name.end() ? nullptr : found->second) {
      switch (up->algorithm) {
        case model::kong::LbAlgorithm::kRoundRobin:
          c.algorithm = proxy::LbAlgorithm::kRoundRobin;
          break;
        case model::kong::LbAlgorithm::kLeastConnections:
          c.algorithm = proxy::LbAlgorithm::kLeastConnections;
          break;
        case model::kong::LbAlgorithm::kConsistentHashing:
          c.algorithm = proxy::LbAlgorithm::kConsistentHashing;
          break;
      }
      c.slots = up->slots;
      c.host_header = up->host_header;
      for (const auto& t : up->targets) c.endpoints.push_back({t.host, t.port, t.weight});
      s->upstream_of_service_[svc.id] = up;
    } else if (endsWith(svc.host, kMeshHostSuffix)) {
      const std::string_view service =
          std::string_view(svc.host).substr(0, svc.host.size() - kMeshHostSuffix.size());
      if (const proxy::Cluster* m = mesh ? mesh(service) : nullptr) {
        c.endpoints = m->endpoints;
        c.tls = m->tls;
        c.tls_context = m->tls_context;
        c.peer_uri = m->peer_uri;
        c.outlier = m->outlier;
        c.health_checked = m->health_checked;
      }
      c.host_header = svc.host;
      c.no_endpoint_message = "no instance of mesh service '" + std::string(service) + "'";
    } else {
      c.endpoints.push_back({svc.host, svc.port, 100});
    }
    for (const auto& ep : c.endpoints) {
      c.pool_keys.push_back((c.tls_context ? "m|" + c.peer_uri + "|"
                             : c.tls       ? (c.tls_verify ? "v|" : "s|")
                                           : "p|") +
                            ep.host + "|" + std::to_string(ep.port) + "|" +
                            c.host_header.value_or(""));
    }
    s->cluster_of_service_[svc.id] = c.index;
    s->clusters_.push_back(std::move(c));
  }

  for (const auto& cert : cfg.certificates) {
    auto ctx = net::makeServerContext(cert.cert, cert.key);
    if (!ctx.isOk()) {
      return Status::invalidArgument("certificate " + cert.id + ": " + ctx.status().message());
    }
    for (const auto& sni : cert.snis) {
      std::string name = toLower(sni);
      if (name.find('*') != std::string::npos) {
        s->certs_wildcard_.emplace_back(name, ctx.value());
      } else {
        s->certs_exact_[name] = ctx.value();
      }
    }
  }

  auto router = Router::build(cfg);
  if (!router.isOk()) return router.status();
  s->router_ = std::move(router.value());
  return std::shared_ptr<const GatewaySnapshot>(std::move(s));
}

GatewaySnapshot::~GatewaySnapshot() {
  if (!config_) return;
  for (auto& cert : config_->certificates) net::wipe(cert.key);
}

SSL_CTX* GatewaySnapshot::certificateFor(std::string_view sni) const {
  if (!sni.empty()) {
    std::string name = toLower(sni);
    if (auto it = certs_exact_.find(name); it != certs_exact_.end()) return it->second.get();
    for (const auto& [pattern, ctx] : certs_wildcard_) {
      if (startsWith(pattern, "*.")) {
        std::string_view suffix = std::string_view(pattern).substr(1);  // ".example.com"
        if (name.size() > suffix.size() && endsWith(name, suffix)) return ctx.get();
      } else if (endsWith(pattern, ".*")) {
        std::string_view prefix = std::string_view(pattern).substr(0, pattern.size() - 1);
        if (name.size() > prefix.size() && startsWith(name, prefix)) return ctx.get();
      }
    }
  }
  return default_cert_.get();
}

proxy::Decision GatewaySnapshot::dispatch(const http::RequestHead& head,
                                          const proxy::ConnectionInfo& conn) const {
  // Request target: origin-form, or absolute-form whose authority replaces Host (RFC 9112 3.2.2).
  std::string_view target = head.target;
  std::string_view authority = head.host;
  if (!target.empty() && target.front() != '/') {
    size_t scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return reply(400, "Bad request");
    std::string_view rest = target.substr(scheme_end + 3);
    size_t slash = rest.find_first_of("/?");
    authority = rest.substr(0, slash);
    target = slash == std::string_view::npos ? std::string_view("/") : rest.substr(slash);
    if (!target.empty() && target.front() == '?') return reply(400, "Bad request");
  }
  size_t qmark = target.find('?');
  std::string_view raw_path = target.substr(0, qmark);
  std::string_view query =
      qmark == std::string_view::npos ? std::string_view() : target.substr(qmark + 1);
  auto path = normalizePath(raw_path);
  if (!path) return reply(400, "Bad request");

  std::string host;
  uint16_t port = conn.local_port;
  if (!authority.empty()) {
    auto hp = parseHostPort(authority);
    if (!hp) return reply(400, "Bad request");
    host = toLower(hp->host);
    if (hp->port) port = *hp->port;
  }

  RouteRequest rr;
  rr.scheme = conn.tls ? "https" : "http";
  rr.method = head.method;
  rr.host = host;
  rr.port = port;
  rr.path = *path;
  rr.sni = conn.sni;
  rr.headers = head.headers;
  auto match = router_->match(rr);
  if (!match && !conn.tls) {
    // A route that only speaks HTTPS answers plain HTTP with its redirect status (Kong).
    rr.scheme = "https";
    auto https_match = router_->match(rr);
    if (https_match) {
      const auto* route = https_match->route;
      int code = route->https_redirect_status_code;
      if (code == 426) return reply(426, "Please use HTTPS protocol");
      proxy::LocalReply r = reply(code, proxy::kongDefaultMessage(code));
      r.extra_headers =
          "Location: https://" + std::string(authority) + std::string(target) + "\r\n";
      return r;
    }
  }
  if (!match) return reply(404, "no Route matched with those values");
  const model::kong::Route& route = *match->route;
  if (route.service_id.empty()) return reply(503, "no Service found with those values");
  auto cit = cluster_of_service_.find(route.service_id);
  if (cit == cluster_of_service_.end()) return reply(503, "no Service found with those values");
  const proxy::Cluster& cluster = clusters_[cit->second];
  const model::kong::Service& svc = config_->services[cit->second];

  proxy::ForwardPlan plan;
  plan.cluster = &cluster;
  plan.target = upstreamPath(svc.path.value_or(""), *path, match->matched_path, route.strip_path,
                             route.path_handling);
  if (qmark != std::string_view::npos) {
    plan.target += '?';
    plan.target.append(query);
  }
  if (route.preserve_host && !head.host.empty()) plan.host = std::string(head.host);

  // Forwarding headers as Kong sets them for a client that is not a trusted proxy. Appended
  // piece by piece: this runs for every request.
  std::string& x = plan.extra_headers;
  x.reserve(320);
  auto line = [&x](std::string_view name, std::string_view a, std::string_view b = {}) {
    x.append(name);
    x.append(": ");
    x.append(a);
    x.append(b);
    x.append("\r\n");
  };
  line("X-Real-IP", conn.client_ip);
  std::string_view xff = head.header("x-forwarded-for");
  if (xff.empty()) {
    line("X-Forwarded-For", conn.client_ip);
  } else {
    x.append("X-Forwarded-For: ");
    x.append(xff);
    x.append(", ");
    x.append(conn.client_ip);
    x.append("\r\n");
  }
  line("X-Forwarded-Proto", conn.tls ? "https" : "http");
  if (!host.empty()) line("X-Forwarded-Host", host);
  char port_text[8];
  int port_len = std::snprintf(port_text, sizeof port_text, "%u", unsigned(conn.local_port));
  line("X-Forwarded-Port", std::string_view(port_text, size_t(port_len)));
  line("X-Forwarded-Path", *path);
  if (route.strip_path && !match->matched_path.empty() && match->matched_path != "/") {
    std::string_view prefix = match->matched_path;
    if (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
    line("X-Forwarded-Prefix", prefix);
  }
  std::string_view via = head.header("via");
  if (via.empty()) {
    line("Via", "1.1 causeway");
  } else {
    x.append("Via: ");
    x.append(via);
    x.append(", 1.1 causeway\r\n");
  }

  if (auto uit = upstream_of_service_.find(svc.id); uit != upstream_of_service_.end()) {
    const model::kong::Upstream& u = *uit->second;
    plan.hash_key = hashKey(u, u.hash_on, u.hash_on_header, u.hash_on_query_arg,
                            u.hash_on_uri_capture, head, conn, *path, query, *match);
    if (plan.hash_key.empty() && u.hash_fallback != HashOn::kNone) {
      plan.hash_key = hashKey(u, u.hash_fallback, u.hash_fallback_header, u.hash_fallback_query_arg,
                              u.hash_fallback_uri_capture, head, conn, *path, query, *match);
    }
  }
  plan.service_label = cluster.name;
  plan.route_label = route.name.empty() ? route.id : route.name;
  return plan;
}

}  // namespace causeway::gateway
