// The first round: walk the `network:` record section by section with Record, which reports each
// field's problems at its path; then hand a clean draft to validate.cc for the second round.
#include "model/network/loader.h"

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "model/kong/document.h"
#include "model/network/record.h"
#include "model/network/validate.h"

namespace causeway::model::network {
namespace {

using Json = nlohmann::json;

constexpr const char* kRoot = "network";

// Calls read(record, index) for each element of the array at `key`, each a record of its own.
template <class Read>
void eachRecord(Record& parent, std::string_view key, std::vector<FieldError>& errors, Read read) {
  const Json* list = parent.take(key);
  if (!list) return;
  const std::string path = parent.pathOf(key);
  if (!list->is_array()) {
    errors.push_back({path, "expected an array"});
    return;
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string at = indexedPath(path, i);
    if (!expectObject((*list)[i], at, errors)) continue;
    Record r((*list)[i], at, errors);
    read(r);
    r.finish();
  }
}

// `domains: [a, b]` of a policy: exactly two domain names.
bool domainPair(Record& r, std::pair<std::string, std::string>& out) {
  std::vector<std::string> names;
  if (!r.stringList("domains", names, true, true)) return false;
  if (names.size() != 2) {
    r.error("domains", "expected exactly two domains");
    return false;
  }
  out = {names[0], names[1]};
  return true;
}

// A tunnel_address: one host, /32 or /128 (or a bare address). Returns whether it was given.
bool tunnelAddress(Record& r, Cidr& out) {
  if (!r.cidr("tunnel_address", out)) return false;
  if (!out.isHost()) {
    r.error("tunnel_address", "expected one address (/32 or /128)");
    return false;
  }
  return true;
}

struct Draft {
  LoadOptions options;
  Network network;
  std::vector<bool> tunnel_given;  // transits then spokes
};

void readDomains(Record& net, Draft& d, std::vector<FieldError>& errors) {
  if (!net.stringList("domains", d.network.domains, false, true)) return;
  for (size_t i = 0; i < d.network.domains.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      if (d.network.domains[i] == d.network.domains[j]) {
        errors.push_back({indexedPath(net.pathOf("domains"), i),
                          "duplicate domain '" + d.network.domains[i] + "'"});
      }
    }
  }
}

void readPeerings(Record& net, Draft& d, std::vector<FieldError>& errors) {
  const Json* list = net.take("transit_peerings");
  if (!list) return;
  const std::string path = net.pathOf("transit_peerings");
  if (!list->is_array()) {
    errors.push_back({path, "expected an array"});
    return;
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const Json& p = (*list)[i];
    if (!p.is_array() || p.size() != 2 || !p[0].is_string() || !p[1].is_string()) {
      errors.push_back({indexedPath(path, i), "expected two transit gateway names: [a, b]"});
      continue;
    }
    d.network.transit_peerings.emplace_back(p[0].get<std::string>(), p[1].get<std::string>());
  }
}

// The fields every Causeway gateway has; the tunnel address is remembered as given or not.
template <class Gateway>
void readGateway(Record& r, Gateway& g, Draft& d) {
  r.name("name", g.name, true);
  r.string("cloud", g.cloud);
  r.string("region", g.region);
  r.endpoint("endpoint", g.endpoint, true);
  r.publicKey("public_key", g.public_key, d.options.require_keys);
  d.tunnel_given.push_back(tunnelAddress(r, g.tunnel_address));
}

void readGateways(Record& net, Draft& d, std::vector<FieldError>& errors) {
  eachRecord(net, "transit_gateways", errors, [&](Record& r) {
    TransitGateway t;
    readGateway(r, t, d);
    r.name("ha_group", t.ha_group);
    d.network.transit_gateways.push_back(std::move(t));
  });
  eachRecord(net, "spoke_gateways", errors, [&](Record& r) {
    SpokeGateway s;
    readGateway(r, s, d);
    r.cidrList("cidrs", s.cidrs, true);
    r.stringList("transits", s.transits, true, true);
    r.name("domain", s.domain, true);
    d.network.spoke_gateways.push_back(std::move(s));
  });
  eachRecord(net, "external_connections", errors, [&](Record& r) {
    ExternalConnection e;
    r.name("name", e.name, true);
    r.name("transit", e.transit, true);
    Endpoint endpoint;
    if (r.endpoint("endpoint", endpoint, false)) e.endpoint = endpoint;
    r.publicKey("public_key", e.public_key, true);
    r.cidrList("cidrs", e.cidrs, true);
    r.name("domain", e.domain, true);
    d.network.external_connections.push_back(std::move(e));
  });
}

void readPolicies(Record& net, Draft& d, std::vector<FieldError>& errors) {
  eachRecord(net, "connection_policies", errors, [&](Record& r) {
    std::pair<std::string, std::string> pair;
    domainPair(r, pair);
    d.network.connection_policies.push_back(std::move(pair));
  });
  eachRecord(net, "firewalls", errors, [&](Record& r) {
    Firewall f;
    r.name("name", f.name, true);
    r.name("transit", f.transit, true);
    if (r.string("interface", f.interface, true) &&
        (f.interface.empty() || f.interface.size() > 15 ||
         f.interface.find_first_of("/ ") != std::string::npos)) {
      r.error("interface", "expected a network interface name (1 to 15 characters, no '/')");
    }
    IpAddress next_hop;
    if (r.address("next_hop", next_hop)) f.next_hop = next_hop;
    d.network.firewalls.push_back(std::move(f));
  });
  eachRecord(net, "inspection_policies", errors, [&](Record& r) {
    InspectionPolicy p;
    domainPair(r, p.domains);
    r.name("firewall", p.firewall, true);
    d.network.inspection_policies.push_back(std::move(p));
  });
  eachRecord(net, "static_routes", errors, [&](Record& r) {
    StaticRoute s;
    r.name("gateway", s.gateway, true);
    r.cidr("cidr", s.cidr, true);
    r.boolean("blackhole", s.blackhole);
    const bool next_hop_set = r.take("next_hop") != nullptr;
    r.name("next_hop", s.next_hop);
    if (s.blackhole && next_hop_set) r.error("next_hop", "a blackhole route has no next_hop");
    if (!s.blackhole && !next_hop_set) {
      r.error("blackhole", "expected blackhole: true or a next_hop");
    }
    d.network.static_routes.push_back(std::move(s));
  });
}

void readSettings(Record& net, Draft& d) {
  int64_t mtu = kDefaultMtu;
  if (net.integer("mtu", mtu, kMinMtu, kMaxMtu)) d.network.mtu = int(mtu);
  d.network.overlay_cidr = *Cidr::parse(kDefaultOverlayCidr);
  net.cidr("overlay_cidr", d.network.overlay_cidr);
}

Result<Network> fail(std::vector<FieldError> list, kong::LoadError* errors) {
  kong::LoadError e{std::move(list)};
  Status status = Status::invalidArgument(e.message());
  if (errors) *errors = std::move(e);
  return status;
}

Result<Network> loadChecked(const Json& root, kong::LoadError* errors,
                            const LoadOptions& options) {
  std::vector<FieldError> list;
  if (!root.is_object()) return fail({{"", "expected a record at the top of the file"}}, errors);
  auto it = root.find(kRoot);
  if (it == root.end() || it->is_null()) return fail({{kRoot, "required field missing"}}, errors);
  if (!expectObject(*it, kRoot, list)) return fail(std::move(list), errors);

  Draft d;
  d.options = options;
  Record net(*it, kRoot, list);
  readDomains(net, d, list);
  readGateways(net, d, list);
  readPeerings(net, d, list);
  readPolicies(net, d, list);
  readSettings(net, d);
  net.finish();
  if (list.empty()) checkNetwork(d.network, list);
  if (list.empty()) assignTunnelAddresses(d.network, d.tunnel_given, list);
  if (!list.empty()) return fail(std::move(list), errors);
  if (errors) errors->errors.clear();
  return std::move(d.network);
}

}  // namespace

Result<Network> loadNetworkJson(const Json& root, kong::LoadError* errors,
                                const LoadOptions& options) {
  try {
    return loadChecked(root, errors, options);
  } catch (const std::exception& e) {  // nlohmann on a value of an unexpected type; never escapes
    return fail({{"", std::string("invalid document: ") + e.what()}}, errors);
  }
}

Result<Network> loadNetwork(std::string_view text, kong::LoadError* errors,
                            const LoadOptions& options) {
  Json root;
  std::string problem;
  if (!kong::parseDocument(text, root, problem)) return fail({{"", problem}}, errors);
  return loadNetworkJson(root, errors, options);
}

Result<Network> loadNetworkFile(const std::string& path, kong::LoadError* errors) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail({{"", "cannot read " + path}}, errors);
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return fail({{"", "cannot read " + path}}, errors);
  return loadNetwork(text.str(), errors);
}

}  // namespace causeway::model::network
