#include "model/network/plan.h"

#include <algorithm>

#include "model/network/topology.h"

namespace causeway::model::network {
namespace {

class Planner {
 public:
  Planner(const Topology& topo, NodeRef self) : n_(topo.network()), topo_(topo), self_(self) {}

  GatewayPlan run() {
    GatewayPlan p;
    p.name = topo_.nameOf(self_);
    p.is_transit = self_.kind == PeerKind::kTransit;
    p.mtu = n_.mtu;
    if (p.is_transit) {
      const auto& t = n_.transit_gateways[self_.index];
      p.listen_port = t.endpoint.port;
      p.tunnel_address = t.tunnel_address;
    } else {
      const auto& s = n_.spoke_gateways[self_.index];
      p.domain = s.domain;
      p.listen_port = s.endpoint.port;
      p.tunnel_address = s.tunnel_address;
      p.local_cidrs = s.cidrs;
    }
    // A peer whose key is not known yet (a control plane's network before that gateway
    // registered) gets no tunnel, and routes through it none of their next hops.
    for (const NodeRef& peer : topo_.tunnelsOf(self_)) {
      if (hasKey(keyOf(peer))) peers_.push_back(peer);
    }
    for (const NodeRef& peer : peers_) p.peers.push_back(peerPlan(peer));
    p.routes = p.is_transit ? transitRoutes() : spokeRoutes(p.local_cidrs, p.domain, p.name);
    addTunnelAddressRoutes(p);
    addStaticRoutes(p);
    if (p.is_transit) p.firewall = firewall(p.name);
    for (const NodeRef& a : topo_.attachments()) {
      for (const Cidr& c : topo_.cidrsOf(a)) p.domain_of.emplace_back(c, topo_.domainOf(a));
    }
    p.connected = n_.connection_policies;
    return p;
  }

 private:
  // Where `peer` is in the plan's peers; nullopt when it has no tunnel (its key is not known).
  std::optional<size_t> peerIndex(NodeRef peer) const {
    auto it = std::find(peers_.begin(), peers_.end(), peer);
    if (it == peers_.end()) return std::nullopt;
    return size_t(it - peers_.begin());
  }

  const PublicKey& keyOf(NodeRef peer) const {
    switch (peer.kind) {
      case PeerKind::kTransit:
        return n_.transit_gateways[peer.index].public_key;
      case PeerKind::kSpoke:
        return n_.spoke_gateways[peer.index].public_key;
      case PeerKind::kExternal:
        break;
    }
    return n_.external_connections[peer.index].public_key;
  }

  PeerPlan peerPlan(NodeRef peer) const {
    PeerPlan out;
    out.name = topo_.nameOf(peer);
    out.kind = peer.kind;
    out.public_key = keyOf(peer);
    switch (peer.kind) {
      case PeerKind::kTransit:
        out.endpoint = n_.transit_gateways[peer.index].endpoint.text;
        break;
      case PeerKind::kSpoke:
        out.endpoint = n_.spoke_gateways[peer.index].endpoint.text;
        break;
      case PeerKind::kExternal: {
        const auto& e = n_.external_connections[peer.index];
        if (e.endpoint) out.endpoint = e.endpoint->text;
        out.liveness = false;
        break;
      }
    }
    out.allowed_sources = allowedSources(peer);
    return out;
  }

  std::vector<Cidr> allowedSources(NodeRef peer) const {
    std::vector<Cidr> out;
    auto addAll = [&](NodeRef a) {
      const auto& cidrs = topo_.cidrsOf(a);
      out.insert(out.end(), cidrs.begin(), cidrs.end());
    };
    if (peer.kind != PeerKind::kTransit) {
      addAll(peer);
    } else if (self_.kind == PeerKind::kSpoke) {
      for (const NodeRef& a : topo_.attachments()) {
        if (a != self_ && topo_.reaches(peer.index, a)) addAll(a);
      }
    } else {
      // A peered transit speaks for what is attached to its hub.
      for (const NodeRef& a : topo_.attachments()) {
        const auto& hub = topo_.hubOf(peer.index);
        if (std::any_of(hub.begin(), hub.end(), [&](size_t m) { return topo_.delivers(m, a); })) {
          addAll(a);
        }
      }
    }
    return out;
  }

  void addRoutes(std::vector<RouteEntry>& routes, NodeRef a,
                 const std::vector<size_t>& hops) const {
    if (hops.empty()) return;
    for (const Cidr& c : topo_.cidrsOf(a)) {
      routes.push_back({c, RouteKind::kTunnel, hops, topo_.domainOf(a), topo_.nameOf(a)});
    }
  }

