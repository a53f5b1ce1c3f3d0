// Load balancers over a fixed set of weighted endpoints: round-robin (weighted), least
// connections, random, consistent hashing (a ring of `slots` entries, as Kong's ring-balancer).
//
// One instance per worker thread and cluster: not thread-safe, no locks. Endpoints with weight 0
// are never picked. The caller passes the indexes already tried for this request (retries go to
// the next endpoint).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace causeway::proxy {

struct Endpoint {
  std::string host;  // IP address or name
  uint16_t port = 0;
  uint32_t weight = 100;
};

class LoadBalancer {
 public:
  virtual ~LoadBalancer() = default;

  // An endpoint index not in `tried`, or nullopt when none is left (the proxy answers 503).
  // `hash_key` is used by consistent hashing only (empty: behave as round-robin).
  virtual std::optional<size_t> pick(std::string_view hash_key, std::span<const size_t> tried) = 0;

  // A request to endpoint `i` started or ended (least connections counts them).
  virtual void onStart(size_t i) {}
  virtual void onEnd(size_t i) {}
};

std::unique_ptr<LoadBalancer> makeRoundRobin(std::vector<Endpoint> endpoints);
std::unique_ptr<LoadBalancer> makeLeastConnections(std::vector<Endpoint> endpoints);
// Weighted random choice; `seed` varies per worker.
std::unique_ptr<LoadBalancer> makeRandom(std::vector<Endpoint> endpoints, uint64_t seed);
// `slots`: ring size (10..65536), entries distributed by weight.
std::unique_ptr<LoadBalancer> makeConsistentHashing(std::vector<Endpoint> endpoints,
                                                    uint32_t slots);

}  // namespace causeway::proxy
