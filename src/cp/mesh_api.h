// Kuma mesh resources in the control plane's store, and Kuma's REST paths on the Admin API.
//
// Records: kind = the type's plural ("meshes", "dataplanes", "meshtrafficpermissions"), id =
// "<mesh>/<name>" (a Mesh: its name), body = the resource JSON as given (type, name, mesh,
// spec...). A resource refers to "meshes/<mesh>", so "does this mesh still hold anything" is one
// query. Kong and network kinds are untouched.
//
//   GET                /meshes                          {"total", "items", "next": null}
//   GET|PUT|DELETE     /meshes/{name}                   DELETE refused while the mesh holds
//                                                       resources
//   GET                /meshes/{mesh}/{plural}          the mesh's resources of that type
//   GET|PUT|DELETE     /meshes/{mesh}/{plural}/{name}
//
// PUT validates with model::mesh::loadMeshResource (the path's name and mesh fill the body or must
// match it), answers 201 on create and 200 on update; errors have Kuma's shape ({"title",
// "details", "invalid_parameters": [{"field", "reason"}]}). Each write is one store transaction.
// A Mesh's PUT also creates the CA of each new builtin mTLS backend and drops those of backends
// no longer listed, and its DELETE drops them all, in the same transaction (mesh_identity.h).
// Functions block on the store; they run on the CP's main thread.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "cp/api_types.h"
#include "model/kong/loader.h"
#include "store/store.h"

namespace causeway::cp {

// True for the record kinds of mesh resources (a known type's plural).
bool isMeshKind(std::string_view kind);

// The store record of a resource of `type` ("MeshTimeout") whose body carries its name and (but
// for a Mesh) its mesh. Refuses an unknown type or a body without a name.
Result<store::Record> meshResourceRecord(std::string_view type, const nlohmann::json& body);

// Kuma's error body: {"title", "details", "invalid_parameters": [{"field", "reason"}]}.
ApiResponse kumaError(int status, const std::string& title, const std::string& details,
                      const std::vector<model::kong::FieldError>& fields = {});

// /meshes...; `segments` are the decoded path segments (segments[0] == "meshes").
ApiResponse handleMeshes(store::Store& store, const ApiRequest& req,
                         const std::vector<std::string>& segments);

}  // namespace causeway::cp
