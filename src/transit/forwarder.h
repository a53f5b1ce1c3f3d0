// Forwarder: one gateway's data path with no I/O (ZeroTier's processWirePacket style). It owns
// the WireGuard device (one tunnel per peer of the plan) and the compiled forwarding decision of
// the model, and turns events into output:
//   - an IP packet read from the TUN device (from the VPC on a spoke, back from the firewall on
//     a transit) is checked, routed by longest prefix and sealed into the tunnel of the chosen
//     next hop;
//   - a datagram from the network is opened; the inner packet is checked (source allowed for
//     that peer, domains connected, peering not crossed twice) and then delivered to the TUN
//     device, sent out to the firewall (also through the TUN device: the kernel's policy route
//     takes it there), or tunnelled on to the next gateway;
//   - tick() runs the tunnel timers, re-evaluates which peers are alive (HA: a peer silent for
//     kDeadAfter is skipped in favour of the next next-hop) and expires flow records.
// Every dropped packet is counted by reason. Not thread-safe: one thread owns a forwarder.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/network/forwarding.h"
#include "model/network/plan.h"
#include "transit/flow_table.h"
#include "wg/device.h"

namespace causeway::transit {

namespace network = model::network;

// A Causeway peer that has sent nothing authenticated for this long is taken as down. Peers
// send a keepalive every kKeepaliveInterval at least, so this is two missed keepalives.
inline constexpr std::chrono::milliseconds kDeadAfter{2000};
inline constexpr std::chrono::seconds kKeepaliveInterval{1};
// How often tick() wants to run even with no tunnel timer due (liveness, flows).
inline constexpr std::chrono::milliseconds kHousekeepingInterval{200};

// Reasons the forwarder drops an inner packet besides the model's decision (its causes are
// counted by network::Decision::Cause) and the tunnel protocol's own.
enum class ForwardDrop : uint8_t {
  kTtlExpired,
  kBadPacket,       // not an IP packet
  kTunnelSend,      // the tunnel could not take it (no endpoint, staging overflow)
  kLinkLocal,       // IPv6 link-local or multicast from the TUN device (router solicitations...)
  kFirewallFamily,  // to be inspected, but the firewall's next hop is of the other family
  kBadTunRead,      // what the TUN device gave could not be segmented (I/O layer)
  kUdpSend,         // datagrams the socket did not take (I/O layer)
  kCount
};
std::string_view forwardDropName(ForwardDrop d);

struct ForwarderOptions {
  bool flows = false;  // keep flow records
  FlowOptions flow_options;
  bool clamp_mss = true;  // on packets entering the overlay from the TUN device
};

// What one event asks the I/O layer to do.
struct ForwarderOutput {
  std::vector<wg::Action> sends;             // kSend actions: one UDP datagram each
  std::vector<std::vector<uint8_t>> to_tun;  // IP packets to write to the TUN device
  std::vector<FlowRecord> flows;             // flow records to export
  void clear() {
    sends.clear();
    to_tun.clear();
    flows.clear();
  }
};

struct TunnelStatus {
  std::string peer;
  network::PeerKind kind;
  std::string endpoint;  // as configured
  bool up = false;
  wg::PeerStatus wg;
};

class Forwarder {
 public:
  // Builds the device and one tunnel per peer of `plan`. Peers whose endpoint does not parse
  // are refused (the model validated them already, so this is an internal error).
  static Result<std::unique_ptr<Forwarder>> create(wg::Env& env, const wg::Key& private_key,
                                                   network::GatewayPlan plan,
                                                   ForwarderOptions options, wg::TimePoint now);
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Moves to a new plan of the same gateway without disturbing the tunnels that stay: peers are
  // matched by public key and keep their sessions, endpoint (unless the configured one changed)
  // and liveness; peers that are gone are removed and their keys wiped, new ones added. Checked
  // before anything changes: on error the forwarder is as it was. The MTU, tunnel address and
  // port cannot change (the TUN device and socket hold them): such a plan is refused.
  Status update(network::GatewayPlan plan, wg::TimePoint now);

  void fromTun(std::span<uint8_t> packet, wg::TimePoint now, ForwarderOutput& out);
  void fromNetwork(std::span<const uint8_t> datagram, const wg::Endpoint& source, wg::TimePoint now,
                   bool under_load, ForwarderOutput& out);
  void tick(wg::TimePoint now, ForwarderOutput& out);
  wg::TimePoint nextDeadline(wg::TimePoint now) const;
  // Flow records still open (at shutdown).
  void drainFlows(ForwarderOutput& out);

  const network::GatewayPlan& plan() const { return plan_; }
  const wg::PublicKey& publicKey() const { return device_->publicKey(); }
  std::vector<TunnelStatus> tunnels() const;
  // The next hop in use for a route: the first live one, else the first; nullopt when none.
  std::optional<size_t> activeNextHop(const network::RouteEntry& route) const;
  const std::array<uint64_t, size_t(ForwardDrop::kCount)>& drops() const { return drops_; }
  // Packets the decision dropped, by cause (kNone stays 0).
  const std::array<uint64_t, size_t(network::Decision::Cause::kCount)>& decisionDrops() const {
    return decision_drops_;
  }
  const std::array<uint64_t, size_t(wg::DropReason::kCount)>& tunnelDrops() const {
    return device_->receiveCounts();
  }
  const FlowTable& flowTable() const { return flows_; }
  // Drops the I/O layer around the forwarder saw, so that /status shows them with the rest.
  void countDrop(ForwardDrop d, uint64_t n) { drops_[size_t(d)] += n; }

 private:
  Forwarder(network::GatewayPlan plan, ForwarderOptions options);
  // Routes an inner packet that came from `ingress` (a plan peer index or kFromTun).
  // `owned`, when given, holds `packet` and may be moved to the TUN output instead of copied.
  void forward(std::span<uint8_t> packet, size_t ingress, wg::TimePoint now, ForwarderOutput& out,
               std::vector<uint8_t>* owned = nullptr);
  std::string_view drop(ForwardDrop d) {
    ++drops_[size_t(d)];
    return forwardDropName(d);
  }
  void refreshLiveness(wg::TimePoint now);
  static wg::PeerConfig peerConfig(const network::PeerPlan& p);
  void planChanged();  // derived settings after plan_ changed

  network::GatewayPlan plan_;
  ForwarderOptions options_;
  std::unique_ptr<network::Forwarding> forwarding_;
  std::unique_ptr<wg::Device> device_;
  std::vector<wg::PeerId> peer_ids_;         // by plan peer index
  std::map<wg::PeerId, size_t> plan_index_;  // the reverse
  std::vector<uint8_t> alive_;               // by plan peer index
  wg::Actions scratch_;
  FlowTable flows_;
  wg::TimePoint next_housekeeping_{};
  uint16_t mss_v4_, mss_v6_;
  bool firewall_v4_ = true, firewall_v6_ = true;  // families the firewall's route serves
  std::array<uint64_t, size_t(ForwardDrop::kCount)> drops_{};
  std::array<uint64_t, size_t(network::Decision::Cause::kCount)> decision_drops_{};
};

}  // namespace causeway::transit
