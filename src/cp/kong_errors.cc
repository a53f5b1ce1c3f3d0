#include "cp/kong_errors.h"

#include <spdlog/spdlog.h>

#include "model/kong/loader_json.h"

namespace causeway::cp {

using Json = nlohmann::json;

ApiResponse jsonResponse(int status, const Json& body) {
  return ApiResponse{status, body.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

ApiResponse messageResponse(int status, const std::string& message) {
  return jsonResponse(status, Json{{"message", message}});
}

ApiResponse schemaViolation(const std::vector<model::kong::FieldError>& errors) {
  std::string detail;
  for (const auto& e : errors) {
    if (!detail.empty()) detail += "; ";
    if (!e.path.empty()) detail += e.path + ": ";
    detail += e.message;
  }
  std::string message = errors.size() == 1
                            ? "schema violation (" + detail + ")"
                            : std::to_string(errors.size()) + " schema violations (" + detail + ")";
  return jsonResponse(400, Json{{"code", 2},
                                {"name", "schema violation"},
                                {"message", message},
                                {"fields", model::kong::fieldErrorsJson(errors)}});
}

ApiResponse primaryKeyViolation(const std::string& id) {
  return jsonResponse(409, Json{{"code", 3},
                                {"name", "primary key violation"},
                                {"message", "primary key violation on key '{id=\"" + id + "\"}'"},
                                {"fields", Json{{"id", id}}}});
}

ApiResponse foreignKeyViolation(const std::string& field, const std::string& id,
                                const std::string& kind) {
  std::string message =
      "the foreign key '{id=\"" + id + "\"}' does not reference an existing '" + kind + "' entity.";
  return jsonResponse(400, Json{{"code", 4},
                                {"name", "foreign key violation"},
                                {"message", message},
                                {"fields", Json{{field, message}}}});
}

ApiResponse referencedBy(const std::string& child_kind, const std::string& parent_kind) {
  return jsonResponse(400,
                      Json{{"code", 4},
                           {"name", "foreign key violation"},
                           {"message", "an existing '" + child_kind + "' entity references this '" +
                                           parent_kind + "' entity"},
                           {"fields", Json{{"@referenced_by", child_kind}}}});
}

ApiResponse uniqueViolation(const std::string& key) {
  const size_t eq = key.find('=');
  const std::string field = key.substr(0, eq);
  const std::string value = eq == std::string::npos ? "" : key.substr(eq + 1);
  return jsonResponse(
      409, Json{{"code", 5},
                {"name", "unique constraint violation"},
                {"message", "UNIQUE violation detected on '{" + field + "=\"" + value + "\"}'"},
                {"fields", Json{{field, value}}}});
}

ApiResponse invalidOffset(const std::string& offset) {
  return jsonResponse(400, Json{{"code", 7},
                                {"name", "invalid offset"},
                                {"message", "'" + offset + "' is not a valid offset"}});
}

ApiResponse invalidSize(const std::string& message) {
  return jsonResponse(400, Json{{"code", 9}, {"name", "invalid size"}, {"message", message}});
}

ApiResponse databaseError(const std::string& message) {
  spdlog::error("store: {}", message);
  return jsonResponse(
      500,
      Json{{"code", 8}, {"name", "database error"}, {"message", "An unexpected error occurred"}});
}

}  // namespace causeway::cp
