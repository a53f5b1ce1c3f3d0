// Kong's Admin API error bodies: {"code", "name", "message", "fields"} with Kong's DAO error codes,
// and the HTTP status Kong answers each with.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cp/api_types.h"
#include "model/kong/loader.h"

namespace causeway::cp {

ApiResponse jsonResponse(int status, const nlohmann::json& body);
ApiResponse messageResponse(int status, const std::string& message);  // {"message": ...}

// code 2, 400: "schema violation (host: required field missing)", fields nested per path.
ApiResponse schemaViolation(const std::vector<model::kong::FieldError>& errors);
// code 3, 409: an entity with this id exists.
ApiResponse primaryKeyViolation(const std::string& id);
// code 4, 400: the referenced entity does not exist.
ApiResponse foreignKeyViolation(const std::string& field, const std::string& id,
                                const std::string& kind);
// code 4, 400: deleting an entity still referenced (Kong: "@referenced_by").
ApiResponse referencedBy(const std::string& child_kind, const std::string& parent_kind);
// code 5, 409: "UNIQUE violation detected on '{name="x"}'"; `key` is the store key "name=x".
ApiResponse uniqueViolation(const std::string& key);
// code 7 / 9, 400: pagination errors.
ApiResponse invalidOffset(const std::string& offset);
ApiResponse invalidSize(const std::string& message);
// code 8, 500: the store failed; the message is logged, the client gets a generic one.
ApiResponse databaseError(const std::string& message);

}  // namespace causeway::cp
