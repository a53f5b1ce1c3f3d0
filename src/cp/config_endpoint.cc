#include "cp/config_endpoint.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "cp/kong_errors.h"
#include "cp/request_body.h"
#include "model/kong/config_diff.h"
#include "model/kong/flatten.h"
#include "model/kong/loader.h"
#include "model/kong/schema.h"

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
  auto loaded = model::kong::loadDeclarative(text);
  if (!loaded.isOk()) {
    ApiResponse r(400, loaded.error().kongJson());
    return r;
  }
  auto flat = model::kong::flattenDeclarativeText(text);
  if (!flat.isOk()) return messageResponse(400, flat.status().message());
  model::kong::EntityLists desired = std::move(flat->entities);
  for (auto& [kind, list] : desired) {
    const auto* schema = model::kong::findSchema(kind);
    if (!schema) continue;
    for (auto& body : list) model::kong::fillDefaults(*schema, body);
  }
  auto dump = store.dumpAll();
  if (!dump.isOk()) return databaseError(dump.status().message());
  model::kong::EntityLists current;
  for (const auto& r : dump->records) {
    if (!model::kong::findSchema(r.kind)) continue;
    Json body = Json::parse(r.body, nullptr, false);
    if (!body.is_discarded()) current[r.kind].push_back(std::move(body));
  }
  auto plan = model::kong::planConfigDiff(current, desired);
  if (!plan.isOk()) return messageResponse(400, plan.status().message());
  Json out = plan->toJson();
  if (dry_run || plan->empty()) return jsonResponse(200, out);

  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::string conflict;
  auto written = store.write([&](store::WriteTxn& txn) -> Status {
    // Deletes first: a name freed by a delete may be taken by a create in the same change.
    for (const auto& op : plan->operations) {
      if (op.op != model::kong::OperationType::kDelete) continue;
      Status st = txn.remove(op.kind, op.id);
      if (!st.isOk() && st.code() != Status::Code::kNotFound) return st;
    }
    for (const auto& op : plan->operations) {
      if (op.op == model::kong::OperationType::kDelete) continue;
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
