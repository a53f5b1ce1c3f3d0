#include "model/network/forwarding.h"

#include <unordered_map>

namespace causeway::model::network {

std::string_view causeName(Decision::Cause cause) {
  switch (cause) {
    case Decision::Cause::kNone:
      return "none";
    case Decision::Cause::kNoRoute:
      return "no_route";
    case Decision::Cause::kBlackhole:
      return "blackhole";
    case Decision::Cause::kDomain:
      return "domain";
    case Decision::Cause::kSpoofedSource:
      return "spoofed_source";
    case Decision::Cause::kPeeringNotTransitive:
      return "peering_not_transitive";
    case Decision::Cause::kNotLocal:
      return "not_local";
    case Decision::Cause::kCount:
      break;
  }
  return "unknown";
}

Forwarding::Forwarding(const GatewayPlan& plan) : plan_(std::make_unique<GatewayPlan>(plan)) {
  const GatewayPlan& p = *plan_;
  for (const RouteEntry& r : p.routes) routes_.insert(r.cidr, &r);

  std::unordered_map<std::string, uint32_t> index;
  auto domainIndex = [&](const std::string& name) {
    auto [it, fresh] = index.emplace(name, uint32_t(domains_.size()));
    if (fresh) domains_.push_back(name);
    return it->second;
  };
  for (const auto& [cidr, domain] : p.domain_of) domain_of_.insert(cidr, domainIndex(domain));
  for (const auto& [a, b] : p.connected) domainIndex(a), domainIndex(b);
  if (p.firewall) {
    for (const auto& [a, b] : p.firewall->inspected) domainIndex(a), domainIndex(b);
  }
  domain_count_ = domains_.size();
  connected_.assign(domain_count_ * domain_count_, false);
  inspected_.assign(domain_count_ * domain_count_, false);
  for (const auto& [a, b] : p.connected) {
    connected_[index[a] * domain_count_ + index[b]] = true;
    connected_[index[b] * domain_count_ + index[a]] = true;
  }
  if (p.firewall) {
    for (const auto& [a, b] : p.firewall->inspected) {
      inspected_[index[a] * domain_count_ + index[b]] = true;
      inspected_[index[b] * domain_count_ + index[a]] = true;
    }
  }

  allowed_.resize(p.peers.size());
  for (size_t i = 0; i < p.peers.size(); ++i) {
    for (const Cidr& c : p.peers[i].allowed_sources) allowed_[i].insert(c, true);
  }
  if (p.is_transit) {
    // Attachments second: on the very same prefix they win.
    for (const PeerPlan& peer : p.peers) {
      if (peer.kind != PeerKind::kTransit) continue;
      for (const Cidr& c : peer.allowed_sources) source_side_.insert(c, SourceSide::kBehindPeer);
    }
    for (const PeerPlan& peer : p.peers) {
      if (peer.kind == PeerKind::kTransit) continue;
      for (const Cidr& c : peer.allowed_sources) source_side_.insert(c, SourceSide::kAttachment);
    }
  }
}

Decision Forwarding::decide(size_t ingress_peer, std::span<const uint8_t> src,
                            std::span<const uint8_t> dst) const {
  Decision d;
  const GatewayPlan& p = *plan_;
  const bool from_tun = ingress_peer == kFromTun;
  if (!from_tun) {
    if (ingress_peer >= allowed_.size() || !allowed_[ingress_peer].longestMatch(src)) {
      d.cause = Decision::Cause::kSpoofedSource;
      return d;
    }
  }

  const RouteEntry* const* route = routes_.longestMatch(dst);
  const uint32_t* src_domain = domain_of_.longestMatch(src);
  const uint32_t* dst_domain = domain_of_.longestMatch(dst);
  if (src_domain) d.src_domain = &domains_[*src_domain];
  if (dst_domain) d.dst_domain = &domains_[*dst_domain];
  if (!route) {
    d.cause = Decision::Cause::kNoRoute;
    return d;
  }
  d.route = *route;
  if (d.route->kind == RouteKind::kBlackhole) {
    d.cause = Decision::Cause::kBlackhole;
    return d;
  }
  if (src_domain && dst_domain && *src_domain != *dst_domain &&
      !connected(*src_domain, *dst_domain)) {
    d.cause = Decision::Cause::kDomain;
    return d;
  }
  if (d.route->kind == RouteKind::kLocal) {
    if (from_tun) {
      d.cause = Decision::Cause::kNotLocal;
    } else {
      d.action = Decision::kDeliverLocal;
    }
    return d;
  }
  if (!p.is_transit) {
    if (!from_tun) {
      d.cause = Decision::Cause::kNotLocal;
    } else {
      d.action = Decision::kTunnel;
    }
    return d;
  }

  const bool to_transit =
      !d.route->next_hops.empty() && p.peers[d.route->next_hops.front()].kind == PeerKind::kTransit;
  if (to_transit) {
    bool second_peering = false;
    if (from_tun) {
      const SourceSide* side = source_side_.longestMatch(src);
      second_peering = side && *side == SourceSide::kBehindPeer;
    } else {
      second_peering = p.peers[ingress_peer].kind == PeerKind::kTransit;
    }
    if (second_peering) {
      d.cause = Decision::Cause::kPeeringNotTransitive;
      return d;
    }
  }
  if (!from_tun && src_domain && dst_domain && inspected(*src_domain, *dst_domain)) {
    d.action = Decision::kFirewall;
    return d;
  }
  d.action = Decision::kTunnel;
  return d;
}

}  // namespace causeway::model::network
