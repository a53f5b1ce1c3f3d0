// Policy matching: which targetRef policies apply to a data plane, and the conf that results for
// each of its inbounds (who may call it) and each of its outbound destinations (routes, timeouts,
// retries, circuit breaking, health checks, load balancing). Pure functions over resources;
// thread-safe.
//
// The rules, applied in this order (Kuma's targetRef policy matching):
//  1. Policies of another mesh than the data plane's are ignored.
//  2. The top-level targetRef selects proxies. For an inbound it is matched against that inbound's
//     tags; for outbounds against each inbound of the data plane (any one suffices):
//       Mesh: every proxy; MeshSubset: tags contain all the ref's tags; MeshService:
//       kuma.io/service equals the ref's name; MeshServiceSubset: both; MeshGateway: no sidecar.
//  3. The selected policies of one type are ordered from the least to the most specific top-level
//     kind: Mesh < MeshSubset < MeshGateway < MeshService < MeshServiceSubset. Policies of the same
//     kind are ordered so that the one whose name is lexicographically smallest comes last, so it
//     takes precedence (kPolicyNameTieBreak below says which way; Kuma: "a-policy" beats
//     "b-policy").
//  4. Their from[] (or to[]) items are taken in that order, each policy's items in file order.
//     An item applies to a peer when its targetRef contains the peer: Mesh contains every
//     service; MeshService (or MeshSubset {kuma.io/service: X} in from[]) contains X.
//  5. The `default` confs of the applying items are deep-merged in order: a later object merges
//     into the earlier one key by key, recursively; a later scalar or array replaces the earlier
//     value; an absent or null key leaves the earlier value. So the more specific policy wins
//     field by field, not wholesale.
//  6. MeshTrafficPermission: each caller service named anywhere in the applying from[] items gets
//     its own merged action; every other caller gets the merge of the `Mesh` items only. With no
//     applying item there is no rule: the caller is denied when the mesh has mTLS on (zero trust)
//     and allowed when mTLS is off (there is no identity to check).
//  7. MeshHTTPRoute: the rules of the applying to[] items are concatenated in order; a rule whose
//     `matches` equal an earlier rule's merges its `default` into it (rule 5). Each match becomes
//     one entry (a rule without matches matches every request), and entries are stably sorted
//     by precedence: Exact path, then PathPrefix (longer first; no path counts as PathPrefix
//     "/", as in Gateway API), then RegularExpression; then with a method before without; then
//     more header matches; then more query matches.
//     The proxy takes the first entry that matches a request.
//  8. MeshTCPRoute: the merged `default` of its applying rules; ignored when a MeshHTTPRoute
//     applies to the same destination (Kuma: the HTTP route takes priority).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/mesh/resources.h"

namespace causeway::model::mesh {

// Among policies of the same top-level kind, true: the lexicographically smaller name is applied
// last and wins (Kuma's documented order).
inline constexpr bool kSmallerNameWins = true;

// ---- building blocks (exposed for tests and for the compiler's "inspect" view) ----------------

// Rule 2: whether a top-level targetRef selects a proxy whose inbound carries `tags`.
bool selectsTags(const TargetRef& ref, const Tags& tags);
// Rule 2 for a data plane: the ref selects any of its inbounds (or a delegated gateway's tags).
bool selectsDataplane(const TargetRef& ref, const Dataplane& dp);
// Rule 3: the policies of `type` (and of `mesh`) that `selected` accepts, least specific first.
template <class Selected>
std::vector<const Policy*> orderedPolicies(const std::vector<Policy>& policies, PolicyType type,
                                           std::string_view mesh, Selected selected);
// Rule 3's order on two policies: true when `a` is applied before (loses to) `b`.
bool appliedBefore(const Policy& a, const Policy& b);
// Rule 5: merges `later` into `into`.
void mergeConf(nlohmann::json& into, const nlohmann::json& later);

// ---- results ----------------------------------------------------------------------------------

struct PermissionRule {
  std::string service;  // the caller's kuma.io/service; empty: every caller not named elsewhere
  PermissionAction action = PermissionAction::kDeny;
};

struct InboundPermissions {
  uint32_t port = 0;
  std::string service;
  std::vector<PermissionRule> rules;  // named callers first (sorted), then the catch-all if any
};

// The action for `caller`: its own rule, else the catch-all; nullopt when neither exists.
std::optional<PermissionAction> permissionFor(const InboundPermissions& in,
                                              std::string_view caller);
// Rule 6: whether a call from `caller` is let through (AllowWithShadowDeny lets it through).
bool callAllowed(const InboundPermissions& in, std::string_view caller, bool mtls_enabled);

struct HttpRouteEntry {
  std::optional<HttpMatch> match;  // nullopt: every request
  nlohmann::json conf;             // the merged `default`
  RouteConf route;                 // its typed view
};

struct OutboundPolicies {
  uint32_t port = 0;
  std::string service;
  // The merged `default` of each policy type; null when no policy applies.
  nlohmann::json timeout;
  nlohmann::json retry;
  nlohmann::json circuit_breaker;
  nlohmann::json health_check;
  nlohmann::json load_balancing;
  std::vector<HttpRouteEntry> http_routes;  // empty: no MeshHTTPRoute applies
  std::optional<RouteConf> tcp_route;
  nlohmann::json tcp_route_conf;
};

struct DataplanePolicies {
  std::vector<InboundPermissions> inbound;  // one per inbound, in the data plane's order
  std::vector<OutboundPolicies> outbound;   // one per outbound, in the data plane's order
};

// Applies rules 1-8 to one data plane; `policies` may hold every mesh's policies.
DataplanePolicies matchPolicies(const Dataplane& dp, const std::vector<Policy>& policies);

// The effective permissions of one inbound (rules 1-3 and 6).
InboundPermissions inboundPermissions(const Dataplane& dp, const Inbound& in,
                                      const std::vector<Policy>& policies);
// The effective confs for one destination service (rules 1-5, 7 and 8).
OutboundPolicies outboundPolicies(const Dataplane& dp, std::string_view service,
                                  const std::vector<Policy>& policies);

// ---- template definition ------------------------------------------------------------------------

template <class Selected>
std::vector<const Policy*> orderedPolicies(const std::vector<Policy>& policies, PolicyType type,
                                           std::string_view mesh, Selected selected) {
  std::vector<const Policy*> out;
  for (const Policy& p : policies) {
    if (p.type == type && p.mesh == mesh && selected(p.target_ref)) out.push_back(&p);
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const Policy* a, const Policy* b) { return appliedBefore(*a, *b); });
  return out;
}

}  // namespace causeway::model::mesh
