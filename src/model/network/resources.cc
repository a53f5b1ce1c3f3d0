#include "model/network/resources.h"

#include <openssl/evp.h>

#include <algorithm>
#include <set>

#include "model/kong/document.h"

namespace causeway::model::network {
namespace {

using Json = nlohmann::json;

struct Section {
  const char* key;   // under network:
  const char* kind;  // store kind
  enum Shape { kNamed, kUnnamed, kPair, kDomain } shape;
};

const std::vector<Section>& sections() {
  static const std::vector<Section> all = {
      {"domains", "network_domains", Section::kDomain},
      {"connection_policies", "network_connection_policies", Section::kUnnamed},
      {"transit_gateways", "network_transit_gateways", Section::kNamed},
      {"spoke_gateways", "network_spoke_gateways", Section::kNamed},
      {"transit_peerings", "network_transit_peerings", Section::kPair},
      {"firewalls", "network_firewalls", Section::kNamed},
      {"inspection_policies", "network_inspection_policies", Section::kUnnamed},
      {"external_connections", "network_external_connections", Section::kNamed},
      {"static_routes", "network_static_routes", Section::kUnnamed},
  };
  return all;
}

constexpr const char* kSettingsKind = "network_settings";
constexpr const char* kSettingsId = "settings";

std::string contentId(const Json& value) {
  const std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < 8 && i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string stringOr(const Json& body, const char* key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

const std::vector<std::string>& networkConfigKinds() {
  static const std::vector<std::string> kinds = [] {
    std::vector<std::string> out;
    for (const auto& s : sections()) out.push_back(s.kind);
    out.push_back(kSettingsKind);
    return out;
  }();
  return kinds;
}

bool isNetworkConfigKind(std::string_view kind) {
  const auto& kinds = networkConfigKinds();
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

bool isNetworkKind(std::string_view kind) {
  return kind == kGatewayKeysKind || isNetworkConfigKind(kind);
}

std::vector<NetworkResource> splitNetwork(const Json& network) {
  std::vector<NetworkResource> out;
  if (!network.is_object()) return out;
  for (const Section& s : sections()) {
    auto list = network.find(s.key);
    if (list == network.end() || !list->is_array()) continue;
    std::set<std::string> ids;
    for (size_t i = 0; i < list->size(); ++i) {
      const Json& entry = (*list)[i];
      Json body;
      std::string id;
      switch (s.shape) {
        case Section::kDomain:
          body = {{"name", entry}};
          id = entry.is_string() ? entry.get<std::string>() : contentId(entry);
          break;
        case Section::kPair:
          body = {{"transits", entry}};
          id = contentId(entry);
          break;
        case Section::kNamed:
          body = entry.is_object() ? entry : Json{{"value", entry}};
          id = stringOr(body, "name");
          if (id.empty()) id = contentId(entry);
          break;
        case Section::kUnnamed:
          body = entry.is_object() ? entry : Json{{"value", entry}};
          id = contentId(entry);
          break;
      }
      const std::string base = id;
      for (int n = 2; !ids.insert(id).second; ++n) id = base + "#" + std::to_string(n);
      body["id"] = id;
      body["position"] = i;
      out.push_back({s.kind, id, std::move(body)});
    }
  }
  Json settings = Json::object();
  for (const char* key : {"mtu", "overlay_cidr"}) {
    if (auto it = network.find(key); it != network.end() && !it->is_null()) settings[key] = *it;
  }
  if (!settings.empty()) {
    settings["id"] = kSettingsId;
    out.push_back({kSettingsKind, kSettingsId, std::move(settings)});
  }
  return out;
}

Json assembleNetwork(const std::vector<NetworkResource>& resources) {
  Json network = Json::object();
  for (const Section& s : sections()) {
    std::vector<const NetworkResource*> list;
    for (const auto& r : resources) {
      if (r.kind == s.kind) list.push_back(&r);
    }
    if (list.empty()) continue;
    auto position = [](const NetworkResource* r) {
      auto it = r->body.find("position");
      return it != r->body.end() && it->is_number_integer() ? it->get<int64_t>() : INT64_MAX;
    };
    std::stable_sort(list.begin(), list.end(), [&](const auto* a, const auto* b) {
      return position(a) != position(b) ? position(a) < position(b) : a->id < b->id;
    });
    Json out = Json::array();
    for (const auto* r : list) {
      const Json& b = r->body;
      switch (s.shape) {
        case Section::kDomain:
          out.push_back(b.value("name", Json()));
          break;
        case Section::kPair:
          out.push_back(b.value("transits", Json()));
          break;
        case Section::kNamed:
        case Section::kUnnamed:
          if (b.contains("value") && b.size() == 3) {  // not an object as written
            out.push_back(b["value"]);
          } else {
            Json e = b;
            e.erase("id");
            e.erase("position");
            out.push_back(std::move(e));
          }
          break;
      }
    }
    network[s.key] = std::move(out);
  }
  for (const auto& r : resources) {
    if (r.kind != kSettingsKind) continue;
    for (const char* key : {"mtu", "overlay_cidr"}) {
      if (auto it = r.body.find(key); it != r.body.end()) network[key] = *it;
    }
  }
  return network;
}

void fillRegisteredKeys(Json& network, const std::map<std::string, std::string>& registered) {
  if (!network.is_object()) return;
  for (const char* key : {"transit_gateways", "spoke_gateways"}) {
    auto list = network.find(key);
    if (list == network.end() || !list->is_array()) continue;
    for (Json& g : *list) {
      if (!g.is_object() || (g.contains("public_key") && !g["public_key"].is_null())) continue;
      auto it = registered.find(stringOr(g, "name"));
      if (it != registered.end()) g["public_key"] = it->second;
    }
  }
}

Result<DocumentParts> splitDocument(std::string_view text) {
  DocumentParts parts;
  if (text.find("network") == std::string_view::npos) {  // no parse for a plain Kong file
    parts.kong_text = std::string(text);
    return parts;
  }
  Json root;
  std::string problem;
  if (!kong::parseDocument(text, root, problem)) return Status::invalidArgument(problem);
  if (!root.is_object() || !root.contains("network")) {
    parts.kong_text = std::string(text);
    return parts;
  }
  parts.has_network = true;
  parts.network = root["network"];
  root.erase("network");
  parts.has_kong = false;
  for (auto it = root.begin(); it != root.end(); ++it) {
    if (it.key().empty() || it.key()[0] != '_') parts.has_kong = true;
  }
  if (!root.contains("_format_version")) root["_format_version"] = "3.0";
  parts.kong_text = root.dump();
  return parts;
}

std::string displayName(const NetworkResource& r) {
  const Json& b = r.body;
  if (r.kind == "network_connection_policies" || r.kind == "network_inspection_policies") {
    const Json d = b.value("domains", Json::array());
    std::string out = d.is_array() && d.size() == 2 && d[0].is_string() && d[1].is_string()
                          ? d[0].get<std::string>() + " <-> " + d[1].get<std::string>()
                          : r.id;
    if (b.contains("firewall") && b["firewall"].is_string()) {
      out += " via " + b["firewall"].get<std::string>();
    }
    return out;
  }
  if (r.kind == "network_transit_peerings") {
    const Json t = b.value("transits", Json::array());
    if (t.is_array() && t.size() == 2 && t[0].is_string() && t[1].is_string()) {
      return t[0].get<std::string>() + " <-> " + t[1].get<std::string>();
    }
    return r.id;
  }
  if (r.kind == "network_static_routes") {
    return stringOr(b, "gateway") + " " + stringOr(b, "cidr");
  }
  const std::string name = stringOr(b, "name");
  return name.empty() ? r.id : name;
}

}  // namespace causeway::model::network
