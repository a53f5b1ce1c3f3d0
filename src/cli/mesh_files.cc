#include "cli/mesh_files.h"

#include "model/kong/document.h"
#include "pki/files.h"

namespace causeway::cli {

Result<DataplaneFile> loadDataplaneFile(const std::string& path) {
  auto text = pki::readFile(path);
  if (!text.isOk()) return text.status();
  auto loaded = model::mesh::loadMeshResources(text.value());
  if (!loaded.isOk()) return Status::invalidArgument(path + ": " + loaded.status().message());
  if (loaded->dataplanes.size() != 1 || !loaded->meshes.empty() || !loaded->policies.empty()) {
    return Status::invalidArgument(path + ": expected exactly one Dataplane");
  }
  DataplaneFile out{loaded->dataplanes.front(), nlohmann::json()};
  std::string problem;
  for (std::string_view doc : model::mesh::splitYamlDocuments(text.value())) {
    if (!model::kong::parseDocument(std::string(doc), out.document, problem)) {
      return Status::invalidArgument(path + ": " + problem);
    }
  }
  return out;
}

Result<model::mesh::MeshResources> loadMeshFile(const std::string& path) {
  auto text = pki::readFile(path);
  if (!text.isOk()) return text.status();
  auto loaded = model::mesh::loadMeshResources(text.value());
  if (!loaded.isOk()) return Status::invalidArgument(path + ": " + loaded.status().message());
  return loaded.value();
}

Result<mesh::Identity> loadIdentityFiles(const std::string& cert, const std::string& key,
                                         const std::vector<std::string>& ca_certs) {
  mesh::Identity id;
  auto c = pki::readFile(cert);
  if (!c.isOk()) return c.status();
  auto k = pki::readSecretFile(key);
  if (!k.isOk()) return k.status();
  id.cert_pem = c.value();
  id.key_pem = k.value();
  for (const auto& path : ca_certs) {
    auto ca = pki::readFile(path);
    if (!ca.isOk()) return ca.status();
    id.trusted_ca_pems.push_back(ca.value());
  }
  return id;
}

}  // namespace causeway::cli
