// The network section as a control plane stores it: one record kind per resource list, so that
// each change is one store revision and a small delta to every transit gateway. Names identify
// gateways, firewalls, external connections and domains; policies, peerings and static routes,
// which have no name, get an id derived from their content. Each body is the entry as written
// plus "id" and "position" (its index in the file), so the assembled document lists everything
// in file order (tunnel addresses are assigned in that order) and GET /config gives the file back.
//
//   network_domains, network_connection_policies, network_transit_gateways,
//   network_spoke_gateways, network_transit_peerings, network_firewalls,
//   network_inspection_policies, network_external_connections, network_static_routes,
//   network_settings (id "settings": mtu, overlay_cidr)
//   network_gateway_keys: public keys gateways registered themselves (id = gateway name); not
//   part of the declarative config (POST /config keeps them), filled into gateways without one.
//
// Pure functions; thread-safe.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace causeway::model::network {

inline constexpr const char* kGatewayKeysKind = "network_gateway_keys";

struct NetworkResource {
  std::string kind;
  std::string id;
  nlohmann::json body;  // with "id" (and "position" for the config kinds)
};

// True for the kinds of the declarative network (not the registered keys).
bool isNetworkConfigKind(std::string_view kind);
// Config kinds and the keys kind.
bool isNetworkKind(std::string_view kind);
// The config kinds in file order of their sections.
const std::vector<std::string>& networkConfigKinds();

// The resources of a `network:` object as written (validate it first: entries that are not of
// the expected shape are passed through as they are). Duplicate content gets "#2", "#3" ids.
std::vector<NetworkResource> splitNetwork(const nlohmann::json& network);

// The `network:` object of these records (kinds that are not config kinds are ignored), in file
// order, without "id" and "position"; {} when there are none.
nlohmann::json assembleNetwork(const std::vector<NetworkResource>& resources);

// Sets public_key on each transit and spoke gateway of `network` that has none and whose name
// `registered` holds (name -> base64 key).
void fillRegisteredKeys(nlohmann::json& network,
                        const std::map<std::string, std::string>& registered);

// A declarative file holds Kong entities, a `network:` section, or both; each part is managed
// only when present: a file without `network:` leaves the stored network alone, and a file with
// `network:` and no Kong entity collection (`_format_version` alone does not count) leaves the
// stored Kong entities alone.
struct DocumentParts {
  bool has_kong = true;
  bool has_network = false;
  nlohmann::json network;  // the section, when has_network
  std::string kong_text;   // the document without `network:`, for the Kong loader
};
// Errors: the text is not a YAML/JSON document (the parser's message).
Result<DocumentParts> splitDocument(std::string_view text);

// A display name for a resource ("aws-orders", "prod <-> shared", "aws-transit 10.99.0.0/16").
std::string displayName(const NetworkResource& resource);

}  // namespace causeway::model::network
