// Loads mesh resources in Kuma's Universal format: a YAML stream of documents separated by `---`,
// each `type`, `name`, `mesh` (default "default") and, for targetRef policies, `spec`. JSON works
// too (one document). The whole stream is checked before anything is returned: accepted whole,
// or refused with every offending field named by path, the document's index first
// ("[2].spec.to[0].targetRef.kind: ..."). Unknown types are refused by name.
//
// Validated: envelope fields, targetRefs (kinds allowed at each position), the shape of from/to/
// rules, and inside each `default` the fields the data plane uses (actions, durations, counts,
// load-balancer type, backendRefs, header modifiers). Other fields of a `default` are kept as
// given. Two resources with the same type, mesh and name are refused.
//
// Pure functions, no I/O; thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/status.h"
#include "model/kong/loader.h"
#include "model/mesh/resources.h"

namespace causeway::model::mesh {

struct MeshResources {
  std::vector<Mesh> meshes;
  std::vector<Dataplane> dataplanes;
  std::vector<Policy> policies;  // in file order
};

using Resource = std::variant<Mesh, Dataplane, Policy>;

// On failure the Status (invalid argument) carries LoadError::message(), and `errors`, when
// given, receives each error.
Result<MeshResources> loadMeshResources(std::string_view text, kong::LoadError* errors = nullptr);

// One resource of type `type` ("MeshTimeout"), as the REST path /meshes/{mesh}/{plural}/{name}
// receives it (the body's `type`, when present, must agree). Paths start at the resource
// ("spec...").
Result<Resource> loadMeshResource(std::string_view type, const nlohmann::json& body,
                                  kong::LoadError* errors = nullptr);

// The REST path segment of a type and back: "MeshHTTPRoute" <-> "meshhttproutes",
// "Dataplane" <-> "dataplanes", "Mesh" <-> "meshes". nullopt for an unknown name.
std::optional<std::string_view> pluralOfType(std::string_view type);
std::optional<std::string_view> typeOfPlural(std::string_view plural);

// Splits a YAML stream into its documents at `---` / `...` marker lines (column 0, alone or
// followed by a blank). YAML forbids such lines inside any scalar, so no content is cut.
// Documents holding only blanks and comments are dropped.
std::vector<std::string_view> splitYamlDocuments(std::string_view text);

// A duration in Kuma's (Go's) notation: "500ms", "10s", "1m30s", "1.5h", plus "d" (days) and
// "y" (365 days) as Kuma accepts for certificate lifetimes.
std::optional<double> parseDurationSeconds(std::string_view text);

}  // namespace causeway::model::mesh
