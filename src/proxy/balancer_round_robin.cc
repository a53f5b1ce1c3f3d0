// Weighted round-robin: the smooth schedule of balancer_common.h over all endpoints.
#include <utility>

#include "proxy/balancer_common.h"
#include "proxy/load_balancer.h"

namespace causeway::proxy {
namespace {

class RoundRobinBalancer final : public LoadBalancer {
 public:
  explicit RoundRobinBalancer(const std::vector<Endpoint>& endpoints)
      : schedule_(weightsOf(endpoints)) {}

  std::optional<size_t> pick(std::string_view /*hash_key*/,
                             std::span<const size_t> tried) override {
    return schedule_.next(tried);
  }

 private:
  SmoothWeightedSchedule schedule_;
};

}  // namespace

// NOLINTNEXTLINE(performance-unnecessary-value-param): the signature is fixed by the header.
std::unique_ptr<LoadBalancer> makeRoundRobin(std::vector<Endpoint> endpoints) {
  return std::make_unique<RoundRobinBalancer>(endpoints);
}

}  // namespace causeway::proxy
