// The transit network's resources, as read from the `network:` key of a declarative file (see
// loader.h) and validated: hub-and-spoke like Aviatrix transit or AWS Transit Gateway. Spoke
// gateways (one per VPC/VNet) attach to transit gateways; transit gateways with the same ha_group
// form one HA hub; transit peerings join hubs (never transitively); external connections are stock
// WireGuard peers (on-prem sites) attached to one transit. Domains segment traffic, connection
// policies join domains, inspection policies send traffic between two domains through a firewall.
//
// Every name refers to an existing resource once loadNetwork() has accepted the file; the
// planner (plan.h) relies on that. Plain values; safe to share between threads when not modified.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/ip.h"

namespace causeway::model::network {

inline constexpr int kDefaultMtu = 1420;
inline constexpr int kMinMtu = 1280;
inline constexpr int kMaxMtu = 9000;
inline constexpr const char* kDefaultOverlayCidr = "100.64.0.0/16";

using PublicKey = std::array<uint8_t, 32>;

// A gateway's key may be unknown (all zero) in a control plane's network until the gateway
// registers it (LoadOptions::require_keys off); the loader refuses the all-zero key in a file, as
// a low-order point, so it cannot be mistaken for a real one.
inline bool hasKey(const PublicKey& key) {
  for (uint8_t b : key) {
    if (b != 0) return true;
  }
  return false;
}

// What a named member of the network is; a gateway's tunnels lead to peers of these kinds.
enum class PeerKind { kTransit, kSpoke, kExternal };

// Where a gateway's tunnels are reached: "IP:PORT" or "[IPv6]:PORT", kept as written too.
struct Endpoint {
  std::string text;
  IpAddress address;
  uint16_t port = 0;
};

struct TransitGateway {
  std::string name, cloud, region;
  Endpoint endpoint;
  PublicKey public_key{};
  std::string ha_group;  // "" = a hub of its own
  Cidr tunnel_address;   // given, or assigned from overlay_cidr by the loader
};

struct SpokeGateway {
  std::string name, cloud, region;
  Endpoint endpoint;
  PublicKey public_key{};
  std::vector<Cidr> cidrs;
  std::vector<std::string> transits;  // as written; HA partners are implied (topology.h)
  std::string domain;
  Cidr tunnel_address;
};

struct ExternalConnection {
  std::string name;
  std::string transit;
  std::optional<Endpoint> endpoint;  // absent: the site initiates (behind NAT)
  PublicKey public_key{};
  std::vector<Cidr> cidrs;
  std::string domain;
};

struct Firewall {
  std::string name, transit, interface;
  std::optional<IpAddress> next_hop;  // the firewall's address on that interface
};

struct InspectionPolicy {
  std::pair<std::string, std::string> domains;  // may be the same domain twice
  std::string firewall;
};

struct StaticRoute {
  std::string gateway;
  Cidr cidr;
  bool blackhole = false;
  std::string next_hop;  // a peer of `gateway` when not a blackhole
};

struct Network {
  std::vector<std::string> domains;
  std::vector<std::pair<std::string, std::string>> connection_policies;
  std::vector<TransitGateway> transit_gateways;
  std::vector<SpokeGateway> spoke_gateways;
  std::vector<std::pair<std::string, std::string>> transit_peerings;
  std::vector<Firewall> firewalls;
  std::vector<InspectionPolicy> inspection_policies;
  std::vector<ExternalConnection> external_connections;
  std::vector<StaticRoute> static_routes;
  int mtu = kDefaultMtu;
  Cidr overlay_cidr;  // kDefaultOverlayCidr unless given
};

}  // namespace causeway::model::network
