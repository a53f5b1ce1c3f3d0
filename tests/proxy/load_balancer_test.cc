#include "proxy/load_balancer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <vector>

namespace causeway::proxy {
namespace {

std::vector<Endpoint> endpointsWithWeights(std::initializer_list<uint32_t> weights) {
  std::vector<Endpoint> endpoints;
  uint16_t port = 8000;
  for (uint32_t w : weights) {
    endpoints.push_back(Endpoint{"10.0.0." + std::to_string(port - 7999), port, w});
    ++port;
  }
  return endpoints;
}

double weightShare(const std::vector<Endpoint>& endpoints, size_t i) {
  double total = 0;
  for (const Endpoint& e : endpoints) total += e.weight;
  return endpoints[i].weight / total;
}

// Picks with no key and no retries, `n` times; counts per endpoint.
std::vector<size_t> countPicks(LoadBalancer& lb, size_t endpoints, size_t n) {
  std::vector<size_t> counts(endpoints, 0);
  for (size_t k = 0; k < n; ++k) {
    auto i = lb.pick("", {});
    EXPECT_TRUE(i.has_value());
    if (i) ++counts.at(*i);
  }
  return counts;
}

std::string keyOf(size_t i) { return "client-" + std::to_string(i); }

// ---- round-robin ----------------------------------------------------------------------------

TEST(RoundRobinTest, ThreeToOneInterleavesInsteadOfBursting) {
  auto lb = makeRoundRobin(endpointsWithWeights({3, 1}));
  std::vector<size_t> sequence;
  for (int k = 0; k < 8; ++k) sequence.push_back(*lb->pick("", {}));
  EXPECT_EQ(sequence, (std::vector<size_t>{0, 0, 1, 0, 0, 0, 1, 0}));
}

TEST(RoundRobinTest, EqualWeightsRotate) {
  auto lb = makeRoundRobin(endpointsWithWeights({100, 100, 100}));
  for (int k = 0; k < 9; ++k) EXPECT_EQ(*lb->pick("", {}), static_cast<size_t>(k % 3));
}

TEST(RoundRobinTest, DistributionFollowsWeightsOver100kPicks) {
  const auto endpoints = endpointsWithWeights({50, 30, 15, 5});
  auto lb = makeRoundRobin(endpoints);
  constexpr size_t kPicks = 100000;
  const auto counts = countPicks(*lb, endpoints.size(), kPicks);
  for (size_t i = 0; i < endpoints.size(); ++i) {
    const double expected = weightShare(endpoints, i) * kPicks;
    EXPECT_NEAR(counts[i], expected, expected * 0.01) << "endpoint " << i;
  }
}

TEST(RoundRobinTest, EveryPrefixStaysWithinOnePickOfItsShare) {
  // Smoothness: after any number of picks, no endpoint is more than about one pick ahead of or
  // behind its weighted share (a bursty a,a,a,a,a,b,c schedule would be 2.9 picks off).
  const auto endpoints = endpointsWithWeights({5, 1, 1});
  auto lb = makeRoundRobin(endpoints);
  std::array<double, 3> counts{};
  for (int k = 1; k <= 700; ++k) {
    ++counts[*lb->pick("", {})];
    for (size_t i = 0; i < 3; ++i) {
      EXPECT_LE(std::abs(counts[i] - k * weightShare(endpoints, i)), 1.0)
          << "after " << k << " picks, endpoint " << i;
    }
  }
}

TEST(RoundRobinTest, WeightZeroIsNeverPicked) {
  auto lb = makeRoundRobin(endpointsWithWeights({0, 10, 0, 10}));
  const auto counts = countPicks(*lb, 4, 1000);
  EXPECT_EQ(counts[0], 0u);
  EXPECT_EQ(counts[2], 0u);
  EXPECT_EQ(counts[1] + counts[3], 1000u);
}

TEST(RoundRobinTest, TriedEndpointsAreSkipped) {
  auto lb = makeRoundRobin(endpointsWithWeights({10, 10, 10}));
  const std::vector<size_t> tried{1};
  for (int k = 0; k < 10; ++k) EXPECT_NE(*lb->pick("", tried), 1u);
  const std::vector<size_t> two_tried{0, 2};
  EXPECT_EQ(lb->pick("", two_tried), 1u);
}

TEST(RoundRobinTest, NothingLeftGivesNullopt) {
  auto lb = makeRoundRobin(endpointsWithWeights({10, 0, 10}));
  const std::vector<size_t> tried{2, 0};
  EXPECT_EQ(lb->pick("", tried), std::nullopt);
  EXPECT_EQ(makeRoundRobin({})->pick("", {}), std::nullopt);
  EXPECT_EQ(makeRoundRobin(endpointsWithWeights({0, 0}))->pick("", {}), std::nullopt);
}

// ---- least connections ------------------------------------------------------------------------

TEST(LeastConnectionsTest, IdleEqualEndpointsRotate) {
  auto lb = makeLeastConnections(endpointsWithWeights({100, 100, 100}));
  for (int k = 0; k < 9; ++k) {
    const size_t i = *lb->pick("", {});
    EXPECT_EQ(i, static_cast<size_t>(k % 3));
    lb->onStart(i);
    lb->onEnd(i);
  }
}

TEST(LeastConnectionsTest, PicksTheEndpointWithFewestActiveRequests) {
  auto lb = makeLeastConnections(endpointsWithWeights({100, 100, 100}));
  lb->onStart(0);
  lb->onStart(0);
  lb->onStart(2);
  EXPECT_EQ(lb->pick("", {}), 1u);
  lb->onStart(1);
  lb->onStart(1);
  EXPECT_EQ(lb->pick("", {}), 2u);  // 2 active: 2, 2, 1
  lb->onEnd(0);
  lb->onEnd(0);
  EXPECT_EQ(lb->pick("", {}), 0u);  // 0 active: 0, 2, 1
}

TEST(LeastConnectionsTest, TiesGoToTheHigherWeight) {
  auto lb = makeLeastConnections(endpointsWithWeights({100, 300, 200}));
  EXPECT_EQ(lb->pick("", {}), 1u);
  // 1 active on endpoint 0 (weight 100) versus 2 on endpoint 2 (weight 200): same load, and
  // endpoint 1 is busier; the heavier of the two tied ones wins.
  lb->onStart(0);
  lb->onStart(2);
  lb->onStart(2);
  for (int k = 0; k < 5; ++k) lb->onStart(1);
  EXPECT_EQ(lb->pick("", {}), 2u);
}

TEST(LeastConnectionsTest, LongLivedRequestsSpreadByWeight) {
  const auto endpoints = endpointsWithWeights({50, 30, 20});
  auto lb = makeLeastConnections(endpoints);
  constexpr size_t kPicks = 100000;
  std::vector<size_t> counts(3, 0);
  for (size_t k = 0; k < kPicks; ++k) {
    const size_t i = *lb->pick("", {});
    lb->onStart(i);  // never ends: active counts follow the picks
    ++counts[i];
  }
  for (size_t i = 0; i < 3; ++i) {
    const double expected = weightShare(endpoints, i) * kPicks;
    EXPECT_NEAR(counts[i], expected, expected * 0.01) << "endpoint " << i;
  }
}

TEST(LeastConnectionsTest, UnbalancedEndsAndBadIndexesAreHarmless) {
  auto lb = makeLeastConnections(endpointsWithWeights({100, 100}));
  lb->onEnd(0);  // without a start: must not wrap to a huge count
  lb->onStart(7);
  lb->onEnd(7);
  EXPECT_EQ(lb->pick("", {}), 0u);
  lb->onStart(0);
  EXPECT_EQ(lb->pick("", {}), 1u);
}

TEST(LeastConnectionsTest, WeightZeroTriedAndNothingLeft) {
  auto lb = makeLeastConnections(endpointsWithWeights({0, 100, 100}));
  for (int k = 0; k < 10; ++k) EXPECT_NE(*lb->pick("", {}), 0u);
  const std::vector<size_t> tried{1};
  for (int k = 0; k < 10; ++k) EXPECT_EQ(lb->pick("", tried), 2u);
  const std::vector<size_t> all{2, 1};
  EXPECT_EQ(lb->pick("", all), std::nullopt);
  EXPECT_EQ(makeLeastConnections({})->pick("", {}), std::nullopt);
}

// ---- consistent hashing -------------------------------------------------------------------------

// The endpoint "host:port" each of `keys` maps to.
std::vector<std::string> mapKeys(LoadBalancer& lb, const std::vector<Endpoint>& endpoints,
                                 size_t keys) {
  std::vector<std::string> owners;
  owners.reserve(keys);
  for (size_t k = 0; k < keys; ++k) {
    const Endpoint& e = endpoints[*lb.pick(keyOf(k), {})];
    owners.push_back(e.host + ":" + std::to_string(e.port));
  }
  return owners;
}

double movedFraction(const std::vector<std::string>& before,
                     const std::vector<std::string>& after) {
  size_t moved = 0;
  for (size_t k = 0; k < before.size(); ++k) moved += before[k] != after[k];
  return static_cast<double>(moved) / before.size();
}

TEST(ConsistentHashingTest, SameKeySameEndpoint) {
  const auto endpoints = endpointsWithWeights({100, 100, 100, 100});
  auto a = makeConsistentHashing(endpoints, 10000);
  auto b = makeConsistentHashing(endpoints, 10000);
  for (size_t k = 0; k < 1000; ++k) {
    const auto first = a->pick(keyOf(k), {});
    EXPECT_EQ(a->pick(keyOf(k), {}), first);
    EXPECT_EQ(b->pick(keyOf(k), {}), first);
  }
}

TEST(ConsistentHashingTest, StableAcrossRunsAndBuilds) {
  // Pinned values: a change here changes where every deployed key goes; only change it on
  // purpose, with a release note.
  auto lb = makeConsistentHashing(endpointsWithWeights({100, 100, 100, 100}), 10000);
  std::vector<size_t> picks;
  for (const char* key : {"alice", "bob", "carol", "192.168.1.17", "consumer-42"}) {
    picks.push_back(*lb->pick(key, {}));
  }
  EXPECT_EQ(picks, (std::vector<size_t>{1, 0, 3, 2, 0}));
}

TEST(ConsistentHashingTest, ListOrderDoesNotMatter) {
  auto endpoints = endpointsWithWeights({100, 50, 100, 25});
  auto forward = makeConsistentHashing(endpoints, 1000);
  const auto owners = mapKeys(*forward, endpoints, 5000);
  std::reverse(endpoints.begin(), endpoints.end());
  auto backward = makeConsistentHashing(endpoints, 1000);
  EXPECT_EQ(mapKeys(*backward, endpoints, 5000), owners);
}

TEST(ConsistentHashingTest, KeysSpreadByWeight) {
  const auto endpoints = endpointsWithWeights({50, 30, 15, 5});
  auto lb = makeConsistentHashing(endpoints, 10000);
  constexpr size_t kPicks = 100000;
  std::vector<size_t> counts(endpoints.size(), 0);
  for (size_t k = 0; k < kPicks; ++k) ++counts[*lb->pick(keyOf(k), {})];
  for (size_t i = 0; i < endpoints.size(); ++i) {
    // Within 1% of all picks: the ring holds the exact shares, the rest is key sampling noise.
    EXPECT_NEAR(counts[i], weightShare(endpoints, i) * kPicks, kPicks * 0.01) << "endpoint " << i;
  }
}

TEST(ConsistentHashingTest, AddingATargetMovesAboutItsShare) {
  auto endpoints = endpointsWithWeights({100, 100, 100, 100});
  constexpr size_t kKeys = 50000;
  auto before = makeConsistentHashing(endpoints, 10000);
  const auto owners_before = mapKeys(*before, endpoints, kKeys);
  endpoints.push_back(Endpoint{"10.0.0.99", 8099, 100});
  auto after = makeConsistentHashing(endpoints, 10000);
  const auto owners_after = mapKeys(*after, endpoints, kKeys);
  // Ideal: 1/5 of the keys move, all of them to the new target.
  const double moved = movedFraction(owners_before, owners_after);
  EXPECT_GT(moved, 0.2 * 0.8);
  EXPECT_LT(moved, 0.2 * 1.25);
  size_t to_new = 0;
  for (size_t k = 0; k < kKeys; ++k) {
    to_new += owners_before[k] != owners_after[k] && owners_after[k] == "10.0.0.99:8099";
  }
  EXPECT_GT(static_cast<double>(to_new) / kKeys, 0.2 * 0.8);
}

TEST(ConsistentHashingTest, RemovingATargetMovesAboutItsShare) {
  auto endpoints = endpointsWithWeights({100, 100, 100, 100, 100});
  constexpr size_t kKeys = 50000;
  auto before = makeConsistentHashing(endpoints, 10000);
  const auto owners_before = mapKeys(*before, endpoints, kKeys);
  endpoints.erase(endpoints.begin() + 2);
  auto after = makeConsistentHashing(endpoints, 10000);
  const double moved = movedFraction(owners_before, mapKeys(*after, endpoints, kKeys));
  EXPECT_GT(moved, 0.2 * 0.8);
  EXPECT_LT(moved, 0.2 * 1.25);
}

TEST(ConsistentHashingTest, SlotsAreClampedToKongsBounds) {
  // Below 10 slots the ring still has 10, so ten targets each own one and are all reachable.
  const auto ten = endpointsWithWeights({1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
  for (uint32_t slots : {0u, 3u, 10u}) {
    auto lb = makeConsistentHashing(ten, slots);
    std::vector<size_t> counts(ten.size(), 0);
    for (size_t k = 0; k < 20000; ++k) ++counts[*lb->pick(keyOf(k), {})];
    for (size_t i = 0; i < ten.size(); ++i) {
      EXPECT_GT(counts[i], 0u) << "slots " << slots << " endpoint " << i;
    }
  }
  // Above 65536 the ring is capped: building it stays cheap and the spread stays right.
  const auto two = endpointsWithWeights({75, 25});
  auto lb = makeConsistentHashing(two, UINT32_MAX);
  std::vector<size_t> counts(2, 0);
  for (size_t k = 0; k < 20000; ++k) ++counts[*lb->pick(keyOf(k), {})];
  EXPECT_NEAR(counts[0], 15000, 400);
}

TEST(ConsistentHashingTest, WeightZeroIsNeverPicked) {
  auto lb = makeConsistentHashing(endpointsWithWeights({100, 0, 100}), 1000);
  for (size_t k = 0; k < 5000; ++k) EXPECT_NE(*lb->pick(keyOf(k), {}), 1u);
  for (size_t k = 0; k < 100; ++k) EXPECT_NE(*lb->pick("", {}), 1u);
  EXPECT_EQ(makeConsistentHashing(endpointsWithWeights({0, 0}), 100)->pick("k", {}), std::nullopt);
  EXPECT_EQ(makeConsistentHashing({}, 100)->pick("k", {}), std::nullopt);
}

TEST(ConsistentHashingTest, RetriesWalkToAnotherEndpointConsistently) {
  const auto endpoints = endpointsWithWeights({100, 100, 100});
  auto a = makeConsistentHashing(endpoints, 1000);
  auto b = makeConsistentHashing(endpoints, 1000);
  for (size_t k = 0; k < 1000; ++k) {
    const std::string key = keyOf(k);
    const size_t first = *a->pick(key, {});
    const std::vector<size_t> tried{first};
    const auto second = a->pick(key, tried);
    ASSERT_TRUE(second.has_value());
    EXPECT_NE(*second, first);
    EXPECT_EQ(b->pick(key, tried), second);  // the retry target is a function of the key too
    const std::vector<size_t> two{first, *second};
    const auto third = a->pick(key, two);
    ASSERT_TRUE(third.has_value());
    EXPECT_EQ(*third, 3 - first - *second);
    const std::vector<size_t> all{0, 1, 2};
    EXPECT_EQ(a->pick(key, all), std::nullopt);
  }
}

TEST(ConsistentHashingTest, EmptyKeyFallsBackToRoundRobin) {
  auto lb = makeConsistentHashing(endpointsWithWeights({3, 1}), 100);
  std::vector<size_t> sequence;
  for (int k = 0; k < 8; ++k) sequence.push_back(*lb->pick("", {}));
  EXPECT_EQ(sequence, (std::vector<size_t>{0, 0, 1, 0, 0, 0, 1, 0}));
  const std::vector<size_t> tried{0};
  EXPECT_EQ(lb->pick("", tried), 1u);
}

}  // namespace
}  // namespace causeway::proxy
