// The per-packet decision of one gateway, compiled from its GatewayPlan: shared by the data plane
// (src/transit) and `ctl network trace`, so the two cannot disagree. decide() takes where a packet
// came from and its source and destination addresses, and says what to do with it: deliver it to
// the local VPC, tunnel it (to route->next_hops, the first live one), send it out of the firewall
// interface, or drop it and why. It allocates nothing and takes no lock.
//
// Rules, in order:
//  1. From a peer, the source must be one of the peer's allowed_sources      (else kSpoofedSource)
//  2. Longest-prefix match on the destination                                (none: kNoRoute)
//  3. A blackhole route drops                                                (kBlackhole)
//  4. Source and destination domains (of the spoke/external CIDRs holding them): both known,
//     different and not joined by a connection policy                       (kDomain)
//  5. A local route: delivered when the packet came from a peer; from the TUN device it would
//     loop (kNotLocal). A tunnel route on a spoke for a packet from a peer: a spoke relays
//     nothing (kNotLocal).
//  6. On a transit, a packet whose next hop is a peered transit must have come from one of its
//     own attachments: from a transit peer, or from the TUN device (back from the firewall) with
//     a source behind a peered transit, it would cross a second peering   (kPeeringNotTransitive)
//  7. On a transit with a firewall inspecting {src domain, dst domain} (either order; [d, d]
//     inspects traffic within d), a packet from a peer goes to the firewall (kFirewall); what
//     comes back arrives from the TUN device and is tunnelled, never inspected twice.
//  8. Otherwise kTunnel.
//
// Immutable after construction; const methods are safe from any thread. Keeps its own copy of
// the plan (route and domain pointers in a Decision point into it and live as long as the
// Forwarding). Movable, not copyable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "model/network/plan.h"
#include "model/network/prefix_table.h"

namespace causeway::model::network {

struct Decision {
  enum Action { kDeliverLocal, kTunnel, kFirewall, kDrop } action = kDrop;
  enum class Cause {
    kNone,
    kNoRoute,
    kBlackhole,
    kDomain,
    kSpoofedSource,
    kPeeringNotTransitive,
    kNotLocal,
    kCount,  // not a cause: how many there are (arrays of counters)
  } cause = Cause::kNone;
  const RouteEntry* route = nullptr;        // the matched route, when there is one
  const std::string* src_domain = nullptr;  // nullptr when unknown
  const std::string* dst_domain = nullptr;
};

// "none", "no_route", "blackhole", "domain", "spoofed_source", "peering_not_transitive",
// "not_local": the label of drop counters and flow records.
std::string_view causeName(Decision::Cause cause);

class Forwarding {
 public:
  explicit Forwarding(const GatewayPlan& plan);
  Forwarding(Forwarding&&) noexcept = default;
  Forwarding& operator=(Forwarding&&) noexcept = default;
  Forwarding(const Forwarding&) = delete;
  Forwarding& operator=(const Forwarding&) = delete;

  static constexpr size_t kFromTun = SIZE_MAX;  // ingress: the gateway's own TUN device

  // `ingress_peer`: an index into plan().peers, or kFromTun. `src` and `dst`: 4 or 16 bytes each.
  Decision decide(size_t ingress_peer, std::span<const uint8_t> src,
                  std::span<const uint8_t> dst) const;

  const GatewayPlan& plan() const { return *plan_; }

 private:
  // What the source of a packet is to this transit: behind one of its attachments, or behind a
  // transit it peers with.
  enum class SourceSide : uint8_t { kAttachment, kBehindPeer };

  bool connected(uint32_t a, uint32_t b) const { return connected_[a * domain_count_ + b]; }
  bool inspected(uint32_t a, uint32_t b) const { return inspected_[a * domain_count_ + b]; }

  std::unique_ptr<const GatewayPlan> plan_;
  PrefixTable<const RouteEntry*> routes_;
  PrefixTable<uint32_t> domain_of_;  // -> index into domains_
  std::vector<std::string> domains_;
  size_t domain_count_ = 0;
  std::vector<bool> connected_, inspected_;  // domain_count_ x domain_count_, symmetric
  std::vector<PrefixTable<bool>> allowed_;   // per peer
  PrefixTable<SourceSide> source_side_;      // transits only
};

}  // namespace causeway::model::network
