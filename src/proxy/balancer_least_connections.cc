// Least connections: the endpoint with the lowest (active + 1) / weight. The +1 makes an idle
// heavy endpoint preferred to an idle light one; equal scores then go to the higher weight, and
// remaining ties rotate (round-robin) so that idle equal endpoints share the load.
#include <utility>

#include "proxy/balancer_common.h"
#include "proxy/load_balancer.h"

namespace causeway::proxy {
namespace {

class LeastConnectionsBalancer final : public LoadBalancer {
 public:
  explicit LeastConnectionsBalancer(const std::vector<Endpoint>& endpoints)
      : weights_(weightsOf(endpoints)), active_(endpoints.size(), 0) {}

  std::optional<size_t> pick(std::string_view /*hash_key*/,
                             std::span<const size_t> tried) override {
    const size_t n = weights_.size();
    std::optional<size_t> best;
    // Scan from the rotation cursor so that the first of equal candidates changes every pick.
    for (size_t k = 0; k < n; ++k) {
      const size_t i = (cursor_ + k) % n;
      if (weights_[i] == 0 || wasTried(tried, i)) continue;
      if (!best || better(i, *best)) best = i;
    }
    if (best) cursor_ = (*best + 1) % n;
    return best;
  }

  void onStart(size_t i) override {
    if (i < active_.size()) ++active_[i];
  }

  void onEnd(size_t i) override {
    if (i < active_.size() && active_[i] > 0) --active_[i];
  }

 private:
  // (active_a + 1) / w_a < (active_b + 1) / w_b, compared exactly by cross-multiplying in 128
  // bits (both factors fit in 64 bits).
  bool better(size_t a, size_t b) const {
    const unsigned __int128 lhs = static_cast<unsigned __int128>(active_[a] + 1) * weights_[b];
    const unsigned __int128 rhs = static_cast<unsigned __int128>(active_[b] + 1) * weights_[a];
    if (lhs != rhs) return lhs < rhs;
    return weights_[a] > weights_[b];
  }

  std::vector<uint32_t> weights_;
  std::vector<uint64_t> active_;
  size_t cursor_ = 0;
};

}  // namespace

// NOLINTNEXTLINE(performance-unnecessary-value-param): the signature is fixed by the header.
std::unique_ptr<LoadBalancer> makeLeastConnections(std::vector<Endpoint> endpoints) {
  return std::make_unique<LeastConnectionsBalancer>(endpoints);
}

}  // namespace causeway::proxy
