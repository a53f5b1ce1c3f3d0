#include "mesh/sidecar_config.h"

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "mesh/cluster_policies.h"
#include "mesh/tls_contexts.h"
#include "pki/spiffe.h"

namespace causeway::mesh {

namespace mm = model::mesh;
using Json = nlohmann::json;

namespace {

// HTTP/1.1 is routed per request. http2 and grpc are proxied as TCP streams (still mTLS and
// permission-checked per connection) until the proxy engine speaks HTTP/2 to upstreams.
bool httpProtocol(const std::string& p) { return p == "http"; }

std::string headerLines(const std::vector<std::pair<std::string, std::string>>& set,
                        const std::vector<std::pair<std::string, std::string>>& add) {
  std::string out;
  for (const auto* list : {&set, &add}) {
    for (const auto& [name, value] : *list) out += name + ": " + value + "\r\n";
  }
  return out;
}

std::vector<std::string> removedNames(const mm::HeaderModifier& m) {
  std::vector<std::string> out = m.remove;
  for (const auto& [name, value] : m.set) out.push_back(name);  // set = replace
  return out;
}

proxy::LocalReply localReply(int status, const std::string& message) {
  proxy::LocalReply r;
  r.status = status;
  r.body = http::kongErrorBody(message);
  return r;
}

uint32_t pickWeighted(const std::vector<WeightedCluster>& backends) {
  if (backends.size() == 1) return 0;
  uint64_t total = 0;
  for (const auto& b : backends) total += b.weight;
  if (total == 0) return 0;
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t r = std::uniform_int_distribution<uint64_t>(0, total - 1)(rng);
  for (uint32_t i = 0; i < backends.size(); ++i) {
    if (r < backends[i].weight) return i;
    r -= backends[i].weight;
  }
  return 0;
}

}  // namespace

std::string callerService(std::string_view peer_uri, std::string_view mesh) {
  if (peer_uri.empty()) return {};
  auto id = pki::parseSpiffeId(peer_uri);
  if (!id.isOk() || id->trust_domain != mesh || id->path.size() < 2) return {};
  return id->path.substr(1);
}

// Builds a SidecarConfig; one per compile.
class SidecarCompiler {
 public:
  explicit SidecarCompiler(const SidecarInputs& in) : in_(in) {}

  Result<std::shared_ptr<const SidecarConfig>> run() {
    auto cfg = std::make_shared<SidecarConfig>();
    cfg_ = cfg.get();
    const mm::Dataplane& self = in_.self;
    cfg->mesh_ = self.mesh;
    const mm::Mesh* mesh = nullptr;
    for (const mm::Mesh& m : in_.resources.meshes) {
      if (m.name == self.mesh) mesh = &m;
    }
    if (!mesh) return Status::notFound("mesh '" + self.mesh + "' does not exist");
    cfg->mtls_ = mesh->mtlsEnabled();
    cfg->mode_ = mesh->mtlsMode();
    if (cfg->mtls_) {
      if (in_.identity.empty()) {
        return Status::unavailable("mesh '" + self.mesh + "' has mTLS on: no certificate yet");
      }
      auto tls = makeMeshTls(in_.identity);
      if (!tls.isOk()) return tls.status();
      cfg->tls_inbound_ = tls->inbound;
      cfg->tls_outbound_ = tls->outbound;
    }
    for (const mm::Dataplane& dp : in_.resources.dataplanes) {
      if (dp.mesh == self.mesh && dp.name != self.name) peers_.push_back(&dp);
    }
    peers_.push_back(&self);  // the CP's copy may lag; this one is current

    const mm::DataplanePolicies policies = mm::matchPolicies(self, in_.resources.policies);
    for (size_t i = 0; i < self.inbound.size(); ++i) {
      if (Status st = addInbound(self.inbound[i], policies.inbound[i]); !st.isOk()) return st;
    }
    for (size_t i = 0; i < self.outbound.size(); ++i) {
      if (Status st = addOutbound(self.outbound[i], policies.outbound[i]); !st.isOk()) return st;
    }
    if (self.isGateway()) addServiceClusters();
    cfg->hash_ = std::to_string(std::hash<std::string>()(cfg->describe().dump()));
    return std::shared_ptr<const SidecarConfig>(std::move(cfg));
  }

