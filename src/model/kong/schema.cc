// Kong 3.x entity schemas (fields, defaults, uniqueness, references), transcribed from Kong's
// documented entity shapes. Fields Causeway refuses when set (stream routing, client certificates,
// ...) are still listed: Kong prints them as null, and ctl dump round-trips them.
#include "model/kong/schema.h"

#include <charconv>

#include "model/kong/loader_json.h"
#include "model/kong/validate.h"

namespace causeway::model::kong {
namespace {

using Json = nlohmann::json;
using T = FieldType;

FieldSpec field(std::string name, T type, Json def = nullptr) {
  FieldSpec f;
  f.name = std::move(name);
  f.type = type;
  f.default_value = std::move(def);
  return f;
}
FieldSpec required(std::string name, T type = T::kString) {
  FieldSpec f = field(std::move(name), type);
  f.required = true;
  return f;
}
FieldSpec unique(std::string name, bool isRequired = false) {
  FieldSpec f = field(std::move(name), T::kString);
  f.unique = true;
  f.required = isRequired;
  return f;
}
FieldSpec foreign(std::string name, std::string reference, bool isRequired = false) {
  FieldSpec f = field(std::move(name), T::kForeign);
  f.reference = std::move(reference);
  f.required = isRequired;
  return f;
}
FieldSpec array(std::string name, Json def = nullptr, T element = T::kString) {
  FieldSpec f = field(std::move(name), T::kArray, std::move(def));
  f.element = element;
  return f;
}
FieldSpec set(std::string name, Json def = nullptr) {
  FieldSpec f = field(std::move(name), T::kSet, std::move(def));
  return f;
}

std::vector<FieldSpec> common(std::vector<FieldSpec> rest) {
  FieldSpec id = field("id", T::kString);
  id.auto_value = true;
  FieldSpec created = field("created_at", T::kInteger);
  created.auto_value = true;
  FieldSpec updated = field("updated_at", T::kInteger);
  updated.auto_value = true;
  std::vector<FieldSpec> out = {id, created, updated};
  for (auto& f : rest) out.push_back(std::move(f));
  out.push_back(set("tags"));
  return out;
}

Json defaultHealthchecks() {
  return Json::parse(R"({
    "active": {"type": "http", "timeout": 1, "concurrency": 10, "http_path": "/",
               "https_verify_certificate": true, "https_sni": null, "headers": null,
               "healthy": {"interval": 0, "http_statuses": [200, 302], "successes": 0},
               "unhealthy": {"interval": 0, "http_statuses": [429, 404, 500, 501, 502, 503, 504, 505],
                             "tcp_failures": 0, "timeouts": 0, "http_failures": 0}},
    "passive": {"type": "http",
                "healthy": {"http_statuses": [200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300,
                                              301, 302, 303, 304, 305, 306, 307, 308],
                            "successes": 0},
                "unhealthy": {"http_statuses": [429, 500, 503], "tcp_failures": 0, "timeouts": 0,
                              "http_failures": 0}},
    "threshold": 0})");
}

std::vector<EntitySchema> buildSchemas() {
  std::vector<EntitySchema> s;
  s.push_back(
      {"services", "service", "name",
       common(
           {unique("name"), field("retries", T::kInteger, 5), field("protocol", T::kString, "http"),
            required("host"), field("port", T::kInteger, 80), field("path", T::kString),
            field("connect_timeout", T::kInteger, 60000),
            field("write_timeout", T::kInteger, 60000), field("read_timeout", T::kInteger, 60000),
            foreign("client_certificate", "certificates"), field("tls_verify", T::kBoolean),
            field("tls_verify_depth", T::kInteger), array("ca_certificates"),
            field("enabled", T::kBoolean, true)})});
  s.push_back(
      {"upstreams", "upstream", "name",
       common({unique("name", true), field("algorithm", T::kString, "round-robin"),
               field("hash_on", T::kString, "none"), field("hash_fallback", T::kString, "none"),
               field("hash_on_header", T::kString), field("hash_fallback_header", T::kString),
               field("hash_on_cookie", T::kString), field("hash_on_cookie_path", T::kString, "/"),
               field("hash_on_query_arg", T::kString), field("hash_fallback_query_arg", T::kString),
               field("hash_on_uri_capture", T::kString),
               field("hash_fallback_uri_capture", T::kString), field("slots", T::kInteger, 10000),
               field("healthchecks", T::kRecord, defaultHealthchecks()),
               field("host_header", T::kString), foreign("client_certificate", "certificates"),
               field("use_srv_name", T::kBoolean, false)})});
  s.push_back(
      {"consumers", "consumer", "username", common({unique("username"), unique("custom_id")})});
  s.push_back({"certificates", "certificate", "",
               common({required("cert"), required("key"), field("cert_alt", T::kString),
                       field("key_alt", T::kString)})});
  s.push_back(
      {"routes", "route", "name",
       common({unique("name"), set("protocols", Json::array({"http", "https"})), set("methods"),
               array("hosts"), array("paths"), field("headers", T::kMap), array("snis"),
               array("sources", nullptr, T::kRecord), array("destinations", nullptr, T::kRecord),
               field("https_redirect_status_code", T::kInteger, 426),
               field("regex_priority", T::kInteger, 0), field("strip_path", T::kBoolean, true),
               field("path_handling", T::kString, "v0"), field("preserve_host", T::kBoolean, false),
               field("request_buffering", T::kBoolean, true),
               field("response_buffering", T::kBoolean, true), foreign("service", "services")})});
  s.push_back({"targets", "target", "target",
               common({required("target"), field("weight", T::kInteger, 100),
                       foreign("upstream", "upstreams", true)})});
  s.push_back({"snis", "sni", "name",
               common({unique("name", true), foreign("certificate", "certificates", true)})});
  s.push_back({"plugins", "plugin", "",
               common({required("name"), field("instance_name", T::kString),
                       field("config", T::kRecord, Json::object()),
                       set("protocols", Json::array({"grpc", "grpcs", "http", "https"})),
                       field("enabled", T::kBoolean, true), foreign("service", "services"),
                       foreign("route", "routes"), foreign("consumer", "consumers")})});
  return s;
}

const char* typeName(T t) {
  switch (t) {
    case T::kString:
      return "string";
    case T::kInteger:
      return "integer";
    case T::kNumber:
      return "number";
    case T::kBoolean:
      return "boolean";
    case T::kArray:
      return "array";
    case T::kSet:
      return "set";
    case T::kRecord:
      return "record";
    case T::kMap:
      return "map";
    case T::kForeign:
      return "foreign";
  }
  return "string";
}

}  // namespace

