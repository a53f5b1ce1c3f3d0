// Route computation: what one gateway of a validated Network needs to run, computed from the
// model alone (I/O-free): its tunnels (peers), its route table, its firewall, and the domain map
// and policy its per-packet decision uses (forwarding.h). Semantics of Aviatrix transit and AWS
// Transit Gateway, with the attachment and peering rules of topology.h:
//
// - A spoke routes its own CIDRs kLocal, and every other spoke or external CIDR that one of its
//   transits reaches (attached there, or one peering away) kTunnel through those transits, in its
//   preference order. Domains do not prune routes: packets to a domain the spoke may not reach
//   must arrive at the data plane to be dropped and counted.
// - A transit routes its attachments' CIDRs to the attachment, and the CIDRs of attachments of
//   the transits it peers with to those transits (in the attachment's preference order, so the
//   one it names first, then its HA partners). Never a CIDR two peerings away.
// - Every gateway routes its own tunnel address kLocal and the tunnel address of each Causeway
//   peer (/32 or /128) to that peer, so gateways answer through the overlay (ping, iperf3).
// - A peer whose public key is not known (hasKey) gets no tunnel: it is left out of the peers,
//   and routes that would lead only through it are left out, so a network a control plane holds
//   comes up gateway by gateway as each registers its key.
// - static_routes add kBlackhole or kTunnel (next_hop) entries to their gateway, replacing a
//   learned route for exactly the same prefix. Tunnelling a prefix to a peer also accepts that
//   prefix as a source from the peer (as WireGuard's AllowedIPs do).
//
// Pure function; thread-safe. Plans are plain values.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/ip.h"
#include "base/status.h"
#include "model/network/network.h"

namespace causeway::model::network {

struct PeerPlan {
  std::string name;
  PeerKind kind = PeerKind::kTransit;
  PublicKey public_key{};
  std::string endpoint;  // "IP:PORT"; "" for an external connection that has none (it dials in)
  // What may arrive from this peer (anti-spoofing). A spoke or external: its CIDRs. A peered
  // transit: the CIDRs attached to its HA hub (not what it learned over other peerings). A
  // spoke's transit: every CIDR the spoke may receive from it. Plus static routes through it.
  std::vector<Cidr> allowed_sources;
  bool liveness = true;  // a Causeway gateway (1 s keepalive, failover); false for externals
};

enum class RouteKind { kLocal, kTunnel, kBlackhole };

struct RouteEntry {
  Cidr cidr;
  RouteKind kind = RouteKind::kTunnel;
  std::vector<size_t> next_hops;  // indexes into GatewayPlan::peers, in preference order
  std::string domain;             // of the destination, "" if none (static routes)
  std::string origin;             // the owning spoke or external, or "static"
};

struct FirewallPlan {
  std::string name, interface;
  std::optional<IpAddress> next_hop;
  std::vector<std::pair<std::string, std::string>> inspected;  // domain pairs, as written
};

struct GatewayPlan {
  std::string name;
  bool is_transit = false;
  std::string domain;  // a spoke's; "" for a transit
  uint16_t listen_port = 0;
  int mtu = kDefaultMtu;
  Cidr tunnel_address;
  std::vector<Cidr> local_cidrs;  // a spoke's VPC; none for a transit
  std::vector<PeerPlan> peers;    // a spoke: its transits; a transit: attachments then peers
  std::vector<RouteEntry> routes;
  std::optional<FirewallPlan> firewall;
  std::vector<std::pair<Cidr, std::string>> domain_of;  // every spoke/external CIDR -> domain
  std::vector<std::pair<std::string, std::string>> connected;  // domain pairs allowed by policy
};

// The plan of the transit or spoke gateway `name` of a network loadNetwork() accepted; notFound
// for an unknown name or an external connection (not a Causeway gateway).
Result<GatewayPlan> planGateway(const Network& network, std::string_view name);

}  // namespace causeway::model::network