 private:
  Status addInbound(const mm::Inbound& in, const mm::InboundPermissions& perms) {
    InboundListener l;
    l.port = uint16_t(in.port);
    l.service = in.service();
    l.protocol = httpProtocol(in.protocol()) ? Protocol::kHttp : Protocol::kTcp;
    l.permissions = perms;
    auto c = std::make_unique<proxy::Cluster>();
    c->name = "local:" + l.service;
    c->endpoints.push_back({in.service_address.empty() ? "127.0.0.1" : in.service_address,
                            uint16_t(in.service_port ? in.service_port : in.port), 100});
    c->pool_keys.push_back("local|" + c->endpoints[0].host + ":" +
                           std::to_string(c->endpoints[0].port));
    c->retries = 0;
    c->connect_timeout_ms = int(kDefaultConnectTimeout.count());
    c->read_timeout_ms = int(kDefaultRequestTimeout.count());
    c->no_endpoint_message = "the local application is not reachable";
    l.local_cluster = add(std::move(c));
    cfg_->inbounds_.push_back(std::move(l));
    return Status::ok();
  }

  // The instances of `service` whose inbound tags contain `tags`, and their protocol.
  std::vector<proxy::Endpoint> instances(const std::string& service, const mm::Tags& tags,
                                         bool* all_http) {
    std::vector<proxy::Endpoint> out;
    bool http = true;
    for (const mm::Dataplane* dp : peers_) {
      for (const mm::Inbound& in : dp->inbound) {
        auto s = in.tags.find(std::string(mm::kServiceTag));
        if (s == in.tags.end() || s->second != service) continue;
        bool subset = std::all_of(tags.begin(), tags.end(), [&](const auto& kv) {
          auto t = in.tags.find(kv.first);
          return t != in.tags.end() && t->second == kv.second;
        });
        if (!subset) continue;
        http = http && httpProtocol(in.protocol());
        out.push_back({dp->address, uint16_t(in.port), 100});
      }
    }
    if (all_http) *all_http = http && !out.empty();
    return out;
  }

  // The cluster of `service` restricted to `tags`, shared by every route that names it. Its
  // policies and protocol are those of `service` itself, whichever outbound routes to it.
  size_t clusterFor(const std::string& service, const mm::Tags& tags) {
    std::string key = service;
    for (const auto& [k, v] : tags) key += "|" + k + "=" + v;
    auto it = cluster_by_key_.find(key);
    if (it != cluster_by_key_.end()) return it->second;
    bool all_http = false;
    (void)instances(service, {}, &all_http);
    const Protocol protocol = all_http ? Protocol::kHttp : Protocol::kTcp;
    const mm::OutboundPolicies policies =
        mm::outboundPolicies(in_.self, service, in_.resources.policies);
    auto c = std::make_unique<proxy::Cluster>();
    c->name = service;
    for (const auto& [k, v] : tags) c->name += (c->name == service ? "{" : ",") + k + "=" + v;
    if (!tags.empty()) c->name += "}";
    c->endpoints = instances(service, tags, nullptr);
    applyClusterPolicies(*c, protocol, policies);
    if (cfg_->mtls_) {
      c->tls = true;
      c->tls_context = cfg_->tls_outbound_;
      c->peer_uri = "spiffe://" + cfg_->mesh_ + "/" + service;
    }
    for (const auto& ep : c->endpoints) {
      c->pool_keys.push_back(std::string(cfg_->mtls_ ? "mtls|" : "tcp|") + ep.host + ":" +
                             std::to_string(ep.port) + "|" + c->peer_uri);
    }
    c->no_endpoint_message = "no available instance of service '" + c->name + "'";
    const size_t index = add(std::move(c));
    if (auto hc = healthCheck(policies.health_check, index, protocol)) {
      cfg_->clusters_[index]->health_checked = true;
      cfg_->health_checks_.push_back(*hc);
    }
    cluster_by_key_[key] = index;
    return index;
  }

  std::vector<WeightedCluster> backendsOf(const mm::RouteConf& route, const std::string& service) {
    std::vector<WeightedCluster> out;
    for (const mm::BackendRef& ref : route.backend_refs) {
      const mm::Tags none;
      const mm::Tags& tags = ref.kind == mm::TargetKind::kMeshServiceSubset ? ref.tags : none;
      out.push_back({clusterFor(ref.name, tags), ref.weight});
    }
    if (out.empty()) out.push_back({clusterFor(service, {}), 1});
    return out;
  }

