#include "model/network/topology.h"

#include <algorithm>
#include <map>

namespace causeway::model::network {
namespace {

void addUnique(std::vector<size_t>& v, size_t x) {
  if (std::find(v.begin(), v.end(), x) == v.end()) v.push_back(x);
}

}  // namespace

Topology::Topology(const Network& network) : network_(network) {
  const auto& transits = network.transit_gateways;
  const auto& spokes = network.spoke_gateways;
  const auto& externals = network.external_connections;
  for (size_t i = 0; i < transits.size(); ++i) {
    by_name_.emplace(transits[i].name, NodeRef{PeerKind::kTransit, i});
  }
  for (size_t i = 0; i < spokes.size(); ++i) {
    by_name_.emplace(spokes[i].name, NodeRef{PeerKind::kSpoke, i});
    attachments_.push_back({PeerKind::kSpoke, i});
  }
  for (size_t i = 0; i < externals.size(); ++i) {
    by_name_.emplace(externals[i].name, NodeRef{PeerKind::kExternal, i});
    attachments_.push_back({PeerKind::kExternal, i});
  }

  // Hubs: one per ha_group, one per transit without a group.
  std::map<std::string, size_t> group_hub;
  hub_of_.resize(transits.size());
  for (size_t i = 0; i < transits.size(); ++i) {
    const std::string& group = transits[i].ha_group;
    auto it = group.empty() ? group_hub.end() : group_hub.find(group);
    if (it == group_hub.end()) {
      hubs_.emplace_back();
      if (!group.empty()) group_hub.emplace(group, hubs_.size() - 1);
      hub_of_[i] = hubs_.size() - 1;
    } else {
      hub_of_[i] = it->second;
    }
    hubs_[hub_of_[i]].push_back(i);
  }

  auto transitIndex = [&](const std::string& name) -> std::optional<size_t> {
    auto ref = find(name);
    if (!ref || ref->kind != PeerKind::kTransit) return std::nullopt;
    return ref->index;
  };

  // Peerings join whole hubs; a hub never peers with itself.
  peers_.resize(transits.size());
  for (const auto& [a, b] : network.transit_peerings) {
    auto ta = transitIndex(a), tb = transitIndex(b);
    if (!ta || !tb || hub_of_[*ta] == hub_of_[*tb]) continue;
    for (size_t x : hubOf(*ta)) {
      for (size_t y : hubOf(*tb)) {
        addUnique(peers_[x], y);
        addUnique(peers_[y], x);
      }
    }
  }
  for (auto& p : peers_) std::sort(p.begin(), p.end());

  spoke_points_.resize(spokes.size());
  for (size_t s = 0; s < spokes.size(); ++s) {
    std::vector<size_t> named;
    for (const auto& name : spokes[s].transits) {
      if (auto t = transitIndex(name)) addUnique(named, *t);
    }
    spoke_points_[s] = named;
    for (size_t t : named) {
      for (size_t partner : hubOf(t)) addUnique(spoke_points_[s], partner);
    }
  }
  external_points_.resize(externals.size());
  for (size_t e = 0; e < externals.size(); ++e) {
    if (auto t = transitIndex(externals[e].transit)) external_points_[e] = {*t};
  }

  attached_.resize(transits.size());
  for (const NodeRef& a : attachments_) {
    for (size_t t : attachmentPoints(a)) attached_[t].push_back(a);
  }
}

std::optional<NodeRef> Topology::find(std::string_view name) const {
  auto it = by_name_.find(name);
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

const std::string& Topology::nameOf(NodeRef node) const {
  switch (node.kind) {
    case PeerKind::kTransit:
      return network_.transit_gateways[node.index].name;
    case PeerKind::kSpoke:
      return network_.spoke_gateways[node.index].name;
    case PeerKind::kExternal:
      break;
  }
  return network_.external_connections[node.index].name;
}

const std::vector<Cidr>& Topology::cidrsOf(NodeRef attachment) const {
  if (attachment.kind == PeerKind::kSpoke) return network_.spoke_gateways[attachment.index].cidrs;
  return network_.external_connections[attachment.index].cidrs;
}

const std::string& Topology::domainOf(NodeRef attachment) const {
  if (attachment.kind == PeerKind::kSpoke) return network_.spoke_gateways[attachment.index].domain;
  return network_.external_connections[attachment.index].domain;
}

const std::vector<size_t>& Topology::attachmentPoints(NodeRef attachment) const {
  if (attachment.kind == PeerKind::kSpoke) return spoke_points_[attachment.index];
  return external_points_[attachment.index];
}

std::vector<NodeRef> Topology::tunnelsOf(NodeRef gateway) const {
  std::vector<NodeRef> out;
  if (gateway.kind == PeerKind::kSpoke) {
    for (size_t t : attachmentPoints(gateway)) out.push_back({PeerKind::kTransit, t});
  } else if (gateway.kind == PeerKind::kTransit) {
    out = attachedTo(gateway.index);
    for (size_t t : peersOf(gateway.index)) out.push_back({PeerKind::kTransit, t});
  }
  return out;
}

bool Topology::delivers(size_t transit, NodeRef attachment) const {
  const auto& points = attachmentPoints(attachment);
  return std::find(points.begin(), points.end(), transit) != points.end();
}

bool Topology::reaches(size_t transit, NodeRef attachment) const {
  if (delivers(transit, attachment)) return true;
  for (size_t t : attachmentPoints(attachment)) {
    if (arePeered(transit, t)) return true;
  }
  return false;
}

bool Topology::arePeered(size_t a, size_t b) const {
  return std::binary_search(peers_[a].begin(), peers_[a].end(), b);
}

}  // namespace causeway::model::network
