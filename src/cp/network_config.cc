#include "cp/network_config.h"

#include <chrono>

#include "cp/kong_errors.h"
#include "model/network/loader.h"
#include "model/network/resources.h"
#include "wg/key_encoding.h"

namespace causeway::cp {
namespace {

using Json = nlohmann::json;
namespace network = model::network;
using model::kong::ConfigOperation;
using model::kong::OperationType;

constexpr const char* kTransitKind = "network_transit_gateways";
constexpr const char* kSpokeKind = "network_spoke_gateways";

std::vector<network::NetworkResource> configResources(const std::vector<store::Record>& records) {
  std::vector<network::NetworkResource> out;
  for (const auto& r : records) {
    if (!network::isNetworkConfigKind(r.kind)) continue;
    Json body = Json::parse(r.body, nullptr, false);
    if (body.is_discarded()) continue;
    out.push_back({r.kind, r.id, std::move(body)});
  }
  return out;
}

std::string keyUniqueKey(const std::string& key) { return "public_key=" + key; }

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::map<std::string, std::string> registeredKeys(const std::vector<store::Record>& records) {
  std::map<std::string, std::string> out;
  for (const auto& r : records) {
    if (r.kind != network::kGatewayKeysKind) continue;
    Json body = Json::parse(r.body, nullptr, false);
    if (body.is_discarded() || !body.contains("public_key") || !body["public_key"].is_string()) {
      continue;
    }
    out[r.id] = body["public_key"].get<std::string>();
  }
  return out;
}

std::optional<Json> storedNetwork(const std::vector<store::Record>& records, bool with_keys) {
  auto resources = configResources(records);
  if (resources.empty()) return std::nullopt;
  Json net = network::assembleNetwork(resources);
  if (with_keys) network::fillRegisteredKeys(net, registeredKeys(records));
  return net;
}

std::optional<model::kong::LoadError> validateNetwork(const Json& section,
                                                      const std::vector<store::Record>& records) {
  Json filled = section;
  network::fillRegisteredKeys(filled, registeredKeys(records));
  model::kong::LoadError errors;
  network::LoadOptions options;
  options.require_keys = false;
  auto loaded = network::loadNetworkJson(Json{{"network", filled}}, &errors, options);
  if (loaded.isOk()) return std::nullopt;
  if (errors.errors.empty()) errors.errors.push_back({"network", loaded.status().message()});
  return errors;
}

std::vector<ConfigOperation> planNetwork(const std::vector<store::Record>& records,
                                         const Json& section) {
  std::map<std::pair<std::string, std::string>, Json> current;
  for (auto& r : configResources(records)) current[{r.kind, r.id}] = std::move(r.body);
  std::vector<ConfigOperation> ops;
  for (auto& r : network::splitNetwork(section)) {
    auto it = current.find({r.kind, r.id});
    ConfigOperation op;
    op.kind = r.kind;
    op.id = r.id;
    op.name = network::displayName(r);
    if (it == current.end()) {
      op.op = OperationType::kCreate;
    } else {
      const Json& before = it->second;
      for (auto f = r.body.begin(); f != r.body.end(); ++f) {
        if (!before.contains(f.key()) || before[f.key()] != f.value())
          op.changed.push_back(f.key());
      }
      for (auto f = before.begin(); f != before.end(); ++f) {
        if (!r.body.contains(f.key())) op.changed.push_back(f.key());
      }
      current.erase(it);
      if (op.changed.empty()) continue;
      std::sort(op.changed.begin(), op.changed.end());
      op.op = OperationType::kUpdate;
    }
    op.body = std::move(r.body);
    ops.push_back(std::move(op));
  }
  for (auto& [key, body] : current) {
    ConfigOperation op;
    op.op = OperationType::kDelete;
    op.kind = key.first;
    op.id = key.second;
    op.name = network::displayName({key.first, key.second, body});
    ops.push_back(std::move(op));
  }
  return ops;
}

Status applyNetworkOperation(store::WriteTxn& txn, const ConfigOperation& op) {
  if (op.op == OperationType::kDelete) {
    Status st = txn.remove(op.kind, op.id);
    return st.code() == Status::Code::kNotFound ? Status::ok() : st;
  }
  return txn.put(store::Record{op.kind, op.id, op.body.dump(), {}, {}});
}

Status registerGatewayKey(store::Store& store, const GatewayRegistration& reg) {
  auto decoded = wg::decodePublicKey(reg.public_key);
  if (!decoded || !network::hasKey(*decoded)) {
    return Status::invalidArgument("'" + reg.public_key + "' is not a WireGuard public key");
  }
  const std::string key = wg::encodeKey(*decoded);
  std::string conflict;
  auto written = store.write([&](store::WriteTxn& txn) -> Status {
    std::optional<store::Record> gateway;
    for (const char* kind : {kTransitKind, kSpokeKind}) {
      auto got = txn.get(kind, reg.name);
      if (!got.isOk()) return got.status();
      if (got.value()) gateway = std::move(got.value());
    }
    if (!gateway) {
      return Status::notFound("no transit or spoke gateway named '" + reg.name +
                              "' in the control plane's network");
    }
    Json body = Json::parse(gateway->body, nullptr, false);
    if (!body.is_discarded() && body.contains("public_key") && body["public_key"].is_string()) {
      if (body["public_key"] == key) return Status::ok();
      return Status::alreadyExists("the network gives " + reg.name + " another public key");
    }
    auto existing = txn.get(network::kGatewayKeysKind, reg.name);
    if (!existing.isOk()) return existing.status();
    if (existing.value()) {
      Json b = Json::parse(existing.value()->body, nullptr, false);
      if (!b.is_discarded() && b.value("public_key", "") == key) return Status::ok();
      // Short: the data plane is told in a WebSocket close reason (at most 123 bytes).
      return Status::alreadyExists("another key is registered for " + reg.name +
                                   " (DELETE /network/gateways/" + reg.name +
                                   "/key to allow a new one)");
    }
    Json rec = {
        {"id", reg.name}, {"name", reg.name}, {"public_key", key}, {"registered_at", unixNow()}};
    Status st = txn.put(
        store::Record{network::kGatewayKeysKind, reg.name, rec.dump(), {keyUniqueKey(key)}, {}});
    if (st.code() == Status::Code::kAlreadyExists) {
      conflict = "public key " + key + " is already registered by another gateway";
    }
    return st;
  });
  if (!conflict.empty()) return Status::alreadyExists(conflict);
  if (!written.isOk()) return written.status();
  return Status::ok();
}

ApiResponse handleNetwork(store::Store& store, const ApiRequest& req,
                          const std::vector<std::string>& seg, const Json& data_planes) {
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (seg.size() == 4 && seg[1] == "gateways" && seg[3] == "key") {
    if (req.method != "DELETE") return messageResponse(405, "Method not allowed");
    auto written = store.write(
        [&](store::WriteTxn& txn) { return txn.remove(network::kGatewayKeysKind, seg[2]); });
    if (!written.isOk()) {
      if (written.status().code() == Status::Code::kNotFound) {
        return messageResponse(404, "Not found");
      }
      return databaseError(written.status().message());
    }
    return ApiResponse(204, "");
  }
  if (seg.size() > 2 || (seg.size() == 2 && seg[1] != "gateways")) {
    return messageResponse(404, "Not found");
  }
  if (!get) return messageResponse(405, "Method not allowed");
  auto dump = store.dumpAll();
  if (!dump.isOk()) return databaseError(dump.status().message());
  if (seg.size() == 1) {
    auto net = storedNetwork(dump->records, true);
    return jsonResponse(200, Json{{"network", net ? *net : Json::object()}});
  }
  const auto keys = registeredKeys(dump->records);
  const Json net = storedNetwork(dump->records, false).value_or(Json::object());
  Json data = Json::array();
  for (const char* section : {"transit_gateways", "spoke_gateways"}) {
    for (const Json& g : net.value(section, Json::array())) {
      if (!g.is_object()) continue;
      const std::string name = g.value("name", "");
      Json entry = {{"name", name},
                    {"role", std::string(section) == "transit_gateways" ? "transit" : "spoke"},
                    {"public_key", nullptr},
                    {"key_source", nullptr},
                    {"connected", false},
                    {"last_seen", nullptr},
                    {"config_hash", nullptr},
                    {"revision", nullptr},
                    {"sync_status", nullptr}};
      if (g.contains("public_key") && g["public_key"].is_string()) {
        entry["public_key"] = g["public_key"];
        entry["key_source"] = "config";
      } else if (auto k = keys.find(name); k != keys.end()) {
        entry["public_key"] = k->second;
        entry["key_source"] = "registered";
      }
      for (const Json& dp : data_planes) {
        if (dp.value("transit_gateway", "") != name) continue;
        // The connected one, else the one seen last.
        if (entry["connected"] == true && !dp.value("connected", false)) continue;
        if (!dp.value("connected", false) && entry["last_seen"].is_number() &&
            entry["last_seen"].get<int64_t>() > dp.value("last_seen", int64_t(0))) {
          continue;
        }
        entry["connected"] = dp.value("connected", false);
        entry["last_seen"] = dp.value("last_seen", int64_t(0));
        entry["config_hash"] = dp.value("config_hash", "");
        entry["revision"] = dp.value("revision", int64_t(0));
        entry["sync_status"] = dp.value("sync_status", "");
        entry["node_id"] = dp.value("id", "");
      }
      data.push_back(std::move(entry));
    }
  }
  return jsonResponse(200, Json{{"data", std::move(data)}, {"next", nullptr}});
}

}  // namespace causeway::cp
