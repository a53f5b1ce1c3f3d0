// Mesh inputs read from files, for `causeway sidecar` and `causeway gateway` in a mesh: a
// Dataplane file (one Kuma Dataplane, also kept as JSON to register with a CP), a Kuma Universal
// resource file, and a workload certificate, key and trusted CAs.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "mesh/identity.h"
#include "model/mesh/loader.h"

namespace causeway::cli {

struct DataplaneFile {
  model::mesh::Dataplane dataplane;
  nlohmann::json document;  // as written
};

Result<DataplaneFile> loadDataplaneFile(const std::string& path);
Result<model::mesh::MeshResources> loadMeshFile(const std::string& path);
Result<mesh::Identity> loadIdentityFiles(const std::string& cert, const std::string& key,
                                         const std::vector<std::string>& ca_certs);

}  // namespace causeway::cli
