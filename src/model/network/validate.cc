// Cross-record checks. Paths are rebuilt from indexes ("network.spoke_gateways[2].domain"):
// validate runs only on a network whose records all loaded, so indexes match the file.
#include "model/network/validate.h"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>

#include "model/network/record.h"
#include "model/network/topology.h"

namespace causeway::model::network {
namespace {

std::string at(const char* collection, size_t i) {
  return indexedPath(std::string("network.") + collection, i);
}
std::string field(const char* collection, size_t i, const char* key) {
  return at(collection, i) + "." + key;
}

class Checker {
 public:
  Checker(const Network& n, std::vector<FieldError>& errors) : n_(n), topo_(n), errors_(errors) {}

  void run() {
    names();
    keysAndEndpoints();
    policies();
    peerings();
    attachments();
    firewalls();
    overlaps();
    staticRoutes();
  }

 private:
  void add(std::string path, std::string message) {
    errors_.push_back({std::move(path), std::move(message)});
  }

  // First path each value was seen at; reports a repeat at `path`.
  void unique(std::map<std::string, std::string>& seen, const std::string& value,
              const std::string& path, const std::string& what) {
    auto [it, fresh] = seen.emplace(value, path);
    if (!fresh) add(path, "duplicate " + what + " (also at " + it->second + ")");
  }

  void names() {
    std::map<std::string, std::string> seen;
    for (size_t i = 0; i < n_.transit_gateways.size(); ++i) {
      const auto& name = n_.transit_gateways[i].name;
      unique(seen, name, field("transit_gateways", i, "name"), "name '" + name + "'");
    }
    for (size_t i = 0; i < n_.spoke_gateways.size(); ++i) {
      const auto& name = n_.spoke_gateways[i].name;
      unique(seen, name, field("spoke_gateways", i, "name"), "name '" + name + "'");
    }
    for (size_t i = 0; i < n_.external_connections.size(); ++i) {
      const auto& name = n_.external_connections[i].name;
      unique(seen, name, field("external_connections", i, "name"), "name '" + name + "'");
    }
    std::map<std::string, std::string> firewalls;
    for (size_t i = 0; i < n_.firewalls.size(); ++i) {
      const auto& name = n_.firewalls[i].name;
      unique(firewalls, name, field("firewalls", i, "name"), "firewall name '" + name + "'");
    }
  }

  void keysAndEndpoints() {
    std::map<std::string, std::string> keys, endpoints;
    auto check = [&](const char* collection, size_t i, const PublicKey& key,
                     const Endpoint* endpoint) {
      if (hasKey(key)) {  // not yet registered (a control plane's network)
        unique(keys, std::string(key.begin(), key.end()), field(collection, i, "public_key"),
               "public key");
      }
      if (endpoint) {
        const std::string where =
            endpoint->address.toString() + " port " + std::to_string(endpoint->port);
        unique(endpoints, where, field(collection, i, "endpoint"), "endpoint " + where);
      }
    };
    for (size_t i = 0; i < n_.transit_gateways.size(); ++i) {
      const auto& t = n_.transit_gateways[i];
      check("transit_gateways", i, t.public_key, &t.endpoint);
    }
    for (size_t i = 0; i < n_.spoke_gateways.size(); ++i) {
      const auto& s = n_.spoke_gateways[i];
      check("spoke_gateways", i, s.public_key, &s.endpoint);
    }
    for (size_t i = 0; i < n_.external_connections.size(); ++i) {
      const auto& e = n_.external_connections[i];
      check("external_connections", i, e.public_key, e.endpoint ? &*e.endpoint : nullptr);
    }
  }

  void domain(const std::string& name, const std::string& path) {
    if (std::find(n_.domains.begin(), n_.domains.end(), name) == n_.domains.end()) {
      add(path, "unknown domain '" + name + "' (not in network.domains)");
    }
  }

  // The transit `name` refers to, or a report at `path`.
  std::optional<size_t> transit(const std::string& name, const std::string& path) {
    auto ref = topo_.find(name);
    if (!ref) {
      add(path, "no transit gateway named '" + name + "'");
      return std::nullopt;
    }
    if (ref->kind != PeerKind::kTransit) {
      add(path, "'" + name + "' is not a transit gateway");
      return std::nullopt;
    }
    return ref->index;
  }