  Status addOutbound(const mm::Outbound& o, const mm::OutboundPolicies& p) {
    OutboundListener l;
    l.port = uint16_t(o.port);
    l.address = o.address;
    l.service = o.service;
    bool all_http = false;
    (void)instances(o.service, {}, &all_http);
    l.protocol = all_http ? Protocol::kHttp : Protocol::kTcp;
    l.idle_timeout = idleTimeout(p.timeout);
    l.hash = hashPolicy(p.load_balancing);
    if (l.protocol == Protocol::kHttp) {
      bool catch_all = false;
      for (size_t r = 0; r < p.http_routes.size(); ++r) {
        const mm::HttpRouteEntry& e = p.http_routes[r];
        OutboundRoute route;
        route.name = "rule " + std::to_string(r);
        if (e.match) {
          auto m = CompiledMatch::compile(*e.match);
          if (!m.isOk()) return m.status();
          route.match = std::move(m.value());
        } else {
          catch_all = true;
        }
        route.backends = backendsOf(e.route, o.service);
        if (e.route.request_headers) {
          route.remove_headers = removedNames(*e.route.request_headers);
          route.extra_headers =
              headerLines(e.route.request_headers->set, e.route.request_headers->add);
        }
        if (e.route.response_headers) {
          route.response_remove_headers = removedNames(*e.route.response_headers);
          route.response_extra_headers =
              headerLines(e.route.response_headers->set, e.route.response_headers->add);
        }
        l.routes.push_back(std::move(route));
      }
      if (!catch_all) {  // requests no rule matches go to the service itself
        OutboundRoute d;
        d.name = "default";
        d.backends = backendsOf({}, o.service);
        l.routes.push_back(std::move(d));
      }
    } else {
      OutboundRoute route;
      route.name = p.tcp_route ? "tcp route" : "default";
      route.backends = backendsOf(p.tcp_route.value_or(mm::RouteConf{}), o.service);
      l.routes.push_back(std::move(route));
    }
    cfg_->outbounds_.push_back(std::move(l));
    return Status::ok();
  }

  // Every service of the mesh, for a delegated gateway.
  void addServiceClusters() {
    std::set<std::string> services;
    for (const mm::Dataplane* dp : peers_) {
      for (const mm::Inbound& in : dp->inbound) services.insert(in.service());
    }
    for (const std::string& service : services) {
      cfg_->service_clusters_[service] = clusterFor(service, {});
    }
  }

  size_t add(std::unique_ptr<proxy::Cluster> c) {
    c->index = cfg_->clusters_.size();
    cfg_->clusters_.push_back(std::move(c));
    return cfg_->clusters_.size() - 1;
  }

