// Admin API routing, authorization, and the entity endpoints. The rules Kong applies and we follow:
// - PUT /{kind}/{id or endpoint key} is an upsert that replaces the whole entity (200 either way);
//   POST creates (201) and refuses an existing id (409, code 3); PATCH merges (records deeply).
// - DELETE answers 204 even when nothing matched. Routes (of a service) and client certificates
//   restrict deletion (400, code 4, "@referenced_by"); plugins, targets and snis are cascaded.
// - Nested paths (/services/{s}/routes, /upstreams/{u}/targets, ...) scope lists and set the
//   parent's foreign key on writes.
#include "cp/admin_api.h"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "base/strings.h"
#include "cp/config_endpoint.h"
#include "cp/kong_errors.h"
#include "cp/mesh_api.h"
#include "cp/network_config.h"
#include "cp/request_body.h"
#include "cp/token_api.h"
#include "model/kong/ids.h"
#include "model/kong/schema.h"
#include "model/kong/validate.h"

namespace causeway::cp {
namespace {

using Json = nlohmann::json;
using model::kong::EntitySchema;
using model::kong::FieldType;
using store::Record;

constexpr size_t kDefaultPageSize = 100;
constexpr size_t kMaxPageSize = 1000;
constexpr const char* kTokenKind = "admin_tokens";

int64_t nowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    if (path[0] == '/') {
      path.remove_prefix(1);
      continue;
    }
    size_t slash = path.find('/');
    out.push_back(percentDecode(path.substr(0, slash), false));
    path = slash == std::string_view::npos ? std::string_view() : path.substr(slash);
  }
  return out;
}

Json parseBody(const Record& r) {
  Json j = Json::parse(r.body, nullptr, false);
  return j.is_discarded() ? Json::object() : j;
}

// The parent -> child pairs Kong nests in URLs, with the child's foreign key field.
const char* nestedForeignKey(const std::string& parent, const std::string& child) {
  if (parent == "services" && (child == "routes" || child == "plugins")) return "service";
  if (parent == "routes" && child == "plugins") return "route";
  if (parent == "consumers" && child == "plugins") return "consumer";
  if (parent == "upstreams" && child == "targets") return "upstream";
  if (parent == "certificates" && child == "snis") return "certificate";
  return nullptr;
}

// Deleting `parent_kind` is refused while a record of `child_kind` refers to it.
bool restrictsDelete(const std::string& child_kind, const std::string& parent_kind) {
  if (parent_kind == "services" && child_kind == "routes") return true;
  if (parent_kind == "certificates" && (child_kind == "services" || child_kind == "upstreams")) {
    return true;
  }
  return false;
}

// Tags filter: "a,b" needs both, "a/b" either.
std::function<bool(const Record&)> tagFilter(const std::string& expr) {
  if (expr.empty()) return nullptr;
  const bool any = expr.find('/') != std::string::npos;
  std::vector<std::string> wanted;
  size_t start = 0;
  while (start <= expr.size()) {
    size_t end = expr.find_first_of(any ? "/" : ",", start);
    if (end == std::string::npos) end = expr.size();
    if (end > start) wanted.push_back(expr.substr(start, end - start));
    start = end + 1;
  }
  return [wanted, any](const Record& r) {
    Json body = parseBody(r);
    auto it = body.find("tags");
    if (it == body.end() || !it->is_array()) return false;
    auto has = [&](const std::string& t) {
      for (const auto& v : *it) {
        if (v.is_string() && v.get<std::string>() == t) return true;
      }
      return false;
    };
    for (const auto& t : wanted) {
      if (any && has(t)) return true;
      if (!any && !has(t)) return false;
    }
    return !any;
  };
}

// Merges `patch` into `target`; records (objects) merge field by field, anything else replaces.
void mergePatch(Json& target, const Json& patch) {
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    Json& slot = target[it.key()];
    if (slot.is_object() && it->is_object()) {
      mergePatch(slot, *it);
    } else {
      slot = *it;
    }
  }
}