std::string foreignId(const Json& value) {
  if (value.is_object()) {
    auto it = value.find("id");
    if (it != value.end() && it->is_string()) return it->get<std::string>();
  }
  return {};
}

std::string foreignId(const Json& body, std::string_view field) {
  if (!body.is_object()) return {};
  auto it = body.find(field);
  return it == body.end() ? std::string() : foreignId(*it);
}

const FieldSpec* EntitySchema::field(std::string_view name) const {
  for (const auto& f : fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

const std::vector<EntitySchema>& entitySchemas() {
  static const std::vector<EntitySchema> schemas = buildSchemas();
  return schemas;
}

const EntitySchema* findSchema(std::string_view kind) {
  for (const auto& s : entitySchemas()) {
    if (s.kind == kind) return &s;
  }
  return nullptr;
}

Json schemaJson(const EntitySchema& schema) {
  Json fields = Json::array();
  for (const auto& f : schema.fields) {
    Json spec = {{"type", typeName(f.type)}};
    if (!f.default_value.is_null()) spec["default"] = f.default_value;
    if (f.required) spec["required"] = true;
    if (f.unique) spec["unique"] = true;
    if (f.auto_value) spec["auto"] = true;
    if (f.name == "id") spec["uuid"] = true;
    if (f.name == "created_at" || f.name == "updated_at") spec["timestamp"] = true;
    if (f.type == T::kForeign) spec["reference"] = f.reference;
    if (f.type == T::kArray || f.type == T::kSet)
      spec["elements"] = {{"type", typeName(f.element)}};
    fields.push_back(Json{{f.name, std::move(spec)}});
  }
  return Json{{"fields", std::move(fields)}};
}

void fillDefaults(const EntitySchema& schema, Json& body) {
  for (const auto& f : schema.fields) {
    if (!body.contains(f.name)) body[f.name] = f.default_value;
  }
}

void coerceStrings(const EntitySchema& schema, Json& body) {
  if (!body.is_object()) return;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const FieldSpec* f = schema.field(it.key());
    if (!f) continue;
    Json& v = it.value();
    if (f->type == T::kInteger && v.is_string()) {
      const std::string s = v.get<std::string>();
      long long n = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (ec == std::errc() && end == s.data() + s.size()) v = n;
    } else if (f->type == T::kBoolean && v.is_string()) {
      if (v == "true")
        v = true;
      else if (v == "false")
        v = false;
    } else if ((f->type == T::kArray || f->type == T::kSet) && v.is_string()) {
      v = Json::array({v});
    }
  }
}

std::vector<std::string> uniqueKeys(const EntitySchema& schema, const Json& body) {
  std::vector<std::string> keys;
  for (const auto& f : schema.fields) {
    if (!f.unique) continue;
    auto it = body.find(f.name);
    if (it != body.end() && it->is_string()) keys.push_back(f.name + "=" + it->get<std::string>());
  }
  // Composite keys Kong enforces on these kinds.
  if (schema.kind == "targets" && body.contains("target") && body["target"].is_string()) {
    keys.push_back("target=" + foreignId(body.value("upstream", Json())) + "/" +
                   body["target"].get<std::string>());
  }
  if (schema.kind == "plugins" && body.contains("name") && body["name"].is_string()) {
    std::string key = "plugin=" + body["name"].get<std::string>();
    for (const char* scope : {"service", "route", "consumer"}) {
      key += "/" + foreignId(body.value(scope, Json()));
    }
    if (body.contains("instance_name") && body["instance_name"].is_string()) {
      keys.push_back("instance_name=" + body["instance_name"].get<std::string>());
    }
    keys.push_back(std::move(key));
  }
  return keys;
}

std::vector<std::string> references(const EntitySchema& schema, const Json& body) {
  std::vector<std::string> refs;
  for (const auto& f : schema.fields) {
    if (f.type != T::kForeign) continue;
    auto it = body.find(f.name);
    if (it == body.end()) continue;
    std::string id = foreignId(*it);
    if (!id.empty()) refs.push_back(f.reference + "/" + id);
  }
  return refs;
}

std::vector<FieldError> validateEntity(const EntitySchema& schema, const Json& body) {
  std::vector<FieldError> errors;
  if (!body.is_object()) {
    errors.push_back({"", "expected an object"});
    return errors;
  }
  // Foreign keys are the caller's business; everything else goes through the loader.
  Json entity = Json::object();
  for (auto it = body.begin(); it != body.end(); ++it) {
    const FieldSpec* f = schema.field(it.key());
    // Foreign keys are checked by the caller, except client_certificate, which the loader
    // refuses as not supported: the data planes would refuse it too.
    if (f && f->type == T::kForeign && f->name != "client_certificate") continue;
    entity[it.key()] = it.value();
  }
  if (schema.kind == "snis") {
    // A top-level sni needs its certificate in the same document; check its own fields here.
    auto name = entity.find("name");
    if (name == entity.end() || name->is_null()) {
      errors.push_back({"name", "required field missing"});
    } else if (!name->is_string()) {
      errors.push_back({"name", "expected a string"});
    } else if (auto p = checkSni(name->get<std::string>())) {
      errors.push_back({"name", *p});
    }
    for (auto it = entity.begin(); it != entity.end(); ++it) {
      if (!schema.field(it.key())) errors.push_back({it.key(), "unknown field"});
    }
    if (auto tags = entity.find("tags"); tags != entity.end() && !tags->is_null()) {
      if (!tags->is_array()) errors.push_back({"tags", "expected a set"});
    }
    return errors;
  }
  Json doc = {{"_format_version", "3.0"}};
  std::string prefix;
  if (schema.kind == "targets") {
    // Targets live in an upstream; give them a placeholder one.
    doc["upstreams"] =
        Json::array({Json{{"name", "upstream"}, {"targets", Json::array({entity})}}});
    prefix = "upstreams[0].targets[0]";
  } else {
    doc[schema.kind] = Json::array({entity});
    prefix = schema.kind + "[0]";
  }
  LoadResult r = loadDeclarativeJson(doc);
  for (auto& e : r.error().errors) {
    std::string path = e.path;
    if (path.rfind(prefix, 0) == 0) {
      path = path.substr(prefix.size());
      if (!path.empty() && path[0] == '.') path.erase(0, 1);
    }
    errors.push_back({std::move(path), e.message});
  }
  return errors;
}

}  // namespace causeway::model::kong
