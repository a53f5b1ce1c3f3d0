// Consistent hashing over a ring of `slots` entries (Kong's ring-balancer model): a key hashes to
// one slot, the slot names an endpoint.
//
// The ring is filled as in Maglev (Eisenbud et al., NSDI 2016): every endpoint has its own
// permutation of the slots, derived from a hash of "host:port", and endpoints take turns claiming
// the next free slot of their permutation. Turns follow the smooth weighted schedule, so each
// endpoint ends with its share of slots to within one slot. Since a permutation depends only on
// the endpoint itself, adding or removing one endpoint moves about its share of the slots and
// leaves the rest where they were.
#include <algorithm>
#include <numeric>
#include <string>
#include <unordered_map>
#include <utility>

#include "proxy/balancer_common.h"
#include "proxy/load_balancer.h"

namespace causeway::proxy {
namespace {

constexpr uint32_t kMinSlots = 10;
constexpr uint32_t kMaxSlots = 65536;
constexpr uint32_t kNoEndpoint = UINT32_MAX;

// The order in which one endpoint visits the slots: offset, offset + skip, ... (mod slots), with
// skip coprime to slots so that every slot is visited once.
struct SlotPermutation {
  uint32_t offset = 0;
  uint32_t skip = 1;
  uint32_t visited = 0;

  SlotPermutation(std::string_view identity, uint32_t slots) {
    const uint64_t h = stableHash64(identity);
    offset = static_cast<uint32_t>(h % slots);
    skip = static_cast<uint32_t>((h >> 32) % (slots - 1)) + 1;
    while (std::gcd(skip, slots) != 1) skip = skip % (slots - 1) + 1;
  }

  uint32_t nextSlot(uint32_t slots) {
    return static_cast<uint32_t>((offset + static_cast<uint64_t>(visited++) * skip) % slots);
  }
};

class ConsistentHashingBalancer final : public LoadBalancer {
 public:
  ConsistentHashingBalancer(const std::vector<Endpoint>& endpoints, uint32_t slots)
      : fallback_(weightsOf(endpoints)),
        ring_(std::clamp(slots, kMinSlots, kMaxSlots), kNoEndpoint),
        slots_owned_(endpoints.size(), 0) {
    fillRing(endpoints);
  }

  std::optional<size_t> pick(std::string_view hash_key, std::span<const size_t> tried) override {
    if (hash_key.empty()) return fallback_.next(tried);
    if (!anyOwnerLeft(tried)) return std::nullopt;
    // Walk from the key's slot to the first one whose endpoint was not tried yet; an endpoint
    // that owns a slot and is untried exists, so the walk ends within one lap.
    const size_t n = ring_.size();
    size_t slot = stableHash64(hash_key) % n;
    while (wasTried(tried, ring_[slot])) slot = (slot + 1) % n;
    return ring_[slot];
  }

 private:
  void fillRing(const std::vector<Endpoint>& endpoints) {
    const auto slots = static_cast<uint32_t>(ring_.size());
    std::vector<std::string> identities;
    identities.reserve(endpoints.size());
    std::unordered_map<std::string, uint32_t> occurrences;
    for (const Endpoint& endpoint : endpoints) {
      // Identical host:port entries get distinct permutations through their occurrence count.
      std::string identity = endpoint.host + ":" + std::to_string(endpoint.port);
      const uint32_t seen = occurrences[identity]++;
      if (seen > 0) identity += "#" + std::to_string(seen);
      identities.push_back(std::move(identity));
    }
    // Turns are taken in the order of the identities, not of the list, so that the same set of
    // endpoints builds the same ring whatever order the configuration lists them in.
    std::vector<size_t> order;
    for (size_t i = 0; i < endpoints.size(); ++i) {
      if (endpoints[i].weight > 0) order.push_back(i);
    }
    if (order.empty()) return;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return identities[a] < identities[b]; });
    std::vector<SlotPermutation> permutations;
    std::vector<uint32_t> turn_weights;
    permutations.reserve(order.size());
    turn_weights.reserve(order.size());
    for (size_t i : order) {
      permutations.emplace_back(identities[i], slots);
      turn_weights.push_back(endpoints[i].weight);
    }

    uint32_t filled = 0;
    auto claim = [&](size_t turn) {
      SlotPermutation& permutation = permutations[turn];
      uint32_t slot = permutation.nextSlot(slots);
      while (ring_[slot] != kNoEndpoint) slot = permutation.nextSlot(slots);
      ring_[slot] = static_cast<uint32_t>(order[turn]);
      ++slots_owned_[order[turn]];
      ++filled;
    };
    // Every endpoint gets one slot first (when there are enough) so that none is unreachable by
    // hashing; the rest follow the weights.
    for (size_t turn = 0; turn < order.size() && filled < slots; ++turn) claim(turn);
    SmoothWeightedSchedule turns(std::move(turn_weights));
    while (filled < slots) claim(*turns.next({}));
  }

  bool anyOwnerLeft(std::span<const size_t> tried) const {
    for (size_t i = 0; i < slots_owned_.size(); ++i) {
      if (slots_owned_[i] > 0 && !wasTried(tried, i)) return true;
    }
    return false;
  }

  SmoothWeightedSchedule fallback_;
  std::vector<uint32_t> ring_;  // slot -> endpoint index
  std::vector<uint32_t> slots_owned_;
};

}  // namespace

// NOLINTNEXTLINE(performance-unnecessary-value-param): the signature is fixed by the header.
std::unique_ptr<LoadBalancer> makeConsistentHashing(std::vector<Endpoint> endpoints,
                                                    uint32_t slots) {
  return std::make_unique<ConsistentHashingBalancer>(endpoints, slots);
}

}  // namespace causeway::proxy
