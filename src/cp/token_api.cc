#include "cp/token_api.h"

#include <chrono>
#include <nlohmann/json.hpp>

#include "cp/kong_errors.h"
#include "cp/mesh_api.h"
#include "cp/mesh_identity.h"
#include "model/mesh/loader.h"
#include "pki/dataplane_token.h"

namespace causeway::cp {
namespace {

using Json = nlohmann::json;
using model::kong::FieldError;

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

ApiResponse badRequest(const std::string& details, const std::vector<FieldError>& fields = {}) {
  return kumaError(400, "Could not issue a token", details, fields);
}

Result<Json> jsonBody(const ApiRequest& req) {
  if (req.body.empty()) return Json::object();
  Json body = Json::parse(req.body, nullptr, false);
  if (body.is_discarded()) return Status::invalidArgument("the body is not valid JSON");
  if (!body.is_object()) return Status::invalidArgument("the body must be a JSON object");
  return body;
}

// The body's string field `name` ("" when absent or null); a field of another type is an error.
bool stringField(const Json& body, const char* name, std::string& out,
                 std::vector<FieldError>& errors) {
  auto it = body.find(name);
  if (it == body.end() || it->is_null()) return true;
  if (!it->is_string()) {
    errors.push_back({name, "must be a string"});
    return false;
  }
  out = it->get<std::string>();
  return true;
}

bool meshExists(store::Store& store, const std::string& mesh, ApiResponse& error) {
  auto rec = store.get("meshes", mesh);
  if (!rec.isOk()) {
    error = databaseError(rec.status().message());
    return false;
  }
  if (!rec->has_value()) {
    const std::string why = "mesh '" + mesh + "' does not exist";
    error = badRequest(why, {{"mesh", why}});
    return false;
  }
  return true;
}

ApiResponse issue(store::Store& store, const ApiRequest& req) {
  auto body = jsonBody(req);
  if (!body.isOk()) return badRequest(body.status().message());
  std::vector<FieldError> errors;
  pki::DataplaneTokenClaims claims;
  claims.mesh = std::string(model::mesh::kDefaultMesh);
  std::string type, valid_for;
  stringField(*body, "name", claims.name, errors);
  stringField(*body, "mesh", claims.mesh, errors);
  stringField(*body, "type", type, errors);
  stringField(*body, "validFor", valid_for, errors);
  if (claims.mesh.empty()) errors.push_back({"mesh", "cannot be empty"});
  if (!type.empty() && type != pki::kDataplaneTokenType) {
    errors.push_back({"type", "must be 'dataplane'"});
  }
  std::optional<double> seconds;
  if (valid_for.empty()) {
    errors.push_back({"validFor", "cannot be empty"});
  } else if (seconds = model::mesh::parseDurationSeconds(valid_for); !seconds || *seconds < 1) {
    errors.push_back({"validFor", "must be a duration of at least 1s, like '24h'"});
  }
  if (auto tags = body->find("tags"); tags != body->end() && !tags->is_null()) {
    if (!tags->is_object()) {
      errors.push_back({"tags", "must be an object of lists of strings"});
    } else {
      for (const auto& [tag, values] : tags->items()) {
        if (!values.is_array()) {
          errors.push_back({"tags." + tag, "must be a list of strings"});
          continue;
        }
        auto& out = claims.tags[tag];
        for (const auto& v : values) {
          if (v.is_string() && !v.get<std::string>().empty()) {
            out.push_back(v.get<std::string>());
          } else {
            errors.push_back({"tags." + tag, "must be a list of non-empty strings"});
            break;
          }
        }
      }
    }
  }
  if (!errors.empty()) return badRequest("Resource is not valid", errors);
  ApiResponse error;
  if (!meshExists(store, claims.mesh, error)) return error;
  const int64_t now = unixNow();
  auto keys = loadOrCreateTokenKeys(store, now);
  if (!keys.isOk()) return databaseError(keys.status().message());
  auto token =
      pki::issueDataplaneToken(keys->signing, claims, now, std::chrono::seconds(int64_t(*seconds)));
  if (!token.isOk()) return badRequest(token.status().message());
  return ApiResponse(200, std::move(token.value()), "text/plain; charset=utf-8");
}

ApiResponse revocations(store::Store& store, const std::string& mesh) {
  auto ids = revokedTokenIds(store, mesh);
  if (!ids.isOk()) return databaseError(ids.status().message());
  return jsonResponse(200, Json{{"mesh", mesh}, {"ids", Json(ids.value())}});
}

ApiResponse revoke(store::Store& store, const ApiRequest& req) {
  auto body = jsonBody(req);
  if (!body.isOk()) {
    return kumaError(400, "Could not revoke a token", body.status().message());
  }
  std::vector<FieldError> errors;
  std::string mesh, id;
  stringField(*body, "mesh", mesh, errors);
  stringField(*body, "id", id, errors);
  if (mesh.empty()) errors.push_back({"mesh", "cannot be empty"});
  if (id.empty()) errors.push_back({"id", "cannot be empty (the token's jti)"});
  if (!errors.empty()) {
    return kumaError(400, "Could not revoke a token", "Resource is not valid", errors);
  }
  if (Status st = revokeTokenId(store, mesh, id); !st.isOk()) {
    return databaseError(st.message());
  }
  return revocations(store, mesh);
}

ApiResponse methodNotAllowed() {
  return kumaError(405, "Method not allowed", "this path does not accept that method");
}

}  // namespace

ApiResponse handleTokens(store::Store& store, const ApiRequest& req,
                         const std::vector<std::string>& seg) {
  if (seg.size() < 2 || seg[1] != "dataplane") {
    return kumaError(404, "Could not retrieve a resource", "Not found");
  }
  if (seg.size() == 2) {
    return req.method == "POST" ? issue(store, req) : methodNotAllowed();
  }
  if (seg[2] != "revocations" || seg.size() > 4) {
    return kumaError(404, "Could not retrieve a resource", "Not found");
  }
  if (seg.size() == 3) return req.method == "POST" ? revoke(store, req) : methodNotAllowed();
  if (req.method != "GET" && req.method != "HEAD") return methodNotAllowed();
  return revocations(store, seg[3]);
}

}  // namespace causeway::cp
