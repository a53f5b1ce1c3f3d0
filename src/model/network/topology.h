// Who connects to whom in a Network, derived once: name lookup, HA hubs (transits sharing an
// ha_group), the transits each attachment (spoke or external) has tunnels to, transit peerings
// widened to whole hubs, and reachability under the one-peering rule. Shared by validation and
// the planner so both see the same graph.
//
// Rules: a spoke attached to a transit in an HA hub is attached to every member (its tunnels, in
// preference order: the transits it names, in its order, then their partners); an external
// connection (a stock WireGuard peer, one tunnel) is attached to its one transit only; a peering
// of any two members joins the two hubs, so every member of one peers with every member of the
// other; members of one hub have no tunnel between them. A transit reaches an attachment it has a
// tunnel to, or one attached to a transit it peers with (one peering, never two).
//
// Names that do not resolve are skipped (validation reports them). Keeps a reference to the
// Network, which must outlive it and not change; const methods are safe from any thread.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/network/network.h"

namespace causeway::model::network {

// A named member: a transit (index into transit_gateways), a spoke (spoke_gateways) or an
// external connection (external_connections).
struct NodeRef {
  PeerKind kind = PeerKind::kTransit;
  size_t index = 0;
  bool operator==(const NodeRef&) const = default;
};

class Topology {
 public:
  explicit Topology(const Network& network);

  const Network& network() const { return network_; }
  std::optional<NodeRef> find(std::string_view name) const;
  const std::string& nameOf(NodeRef node) const;

  // Spokes then externals, in file order.
  const std::vector<NodeRef>& attachments() const { return attachments_; }
  const std::vector<Cidr>& cidrsOf(NodeRef attachment) const;
  const std::string& domainOf(NodeRef attachment) const;

  // Members of the transit's hub, itself included, in file order.
  const std::vector<size_t>& hubOf(size_t transit) const { return hubs_[hub_of_[transit]]; }
  // The transits an attachment has tunnels to, in preference order.
  const std::vector<size_t>& attachmentPoints(NodeRef attachment) const;
  // The transits `transit` peers with, in file order.
  const std::vector<size_t>& peersOf(size_t transit) const { return peers_[transit]; }
  // The attachments with a tunnel to `transit`, spokes then externals in file order.
  const std::vector<NodeRef>& attachedTo(size_t transit) const { return attached_[transit]; }

  // The peers a gateway (transit or spoke) has tunnels to, in the order its plan lists them: a
  // spoke's attachment points; a transit's attachments, then the transits it peers with.
  std::vector<NodeRef> tunnelsOf(NodeRef gateway) const;

  bool delivers(size_t transit, NodeRef attachment) const;  // has a tunnel to it
  bool reaches(size_t transit, NodeRef attachment) const;   // directly or over one peering
  bool arePeered(size_t a, size_t b) const;

 private:
  const Network& network_;
  std::unordered_map<std::string_view, NodeRef> by_name_;
  std::vector<NodeRef> attachments_;
  std::vector<size_t> hub_of_;              // transit -> hub index
  std::vector<std::vector<size_t>> hubs_;   // hub -> member transits
  std::vector<std::vector<size_t>> peers_;  // transit -> peered transits
  std::vector<std::vector<size_t>> spoke_points_, external_points_;
  std::vector<std::vector<NodeRef>> attached_;  // transit -> attachments
};

}  // namespace causeway::model::network
