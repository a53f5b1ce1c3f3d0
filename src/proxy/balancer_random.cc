// Weighted random: each pick draws among the endpoints not yet tried, in proportion to weight.
#include <random>

#include "proxy/balancer_common.h"

namespace causeway::proxy {
namespace {

class Random final : public LoadBalancer {
 public:
  Random(std::vector<Endpoint> endpoints, uint64_t seed)
      : weights_(weightsOf(endpoints)), rng_(std::random_device{}() ^ seed) {}

  std::optional<size_t> pick(std::string_view, std::span<const size_t> tried) override {
    uint64_t total = 0;
    for (size_t i = 0; i < weights_.size(); ++i) {
      if (!wasTried(tried, i)) total += weights_[i];
    }
    if (total == 0) return std::nullopt;
    uint64_t r = std::uniform_int_distribution<uint64_t>(0, total - 1)(rng_);
    for (size_t i = 0; i < weights_.size(); ++i) {
      if (wasTried(tried, i)) continue;
      if (r < weights_[i]) return i;
      r -= weights_[i];
    }
    return std::nullopt;
  }

 private:
  std::vector<uint32_t> weights_;
  std::mt19937_64 rng_;
};

}  // namespace

std::unique_ptr<LoadBalancer> makeRandom(std::vector<Endpoint> endpoints, uint64_t seed) {
  return std::make_unique<Random>(std::move(endpoints), seed);
}

}  // namespace causeway::proxy
