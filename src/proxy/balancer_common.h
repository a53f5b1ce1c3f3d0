// Pieces shared by the load balancers: a stable 64-bit hash and the smooth weighted round-robin
// schedule (used by round-robin itself and as consistent hashing's fallback for empty keys).
//
// Not thread-safe, like the balancers that embed them.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "proxy/load_balancer.h"

namespace causeway::proxy {

// FNV-1a 64 followed by a 64-bit finalizer so that the low bits (used with %) depend on every
// input byte. Stable across runs, builds and platforms: balancer decisions may be compared between
// processes and releases.
inline uint64_t stableHash64(std::string_view bytes) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

inline bool wasTried(std::span<const size_t> tried, size_t i) {
  return std::find(tried.begin(), tried.end(), i) != tried.end();
}

// nginx-style smooth weighted round-robin: each pick adds every candidate's weight to its credit,
// takes the candidate with the most credit and charges it the candidates' total weight. Weights
// 3:1 give a,a,b,a. Deterministic; ties go to the lowest index. O(endpoints) per pick, no
// allocation.
class SmoothWeightedSchedule {
 public:
  explicit SmoothWeightedSchedule(std::vector<uint32_t> weights)
      : weights_(std::move(weights)), credit_(weights_.size(), 0) {}

  // The next endpoint with a positive weight that is not in `tried`.
  std::optional<size_t> next(std::span<const size_t> tried) {
    int64_t total = 0;
    std::optional<size_t> best;
    for (size_t i = 0; i < weights_.size(); ++i) {
      if (weights_[i] == 0 || wasTried(tried, i)) continue;
      credit_[i] += weights_[i];
      total += weights_[i];
      if (!best || credit_[i] > credit_[*best]) best = i;
    }
    if (best) credit_[*best] -= total;
    return best;
  }

 private:
  std::vector<uint32_t> weights_;
  std::vector<int64_t> credit_;
};

inline std::vector<uint32_t> weightsOf(const std::vector<Endpoint>& endpoints) {
  std::vector<uint32_t> weights;
  weights.reserve(endpoints.size());
  for (const Endpoint& e : endpoints) weights.push_back(e.weight);
  return weights;
}

}  // namespace causeway::proxy
