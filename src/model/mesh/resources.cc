#include "model/mesh/resources.h"

#include <algorithm>

namespace causeway::model::mesh {
namespace {

using Json = nlohmann::json;

HeaderModifier headerModifier(const Json& j) {
  HeaderModifier m;
  for (const char* list : {"set", "add"}) {
    auto it = j.find(list);
    if (it == j.end() || !it->is_array()) continue;
    for (const Json& h : *it) {
      if (!h.is_object()) continue;
      auto& out = std::string_view(list) == "set" ? m.set : m.add;
      out.emplace_back(h.value("name", ""), h.value("value", ""));
    }
  }
  if (auto it = j.find("remove"); it != j.end() && it->is_array()) {
    for (const Json& r : *it) {
      if (r.is_string()) m.remove.push_back(r.get<std::string>());
    }
  }
  return m;
}

}  // namespace

std::string_view targetKindName(TargetKind kind) {
  switch (kind) {
    case TargetKind::kMesh:
      return "Mesh";
    case TargetKind::kMeshSubset:
      return "MeshSubset";
    case TargetKind::kMeshGateway:
      return "MeshGateway";
    case TargetKind::kMeshService:
      return "MeshService";
    case TargetKind::kMeshServiceSubset:
      return "MeshServiceSubset";
  }
  return "?";
}

std::string_view policyTypeName(PolicyType type) {
  switch (type) {
    case PolicyType::kMeshTrafficPermission:
      return "MeshTrafficPermission";
    case PolicyType::kMeshHTTPRoute:
      return "MeshHTTPRoute";
    case PolicyType::kMeshTCPRoute:
      return "MeshTCPRoute";
    case PolicyType::kMeshTimeout:
      return "MeshTimeout";
    case PolicyType::kMeshRetry:
      return "MeshRetry";
    case PolicyType::kMeshCircuitBreaker:
      return "MeshCircuitBreaker";
    case PolicyType::kMeshHealthCheck:
      return "MeshHealthCheck";
    case PolicyType::kMeshLoadBalancingStrategy:
      return "MeshLoadBalancingStrategy";
  }
  return "?";
}

const MtlsBackend* Mesh::enabledBackend() const {
  auto it = std::find_if(backends.begin(), backends.end(),
                         [&](const MtlsBackend& b) { return b.name == enabled_backend; });
  return it == backends.end() ? nullptr : &*it;
}

MtlsMode Mesh::mtlsMode() const {
  const MtlsBackend* b = enabledBackend();
  return b ? b->mode : MtlsMode::kPermissive;
}

std::string Inbound::protocol() const {
  auto it = tags.find(std::string(kProtocolTag));
  return it == tags.end() ? "tcp" : it->second;
}

RouteConf routeConf(const Json& conf) {
  RouteConf out;
  if (!conf.is_object()) return out;
  if (auto refs = conf.find("backendRefs"); refs != conf.end() && refs->is_array()) {
    for (const Json& r : *refs) {
      if (!r.is_object()) continue;
      BackendRef b;
      b.kind = r.value("kind", "MeshService") == "MeshServiceSubset"
                   ? TargetKind::kMeshServiceSubset
                   : TargetKind::kMeshService;
      b.name = r.value("name", "");
      if (auto t = r.find("tags"); t != r.end() && t->is_object()) {
        for (auto it = t->begin(); it != t->end(); ++it) {
          if (it->is_string()) b.tags[it.key()] = it->get<std::string>();
        }
      }
      if (auto w = r.find("weight"); w != r.end() && w->is_number_integer()) {
        b.weight = w->get<uint32_t>();
      }
      out.backend_refs.push_back(std::move(b));
    }
  }
  if (auto filters = conf.find("filters"); filters != conf.end() && filters->is_array()) {
    for (const Json& f : *filters) {
      if (!f.is_object()) continue;
      const std::string type = f.value("type", "");
      if (type == "RequestHeaderModifier" && f.contains("requestHeaderModifier")) {
        out.request_headers = headerModifier(f["requestHeaderModifier"]);
      } else if (type == "ResponseHeaderModifier" && f.contains("responseHeaderModifier")) {
        out.response_headers = headerModifier(f["responseHeaderModifier"]);
      }
    }
  }
  return out;
}

}  // namespace causeway::model::mesh