// Kong's `url` shorthand of a service: protocol, host, port and path in one field.
std::vector<model::kong::FieldError> expandServiceUrl(Json& input) {
  const Json url = input["url"];
  input.erase("url");
  if (url.is_null()) return {};
  for (const char* f : {"protocol", "host", "port", "path"}) {
    if (input.contains(f) && !input[f].is_null()) {
      return {{"url",
               "'url' is a shorthand for protocol, host, port and path: it cannot be "
               "combined with '" +
                   std::string(f) + "'"}};
    }
  }
  if (!url.is_string()) return {{"url", "expected a string"}};
  const std::string url_text = url.get<std::string>();
  std::string_view u = url_text;
  size_t scheme_end = u.find("://");
  if (scheme_end == std::string_view::npos)
    return {{"url", "missing scheme (http:// or https://)"}};
  std::string scheme = toLower(u.substr(0, scheme_end));
  u.remove_prefix(scheme_end + 3);
  size_t slash = u.find('/');
  std::string_view authority = u.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view() : u.substr(slash);
  std::string host(authority);
  std::optional<uint64_t> port;
  if (!authority.empty() && authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return {{"url", "invalid host"}};
    host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return {{"url", "invalid host"}};
      port = parseDecimal(authority.substr(close + 2), 65535);
      if (!port) return {{"url", "invalid port"}};
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = std::string(authority.substr(0, colon));
    port = parseDecimal(authority.substr(colon + 1), 65535);
    if (!port) return {{"url", "invalid port"}};
  }
  input["protocol"] = scheme;
  input["host"] = host;
  input["port"] = port ? int64_t(*port) : (scheme == "https" ? 443 : 80);
  if (!path.empty()) input["path"] = std::string(path);
  return {};
}

// A request-scoped failure carried out of a store transaction.
struct Abort {
  std::optional<ApiResponse> response;
  Status fail(ApiResponse r) {
    response = std::move(r);
    return Status::invalidArgument("aborted");
  }
};

class EntityEndpoints {
 public:
  EntityEndpoints(store::Store& store) : store_(store) {}

  // Looks an entity up by id, or by the kind's endpoint key (scoped to the parent for targets).
  Result<std::optional<Record>> lookup(const EntitySchema& s, const std::string& key,
                                       const std::string& parent_id = "") {
    if (model::kong::isUuid(key)) {
      auto r = store_.get(s.kind, toLower(key));
      if (!r.isOk() || r->has_value() || s.kind != "consumers") return r;
    }
    if (s.kind == "targets") {
      if (parent_id.empty()) return std::optional<Record>();
      return store_.findByKey(s.kind, "target=" + parent_id + "/" + key);
    }
    if (s.endpoint_key.empty()) return std::optional<Record>();
    auto r = store_.findByKey(s.kind, s.endpoint_key + "=" + key);
    if (r.isOk() && !r->has_value() && s.kind == "consumers") {
      return store_.findByKey(s.kind, "custom_id=" + key);
    }
    return r;
  }

  ApiResponse output(const EntitySchema& s, const Record& r) {
    Json body = parseBody(r);
    decorate(s, body);
    return jsonResponse(200, body);
  }

  // Certificates show the names of their snis, as Kong does.
  void decorate(const EntitySchema& s, Json& body) {
    if (s.kind != "certificates") return;
    Json names = Json::array();
    auto page = store_.list("snis", "", kMaxPageSize, "certificates/" + body.value("id", ""));
    if (page.isOk()) {
      for (const auto& r : page->records) names.push_back(parseBody(r).value("name", ""));
    }
    body["snis"] = std::move(names);
  }