  void policies() {
    for (size_t i = 0; i < n_.connection_policies.size(); ++i) {
      const auto& [a, b] = n_.connection_policies[i];
      domain(a, field("connection_policies", i, "domains[0]"));
      domain(b, field("connection_policies", i, "domains[1]"));
    }
    for (size_t i = 0; i < n_.inspection_policies.size(); ++i) {
      const auto& p = n_.inspection_policies[i];
      domain(p.domains.first, field("inspection_policies", i, "domains[0]"));
      domain(p.domains.second, field("inspection_policies", i, "domains[1]"));
      const bool found = std::any_of(n_.firewalls.begin(), n_.firewalls.end(),
                                     [&](const Firewall& f) { return f.name == p.firewall; });
      if (!found) {
        add(field("inspection_policies", i, "firewall"), "no firewall named '" + p.firewall + "'");
      }
    }
  }

  void peerings() {
    for (size_t i = 0; i < n_.transit_peerings.size(); ++i) {
      const auto& [a, b] = n_.transit_peerings[i];
      auto ta = transit(a, at("transit_peerings", i) + "[0]");
      auto tb = transit(b, at("transit_peerings", i) + "[1]");
      if (!ta || !tb) continue;
      if (*ta == *tb) {
        add(at("transit_peerings", i), "a transit gateway cannot peer with itself");
      } else if (topo_.hubOf(*ta) == topo_.hubOf(*tb)) {
        add(at("transit_peerings", i), "'" + a + "' and '" + b + "' are one HA group (ha_group " +
                                           n_.transit_gateways[*ta].ha_group + ")");
      }
    }
  }

  void attachments() {
    for (size_t i = 0; i < n_.spoke_gateways.size(); ++i) {
      const auto& s = n_.spoke_gateways[i];
      for (size_t j = 0; j < s.transits.size(); ++j) {
        transit(s.transits[j], indexedPath(field("spoke_gateways", i, "transits"), j));
      }
      domain(s.domain, field("spoke_gateways", i, "domain"));
    }
    for (size_t i = 0; i < n_.external_connections.size(); ++i) {
      const auto& e = n_.external_connections[i];
      transit(e.transit, field("external_connections", i, "transit"));
      domain(e.domain, field("external_connections", i, "domain"));
    }
  }

  void firewalls() {
    std::map<std::string, std::string> per_transit;
    for (size_t i = 0; i < n_.firewalls.size(); ++i) {
      const auto& f = n_.firewalls[i];
      const std::string path = field("firewalls", i, "transit");
      if (!transit(f.transit, path)) continue;
      auto [it, fresh] = per_transit.emplace(f.transit, path);
      if (!fresh)
        add(path, "transit '" + f.transit + "' has a firewall already (" + it->second + ")");
    }
  }

  // CIDR blocks either nest or are disjoint, so in address order (shorter prefix first) a block
  // overlaps an earlier one exactly when the last block not inside another contains it.
  void overlaps() {
    struct Block {
      Cidr cidr;
      std::string path;
      size_t order;  // file order, to report at the later of two
    };
    std::vector<Block> blocks;
    auto collect = [&](const char* collection, size_t i, const std::vector<Cidr>& cidrs) {
      for (size_t j = 0; j < cidrs.size(); ++j) {
        blocks.push_back({cidrs[j], indexedPath(field(collection, i, "cidrs"), j), blocks.size()});
      }
    };
    for (size_t i = 0; i < n_.spoke_gateways.size(); ++i) {
      collect("spoke_gateways", i, n_.spoke_gateways[i].cidrs);
    }
    for (size_t i = 0; i < n_.external_connections.size(); ++i) {
      collect("external_connections", i, n_.external_connections[i].cidrs);
    }
    for (const Block& b : blocks) {
      if (b.cidr.overlaps(n_.overlay_cidr)) {
        add(b.path, b.cidr.toString() + " overlaps overlay_cidr " + n_.overlay_cidr.toString() +
                        " (the gateways' tunnel addresses)");
      }
    }
    std::sort(blocks.begin(), blocks.end(),
              [](const Block& x, const Block& y) { return x.cidr < y.cidr; });
    const Block* cover = nullptr;
    for (const Block& b : blocks) {
      if (cover && cover->cidr.overlaps(b.cidr)) {
        const Block& later = b.order > cover->order ? b : *cover;
        const Block& earlier = b.order > cover->order ? *cover : b;
        add(later.path, later.cidr.toString() + " overlaps " + earlier.cidr.toString() + " at " +
                            earlier.path + " (CIDRs must not overlap anywhere in the network)");
      } else {
        cover = &b;
      }
    }
  }

