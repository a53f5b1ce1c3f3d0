// The Kong 3.x entity schemas as the Admin API sees them: every field with its type and default,
// which fields are unique, which refer to other entities, and how an entity is named in a URL.
// The values themselves are validated by the declarative loader (validateEntity runs it on a
// one-entity document), so there is one set of rules for DB-less files and the Admin API.
// Immutable tables; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "model/kong/loader.h"

namespace causeway::model::kong {

enum class FieldType {
  kString,
  kInteger,
  kNumber,
  kBoolean,
  kArray,
  kSet,
  kRecord,
  kMap,
  kForeign
};

struct FieldSpec {
  std::string name;
  FieldType type = FieldType::kString;
  nlohmann::json default_value;  // null: no default (the field is null when unset)
  bool required = false;
  bool unique = false;                     // unique within the kind (Kong: unique = true)
  bool auto_value = false;                 // id, created_at, updated_at
  std::string reference;                   // kForeign: the referenced kind ("services")
  FieldType element = FieldType::kString;  // kArray / kSet elements
};

struct EntitySchema {
  std::string kind;          // "services": the collection name used in URLs and files
  std::string singular;      // "service": the key a child uses to refer to it
  std::string endpoint_key;  // the field a URL may use instead of the id ("name"); "" if none
  std::vector<FieldSpec> fields;
  const FieldSpec* field(std::string_view name) const;
};

// The kinds in dependency order: parents before children.
const std::vector<EntitySchema>& entitySchemas();
const EntitySchema* findSchema(std::string_view kind);

// GET /schemas/{kind}: {"fields":[{"name":{"type":"string",...}}, ...]} as Kong prints it.
nlohmann::json schemaJson(const EntitySchema& schema);

// Adds every field absent from `body` with its default (or null). Existing values are kept.
void fillDefaults(const EntitySchema& schema, nlohmann::json& body);

// Turns string values (from a form-encoded body or a query) into the field's type where the
// schema says so: "80" -> 80 for an integer, "true" -> true, "a" -> ["a"] for an array.
void coerceStrings(const EntitySchema& schema, nlohmann::json& body);

// The id a foreign key holds ({"id": "..."}), or "" when it is null or not that shape; the second
// form reads field `field` of an entity body.
std::string foreignId(const nlohmann::json& value);
std::string foreignId(const nlohmann::json& body, std::string_view field);

// The store's unique keys ("name=users") and references ("services/<id>") of an entity body.
std::vector<std::string> uniqueKeys(const EntitySchema& schema, const nlohmann::json& body);
std::vector<std::string> references(const EntitySchema& schema, const nlohmann::json& body);

// Validates one entity with the declarative loader. Foreign keys are not resolved here (the
// caller checks them against the store); errors name fields relative to the entity ("paths[0]").
std::vector<FieldError> validateEntity(const EntitySchema& schema, const nlohmann::json& body);

}  // namespace causeway::model::kong