  ApiResponse list(const EntitySchema& s, const ApiRequest& req, const std::string& ref) {
    auto q = parseQuery(req.query);
    size_t size = kDefaultPageSize;
    if (auto it = q.find("size"); it != q.end()) {
      auto n = parseDecimal(it->second, 1000000);
      if (!n) return invalidSize("size must be a number");
      if (*n < 1 || *n > kMaxPageSize)
        return invalidSize("size must be an integer between 1 and 1000");
      size = *n;
    }
    std::string offset = q.count("offset") ? q["offset"] : "";
    auto page = store_.list(s.kind, offset, size, ref, tagFilter(q.count("tags") ? q["tags"] : ""));
    if (!page.isOk()) {
      if (page.status().code() == Status::Code::kInvalidArgument) return invalidOffset(offset);
      return databaseError(page.status().message());
    }
    Json data = Json::array();
    for (const auto& r : page->records) {
      Json body = parseBody(r);
      decorate(s, body);
      data.push_back(std::move(body));
    }
    Json out = {{"data", std::move(data)}};
    if (page->next_offset.empty()) {
      out["next"] = nullptr;
    } else {
      std::string next = req.path + "?offset=" + page->next_offset;
      if (q.count("size")) next += "&size=" + std::to_string(size);
      if (q.count("tags")) next += "&tags=" + q["tags"];
      out["next"] = next;
      out["offset"] = page->next_offset;
    }
    return jsonResponse(200, out);
  }

  // Creates (existing == nullopt, `create_only`), replaces (PUT) or updates (PATCH) an entity.
  ApiResponse save(const EntitySchema& s, Json input, const std::optional<Record>& existing,
                   const std::string& parent_field, const std::string& parent_id, bool create_only,
                   int success_status) {
    model::kong::coerceStrings(s, input);
    if (s.kind == "services" && input.contains("url")) {
      if (auto errors = expandServiceUrl(input); !errors.empty()) return schemaViolation(errors);
    }
    std::optional<Json> sni_names;
    if (s.kind == "certificates" && input.contains("snis")) {
      sni_names = input["snis"];
      input.erase("snis");
      if (!sni_names->is_null() && !sni_names->is_array()) {
        return schemaViolation({{"snis", "expected an array"}});
      }
    }
    if (!parent_field.empty()) input[parent_field] = Json{{"id", parent_id}};
    // Ids and timestamps.
    std::string id;
    if (existing) {
      id = existing->id;
      if (input.contains("id") && input["id"] != id) {
        return schemaViolation({{"id", "cannot change the id of an existing entity"}});
      }
    } else if (input.contains("id") && !input["id"].is_null()) {
      if (!input["id"].is_string() || !model::kong::isUuid(input["id"].get<std::string>())) {
        return schemaViolation({{"id", "expected a valid UUID"}});
      }
      id = toLower(input["id"].get<std::string>());
    } else {
      id = model::kong::randomUuid();
    }
    input["id"] = id;
    const int64_t now = nowSeconds();
    input["created_at"] = existing ? parseBody(*existing).value("created_at", now) : now;
    input["updated_at"] = now;
    // Foreign keys: {"id": ...} or {"name": ...}; normalized to {"id": ...}.
    std::vector<model::kong::FieldError> errors;
    for (const auto& f : s.fields) {
      if (f.type != FieldType::kForeign) continue;
      auto it = input.find(f.name);
      if (it == input.end() || it->is_null()) {
        if (f.required) errors.push_back({f.name, "required field missing"});
        continue;
      }
      if (it->is_string()) *it = Json{{"id", *it}};
      if (!it->is_object() || it->size() != 1 ||
          !(it->contains("id") || it->contains("name") || it->contains("username"))) {
        errors.push_back({f.name, "expected a record like {\"id\": \"...\"}"});
        continue;
      }
      if (!it->contains("id")) {
        const auto* ref = model::kong::findSchema(f.reference);
        const std::string key = it->begin().value().is_string()
                                    ? it->begin().value().get<std::string>()
                                    : std::string();
        auto found = lookup(*ref, key);
        if (!found.isOk()) return databaseError(found.status().message());
        if (!found->has_value()) {
          return foreignKeyViolation(f.name, key, f.reference);
        }
        *it = Json{{"id", (*found)->id}};
      } else if (!(*it)["id"].is_string()) {
        errors.push_back({f.name + ".id", "expected a string"});
      }
    }
    model::kong::fillDefaults(s, input);
    auto more = model::kong::validateEntity(s, input);
    errors.insert(errors.end(), more.begin(), more.end());
    if (!errors.empty()) return schemaViolation(errors);

    Record rec;
    rec.kind = s.kind;
    rec.id = id;
    rec.body = input.dump();
    rec.unique_keys = model::kong::uniqueKeys(s, input);
    rec.refs = model::kong::references(s, input);
    Abort abort;
    auto written = store_.write([&](store::WriteTxn& txn) -> Status {
      if (create_only) {
        auto prior = txn.get(s.kind, id);
        if (!prior.isOk()) return prior.status();
        if (prior->has_value()) return abort.fail(primaryKeyViolation(id));
      }
      for (const auto& f : s.fields) {
        if (f.type != FieldType::kForeign) continue;
        const std::string ref = model::kong::foreignId(input[f.name]);
        if (ref.empty()) continue;
        auto target = txn.get(f.reference, ref);
        if (!target.isOk()) return target.status();
        if (!target->has_value()) return abort.fail(foreignKeyViolation(f.name, ref, f.reference));
      }
      Status st = txn.put(rec);
      if (!st.isOk()) {
        if (st.code() == Status::Code::kAlreadyExists)
          return abort.fail(uniqueViolation(st.message()));
        return st;
      }
      if (sni_names) return replaceSnis(txn, id, *sni_names, now, abort);
      return Status::ok();
    });
    if (abort.response) return *abort.response;
    if (!written.isOk()) return databaseError(written.status().message());
    decorate(s, input);
    return jsonResponse(success_status, input);
  }

