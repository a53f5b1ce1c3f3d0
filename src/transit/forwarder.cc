#include "transit/forwarder.h"

#include "net/packet_offload.h"
#include "net/socket_address.h"
#include "transit/mss_clamp.h"
#include "transit/packet_info.h"

namespace causeway::transit {
namespace {

// Decrements the TTL (IPv4, with the header checksum fixed per RFC 1624) or the hop limit
// (IPv6). False when the packet must not be forwarded any more.
bool decrementTtl(std::span<uint8_t> p) {
  if ((p[0] >> 4) == 4) {
    if (p[8] <= 1) return false;
    // The TTL is the high byte of the word at offset 8.
    const uint16_t old_word = uint16_t(p[8] << 8 | p[9]);
    --p[8];
    const uint16_t checksum =
        net::checksumReplace(uint16_t(p[10] << 8 | p[11]), old_word, uint16_t(p[8] << 8 | p[9]));
    p[10] = uint8_t(checksum >> 8);
    p[11] = uint8_t(checksum);
    return true;
  }
  if (p[7] <= 1) return false;
  --p[7];
  return true;
}

}  // namespace

std::string_view forwardDropName(ForwardDrop d) {
  switch (d) {
    case ForwardDrop::kTtlExpired:
      return "ttl_expired";
    case ForwardDrop::kBadPacket:
      return "bad_packet";
    case ForwardDrop::kTunnelSend:
      return "tunnel_send";
    case ForwardDrop::kLinkLocal:
      return "link_local";
    case ForwardDrop::kFirewallFamily:
      return "firewall_family";
    case ForwardDrop::kBadTunRead:
      return "bad_tun_read";
    case ForwardDrop::kUdpSend:
      return "udp_send";
    case ForwardDrop::kCount:
      break;
  }
  return "unknown";
}

Forwarder::Forwarder(network::GatewayPlan plan, ForwarderOptions options)
    : plan_(std::move(plan)),
      options_(options),
      flows_(options.flow_options),
      mss_v4_(maxSegmentSize(plan_.mtu, false)),
      mss_v6_(maxSegmentSize(plan_.mtu, true)) {}

Result<std::unique_ptr<Forwarder>> Forwarder::create(wg::Env& env, const wg::Key& private_key,
                                                     network::GatewayPlan plan,
                                                     ForwarderOptions options, wg::TimePoint now) {
  std::unique_ptr<Forwarder> f(new Forwarder(std::move(plan), options));
  auto device = wg::Device::create(env, private_key, wg::DeviceOptions{size_t(f->plan_.mtu)});
  if (!device.isOk()) return device.status();
  f->device_ = std::move(device.value());
  f->forwarding_ = std::make_unique<network::Forwarding>(f->plan_);
  f->planChanged();
  for (const network::PeerPlan& p : f->plan_.peers) {
    auto id = f->device_->addPeer(peerConfig(p), now);
    if (!id.isOk()) return Status::invalidArgument("peer " + p.name + ": " + id.status().message());
    f->plan_index_[id.value()] = f->peer_ids_.size();
    f->peer_ids_.push_back(id.value());
  }
  f->alive_.assign(f->peer_ids_.size(), 0);
  return f;
}

void Forwarder::planChanged() {
  mss_v4_ = maxSegmentSize(plan_.mtu, false);
  mss_v6_ = maxSegmentSize(plan_.mtu, true);
  const std::optional<IpAddress> hop = plan_.firewall ? plan_.firewall->next_hop : std::nullopt;
  firewall_v4_ = !hop || !hop->isV6();
  firewall_v6_ = !hop || hop->isV6();
}

wg::PeerConfig Forwarder::peerConfig(const network::PeerPlan& p) {
  wg::PeerConfig config;
  config.public_key = p.public_key;
  // Causeway peers keep their tunnels warm so that a dead one is noticed within kDeadAfter;
  // an external site is a stock WireGuard peer and keeps its own keepalive settings.
  if (p.liveness) {
    config.persistent_keepalive = kKeepaliveInterval;
    config.keepalive_as_heartbeat = true;
  }
  // The model checked every endpoint; one that does not parse is left to roaming.
  if (auto address = net::SocketAddress::parse(p.endpoint); address.isOk()) {
    config.endpoint = wg::Endpoint(address->bytes());
  }
  return config;
}

Status Forwarder::update(network::GatewayPlan plan, wg::TimePoint now) {
  // What the TUN device and the socket were set up with cannot change under them.
  if (plan.mtu != plan_.mtu) {
    return Status::invalidArgument("mtu changes from " + std::to_string(plan_.mtu) + " to " +
                                   std::to_string(plan.mtu) + ": restart the gateway for it");
  }
  if (plan.tunnel_address != plan_.tunnel_address) {
    return Status::invalidArgument("tunnel_address changes from " +
                                   plan_.tunnel_address.toString() + " to " +
                                   plan.tunnel_address.toString() + ": restart the gateway for it");
  }
  if (plan.listen_port != plan_.listen_port) {
    return Status::invalidArgument(
        "the endpoint port changes from " + std::to_string(plan_.listen_port) + " to " +
        std::to_string(plan.listen_port) + ": restart the gateway for it");
  }
  // Check first, change after: a key equal to ours or listed twice would make addPeer fail
  // half way through.
  std::map<wg::PublicKey, const network::PeerPlan*> wanted;
  for (const network::PeerPlan& p : plan.peers) {
    if (p.public_key == device_->publicKey()) {
      return Status::invalidArgument("peer " + p.name + " has this gateway's own public key");
    }
    if (!wanted.emplace(p.public_key, &p).second) {
      return Status::invalidArgument("peer " + p.name + ": public key listed twice");
    }
  }
  // New peers first: if one cannot be added, those added so far go again and nothing changed.
  std::vector<wg::PeerId> added;
  for (const network::PeerPlan& p : plan.peers) {
    if (device_->findPeer(p.public_key)) continue;
    auto id = device_->addPeer(peerConfig(p), now);
    if (!id.isOk()) {
      for (wg::PeerId a : added) device_->removePeer(a);
      return Status::invalidArgument("peer " + p.name + ": " + id.status().message());
    }
    added.push_back(id.value());
  }
  // Then the peers that stay take their new settings, and those that go are removed.
  std::map<wg::PublicKey, uint8_t> was_alive;
  for (size_t i = 0; i < peer_ids_.size(); ++i) {
    const network::PeerPlan& old = plan_.peers[i];
    auto it = wanted.find(old.public_key);
    if (it == wanted.end()) {
      device_->removePeer(peer_ids_[i]);
      continue;
    }
    was_alive[old.public_key] = alive_[i];
    wg::Peer* peer = device_->peer(peer_ids_[i]);
    const wg::PeerConfig config = peerConfig(*it->second);
    if (it->second->endpoint != old.endpoint) peer->setEndpoint(config.endpoint);
    if (it->second->liveness != old.liveness) {
      peer->setPersistentKeepalive(config.persistent_keepalive, config.keepalive_as_heartbeat, now);
    }
  }
  std::vector<wg::PeerId> ids;
  std::map<wg::PeerId, size_t> index;
  std::vector<uint8_t> alive;
  for (const network::PeerPlan& p : plan.peers) {
    const wg::PeerId id = *device_->findPeer(p.public_key);  // added or kept above
    index[id] = ids.size();
    ids.push_back(id);
    auto a = was_alive.find(p.public_key);
    alive.push_back(a == was_alive.end() ? 0 : a->second);
  }
  plan_ = std::move(plan);
  forwarding_ = std::make_unique<network::Forwarding>(plan_);
  peer_ids_ = std::move(ids);
  plan_index_ = std::move(index);
  alive_ = std::move(alive);
  planChanged();
  return Status::ok();
}

void Forwarder::fromTun(std::span<uint8_t> packet, wg::TimePoint now, ForwarderOutput& out) {
  // The kernel talks to the link itself over IPv6 (router solicitations, MLD): nothing to route.
  if (packet.size() >= 40 && (packet[0] >> 4) == 6 &&
      (packet[24] == 0xff || (packet[8] == 0xfe && (packet[9] & 0xc0) == 0x80))) {
    drop(ForwardDrop::kLinkLocal);
    return;
  }
  if (options_.clamp_mss && !plan_.is_transit) clampMss(packet, mss_v4_, mss_v6_);
  forward(packet, network::Forwarding::kFromTun, now, out);
}

void Forwarder::fromNetwork(std::span<const uint8_t> datagram, const wg::Endpoint& source,
                            wg::TimePoint now, bool under_load, ForwarderOutput& out) {
  scratch_.clear();
  device_->receive(datagram, source, now, under_load, scratch_);
  for (wg::Action& a : scratch_) {
    if (a.type == wg::Action::Type::kSend) {
      out.sends.push_back(std::move(a));
      continue;
    }
    auto it = plan_index_.find(a.peer);
    if (it == plan_index_.end()) continue;  // impossible: every device peer is a plan peer
    forward(a.bytes, it->second, now, out, &a.bytes);
  }
}

void Forwarder::forward(std::span<uint8_t> packet, size_t ingress, wg::TimePoint now,
                        ForwarderOutput& out, std::vector<uint8_t>* owned) {
  const std::optional<PacketInfo> info = parsePacket(packet);
  if (!info) {
    drop(ForwardDrop::kBadPacket);
    return;
  }
  const network::Decision d = forwarding_->decide(ingress, info->src, info->dst);
  auto domain = [](const std::string* s) { return s ? std::string_view(*s) : std::string_view(); };
  std::string_view dropped;  // the reason, empty when the packet went on
  switch (d.action) {
    case network::Decision::kFirewall:
      if (!(info->v6 ? firewall_v6_ : firewall_v4_)) {
        dropped = drop(ForwardDrop::kFirewallFamily);
        break;
      }
      [[fallthrough]];
    case network::Decision::kDeliverLocal:
      if (owned) {
        // The buffer moves with the vector: `packet` and `info` still point into it.
        out.to_tun.push_back(std::move(*owned));
      } else {
        out.to_tun.emplace_back(packet.begin(), packet.end());
      }
      break;
    case network::Decision::kTunnel: {
      const std::optional<size_t> hop = activeNextHop(*d.route);
      if (!hop) {  // a route always has a next hop (the model drops routes without one)
        dropped = drop(ForwardDrop::kTunnelSend);
        break;
      }
      if (ingress != network::Forwarding::kFromTun && !decrementTtl(packet)) {
        dropped = drop(ForwardDrop::kTtlExpired);
        break;
      }
      // kStagedOverflow pushed out an older waiting packet (the peer counts it); this one waits.
      const wg::DropReason r = device_->send(peer_ids_[*hop], packet, now, out.sends);
      if (r != wg::DropReason::kNone && r != wg::DropReason::kStagedOverflow) {
        dropped = drop(ForwardDrop::kTunnelSend);
      }
      break;
    }
    case network::Decision::kDrop:
      ++decision_drops_[size_t(d.cause)];
      dropped = network::causeName(d.cause);
      break;
  }
  if (options_.flows) {
    flows_.record(*info, packet.size(), now, domain(d.src_domain), domain(d.dst_domain),
                  dropped.empty(), dropped);
  }
}

std::optional<size_t> Forwarder::activeNextHop(const network::RouteEntry& route) const {
  if (route.next_hops.empty()) return std::nullopt;
  for (size_t hop : route.next_hops) {
    if (alive_[hop]) return hop;
  }
  return route.next_hops.front();
}

void Forwarder::refreshLiveness(wg::TimePoint now) {
  for (size_t i = 0; i < peer_ids_.size(); ++i) {
    const wg::Peer* peer = device_->peer(peer_ids_[i]);
    // Only transport messages count: a peer that can send initiations but never completes a
    // handshake is not a next hop to rely on.
    const std::optional<wg::TimePoint> last = peer->status().last_transport_received;
    // External sites keep no keepalive of ours: alive while their session is.
    const auto limit = plan_.peers[i].liveness ? wg::Duration(kDeadAfter)
                                               : wg::Duration(std::chrono::seconds(180));
    alive_[i] = last && now - *last < limit;
  }
}

void Forwarder::tick(wg::TimePoint now, ForwarderOutput& out) {
  device_->tick(now, out.sends);
  if (now >= next_housekeeping_) {
    next_housekeeping_ = now + kHousekeepingInterval;
    refreshLiveness(now);
    if (options_.flows) flows_.expire(now, out.flows);
  }
}

wg::TimePoint Forwarder::nextDeadline(wg::TimePoint now) const {
  wg::TimePoint next = std::max(next_housekeeping_, now);
  if (auto d = device_->nextDeadline(); d && *d < next) next = *d;
  return next;
}

void Forwarder::drainFlows(ForwarderOutput& out) { flows_.drain(out.flows); }

std::vector<TunnelStatus> Forwarder::tunnels() const {
  std::vector<TunnelStatus> result;
  for (size_t i = 0; i < peer_ids_.size(); ++i) {
    TunnelStatus t;
    t.peer = plan_.peers[i].name;
    t.kind = plan_.peers[i].kind;
    t.endpoint = plan_.peers[i].endpoint;
    t.up = alive_[i] != 0;
    t.wg = device_->peer(peer_ids_[i])->status();
    result.push_back(std::move(t));
  }
  return result;
}

}  // namespace causeway::transit
