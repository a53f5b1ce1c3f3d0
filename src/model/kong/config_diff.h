// Plans how to make a stored Kong config equal to a desired one (POST /config, `ctl diff`): the
// creates, updates and deletes, ordered so that each can be applied in turn.
//
// Matching: a desired entity is the current entity with the same id; else (when natural keys are
// on) the current one with the same natural key: services, routes, upstreams and SNIs by name,
// consumers by username then custom_id, targets by upstream id + target, plugins by name +
// service/route/consumer ids, certificates by identical cert PEM. A match by natural key keeps
// the existing id, and every desired reference to the desired id is rewritten to it (parents are
// matched before their children, so a child's key already holds its parent's final id).
// Equality ignores created_at and updated_at; a field that is absent equals null.
//
// Order: creates and updates kind by kind in kEntityKinds order (parents first), each kind in the
// desired order; then deletes in the reverse kind order (children first).
// Caveat: deletes come last, so an update or create that takes a unique name still held by an
// entity being deleted (renames that swap names) needs a store that checks uniqueness at commit.
//
// Plan JSON (toJson / fromJson):
//   {"created": N, "updated": N, "deleted": N,
//    "operations": [
//      {"op": "create", "kind": "services", "id": "...", "name": "users", "body": {...}},
//      {"op": "update", "kind": "routes", "id": "...", "name": "r1", "changed": ["paths"],
//       "body": {...}},
//      {"op": "delete", "kind": "targets", "id": "...", "name": "10.0.0.1:80"}]}
// "name" is for display (see ConfigOperation::name). Pure functions; thread-safe.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/kong/flatten.h"

namespace causeway::model::kong {

enum class OperationType { kCreate, kUpdate, kDelete };

struct ConfigOperation {
  OperationType op = OperationType::kCreate;
  std::string kind;  // "services", "routes", ... (kEntityKinds)
  std::string id;    // the id the entity has (kept from the current one when matched)
  // For display: the name (services, routes, upstreams, SNIs), username or custom_id (consumers),
  // target (targets), id (certificates), plugin name and scope ("rate-limiting (route r1)").
  std::string name;
  // create: the desired body with references rewritten; update: the same, with "id" and
  // "created_at" taken from the current entity. Null for deletes.
  nlohmann::json body;
  std::vector<std::string> changed;  // update: the top-level fields that differ, sorted
};

struct ConfigPlan {
  std::vector<ConfigOperation> operations;

  size_t count(OperationType op) const;
  bool empty() const { return operations.empty(); }
  nlohmann::json toJson() const;
  static Result<ConfigPlan> fromJson(const nlohmann::json& j);
  // One line per operation, as decK says it: "creating service users",
  // "updating route r1: paths, hosts", "deleting target 10.0.0.1:80".
  std::vector<std::string> describe() const;
  // "created 3, updated 1, deleted 0" (or "no changes").
  std::string summary() const;
};

// Singular name of a kind for messages: "services" -> "service"; unknown kinds unchanged.
std::string singularKind(std::string_view kind);

// Plans the operations that turn `current` into `desired` (both per-kind lists of normalized
// Admin API bodies with ids, e.g. from flattenDeclarative() after defaults were filled). With
// `naturalKeys` false, entities match by id only. Kinds outside kEntityKinds are ignored.
// Returns an error Status for a body that is not an object with a string "id", or for two desired
// entities of a kind with the same id.
Result<ConfigPlan> planConfigDiff(const EntityLists& current, const EntityLists& desired,
                                  bool naturalKeys = true);

}  // namespace causeway::model::kong