  // The certificate's snis become exactly `names`.
  Status replaceSnis(store::WriteTxn& txn, const std::string& cert_id, const Json& names,
                     int64_t now, Abort& abort) {
    const auto& sniSchema = *model::kong::findSchema("snis");
    auto current = txn.referencing("certificates/" + cert_id);
    if (!current.isOk()) return current.status();
    std::vector<std::string> wanted;
    if (names.is_array()) {
      for (size_t i = 0; i < names.size(); ++i) {
        if (!names[i].is_string()) {
          return abort.fail(
              schemaViolation({{"snis[" + std::to_string(i) + "]", "expected a string"}}));
        }
        wanted.push_back(names[i].get<std::string>());
      }
    }
    for (const auto& r : *current) {
      if (r.kind != "snis") continue;
      std::string name = parseBody(r).value("name", "");
      auto pos = std::find(wanted.begin(), wanted.end(), name);
      if (pos != wanted.end()) {
        wanted.erase(pos);
        continue;
      }
      Status st = txn.remove("snis", r.id);
      if (!st.isOk()) return st;
    }
    for (const auto& name : wanted) {
      Json sni = {{"id", model::kong::randomUuid()},
                  {"name", name},
                  {"certificate", {{"id", cert_id}}},
                  {"created_at", now},
                  {"updated_at", now}};
      model::kong::fillDefaults(sniSchema, sni);
      auto errors = model::kong::validateEntity(sniSchema, sni);
      if (!errors.empty()) return abort.fail(schemaViolation({{"snis", errors[0].message}}));
      Record r{"snis", sni["id"], sni.dump(), model::kong::uniqueKeys(sniSchema, sni),
               model::kong::references(sniSchema, sni)};
      Status st = txn.put(r);
      if (!st.isOk()) {
        if (st.code() == Status::Code::kAlreadyExists)
          return abort.fail(uniqueViolation(st.message()));
        return st;
      }
    }
    return Status::ok();
  }

