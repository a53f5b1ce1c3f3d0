// fuzz-libs: causeway_model
// Fuzzes the network model end to end: any text is loaded as a declarative network file; when it
// validates, every gateway gets a plan, its compiled decision is asked about addresses taken from
// the input, and flows between every pair of CIDRs are traced. Nothing may crash, a trace must
// end in one of its three verdicts, and a plan must only name peers it has.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "model/network/forwarding.h"
#include "model/network/loader.h"
#include "model/network/plan.h"
#include "model/network/trace.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace causeway;
  using namespace causeway::model::network;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto network = loadNetwork(text);
  if (!network.isOk()) return 0;
  std::vector<Cidr> cidrs;
  std::vector<std::string> names;
  for (const auto& t : network->transit_gateways) names.push_back(t.name);
  for (const auto& s : network->spoke_gateways) {
    names.push_back(s.name);
    cidrs.insert(cidrs.end(), s.cidrs.begin(), s.cidrs.end());
  }
  for (const auto& e : network->external_connections) {
    cidrs.insert(cidrs.end(), e.cidrs.begin(), e.cidrs.end());
  }
  for (const std::string& name : names) {
    auto plan = planGateway(network.value(), name);
    FUZZ_CHECK(plan.isOk());
    for (const RouteEntry& r : plan->routes) {
      for (size_t hop : r.next_hops) FUZZ_CHECK(hop < plan->peers.size());
    }
    Forwarding forwarding(plan.value());
    for (const Cidr& a : cidrs) {
      for (const Cidr& b : cidrs) {
        for (size_t ingress = 0; ingress <= plan->peers.size(); ++ingress) {
          const size_t from = ingress == plan->peers.size() ? Forwarding::kFromTun : ingress;
          Decision d = forwarding.decide(from, a.address().bytes(), b.address().bytes());
          if (d.action == Decision::kTunnel) FUZZ_CHECK(d.route && !d.route->next_hops.empty());
        }
      }
    }
  }
  for (const Cidr& a : cidrs) {
    for (const Cidr& b : cidrs) {
      TraceResult t = traceFlow(network.value(), a.address(), b.address());
      FUZZ_CHECK(t.verdict == "allow" || t.verdict == "deny" || t.verdict == "no-route");
      (void)traceJson(t);
    }
  }
  return 0;
}
