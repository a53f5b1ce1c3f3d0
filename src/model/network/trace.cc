#include "model/network/trace.h"

#include <algorithm>

#include "base/strings.h"
#include "model/network/forwarding.h"
#include "model/network/topology.h"

namespace causeway::model::network {
namespace {

// The spoke or external connection whose CIDRs hold `address` most specifically.
std::optional<NodeRef> holderOf(const Topology& topo, const IpAddress& address) {
  std::optional<NodeRef> best;
  int best_length = -1;
  for (const NodeRef& a : topo.attachments()) {
    for (const Cidr& c : topo.cidrsOf(a)) {
      if (c.contains(address) && c.prefixLength() > best_length) {
        best = a;
        best_length = c.prefixLength();
      }
    }
  }
  return best;
}

std::string domainName(const std::string* d) { return d ? *d : std::string("(none)"); }

class Tracer {
 public:
  Tracer(const Network& n, const IpAddress& src, const IpAddress& dst)
      : n_(n), topo_(n), src_(src), dst_(dst) {}

  TraceResult run() {
    auto src_holder = holderOf(topo_, src_);
    dst_holder_ = holderOf(topo_, dst_);
    if (!src_holder) {
      return finish("no-route", "no spoke or external connection holds " + src_.toString());
    }
    out_.hops.push_back(topo_.nameOf(*src_holder));
    if (src_.isV6() != dst_.isV6()) {
      return finish("no-route", "the source and destination are of different IP families");
    }
    if (dst_holder_ == src_holder) {
      return finish(
          "allow", "both addresses are in " + topo_.nameOf(*src_holder) + ": the flow stays there");
    }

    // The gateway the packet is at, and the peer it came from (none: its TUN device).
    std::string gateway = topo_.nameOf(*src_holder);
    std::optional<std::string> from;
    if (src_holder->kind == PeerKind::kExternal) {
      from = gateway;
      gateway = n_.external_connections[src_holder->index].transit;
    }
    for (int hop = 0; hop < kMaxTraceHops; ++hop) {
      auto plan = planGateway(n_, gateway);
      if (!plan) return finish("no-route", plan.status().message());
      Forwarding forwarding(*plan);
      const GatewayPlan& p = forwarding.plan();
      if (gateway != out_.hops.back()) out_.hops.push_back(gateway);
      const size_t ingress = from ? peerIndex(p, *from) : Forwarding::kFromTun;

      Decision d = forwarding.decide(ingress, src_.bytes(), dst_.bytes());
      if (d.action == Decision::kFirewall) {
        out_.firewall = p.firewall->name;
        d = forwarding.decide(Forwarding::kFromTun, src_.bytes(), dst_.bytes());  // back from it
      }
      if (d.action == Decision::kDrop) return drop(d, p, ingress);
      if (d.action == Decision::kDeliverLocal) return allow(d);

      const PeerPlan& next = p.peers[d.route->next_hops.front()];
      if (next.kind == PeerKind::kExternal) {
        out_.hops.push_back(next.name);
        return allow(d);
      }
      from = gateway;
      gateway = next.name;
    }
    return finish("deny", "routing loop: more than " + std::to_string(kMaxTraceHops) + " hops");
  }

 private:
  static size_t peerIndex(const GatewayPlan& p, const std::string& name) {
    auto it = std::find_if(p.peers.begin(), p.peers.end(),
                           [&](const PeerPlan& peer) { return peer.name == name; });
    return it == p.peers.end() ? p.peers.size() : size_t(it - p.peers.begin());
  }

  TraceResult finish(const char* verdict, std::string reason) {
    out_.verdict = verdict;
    out_.reason = std::move(reason);
    return std::move(out_);
  }

  TraceResult allow(const Decision& d) {
    std::string reason;
    if (!d.src_domain || !d.dst_domain) {
      reason = "allowed: no domain restricts it";
    } else if (*d.src_domain == *d.dst_domain) {
      reason = "allowed: both ends are in domain " + *d.src_domain;
    } else {
      reason = "allowed: domain " + *d.src_domain + " may reach " + *d.dst_domain +
               " (connection policy)";
    }
    if (out_.firewall) reason += "; inspected by firewall " + *out_.firewall;
    return finish("allow", std::move(reason));
  }

  TraceResult drop(const Decision& d, const GatewayPlan& p, size_t ingress) {
    const std::string& at = p.name;
    switch (d.cause) {
      case Decision::Cause::kNoRoute: {
        std::string why = " (no spoke, external connection or static route holds it)";
        if (dst_holder_) {
          why = " (it is in " + topo_.nameOf(*dst_holder_) +
                ", not reachable within one transit peering: peering is not transitive)";
        }
        return finish("no-route", at + " has no route to " + dst_.toString() + why);
      }
      case Decision::Cause::kBlackhole:
        return finish("deny", "blackhole route " + d.route->cidr.toString() + " on " + at);
      case Decision::Cause::kDomain:
        return finish("deny", "domain " + domainName(d.src_domain) + " may not reach " +
                                  domainName(d.dst_domain) + " (no connection policy)");
      case Decision::Cause::kSpoofedSource: {
        const std::string from = ingress < p.peers.size() ? p.peers[ingress].name : "?";
        return finish("deny", at + " does not accept source " + src_.toString() + " from " + from +
                                  " (spoofed source)");
      }
      case Decision::Cause::kPeeringNotTransitive:
        return finish("deny", at + " would send the flow over a second transit peering "
                                   "(peering is not transitive)");
      case Decision::Cause::kNotLocal:
      case Decision::Cause::kNone:
      case Decision::Cause::kCount:
        break;
    }
    return finish("deny", at + " would send the flow back where it came from (not_local)");
  }

  const Network& n_;
  Topology topo_;
  IpAddress src_, dst_;
  std::optional<NodeRef> dst_holder_;
  TraceResult out_;
};

}  // namespace

TraceResult traceFlow(const Network& network, const IpAddress& src, const IpAddress& dst) {
  return Tracer(network, src, dst).run();
}

std::string traceJson(const TraceResult& r) {
  std::string out = "{\"verdict\":\"" + jsonEscape(r.verdict) + "\",\"hops\":[";
  for (size_t i = 0; i < r.hops.size(); ++i) {
    out += (i ? ",\"" : "\"") + jsonEscape(r.hops[i]) + "\"";
  }
  out += "],\"firewall\":";
  out += r.firewall ? "\"" + jsonEscape(*r.firewall) + "\"" : std::string("null");
  out += ",\"reason\":\"" + jsonEscape(r.reason) + "\"}";
  return out;
}

}  // namespace causeway::model::network