  ApiResponse remove(const EntitySchema& s, const Record& victim) {
    Abort abort;
    auto written = store_.write([&](store::WriteTxn& txn) -> Status {
      auto refs = txn.referencing(s.kind + "/" + victim.id);
      if (!refs.isOk()) return refs.status();
      for (const auto& r : *refs) {
        if (restrictsDelete(r.kind, s.kind)) return abort.fail(referencedBy(r.kind, s.kind));
      }
      for (const auto& r : *refs) {
        // Cascade one level further: plugins of a cascaded entity (none today, kept general).
        auto grand = txn.referencing(r.kind + "/" + r.id);
        if (!grand.isOk()) return grand.status();
        for (const auto& g : *grand) {
          Status st = txn.remove(g.kind, g.id);
          if (!st.isOk() && st.code() != Status::Code::kNotFound) return st;
        }
        Status st = txn.remove(r.kind, r.id);
        if (!st.isOk() && st.code() != Status::Code::kNotFound) return st;
      }
      Status st = txn.remove(s.kind, victim.id);
      if (!st.isOk() && st.code() != Status::Code::kNotFound) return st;
      return Status::ok();
    });
    if (abort.response) return *abort.response;
    if (!written.isOk()) return databaseError(written.status().message());
    return ApiResponse{204, ""};
  }

  // /{kind}[/{key}] and /{parent}/{pkey}/{kind}[/{key}].
  ApiResponse handle(const ApiRequest& req, const std::vector<std::string>& seg) {
    const EntitySchema* parent = nullptr;
    std::optional<Record> parentRec;
    std::string parentField;
    size_t at = 0;
    if (seg.size() >= 3) {
      parent = model::kong::findSchema(seg[0]);
      if (!parent) return messageResponse(404, "Not found");
      const char* fk = nestedForeignKey(seg[0], seg[2]);
      if (!fk) return messageResponse(404, "Not found");
      auto p = lookup(*parent, seg[1]);
      if (!p.isOk()) return databaseError(p.status().message());
      if (!p->has_value()) return messageResponse(404, "Not found");
      parentRec = std::move(p.value());
      parentField = fk;
      at = 2;
    }
    const EntitySchema* s = model::kong::findSchema(seg[at]);
    if (!s) return messageResponse(404, "Not found");
    const std::string parentId = parentRec ? parentRec->id : "";
    const std::string parentRef = parentRec ? parent->kind + "/" + parentRec->id : "";

    if (seg.size() == at + 1) {  // collection
      if (req.method == "GET" || req.method == "HEAD") return list(*s, req, parentRef);
      if (req.method == "POST") {
        auto body = parseEntityBody(req.header("content-type"), req.body);
        if (!body.isOk()) return messageResponse(400, body.status().message());
        return save(*s, std::move(body.value()), std::nullopt, parentField, parentId, true, 201);
      }
      return messageResponse(405, "Method not allowed");
    }
    if (seg.size() != at + 2) return messageResponse(404, "Not found");
    const std::string& key = seg[at + 1];
    auto found = lookup(*s, key, parentId);
    if (!found.isOk()) return databaseError(found.status().message());
    std::optional<Record> rec = std::move(found.value());
    // A nested entity must belong to its parent.
    if (rec && parentRec) {
      const auto& refs = rec->refs;
      if (std::find(refs.begin(), refs.end(), parentRef) == refs.end()) rec.reset();
    }
    if (req.method == "GET" || req.method == "HEAD") {
      if (!rec) return messageResponse(404, "Not found");
      return output(*s, *rec);
    }
    if (req.method == "DELETE") {
      if (!rec) return ApiResponse{204, ""};
      return remove(*s, *rec);
    }
    if (req.method == "PUT" || req.method == "PATCH") {
      auto body = parseEntityBody(req.header("content-type"), req.body);
      if (!body.isOk()) return messageResponse(400, body.status().message());
      Json input = std::move(body.value());
      if (req.method == "PATCH") {
        if (!rec) return messageResponse(404, "Not found");
        Json merged = parseBody(*rec);
        model::kong::coerceStrings(*s, input);
        if (s->kind == "certificates" && input.contains("snis")) {
          merged["snis"] = input["snis"];
          input.erase("snis");
        }
        mergePatch(merged, input);
        return save(*s, std::move(merged), rec, parentField, parentId, false, 200);
      }
      // PUT: the URL names the entity (id, or endpoint key which the body then carries).
      if (!rec) {
        if (model::kong::isUuid(key)) {
          input["id"] = toLower(key);
        } else if (s->kind == "targets") {
          input["target"] = key;
        } else if (!s->endpoint_key.empty()) {
          input[s->endpoint_key] = key;
        } else {
          return messageResponse(404, "Not found");
        }
      } else if (!model::kong::isUuid(key) && !s->endpoint_key.empty() &&
                 !input.contains(s->endpoint_key)) {
        input[s->endpoint_key] = key;
      }
      return save(*s, std::move(input), rec, parentField, parentId, false, 200);
    }
    return messageResponse(405, "Method not allowed");
  }

