#include "cp/mesh_api.h"

#include <chrono>

#include "cp/kong_errors.h"
#include "cp/mesh_identity.h"
#include "model/kong/document.h"
#include "model/mesh/loader.h"

namespace causeway::cp {
namespace {

using Json = nlohmann::json;
namespace mesh = model::mesh;

constexpr const char* kMeshKind = "meshes";
constexpr size_t kPageSize = 1000;

std::string meshRef(const std::string& mesh_name) {
  return std::string(kMeshKind) + "/" + mesh_name;
}

ApiResponse invalidResource(const std::vector<model::kong::FieldError>& fields) {
  return kumaError(400, "Could not process a resource", "Resource is not valid", fields);
}

ApiResponse notFound() { return kumaError(404, "Could not retrieve a resource", "Not found"); }

ApiResponse methodNotAllowed() {
  return kumaError(405, "Method not allowed", "this path does not accept that method");
}

Json recordBody(const store::Record& r) {
  Json j = Json::parse(r.body, nullptr, false);
  return j.is_discarded() ? Json::object() : j;
}

// Every record of `kind` (referring to `ref` when set), in id order.
Result<std::vector<store::Record>> listAll(store::Store& store, const std::string& kind,
                                           const std::string& ref) {
  std::vector<store::Record> out;
  std::string offset;
  do {
    auto page = store.list(kind, offset, kPageSize, ref);
    if (!page.isOk()) return page.status();
    for (auto& r : page->records) out.push_back(std::move(r));
    offset = page->next_offset;
  } while (!offset.empty());
  return out;
}

ApiResponse listResponse(const std::vector<store::Record>& records) {
  Json items = Json::array();
  for (const auto& r : records) items.push_back(recordBody(r));
  return jsonResponse(
      200, Json{{"total", items.size()}, {"items", std::move(items)}, {"next", nullptr}});
}

// PUT of one resource: the path names it; the body must agree.
ApiResponse put(store::Store& store, const ApiRequest& req, std::string_view type,
                const std::string& mesh_name, const std::string& name) {
  Json body;
  std::string problem;
  if (req.body.empty()) {
    body = Json::object();
  } else if (!model::kong::parseDocument(req.body, body, problem)) {
    return kumaError(400, "Could not process a resource", "invalid body: " + problem);
  }
  if (!body.is_object()) {
    return invalidResource({{"", "expected an object"}});
  }
  const bool is_mesh = type == "Mesh";
  std::vector<model::kong::FieldError> mismatch;
  auto claim = [&](const char* field, const std::string& from_path) {
    auto it = body.find(field);
    if (it == body.end() || it->is_null()) {
      body[field] = from_path;
    } else if (!(it->is_string() && it->get<std::string>() == from_path)) {
      mismatch.push_back({field, "must match the path ('" + from_path + "')"});
    }
  };
  claim("name", name);
  if (!is_mesh) claim("mesh", mesh_name);
  if (!mismatch.empty()) return invalidResource(mismatch);
  if (!body.contains("type")) body["type"] = std::string(type);

  model::kong::LoadError errors;
  auto loaded = mesh::loadMeshResource(type, body, &errors);
  if (!loaded.isOk()) {
    if (errors.errors.empty()) errors.errors.push_back({"", loaded.status().message()});
    return invalidResource(errors.errors);
  }
  auto rec = meshResourceRecord(type, body);
  if (!rec.isOk()) return invalidResource({{"", rec.status().message()}});

  bool created = false;
  std::optional<ApiResponse> refused;
  auto written = store.write([&](store::WriteTxn& txn) -> Status {
    if (!is_mesh) {
      auto owner = txn.get(kMeshKind, mesh_name);
      if (!owner.isOk()) return owner.status();
      if (!owner->has_value()) {
        const std::string why = "mesh '" + mesh_name + "' does not exist";
        refused = kumaError(400, "Could not process a resource", why, {{"mesh", why}});
        return Status::invalidArgument(why);
      }
    }
    auto prior = txn.get(rec->kind, rec->id);
    if (!prior.isOk()) return prior.status();
    created = !prior->has_value();
    if (Status st = txn.put(*rec); !st.isOk()) return st;
    if (!is_mesh) return Status::ok();
    const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    return reconcileMeshCas(txn, std::get<mesh::Mesh>(loaded.value()), now);
  });
  if (refused) return *refused;
  if (!written.isOk()) return databaseError(written.status().message());
  return jsonResponse(created ? 201 : 200, body);
}

ApiResponse remove(store::Store& store, const std::string& kind, const std::string& id) {
  std::optional<ApiResponse> refused;
  auto written = store.write([&](store::WriteTxn& txn) -> Status {
    if (kind == kMeshKind) {
      auto held = txn.referencing(meshRef(id));
      if (!held.isOk()) return held.status();
      if (!held->empty()) {
        std::string names;
        for (size_t i = 0; i < held->size() && i < 5; ++i) {
          names += (i ? ", " : "") + (*held)[i].kind + "/" + (*held)[i].id;
        }
        if (held->size() > 5) names += ", ...";
        const std::string why = "mesh '" + id + "' still has " + std::to_string(held->size()) +
                                " resource(s) (" + names + "); delete them first";
        refused = kumaError(400, "Could not delete a resource", why);
        return Status::invalidArgument(why);
      }
      if (Status st = removeMeshCas(txn, id); !st.isOk()) return st;
    }
    return txn.remove(kind, id);
  });
  if (refused) return *refused;
  if (!written.isOk()) {
    if (written.status().code() == Status::Code::kNotFound) return notFound();
    return databaseError(written.status().message());
  }
  return jsonResponse(200, Json::object());
}

ApiResponse getOne(store::Store& store, const std::string& kind, const std::string& id) {
  auto got = store.get(kind, id);
  if (!got.isOk()) return databaseError(got.status().message());
  if (!got->has_value()) return notFound();
  return jsonResponse(200, recordBody(**got));
}

}  // namespace

ApiResponse kumaError(int status, const std::string& title, const std::string& details,
                      const std::vector<model::kong::FieldError>& fields) {
  Json invalid = Json::array();
  for (const auto& f : fields) invalid.push_back({{"field", f.path}, {"reason", f.message}});
  Json body = {{"title", title}, {"details", details}};
  if (!invalid.empty()) body["invalid_parameters"] = std::move(invalid);
  return jsonResponse(status, body);
}

bool isMeshKind(std::string_view kind) { return mesh::typeOfPlural(kind).has_value(); }

Result<store::Record> meshResourceRecord(std::string_view type, const Json& body) {
  auto plural = mesh::pluralOfType(type);
  if (!plural) return Status::invalidArgument("unknown resource type '" + std::string(type) + "'");
  if (!body.is_object() || !body.contains("name") || !body["name"].is_string() ||
      body["name"].get<std::string>().empty()) {
    return Status::invalidArgument("a resource needs a name");
  }
  store::Record rec;
  rec.kind = std::string(*plural);
  const std::string name = body["name"].get<std::string>();
  if (rec.kind == kMeshKind) {
    rec.id = name;
  } else {
    const std::string mesh_name = body.contains("mesh") && body["mesh"].is_string()
                                      ? body["mesh"].get<std::string>()
                                      : std::string(mesh::kDefaultMesh);
    rec.id = mesh_name + "/" + name;
    rec.refs.push_back(meshRef(mesh_name));
  }
  rec.body = body.dump();
  return rec;
}

ApiResponse handleMeshes(store::Store& store, const ApiRequest& req,
                         const std::vector<std::string>& seg) {
  const bool get = req.method == "GET" || req.method == "HEAD";
  switch (seg.size()) {
    case 1: {  // /meshes
      if (!get) return methodNotAllowed();
      auto all = listAll(store, kMeshKind, "");
      if (!all.isOk()) return databaseError(all.status().message());
      return listResponse(*all);
    }
    case 2: {  // /meshes/{name}
      if (get) return getOne(store, kMeshKind, seg[1]);
      if (req.method == "PUT") return put(store, req, "Mesh", seg[1], seg[1]);
      if (req.method == "DELETE") return remove(store, kMeshKind, seg[1]);
      return methodNotAllowed();
    }
    case 3:
    case 4: {  // /meshes/{mesh}/{plural}[/{name}]
      auto type = mesh::typeOfPlural(seg[2]);
      if (!type || seg[2] == kMeshKind) return notFound();
      const std::string kind = seg[2];
      if (seg.size() == 3) {
        if (!get) return methodNotAllowed();
        auto all = listAll(store, kind, meshRef(seg[1]));
        if (!all.isOk()) return databaseError(all.status().message());
        return listResponse(*all);
      }
      const std::string id = seg[1] + "/" + seg[3];
      if (get) return getOne(store, kind, id);
      if (req.method == "PUT") return put(store, req, *type, seg[1], seg[3]);
      if (req.method == "DELETE") return remove(store, kind, id);
      return methodNotAllowed();
    }
    default:
      return notFound();
  }
}

}  // namespace causeway::cp