  void staticRoutes() {
    std::map<std::string, std::string> seen;
    for (size_t i = 0; i < n_.static_routes.size(); ++i) {
      const auto& r = n_.static_routes[i];
      auto gateway = topo_.find(r.gateway);
      const std::string path = field("static_routes", i, "gateway");
      if (!gateway) {
        add(path, "no gateway named '" + r.gateway + "'");
        continue;
      }
      if (gateway->kind == PeerKind::kExternal) {
        add(path, "'" + r.gateway + "' is an external connection, not a Causeway gateway");
        continue;
      }
      unique(seen, r.gateway + " " + r.cidr.toString(), field("static_routes", i, "cidr"),
             "static route " + r.cidr.toString() + " on '" + r.gateway + "'");
      if (r.blackhole) continue;
      const auto peers = topo_.tunnelsOf(*gateway);
      const bool is_peer = std::any_of(peers.begin(), peers.end(), [&](const NodeRef& p) {
        return topo_.nameOf(p) == r.next_hop;
      });
      if (!is_peer) {
        add(field("static_routes", i, "next_hop"),
            "'" + r.next_hop + "' is not a peer of '" + r.gateway + "' (no tunnel between them)");
      }
    }
  }

  const Network& n_;
  Topology topo_;
  std::vector<FieldError>& errors_;
};

}  // namespace

void checkNetwork(const Network& network, std::vector<FieldError>& errors) {
  Checker(network, errors).run();
}

void assignTunnelAddresses(Network& network, const std::vector<bool>& given,
                           std::vector<FieldError>& errors) {
  struct Slot {
    Cidr* address;
    std::string path;  // of the tunnel_address field
    bool given;
  };
  std::vector<Slot> slots;
  for (size_t i = 0; i < network.transit_gateways.size(); ++i) {
    slots.push_back({&network.transit_gateways[i].tunnel_address,
                     field("transit_gateways", i, "tunnel_address"), false});
  }
  for (size_t i = 0; i < network.spoke_gateways.size(); ++i) {
    slots.push_back({&network.spoke_gateways[i].tunnel_address,
                     field("spoke_gateways", i, "tunnel_address"), false});
  }
  for (size_t i = 0; i < slots.size(); ++i) {
    slots[i].given = i < given.size() && given[i];
    if (slots[i].given) continue;
    auto host = network.overlay_cidr.nth(i + 1);
    if (!host) {
      errors.push_back({"network.overlay_cidr", network.overlay_cidr.toString() +
                                                    " has too few addresses for " +
                                                    std::to_string(slots.size()) + " gateways"});
      return;
    }
    *slots[i].address = Cidr::host(*host);
  }

  // Two assigned addresses never collide, so one side of a collision was given: blame it.
  std::unordered_map<Cidr, size_t> seen;
  for (size_t i = 0; i < slots.size(); ++i) {
    auto [it, fresh] = seen.emplace(*slots[i].address, i);
    if (fresh) continue;
    const Slot& other = slots[it->second];
    const Slot& blamed = slots[i].given ? slots[i] : other;
    const Slot& with = slots[i].given ? other : slots[i];
    errors.push_back({blamed.path, "tunnel address " + blamed.address->toString() +
                                       " is also that of " + with.path +
                                       (with.given ? "" : " (assigned from overlay_cidr)")});
  }
  Topology topo(network);
  for (const Slot& s : slots) {
    if (!s.given) continue;
    for (const NodeRef& a : topo.attachments()) {
      for (const Cidr& c : topo.cidrsOf(a)) {
        if (c.overlaps(*s.address)) {
          errors.push_back({s.path, "inside " + c.toString() + " of '" + topo.nameOf(a) +
                                        "': a tunnel address must be outside every CIDR"});
        }
      }
    }
  }
}

}  // namespace causeway::model::network
