#include "cp/config_endpoint.h"

#include <nlohmann/json.hpp>

#include "cp/kong_errors.h"
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

ApiResponse handleConfig(store::Store& store, const ApiRequest& req) {
  if (req.method == "GET" || req.method == "HEAD") {
    auto dump = store.dumpAll();
    if (!dump.isOk()) return databaseError(dump.status().message());
    return jsonResponse(200, exportDeclarative(dump->records));
  }
  return messageResponse(405, "Method not allowed");
}

}  // namespace causeway::cp
