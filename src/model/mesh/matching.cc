#include "model/mesh/matching.h"

#include <algorithm>
#include <set>

namespace causeway::model::mesh {
namespace {

using Json = nlohmann::json;

bool containsTags(const Tags& have, const Tags& want) {
  return std::all_of(want.begin(), want.end(), [&](const auto& kv) {
    auto it = have.find(kv.first);
    return it != have.end() && it->second == kv.second;
  });
}

std::string serviceOf(const Tags& tags) {
  auto it = tags.find(std::string(kServiceTag));
  return it == tags.end() ? std::string() : it->second;
}

// Rule 4: the service a from/to item names, "" for Mesh (every service).
std::string namedService(const TargetRef& ref) {
  if (ref.kind == TargetKind::kMeshService) return ref.name;
  if (ref.kind == TargetKind::kMeshSubset) return serviceOf(ref.tags);
  return {};
}

bool itemApplies(const TargetRef& ref, std::string_view service) {
  if (ref.kind == TargetKind::kMesh) return true;
  const std::string named = namedService(ref);
  return !named.empty() && named == service;
}

std::optional<PermissionAction> actionOf(const Json& conf) {
  if (!conf.is_object()) return std::nullopt;
  auto it = conf.find("action");
  if (it == conf.end() || !it->is_string()) return std::nullopt;
  const std::string a = it->get<std::string>();
  if (a == "Allow") return PermissionAction::kAllow;
  if (a == "Deny") return PermissionAction::kDeny;
  if (a == "AllowWithShadowDeny") return PermissionAction::kAllowWithShadowDeny;
  return std::nullopt;
}

// Merges the confs of the to[] items of `ordered` that apply to `service`; null when none.
Json mergedTo(const std::vector<const Policy*>& ordered, std::string_view service) {
  Json out;
  for (const Policy* p : ordered) {
    for (const PolicyItem& item : p->to) {
      if (itemApplies(item.target_ref, service)) mergeConf(out, item.conf);
    }
  }
  return out;
}

// Rule 7's precedence: true when `a` must be tried before `b`. A match without a path is a
// PathPrefix "/" match (Gateway API's default), so headers decide between it and a "/" prefix.
bool matchBefore(const std::optional<HttpMatch>& a, const std::optional<HttpMatch>& b) {
  auto pathKey = [](const std::optional<HttpMatch>& m) -> std::pair<int, size_t> {
    if (!m || !m->path) return {1, 1};
    switch (m->path->type) {
      case HttpPathMatch::Type::kExact:
        return {0, m->path->value.size()};
      case HttpPathMatch::Type::kPathPrefix:
        return {1, m->path->value.size()};
      case HttpPathMatch::Type::kRegularExpression:
        return {2, 0};
    }
    return {1, 1};
  };
  const auto [ra, la] = pathKey(a);
  const auto [rb, lb] = pathKey(b);
  if (ra != rb) return ra < rb;
  if (la != lb) return la > lb;
  const bool ma = a && !a->method.empty(), mb = b && !b->method.empty();
  if (ma != mb) return ma;
  const size_t ha = a ? a->headers.size() : 0, hb = b ? b->headers.size() : 0;
  if (ha != hb) return ha > hb;
  const size_t qa = a ? a->query_params.size() : 0, qb = b ? b->query_params.size() : 0;
  return qa > qb;
}

}  // namespace

bool selectsTags(const TargetRef& ref, const Tags& tags) {
  switch (ref.kind) {
    case TargetKind::kMesh:
      return true;
    case TargetKind::kMeshSubset:
      return containsTags(tags, ref.tags);
    case TargetKind::kMeshService:
      return serviceOf(tags) == ref.name;
    case TargetKind::kMeshServiceSubset:
      return serviceOf(tags) == ref.name && containsTags(tags, ref.tags);
    case TargetKind::kMeshGateway:
      return false;
  }
  return false;
}

bool selectsDataplane(const TargetRef& ref, const Dataplane& dp) {
  if (dp.gateway_tags && selectsTags(ref, *dp.gateway_tags)) return true;
  return std::any_of(dp.inbound.begin(), dp.inbound.end(),
                     [&](const Inbound& in) { return selectsTags(ref, in.tags); });
}

bool appliedBefore(const Policy& a, const Policy& b) {
  if (a.target_ref.kind != b.target_ref.kind) return a.target_ref.kind < b.target_ref.kind;
  return kSmallerNameWins ? a.name > b.name : a.name < b.name;
}

void mergeConf(Json& into, const Json& later) {
  if (later.is_null()) return;
  if (!later.is_object() || !into.is_object()) {
    into = later;
    return;
  }
  for (auto it = later.begin(); it != later.end(); ++it) {
    if (it->is_null()) continue;
    auto existing = into.find(it.key());
    if (existing == into.end())
      into[it.key()] = *it;
    else
      mergeConf(*existing, *it);
  }
}

std::optional<PermissionAction> permissionFor(const InboundPermissions& in,
                                              std::string_view caller) {
  const PermissionRule* any = nullptr;
  for (const PermissionRule& r : in.rules) {
    if (r.service.empty())
      any = &r;
    else if (r.service == caller)
      return r.action;
  }
  if (any) return any->action;
  return std::nullopt;
}

bool callAllowed(const InboundPermissions& in, std::string_view caller, bool mtls_enabled) {
  if (!mtls_enabled) return true;
  auto action = permissionFor(in, caller);
  return action && *action != PermissionAction::kDeny;
}

InboundPermissions inboundPermissions(const Dataplane& dp, const Inbound& in,
                                      const std::vector<Policy>& policies) {
  InboundPermissions out;
  out.port = in.port;
  out.service = serviceOf(in.tags);
  const auto ordered =
      orderedPolicies(policies, PolicyType::kMeshTrafficPermission, dp.mesh,
                      [&](const TargetRef& ref) { return selectsTags(ref, in.tags); });
  std::set<std::string> named;
  for (const Policy* p : ordered) {
    for (const PolicyItem& item : p->from) {
      std::string s = namedService(item.target_ref);
      if (!s.empty()) named.insert(std::move(s));
    }
  }
  auto merged = [&](std::string_view caller, bool mesh_only) {
    Json conf;
    for (const Policy* p : ordered) {
      for (const PolicyItem& item : p->from) {
        const bool applies = mesh_only ? item.target_ref.kind == TargetKind::kMesh
                                       : itemApplies(item.target_ref, caller);
        if (applies) mergeConf(conf, item.conf);
      }
    }
    return actionOf(conf);
  };
  for (const std::string& s : named) {
    if (auto a = merged(s, false)) out.rules.push_back({s, *a});
  }
  if (auto a = merged("", true)) out.rules.push_back({"", *a});
  return out;
}

OutboundPolicies outboundPolicies(const Dataplane& dp, std::string_view service,
                                  const std::vector<Policy>& policies) {
  OutboundPolicies out;
  out.service = std::string(service);
  auto selected = [&](const TargetRef& ref) { return selectsDataplane(ref, dp); };
  auto confOf = [&](PolicyType type) {
    return mergedTo(orderedPolicies(policies, type, dp.mesh, selected), service);
  };
  out.timeout = confOf(PolicyType::kMeshTimeout);
  out.retry = confOf(PolicyType::kMeshRetry);
  out.circuit_breaker = confOf(PolicyType::kMeshCircuitBreaker);
  out.health_check = confOf(PolicyType::kMeshHealthCheck);
  out.load_balancing = confOf(PolicyType::kMeshLoadBalancingStrategy);

  // Rule 7: HTTP rules, merged by equal matches, then flattened and sorted.
  struct Merged {
    const RouteRule* first;
    Json conf;
  };
  std::vector<Merged> rules;
  for (const Policy* p : orderedPolicies(policies, PolicyType::kMeshHTTPRoute, dp.mesh, selected)) {
    for (const PolicyItem& item : p->to) {
      if (!itemApplies(item.target_ref, service)) continue;
      for (const RouteRule& rule : item.rules) {
        auto same = std::find_if(rules.begin(), rules.end(), [&](const Merged& m) {
          return m.first->matches_json == rule.matches_json;
        });
        if (same == rules.end())
          rules.push_back({&rule, rule.conf});
        else
          mergeConf(same->conf, rule.conf);
      }
    }
  }
  for (const Merged& m : rules) {
    const RouteConf typed = routeConf(m.conf);
    if (m.first->matches.empty()) {
      out.http_routes.push_back({std::nullopt, m.conf, typed});
    }
    for (const HttpMatch& match : m.first->matches) {
      out.http_routes.push_back({match, m.conf, typed});
    }
  }
  std::stable_sort(out.http_routes.begin(), out.http_routes.end(),
                   [](const HttpRouteEntry& a, const HttpRouteEntry& b) {
                     return matchBefore(a.match, b.match);
                   });

  // Rule 8.
  if (out.http_routes.empty()) {
    Json tcp;
    for (const Policy* p :
         orderedPolicies(policies, PolicyType::kMeshTCPRoute, dp.mesh, selected)) {
      for (const PolicyItem& item : p->to) {
        if (!itemApplies(item.target_ref, service)) continue;
        for (const RouteRule& rule : item.rules) mergeConf(tcp, rule.conf);
      }
    }
    if (!tcp.is_null()) {
      out.tcp_route = routeConf(tcp);
      out.tcp_route_conf = std::move(tcp);
    }
  }
  return out;
}

DataplanePolicies matchPolicies(const Dataplane& dp, const std::vector<Policy>& policies) {
  DataplanePolicies out;
  for (const Inbound& in : dp.inbound) out.inbound.push_back(inboundPermissions(dp, in, policies));
  for (const Outbound& o : dp.outbound) {
    OutboundPolicies p = outboundPolicies(dp, o.service, policies);
    p.port = o.port;
    out.outbound.push_back(std::move(p));
  }
  return out;
}

}  // namespace causeway::model::mesh
