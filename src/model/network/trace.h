// Explains a flow from the model alone (`causeway ctl network trace`): walks the gateways from
// the spoke or external connection holding the source address, asking each gateway's Forwarding
// (the data plane's own decision, forwarding.h) what it does with the packet, every tunnel taken
// as up and the first next hop chosen, until the packet is delivered, leaves to an external
// connection, or is dropped. Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "base/ip.h"
#include "model/network/network.h"

namespace causeway::model::network {

inline constexpr int kMaxTraceHops = 16;

struct TraceResult {
  std::string verdict;                  // "allow", "deny" or "no-route"
  std::vector<std::string> hops;        // from the holder of src to the holder of dst (or the drop)
  std::optional<std::string> firewall;  // the firewall that inspected the flow
  std::string reason;                   // one sentence for a human
};

TraceResult traceFlow(const Network& network, const IpAddress& src, const IpAddress& dst);

// {"verdict":"...","hops":["..."],"firewall":"..."|null,"reason":"..."}
std::string traceJson(const TraceResult& result);

}  // namespace causeway::model::network