 private:
  store::Store& store_;
};

bool isLoopbackRemote(const std::string& remote) {
  return startsWith(remote, "127.") || startsWith(remote, "::1") || startsWith(remote, "[::1]");
}

}  // namespace

AdminApi::AdminApi(store::Store& store, AdminApiHooks hooks)
    : store_(store), hooks_(std::move(hooks)) {}

Result<std::string> AdminApi::createToken(store::Store& store, const std::string& name, Role role) {
  unsigned char raw[24];
  if (RAND_bytes(raw, sizeof raw) != 1) return Status::internal("no randomness for a token");
  static const char* hex = "0123456789abcdef";
  std::string token = "cwt_";
  for (unsigned char c : raw) {
    token += hex[c >> 4];
    token += hex[c & 15];
  }
  const std::string hash = model::kong::sha256Hex(token);
  Json body = {{"id", model::kong::randomUuid()},
               {"name", name},
               {"role", role == Role::kReadOnly ? "read-only" : "read-write"},
               {"token_hash", hash},
               {"created_at", nowSeconds()}};
  Record rec{kTokenKind, body["id"], body.dump(), {"token_hash=" + hash, "name=" + name}, {}};
  auto w = store.write([&](store::WriteTxn& txn) { return txn.put(rec); });
  if (!w.isOk()) {
    if (w.status().code() == Status::Code::kAlreadyExists) {
      return Status::alreadyExists("a token named '" + name + "' exists");
    }
    return w.status();
  }
  return token;
}

Result<bool> AdminApi::anyToken(store::Store& store) {
  auto page = store.list(kTokenKind, "", 1);
  if (!page.isOk()) return page.status();
  return !page->records.empty();
}

ApiResponse AdminApi::authorize(const ApiRequest& req, bool& allowed) {
  allowed = false;
  auto any = anyToken(store_);
  if (!any.isOk()) return databaseError(any.status().message());
  if (!any.value()) {
    // No tokens: the server only listens on loopback (the cp command enforces it).
    allowed = true;
    return {};
  }
  std::string_view auth = req.header("authorization");
  std::string token;
  if (auth.size() > 7 && equalsIgnoreCase(auth.substr(0, 7), "bearer ")) {
    token = std::string(trimOws(auth.substr(7)));
  } else if (!req.header("kong-admin-token").empty()) {
    token = std::string(req.header("kong-admin-token"));
  }
  if (token.empty()) {
    return ApiResponse{401, R"({"message":"Unauthorized: a token is required"})",
                       "application/json; charset=utf-8",
                       "WWW-Authenticate: Bearer realm=\"causeway\"\r\n"};
  }
  auto rec = store_.findByKey(kTokenKind, "token_hash=" + model::kong::sha256Hex(token));
  if (!rec.isOk()) return databaseError(rec.status().message());
  if (!rec->has_value()) {
    spdlog::warn("admin: refused an invalid token from {}", req.remote);
    return messageResponse(401, "Unauthorized: invalid token");
  }
  const bool readOnly = parseBody(**rec).value("role", "") == "read-only";
  const bool reading = req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS";
  if (readOnly && !reading) return messageResponse(403, "Forbidden: the token is read-only");
  allowed = true;
  return {};
}

