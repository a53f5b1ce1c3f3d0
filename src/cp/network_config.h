// The transit network in the control plane's store (model/network/resources.h holds the record
// mapping): planning and validating a `network:` section for POST /config, exporting it, the
// gateways' key registrations (trust on first use), and the read-only /network endpoints:
//   GET    /network                       the assembled network, registered keys filled in
//   GET    /network/gateways              each transit/spoke gateway: key, registered or not,
//                                         connected, last seen, config hash (from the registry)
//   DELETE /network/gateways/{name}/key   forget a registration, so a new key may register
// Functions block on the store; they run on the CP's main thread.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "cp/api_types.h"
#include "model/kong/config_diff.h"
#include "model/kong/loader.h"
#include "store/store.h"

namespace causeway::cp {

// Registered keys (gateway name -> base64 public key) among these records.
std::map<std::string, std::string> registeredKeys(const std::vector<store::Record>& records);

// The stored `network:` object (without registered keys unless `with_keys`); nullopt when the
// store holds no network.
std::optional<nlohmann::json> storedNetwork(const std::vector<store::Record>& records,
                                            bool with_keys);

// Checks a `network:` section as the whole network it would become (registered keys filled in,
// keys optional): nullopt when accepted, else the errors with their paths (network.spoke...).
std::optional<model::kong::LoadError> validateNetwork(const nlohmann::json& section,
                                                      const std::vector<store::Record>& records);

// The operations that make the stored network equal `section` (creates and updates, then
// deletes), for the plan POST /config returns and applies.
std::vector<model::kong::ConfigOperation> planNetwork(const std::vector<store::Record>& records,
                                                      const nlohmann::json& section);
// Writes one network operation in `txn`.
Status applyNetworkOperation(store::WriteTxn& txn, const model::kong::ConfigOperation& op);

// What a transit data plane says of itself in its hello ("transit": {name, public_key}).
struct GatewayRegistration {
  std::string name;
  std::string public_key;  // base64
};
// Trust on first use: accepts a gateway of the stored network whose key is the one registered
// (or given in the file), registers a first key (one store revision). Refuses (the error says
// why, for the data plane): an unknown name, a bad key, a key that differs from the registered
// or configured one, a key another gateway holds.
Status registerGatewayKey(store::Store& store, const GatewayRegistration& registration);

// /network...; `data_planes` is the registry's /clustering/data-planes list.
ApiResponse handleNetwork(store::Store& store, const ApiRequest& req,
                          const std::vector<std::string>& segments,
                          const nlohmann::json& data_planes);

}  // namespace causeway::cp