  const SidecarInputs& in_;
  SidecarConfig* cfg_ = nullptr;
  std::vector<const mm::Dataplane*> peers_;
  std::map<std::string, size_t> cluster_by_key_;
};

Result<std::shared_ptr<const SidecarConfig>> SidecarConfig::compile(const SidecarInputs& inputs) {
  return SidecarCompiler(inputs).run();
}

const proxy::Cluster* SidecarConfig::serviceCluster(std::string_view service) const {
  auto it = service_clusters_.find(service);
  return it == service_clusters_.end() ? nullptr : clusters_[it->second].get();
}

const InboundListener* SidecarConfig::inboundAt(uint16_t port) const {
  for (const auto& l : inbounds_) {
    if (l.port == port) return &l;
  }
  return nullptr;
}

const OutboundListener* SidecarConfig::outboundAt(uint16_t port) const {
  for (const auto& l : outbounds_) {
    if (l.port == port) return &l;
  }
  return nullptr;
}

bool SidecarConfig::allowed(const InboundListener& in, bool tls, std::string_view peer_uri,
                            std::string* why) const {
  if (!mtls_) return true;
  const std::string caller = callerService(peer_uri, mesh_);
  if (tls && caller.empty()) {
    if (why) *why = "the caller's certificate has no SPIFFE ID of mesh '" + mesh_ + "'";
    return false;
  }
  if (!tls && mode_ == mm::MtlsMode::kStrict) {
    if (why) *why = "mesh '" + mesh_ + "' requires mTLS";
    return false;
  }
  if (mm::callAllowed(in.permissions, caller, mtls_)) return true;
  if (why) {
    *why = (caller.empty() ? std::string("a caller without a mesh identity")
                           : "service '" + caller + "'") +
           " may not call service '" + in.service + "' (no MeshTrafficPermission allows it)";
  }
  return false;
}

proxy::Decision SidecarConfig::dispatch(const http::RequestHead& head,
                                        const proxy::ConnectionInfo& conn) const {
  if (const InboundListener* in = inboundAt(conn.local_port)) {
    return dispatchInbound(*in, head, conn);
  }
  if (const OutboundListener* out = outboundAt(conn.local_port)) {
    return dispatchOutbound(*out, head, conn);
  }
  return localReply(404, "no listener on this port");
}

proxy::Decision SidecarConfig::dispatchInbound(const InboundListener& in,
                                               const http::RequestHead& head,
                                               const proxy::ConnectionInfo& conn) const {
  std::string why;
  if (!allowed(in, conn.tls, conn.peer_uri, &why)) {
    return localReply(403, "RBAC: access denied: " + why);
  }
  proxy::ForwardPlan plan;
  plan.cluster = clusters_[in.local_cluster].get();
  plan.target = std::string(head.target);
  if (!head.host.empty()) plan.host = std::string(head.host);
  plan.replace_forwarded = false;
  plan.service_label = in.service;
  plan.route_label = "inbound";
  return plan;
}

proxy::Decision SidecarConfig::dispatchOutbound(const OutboundListener& out,
                                                const http::RequestHead& head,
                                                const proxy::ConnectionInfo& conn) const {
  for (const OutboundRoute& r : out.routes) {
    if (r.match && !r.match->matches(head)) continue;
    proxy::ForwardPlan plan;
    plan.cluster = clusters_[r.backends[pickWeighted(r.backends)].cluster].get();
    plan.target = std::string(head.target);
    if (!head.host.empty()) plan.host = std::string(head.host);
    plan.replace_forwarded = false;
    plan.extra_headers = r.extra_headers;
    plan.remove_headers = r.remove_headers;
    plan.response_extra_headers = r.response_extra_headers;
    plan.response_remove_headers = r.response_remove_headers;
    switch (out.hash.type) {
      case HashPolicy::Type::kHeader:
        plan.hash_key = std::string(head.header(out.hash.name));
        break;
      case HashPolicy::Type::kQueryParameter:
        plan.hash_key = std::string(queryParam(head.target, out.hash.name).value_or(""));
        break;
      case HashPolicy::Type::kSourceIp:
        plan.hash_key = conn.client_ip;
        break;
      case HashPolicy::Type::kNone:
        break;
    }
    plan.service_label = out.service;
    plan.route_label = r.name;
    return plan;
  }
  return localReply(404, "no MeshHTTPRoute rule matched the request");
}

proxy::TcpPlan SidecarConfig::tcpOutbound(const OutboundListener& out,
                                          const std::string& client_ip) const {
  const OutboundRoute& r = out.routes.front();
  proxy::TcpPlan plan;
  plan.cluster = clusters_[r.backends[pickWeighted(r.backends)].cluster].get();
  plan.idle_timeout = out.idle_timeout;
  if (out.hash.type == HashPolicy::Type::kSourceIp) plan.hash_key = client_ip;
  return plan;
}

proxy::TcpPlan SidecarConfig::tcpInbound(const InboundListener& in) const {
  proxy::TcpPlan plan;
  plan.cluster = clusters_[in.local_cluster].get();
  plan.idle_timeout = in.idle_timeout;
  return plan;
}

Json SidecarConfig::describe() const {
  Json clusters = Json::array();
  for (const auto& c : clusters_) {
    Json eps = Json::array();
    for (const auto& e : c->endpoints) eps.push_back(e.host + ":" + std::to_string(e.port));
    clusters.push_back({{"name", c->name},
                        {"endpoints", eps},
                        {"mtls", c->tls},
                        {"peer", c->peer_uri},
                        {"retries", c->retries},
                        {"connect_timeout_ms", c->connect_timeout_ms},
                        {"request_timeout_ms", c->read_timeout_ms},
                        {"outlier_detection", c->outlier.enabled},
                        {"health_checked", c->health_checked}});
  }
  Json inbound = Json::array();
  for (const auto& l : inbounds_) {
    Json rules = Json::array();
    for (const auto& r : l.permissions.rules) {
      rules.push_back({{"from", r.service.empty() ? "*" : r.service},
                       {"action", r.action == mm::PermissionAction::kDeny ? "Deny" : "Allow"}});
    }
    inbound.push_back({{"port", l.port},
                       {"service", l.service},
                       {"protocol", l.protocol == Protocol::kHttp ? "http" : "tcp"},
                       {"application", clusters_[l.local_cluster]->name},
                       {"permissions", rules}});
  }
  Json outbound = Json::array();
  for (const auto& l : outbounds_) {
    Json routes = Json::array();
    for (const auto& r : l.routes) {
      Json backends = Json::array();
      for (const auto& b : r.backends) {
        backends.push_back({{"cluster", clusters_[b.cluster]->name}, {"weight", b.weight}});
      }
      routes.push_back({{"name", r.name}, {"match", r.match.has_value()}, {"backends", backends}});
    }
    outbound.push_back({{"port", l.port},
                        {"service", l.service},
                        {"protocol", l.protocol == Protocol::kHttp ? "http" : "tcp"},
                        {"routes", routes}});
  }
  return Json{{"mesh", mesh_},
              {"mtls", mtls_},
              {"mode", mode_ == mm::MtlsMode::kStrict ? "STRICT" : "PERMISSIVE"},
              {"inbound", inbound},
              {"outbound", outbound},
              {"clusters", clusters}};
}

}  // namespace causeway::mesh
