#include "cp/config_endpoint.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "cp/kong_errors.h"
#include "cp/network_config.h"
#include "cp/request_body.h"
#include "model/kong/config_diff.h"
#include "model/kong/flatten.h"
#include "model/kong/loader.h"
#include "model/kong/schema.h"
#include "model/network/resources.h"

namespace causeway::cp {

using Json = nlohmann::json;

Json exportDeclarative(const std::vector<store::Record>& records) {
  Json doc = {{"_format_version", "3.0"}};
  for (const auto& s : model::kong::entitySchemas()) doc[s.kind] = Json::array();
  for (const auto& r : records) {
    if (!model::kong::findSchema(r.kind)) continue;
    Json body = Json::parse(r.body, nullptr, false);
    if (body.is_discarded()) continue;
    doc[r.kind].push_back(std::move(body));
  }
  for (const auto& s : model::kong::entitySchemas()) {
    if (doc[s.kind].empty()) doc.erase(s.kind);
  }
  if (auto network = storedNetwork(records, false)) doc["network"] = std::move(*network);
  return doc;
}

namespace {

// POST /config: the whole file is validated first (Kong's code 14 error on failure), then
// compared with the store and applied as one transaction: all of it or nothing.
ApiResponse applyDeclarative(store::Store& store, const ApiRequest& req) {
  auto query = parseQuery(req.query);
  const bool dry_run = query.count("dry_run") && query["dry_run"] != "false";
  std::string_view text = req.body;
  // Kong also accepts {"config": "<yaml or json text>"}.
  Json wrapped;
  if (!text.empty() && text.front() == '{') {
    wrapped = Json::parse(text, nullptr, false);
    if (!wrapped.is_discarded() && wrapped.is_object() && wrapped.size() == 1 &&
        wrapped.contains("config") && wrapped["config"].is_string()) {
      text = wrapped["config"].get_ref<const std::string&>();
    }
  }
  // A `network:` section is validated (as the whole network it makes) and planned next to the
  // Kong entities; each part is replaced only when the file has it (resources.h).
  auto parts = model::network::splitDocument(text);
  if (!parts.isOk()) {  // not a document: the Kong loader says so as it always did
    auto loaded = model::kong::loadDeclarative(text);
    model::kong::LoadError e{{{"", parts.status().message()}}};
    return ApiResponse(400, loaded.isOk() ? e.kongJson() : loaded.error().kongJson());
  }
  auto dump = store.dumpAll();
  if (!dump.isOk()) return databaseError(dump.status().message());
  model::kong::LoadError errors;
  if (parts->has_kong) {
    auto loaded = model::kong::loadDeclarative(parts->kong_text);
    if (!loaded.isOk()) errors = loaded.error();
  }
  if (parts->has_network) {
    if (auto bad = validateNetwork(parts->network, dump->records)) {
      errors.errors.insert(errors.errors.end(), bad->errors.begin(), bad->errors.end());
    }
  }
  if (!errors.errors.empty()) return ApiResponse(400, errors.kongJson());
  model::kong::ConfigPlan plan_value;
  if (parts->has_kong) {
    auto flat = model::kong::flattenDeclarativeText(parts->kong_text);
    if (!flat.isOk()) return messageResponse(400, flat.status().message());
    model::kong::EntityLists desired = std::move(flat->entities);
    for (auto& [kind, list] : desired) {
      const auto* schema = model::kong::findSchema(kind);
      if (!schema) continue;
      for (auto& body : list) model::kong::fillDefaults(*schema, body);
    }
    model::kong::EntityLists current;
    for (const auto& r : dump->records) {
      if (!model::kong::findSchema(r.kind)) continue;
      Json body = Json::parse(r.body, nullptr, false);
      if (!body.is_discarded()) current[r.kind].push_back(std::move(body));
    }
    auto kong_plan = model::kong::planConfigDiff(current, desired);
    if (!kong_plan.isOk()) return messageResponse(400, kong_plan.status().message());
    plan_value = std::move(kong_plan.value());
  }
  if (parts->has_network) {
    for (auto& op : planNetwork(dump->records, parts->network)) {
      plan_value.operations.push_back(std::move(op));
    }
  }
  auto* plan = &plan_value;
  Json out = plan->toJson();
  if (dry_run || plan->empty()) return jsonResponse(200, out);

  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string conflict;
  auto written = store.write([&](store::WriteTxn& txn) -> Status {
    // Deletes first: a name freed by a delete may be taken by a create in the same change.
    for (const auto& op : plan->operations) {
      if (model::network::isNetworkKind(op.kind)) {
        if (Status st = applyNetworkOperation(txn, op); !st.isOk()) return st;
        continue;
      }
      if (op.op != model::kong::OperationType::kDelete) continue;
      Status st = txn.remove(op.kind, op.id);
      if (!st.isOk() && st.code() != Status::Code::kNotFound) return st;
    }
    for (const auto& op : plan->operations) {
      if (op.op == model::kong::OperationType::kDelete) continue;
      if (model::network::isNetworkKind(op.kind)) continue;
      const auto* schema = model::kong::findSchema(op.kind);
      Json body = op.body;
      if (op.op == model::kong::OperationType::kCreate || !body.contains("created_at") ||
          body["created_at"].is_null()) {
        if (!body.contains("created_at") || body["created_at"].is_null()) body["created_at"] = now;
      }
      body["updated_at"] = now;
      store::Record rec{op.kind, op.id, body.dump(), model::kong::uniqueKeys(*schema, body),
                        model::kong::references(*schema, body)};
      Status st = txn.put(rec);
      if (!st.isOk()) {
        if (st.code() == Status::Code::kAlreadyExists) conflict = st.message();
        return st;
      }
    }
    return Status::ok();
  });
  if (!conflict.empty()) return uniqueViolation(conflict);
  if (!written.isOk()) return databaseError(written.status().message());
  return jsonResponse(201, out);
}

}  // namespace

ApiResponse handleConfig(store::Store& store, const ApiRequest& req) {
  if (req.method == "GET" || req.method == "HEAD") {
    auto dump = store.dumpAll();
    if (!dump.isOk()) return databaseError(dump.status().message());
    return jsonResponse(200, exportDeclarative(dump->records));
  }
  if (req.method == "POST") return applyDeclarative(store, req);
  return messageResponse(405, "Method not allowed");
}

}  // namespace causeway::cp