ApiResponse AdminApi::handle(const ApiRequest& req) {
  bool allowed = false;
  ApiResponse denied = authorize(req, allowed);
  if (!allowed) return denied;
  (void)isLoopbackRemote;

  const auto seg = splitPath(req.path);
  const bool get = req.method == "GET" || req.method == "HEAD";
  if (seg.empty()) {
    if (!get) return messageResponse(405, "Method not allowed");
    Json info = {
        {"tagline", "Welcome to causeway"},
        {"version", "0.1.0"},
        {"configuration", {{"role", "control_plane"}, {"database", store_.describe()}}},
        {"plugins",
         {{"available_on_server", Json::object()}, {"enabled_in_cluster", Json::array()}}}};
    return jsonResponse(200, info);
  }
  if (seg[0] == "status" && seg.size() == 1) {
    if (!get) return messageResponse(405, "Method not allowed");
    Json out = Json::object();
    auto rev = store_.revision();
    out["database"] = {{"reachable", rev.isOk()}};
    if (rev.isOk()) out["revision"] = rev.value();
    if (hooks_.status) mergePatch(out, hooks_.status());
    return jsonResponse(200, out);
  }
  if (seg[0] == "schemas" && seg.size() == 2) {
    if (!get) return messageResponse(405, "Method not allowed");
    const auto* s = model::kong::findSchema(seg[1]);
    if (!s) return messageResponse(404, "No entity named '" + seg[1] + "'");
    return jsonResponse(200, model::kong::schemaJson(*s));
  }
  if (seg[0] == "clustering" && seg.size() == 2 && seg[1] == "data-planes") {
    if (!get) return messageResponse(405, "Method not allowed");
    Json data = hooks_.data_planes ? hooks_.data_planes() : Json::array();
    return jsonResponse(200, Json{{"data", std::move(data)}, {"next", nullptr}});
  }
  if (seg[0] == "config" && seg.size() == 1) return handleConfig(store_, req);
  if (seg[0] == "network") {
    return handleNetwork(store_, req, seg,
                         hooks_.data_planes ? hooks_.data_planes() : Json::array());
  }
  if (seg[0] == "meshes") return handleMeshes(store_, req, seg);
  if (seg[0] == "tokens") return handleTokens(store_, req, seg);
  if (seg[0] == "tags") {
    if (!get) return messageResponse(405, "Method not allowed");
    auto dump = store_.dumpAll();
    if (!dump.isOk()) return databaseError(dump.status().message());
    Json data = Json::array();
    for (const auto& r : dump->records) {
      if (!model::kong::findSchema(r.kind)) continue;
      Json body = parseBody(r);
      if (!body.contains("tags") || !body["tags"].is_array()) continue;
      for (const auto& t : body["tags"]) {
        if (!t.is_string()) continue;
        if (seg.size() == 2 && t != seg[1]) continue;
        data.push_back({{"entity_name", r.kind}, {"entity_id", r.id}, {"tag", t}});
      }
    }
    return jsonResponse(200, Json{{"data", std::move(data)}, {"next", nullptr}});
  }
  if (seg[0] == kTokenKind && seg.size() == 1 && get) {
    auto page = store_.list(kTokenKind, "", kMaxPageSize);
    if (!page.isOk()) return databaseError(page.status().message());
    Json data = Json::array();
    for (const auto& r : page->records) {
      Json b = parseBody(r);
      b.erase("token_hash");
      data.push_back(std::move(b));
    }
    return jsonResponse(200, Json{{"data", std::move(data)}, {"next", nullptr}});
  }
  if (seg.size() > 4) return messageResponse(404, "Not found");
  EntityEndpoints entities(store_);
  return entities.handle(req, seg);
}

}  // namespace causeway::cp