  std::vector<RouteEntry> spokeRoutes(const std::vector<Cidr>& local, const std::string& domain,
                                      const std::string& name) const {
    std::vector<RouteEntry> routes;
    for (const Cidr& c : local) routes.push_back({c, RouteKind::kLocal, {}, domain, name});
    for (const NodeRef& a : topo_.attachments()) {
      if (a == self_) continue;
      std::vector<size_t> hops;
      for (size_t t : topo_.attachmentPoints(self_)) {
        if (!topo_.reaches(t, a)) continue;
        if (auto hop = peerIndex({PeerKind::kTransit, t})) hops.push_back(*hop);
      }
      addRoutes(routes, a, hops);
    }
    return routes;
  }

  std::vector<RouteEntry> transitRoutes() const {
    std::vector<RouteEntry> routes;
    const size_t self = self_.index;
    for (const NodeRef& a : topo_.attachments()) {
      std::vector<size_t> hops;
      if (topo_.delivers(self, a)) {
        if (auto hop = peerIndex(a)) hops.push_back(*hop);
      } else {
        for (size_t t : topo_.attachmentPoints(a)) {
          if (!topo_.arePeered(self, t)) continue;
          if (auto hop = peerIndex({PeerKind::kTransit, t})) hops.push_back(*hop);
        }
      }
      addRoutes(routes, a, hops);
    }
    return routes;
  }

  // Every gateway's tunnel address answers through the overlay to the gateways it has tunnels
  // with (ping a transit from its spoke, run iperf3 to it): a /32 (/128) to that peer, accepted
  // as a source from it. Not to external sites: a stock WireGuard peer has its own addressing.
  void addTunnelAddressRoutes(GatewayPlan& p) const {
    p.routes.push_back({p.tunnel_address, RouteKind::kLocal, {}, "", p.name});
    for (size_t i = 0; i < peers_.size(); ++i) {
      const NodeRef& peer = peers_[i];
      if (peer.kind == PeerKind::kExternal) continue;
      const Cidr& address = peer.kind == PeerKind::kTransit
                                ? n_.transit_gateways[peer.index].tunnel_address
                                : n_.spoke_gateways[peer.index].tunnel_address;
      p.routes.push_back({address, RouteKind::kTunnel, {i}, "", p.peers[i].name});
      p.peers[i].allowed_sources.push_back(address);
    }
  }

  void addStaticRoutes(GatewayPlan& p) const {
    for (const StaticRoute& r : n_.static_routes) {
      if (r.gateway != p.name) continue;
      RouteEntry entry{r.cidr, RouteKind::kBlackhole, {}, "", "static"};
      if (!r.blackhole) {
        auto hop = std::find_if(p.peers.begin(), p.peers.end(),
                                [&](const PeerPlan& peer) { return peer.name == r.next_hop; });
        if (hop == p.peers.end()) continue;  // validation refuses this
        entry.kind = RouteKind::kTunnel;
        entry.next_hops = {size_t(hop - p.peers.begin())};
        hop->allowed_sources.push_back(r.cidr);
      }
      auto same = std::find_if(p.routes.begin(), p.routes.end(),
                               [&](const RouteEntry& e) { return e.cidr == r.cidr; });
      if (same != p.routes.end()) {
        *same = std::move(entry);
      } else {
        p.routes.push_back(std::move(entry));
      }
    }
  }

  std::optional<FirewallPlan> firewall(const std::string& transit) const {
    for (const Firewall& f : n_.firewalls) {
      if (f.transit != transit) continue;
      FirewallPlan out{f.name, f.interface, f.next_hop, {}};
      for (const InspectionPolicy& policy : n_.inspection_policies) {
        if (policy.firewall == f.name) out.inspected.push_back(policy.domains);
      }
      return out;
    }
    return std::nullopt;
  }

  const Network& n_;
  const Topology& topo_;
  NodeRef self_;
  std::vector<NodeRef> peers_;
};

}  // namespace

Result<GatewayPlan> planGateway(const Network& network, std::string_view name) {
  Topology topo(network);
  auto ref = topo.find(name);
  if (!ref) return Status::notFound("no gateway named '" + std::string(name) + "'");
  if (ref->kind == PeerKind::kExternal) {
    return Status::notFound("'" + std::string(name) +
                            "' is an external connection, not a Causeway gateway");
  }
  return Planner(topo, *ref).run();
}

}  // namespace causeway::model::network
