// Walks each document with network::Record (field-path errors, unknown fields named), then checks
// what spans documents (duplicate resources).
#include "model/mesh/loader.h"

#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <tuple>

#include "model/kong/document.h"
#include "model/network/record.h"

namespace causeway::model::mesh {
namespace {

using Json = nlohmann::json;
using network::expectObject;
using network::indexedPath;
using network::Record;
using Errors = std::vector<kong::FieldError>;

struct TypeName {
  std::string_view type;
  std::string_view plural;
};

constexpr TypeName kTypes[] = {
    {"Mesh", "meshes"},
    {"Dataplane", "dataplanes"},
    {"MeshTrafficPermission", "meshtrafficpermissions"},
    {"MeshHTTPRoute", "meshhttproutes"},
    {"MeshTCPRoute", "meshtcproutes"},
    {"MeshTimeout", "meshtimeouts"},
    {"MeshRetry", "meshretries"},
    {"MeshCircuitBreaker", "meshcircuitbreakers"},
    {"MeshHealthCheck", "meshhealthchecks"},
    {"MeshLoadBalancingStrategy", "meshloadbalancingstrategies"},
};

constexpr PolicyType kPolicyTypes[] = {
    PolicyType::kMeshTrafficPermission,
    PolicyType::kMeshHTTPRoute,
    PolicyType::kMeshTCPRoute,
    PolicyType::kMeshTimeout,
    PolicyType::kMeshRetry,
    PolicyType::kMeshCircuitBreaker,
    PolicyType::kMeshHealthCheck,
    PolicyType::kMeshLoadBalancingStrategy,
};

std::optional<PolicyType> policyTypeOf(std::string_view name) {
  for (PolicyType t : kPolicyTypes) {
    if (policyTypeName(t) == name) return t;
  }
  return std::nullopt;
}

std::string knownTypesList() {
  std::string out;
  for (const auto& t : kTypes) {
    if (!out.empty()) out += ", ";
    out += t.type;
  }
  return out;
}

// ---- small readers --------------------------------------------------------------------------

bool readTags(Record& r, std::string_view key, Tags& out, bool required, Errors& errors) {
  const Json* v = r.take(key, required);
  if (!v) return false;
  if (!v->is_object()) {
    r.error(key, "expected a map of tags");
    return false;
  }
  bool ok = true;
  for (auto it = v->begin(); it != v->end(); ++it) {
    if (!it->is_string()) {
      errors.push_back({r.pathOf(key) + "." + it.key(), "expected a string"});
      ok = false;
      continue;
    }
    out[it.key()] = it->get<std::string>();
  }
  if (required && out.empty() && ok) {
    r.error(key, "must not be empty");
    return false;
  }
  return ok;
}

bool readPort(Record& r, std::string_view key, uint32_t& out, bool required) {
  int64_t v = 0;
  if (!r.integer(key, v, 1, 65535)) {
    if (required && !r.take(key)) r.take(key, true);
    return false;
  }
  out = uint32_t(v);
  return true;
}

template <class Read>
void eachRecord(Record& parent, std::string_view key, bool required, Errors& errors, Read read) {
  const Json* list = parent.take(key, required);
  if (!list) return;
  const std::string path = parent.pathOf(key);
  if (!list->is_array()) {
    errors.push_back({path, "expected an array"});
    return;
  }
  if (required && list->empty()) {
    errors.push_back({path, "must not be empty"});
    return;
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string at = indexedPath(path, i);
    if (!expectObject((*list)[i], at, errors)) continue;
    Record r((*list)[i], at, errors);
    read(r, i);
    r.finish();
  }
}

// ---- targetRef -------------------------------------------------------------------------------

enum class RefPosition { kTop, kFrom, kTo, kBackend };

std::optional<TargetKind> targetKindOf(std::string_view name) {
  for (TargetKind k : {TargetKind::kMesh, TargetKind::kMeshSubset, TargetKind::kMeshGateway,
                       TargetKind::kMeshService, TargetKind::kMeshServiceSubset}) {
    if (targetKindName(k) == name) return k;
  }
  return std::nullopt;
}

std::vector<TargetKind> allowedKinds(RefPosition at) {
  using K = TargetKind;
  switch (at) {
    case RefPosition::kTop:
      return {K::kMesh, K::kMeshSubset, K::kMeshGateway, K::kMeshService, K::kMeshServiceSubset};
    case RefPosition::kFrom:
      return {K::kMesh, K::kMeshSubset, K::kMeshService};
    case RefPosition::kTo:
      return {K::kMesh, K::kMeshService};
    case RefPosition::kBackend:
      return {K::kMeshService, K::kMeshServiceSubset};
  }
  return {};
}

std::string kindsText(const std::vector<TargetKind>& kinds) {
  std::string out;
  for (TargetKind k : kinds) {
    if (!out.empty()) out += ", ";
    out += targetKindName(k);
  }
  return out;
}

// Reads kind/name/tags into `out` from record `r` (a targetRef, or a backendRef).
void readRefFields(Record& r, RefPosition at, TargetRef& out, Errors& errors) {
  std::string kind;
  if (!r.string("kind", kind, at != RefPosition::kBackend)) {
    if (at == RefPosition::kBackend)
      kind = "MeshService";
    else
      return;
  }
  const auto allowed = allowedKinds(at);
  auto k = targetKindOf(kind);
  if (!k || std::find(allowed.begin(), allowed.end(), *k) == allowed.end()) {
    r.error("kind", "'" + kind + "' is not allowed here; expected one of " + kindsText(allowed));
    r.take("name");
    r.take("tags");
    return;
  }
  out.kind = *k;
  const bool named = *k == TargetKind::kMeshService || *k == TargetKind::kMeshServiceSubset ||
                     *k == TargetKind::kMeshGateway;
  const bool tagged = *k == TargetKind::kMeshSubset || *k == TargetKind::kMeshServiceSubset;
  if (named) {
    r.string("name", out.name, true);
    if (r.take("name") && out.name.empty()) r.error("name", "must not be empty");
  }
  if (tagged) readTags(r, "tags", out.tags, true, errors);
  if (at == RefPosition::kFrom && *k == TargetKind::kMeshSubset && !out.tags.empty()) {
    // A caller is known by its certificate, which carries only its service.
    if (out.tags.size() != 1 || !out.tags.count(std::string(kServiceTag))) {
      r.error("tags", "a from targetRef can only select callers by the kuma.io/service tag");
    }
  }
}

void readTargetRef(Record& parent, std::string_view key, RefPosition at, bool required,
                   TargetRef& out, Errors& errors) {
  const Json* v = parent.take(key, required);
  if (!v) return;
  const std::string path = parent.pathOf(key);
  if (!expectObject(*v, path, errors)) return;
  Record r(*v, path, errors);
  readRefFields(r, at, out, errors);
  r.finish();
}

// ---- confs ------------------------------------------------------------------------------------

enum class FieldKind { kDuration, kCount, kBool, kString, kStringList, kPercent, kEnum };

struct ConfField {
  std::string_view path;  // dotted, inside `default`
  FieldKind kind;
  std::vector<std::string_view> choices = {};
  bool required = false;
};

const std::vector<ConfField>& confFields(PolicyType type) {
  using F = FieldKind;
  static const std::vector<ConfField> kPermission = {
      {"action", F::kEnum, {"Allow", "Deny", "AllowWithShadowDeny"}, true}};
  static const std::vector<ConfField> kTimeout = {
      {"connectionTimeout", F::kDuration},         {"idleTimeout", F::kDuration},
      {"http.requestTimeout", F::kDuration},       {"http.streamIdleTimeout", F::kDuration},
      {"http.maxStreamDuration", F::kDuration},    {"http.maxConnectionDuration", F::kDuration},
      {"http.requestHeadersTimeout", F::kDuration}};
  static const std::vector<ConfField> kRetry = {{"tcp.maxConnectAttempt", F::kCount},
                                                {"http.numRetries", F::kCount},
                                                {"http.perTryTimeout", F::kDuration},
                                                {"http.backOff.baseInterval", F::kDuration},
                                                {"http.backOff.maxInterval", F::kDuration},
                                                {"http.retryOn", F::kStringList},
                                                {"grpc.numRetries", F::kCount},
                                                {"grpc.perTryTimeout", F::kDuration}};
  static const std::vector<ConfField> kCircuitBreaker = {
      {"connectionLimits.maxConnections", F::kCount},
      {"connectionLimits.maxPendingRequests", F::kCount},
      {"connectionLimits.maxRequests", F::kCount},
      {"connectionLimits.maxRetries", F::kCount},
      {"connectionLimits.maxConnectionPools", F::kCount},
      {"outlierDetection.disabled", F::kBool},
      {"outlierDetection.interval", F::kDuration},
      {"outlierDetection.baseEjectionTime", F::kDuration},
      {"outlierDetection.maxEjectionPercent", F::kPercent},
      {"outlierDetection.splitExternalAndLocalErrors", F::kBool},
      {"outlierDetection.detectors.totalFailures.consecutive", F::kCount},
      {"outlierDetection.detectors.gatewayFailures.consecutive", F::kCount},
      {"outlierDetection.detectors.localOriginFailures.consecutive", F::kCount},
      {"outlierDetection.detectors.failurePercentage.threshold", F::kPercent},
      {"outlierDetection.detectors.failurePercentage.minimumHosts", F::kCount},
      {"outlierDetection.detectors.failurePercentage.requestVolume", F::kCount}};
  static const std::vector<ConfField> kHealthCheck = {
      {"interval", F::kDuration},          {"timeout", F::kDuration},
      {"unhealthyThreshold", F::kCount},   {"healthyThreshold", F::kCount},
      {"initialJitter", F::kDuration},     {"intervalJitter", F::kDuration},
      {"noTrafficInterval", F::kDuration}, {"failTrafficOnPanic", F::kBool},
      {"http.disabled", F::kBool},         {"http.path", F::kString},
      {"tcp.disabled", F::kBool}};
  static const std::vector<ConfField> kLoadBalancing = {
      {"loadBalancer.type",
       F::kEnum,
       {"RoundRobin", "LeastRequest", "RingHash", "Random", "Maglev"}}};
  static const std::vector<ConfField> kNone;
  switch (type) {
    case PolicyType::kMeshTrafficPermission:
      return kPermission;
    case PolicyType::kMeshTimeout:
      return kTimeout;
    case PolicyType::kMeshRetry:
      return kRetry;
    case PolicyType::kMeshCircuitBreaker:
      return kCircuitBreaker;
    case PolicyType::kMeshHealthCheck:
      return kHealthCheck;
    case PolicyType::kMeshLoadBalancingStrategy:
      return kLoadBalancing;
    default:
      return kNone;
  }
}

std::string choicesText(const std::vector<std::string_view>& choices) {
  std::string out;
  for (auto c : choices) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

bool isCount(const Json& v, int64_t hi) {
  if (v.is_number_unsigned() || v.is_number_integer()) {
    const auto n = v.get<int64_t>();
    return n >= 0 && n <= hi;
  }
  return false;
}

// Checks one field of a conf; `v` is present.
void checkConfField(const Json& v, const ConfField& f, const std::string& path, Errors& errors) {
  switch (f.kind) {
    case FieldKind::kDuration:
      if (!v.is_string() || !parseDurationSeconds(v.get<std::string>())) {
        errors.push_back({path, "expected a duration such as \"500ms\", \"10s\" or \"1m30s\""});
      }
      break;
    case FieldKind::kCount:
      if (!isCount(v, 0xFFFFFFFFll)) errors.push_back({path, "expected a non-negative integer"});
      break;
    case FieldKind::kPercent:
      if (!isCount(v, 100)) errors.push_back({path, "expected an integer from 0 to 100"});
      break;
    case FieldKind::kBool:
      if (!v.is_boolean()) errors.push_back({path, "expected a boolean"});
      break;
    case FieldKind::kString:
      if (!v.is_string()) errors.push_back({path, "expected a string"});
      break;
    case FieldKind::kStringList:
      if (!v.is_array() ||
          !std::all_of(v.begin(), v.end(), [](const Json& e) { return e.is_string(); })) {
        errors.push_back({path, "expected an array of strings"});
      }
      break;
    case FieldKind::kEnum:
      if (!v.is_string() ||
          std::find(f.choices.begin(), f.choices.end(), v.get<std::string>()) == f.choices.end()) {
        errors.push_back({path, "expected one of " + choicesText(f.choices)});
      }
      break;
  }
}

// Validates the data-plane fields of a `default` conf at `path`.
void checkConf(PolicyType type, const Json& conf, const std::string& path, Errors& errors) {
  if (!expectObject(conf, path, errors)) return;
  std::set<std::string> reported;  // intermediate records reported once
  for (const ConfField& f : confFields(type)) {
    const Json* at = &conf;
    std::string at_path = path;
    std::string_view rest = f.path;
    bool missing = false;
    while (true) {
      const size_t dot = rest.find('.');
      const std::string key(rest.substr(0, dot));
      at_path += "." + key;
      auto it = at->find(key);
      if (it == at->end() || it->is_null()) {
        missing = true;
        break;
      }
      at = &*it;
      if (dot == std::string_view::npos) break;
      rest.remove_prefix(dot + 1);
      if (!at->is_object()) {
        if (reported.insert(at_path).second) errors.push_back({at_path, "expected a record"});
        missing = true;
        at = nullptr;
        break;
      }
    }
    if (missing) {
      if (f.required && at) errors.push_back({at_path, "required field missing"});
      continue;
    }
    checkConfField(*at, f, at_path, errors);
  }
}

// ---- routes -----------------------------------------------------------------------------------

void checkRegex(Record& r, std::string_view key, const std::string& value) {
  RE2 re(value, RE2::Quiet);
  if (!re.ok()) r.error(key, "invalid regex: " + re.error());
}

void readValueMatches(Record& parent, std::string_view key, bool header,
                      std::vector<HttpValueMatch>& out, Errors& errors) {
  eachRecord(parent, key, false, errors, [&](Record& r, size_t) {
    HttpValueMatch m;
    std::string type = "Exact";
    r.string("type", type);
    using T = HttpValueMatch::Type;
    if (type == "Exact")
      m.type = T::kExact;
    else if (type == "RegularExpression")
      m.type = T::kRegularExpression;
    else if (header && type == "Present")
      m.type = T::kPresent;
    else if (header && type == "Absent")
      m.type = T::kAbsent;
    else if (header && type == "Prefix")
      m.type = T::kPrefix;
    else {
      r.error("type", header ? "expected one of Exact, Present, RegularExpression, Absent, Prefix"
                             : "expected one of Exact, RegularExpression");
    }
    r.string("name", m.name, true);
    const bool needs_value = m.type != T::kPresent && m.type != T::kAbsent;
    r.string("value", m.value, needs_value);
    if (m.type == T::kRegularExpression) checkRegex(r, "value", m.value);
    out.push_back(std::move(m));
  });
}

void readHttpMatch(Record& r, HttpMatch& m, Errors& errors) {
  if (const Json* p = r.take("path")) {
    const std::string path = r.pathOf("path");
    if (expectObject(*p, path, errors)) {
      Record pr(*p, path, errors);
      HttpPathMatch pm;
      std::string type;
      if (pr.string("type", type, true)) {
        if (type == "Exact")
          pm.type = HttpPathMatch::Type::kExact;
        else if (type == "PathPrefix")
          pm.type = HttpPathMatch::Type::kPathPrefix;
        else if (type == "RegularExpression")
          pm.type = HttpPathMatch::Type::kRegularExpression;
        else
          pr.error("type", "expected one of Exact, PathPrefix, RegularExpression");
      }
      if (pr.string("value", pm.value, true)) {
        if (pm.type == HttpPathMatch::Type::kRegularExpression) {
          checkRegex(pr, "value", pm.value);
        } else if (pm.value.empty() || pm.value.front() != '/') {
          pr.error("value", "must start with '/'");
        }
      }
      pr.finish();
      m.path = pm;
    }
  }
  if (r.string("method", m.method)) {
    static const std::set<std::string> kMethods = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                                   "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    if (!kMethods.count(m.method)) r.error("method", "expected an HTTP method such as GET");
  }
  readValueMatches(r, "headers", true, m.headers, errors);
  readValueMatches(r, "queryParams", false, m.query_params, errors);
}

// A header a route may set, add or remove: a valid field name (RFC 9110 token), and not one the
// proxy owns (framing, Host, hop-by-hop), which a route could use to smuggle requests.
void checkModifiableHeader(Record& r, const std::string& name, std::string_view field = "name") {
  static const std::string kTchar = "!#$%&'*+-.^_`|~";
  const bool token = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kTchar.find(c) != std::string::npos;
  });
  if (!token) {
    r.error(field, "'" + name + "' is not a valid header name");
    return;
  }
  std::string lower = name;
  for (char& c : lower) c = char(std::tolower(static_cast<unsigned char>(c)));
  static const std::set<std::string> kOwned = {"host",       "content-length", "transfer-encoding",
                                               "connection", "keep-alive",     "upgrade",
                                               "te",         "trailer",        "proxy-connection"};
  if (kOwned.count(lower)) r.error(field, "the proxy owns the header '" + name + "'");
}

void readHeaderModifier(Record& parent, std::string_view key, Errors& errors) {
  const Json* v = parent.take(key, true);
  if (!v) return;
  const std::string path = parent.pathOf(key);
  if (!expectObject(*v, path, errors)) return;
  Record r(*v, path, errors);
  for (std::string_view list : {"set", "add"}) {
    eachRecord(r, list, false, errors, [&](Record& h, size_t) {
      std::string name, value;
      if (h.string("name", name, true)) checkModifiableHeader(h, name);
      if (h.string("value", value, true) &&
          value.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
        h.error("value", "must not contain CR, LF or NUL");
      }
    });
  }
  std::vector<std::string> remove;
  if (r.stringList("remove", remove, false, false)) {
    for (const std::string& name : remove) checkModifiableHeader(r, name, "remove");
  }
  r.finish();
}

void readBackendRefs(Record& conf, Errors& errors) {
  eachRecord(conf, "backendRefs", false, errors, [&](Record& r, size_t) {
    TargetRef ref;
    readRefFields(r, RefPosition::kBackend, ref, errors);
    int64_t weight = 1;
    r.integer("weight", weight, 0, 0xFFFFFFFFll);
    int64_t port = 0;
    r.integer("port", port, 1, 65535);
  });
}

void readRouteDefault(Record& rule, bool http, Errors& errors) {
  const Json* v = rule.take("default", true);
  if (!v) return;
  const std::string path = rule.pathOf("default");
  if (!expectObject(*v, path, errors)) return;
  Record d(*v, path, errors);
  readBackendRefs(d, errors);
  if (http) {
    eachRecord(d, "filters", false, errors, [&](Record& f, size_t) {
      std::string type;
      if (!f.string("type", type, true)) return;
      if (type == "RequestHeaderModifier") {
        readHeaderModifier(f, "requestHeaderModifier", errors);
      } else if (type == "ResponseHeaderModifier") {
        readHeaderModifier(f, "responseHeaderModifier", errors);
      } else if (type == "RequestRedirect" || type == "URLRewrite" || type == "RequestMirror") {
        // Kept as given; the data plane does not apply them yet.
        f.take("requestRedirect");
        f.take("urlRewrite");
        f.take("requestMirror");
      } else {
        f.error("type",
                "expected one of RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, "
                "URLRewrite, RequestMirror");
      }
    });
  }
  d.finish();
}

void readRouteRules(Record& item, PolicyType type, PolicyItem& out, Errors& errors) {
  const bool http = type == PolicyType::kMeshHTTPRoute;
  eachRecord(item, "rules", true, errors, [&](Record& r, size_t) {
    RouteRule rule;
    if (http) {
      if (const Json* m = r.take("matches")) rule.matches_json = *m;
      eachRecord(r, "matches", false, errors, [&](Record& mr, size_t) {
        HttpMatch match;
        readHttpMatch(mr, match, errors);
        rule.matches.push_back(std::move(match));
      });
    }
    readRouteDefault(r, http, errors);
    if (const Json* d = r.take("default"); d && d->is_object()) rule.conf = *d;
    out.rules.push_back(std::move(rule));
  });
}

// ---- resources --------------------------------------------------------------------------------

void readItems(Record& spec, std::string_view key, RefPosition at, Policy& p, bool required,
               Errors& errors) {
  auto& items = at == RefPosition::kFrom ? p.from : p.to;
  const bool route = p.type == PolicyType::kMeshHTTPRoute || p.type == PolicyType::kMeshTCPRoute;
  eachRecord(spec, key, required, errors, [&](Record& r, size_t) {
    PolicyItem item;
    readTargetRef(r, "targetRef", at, true, item.target_ref, errors);
    if (route) {
      if (item.target_ref.kind == TargetKind::kMesh &&
          p.target_ref.kind != TargetKind::kMeshGateway) {
        r.error("targetRef.kind",
                "a route's to targetRef must be a MeshService (Mesh is only for "
                "a MeshGateway)");
      }
      readRouteRules(r, p.type, item, errors);
    } else if (const Json* d = r.take("default", true)) {
      checkConf(p.type, *d, r.pathOf("default"), errors);
      if (d->is_object()) item.conf = *d;
    }
    items.push_back(std::move(item));
  });
}

void readPolicySpec(Record& res, Policy& p, Errors& errors) {
  const Json* v = res.take("spec", true);
  if (!v) return;
  const std::string path = res.pathOf("spec");
  if (!expectObject(*v, path, errors)) return;
  Record spec(*v, path, errors);
  readTargetRef(spec, "targetRef", RefPosition::kTop, false, p.target_ref, errors);
  const bool has_from = p.type == PolicyType::kMeshTrafficPermission ||
                        p.type == PolicyType::kMeshTimeout ||
                        p.type == PolicyType::kMeshCircuitBreaker;
  const bool needs_from = p.type == PolicyType::kMeshTrafficPermission;
  const bool has_to = p.type != PolicyType::kMeshTrafficPermission;
  if (has_from) readItems(spec, "from", RefPosition::kFrom, p, needs_from, errors);
  if (has_to) {
    const bool needs_to = !has_from;
    readItems(spec, "to", RefPosition::kTo, p, needs_to, errors);
  }
  if (has_from && has_to && !spec.take("from") && !spec.take("to")) {
    spec.error("to", "a policy needs from or to");
  }
  if (spec.take("rules")) {
    spec.error("rules", "inbound `rules` (Kuma 2.13+) are not supported yet; use `from`");
  }
  spec.finish();
}

void readMtls(Record& res, Mesh& m, Errors& errors) {
  const Json* v = res.take("mtls");
  if (!v) return;
  const std::string path = res.pathOf("mtls");
  if (!expectObject(*v, path, errors)) return;
  Record r(*v, path, errors);
  r.string("enabledBackend", m.enabled_backend);
  eachRecord(r, "backends", false, errors, [&](Record& b, size_t) {
    MtlsBackend backend;
    b.name("name", backend.name, true);
    if (b.string("type", backend.type, true) && backend.type != "builtin" &&
        backend.type != "provided") {
      b.error("type", "expected builtin or provided");
    }
    std::string mode;
    if (b.string("mode", mode)) {
      if (mode == "STRICT")
        backend.mode = MtlsMode::kStrict;
      else if (mode == "PERMISSIVE")
        backend.mode = MtlsMode::kPermissive;
      else
        b.error("mode", "expected STRICT or PERMISSIVE");
    }
    if (const Json* dp = b.take("dpCert")) {
      const std::string dpPath = b.pathOf("dpCert");
      if (expectObject(*dp, dpPath, errors)) {
        Record d(*dp, dpPath, errors);
        if (const Json* rot = d.take("rotation")) {
          const std::string rotPath = d.pathOf("rotation");
          if (expectObject(*rot, rotPath, errors)) {
            Record rr(*rot, rotPath, errors);
            std::string exp;
            if (rr.string("expiration", exp)) {
              auto s = parseDurationSeconds(exp);
              if (!s || *s < 60)
                rr.error("expiration", "expected a duration of at least 1m");
              else
                backend.cert_expiration_s = int64_t(*s);
            }
            rr.finish();
          }
        }
        d.take("requestTimeout");
        d.finish();
      }
    }
    if (const Json* c = b.take("conf")) {
      if (expectObject(*c, b.pathOf("conf"), errors)) {
        backend.conf = *c;
        if (auto ca = c->find("caCert"); ca != c->end()) {
          ConfField exp{"expiration", FieldKind::kDuration};
          if (!ca->is_object()) {
            errors.push_back({b.pathOf("conf") + ".caCert", "expected a record"});
          } else if (auto e = ca->find("expiration"); e != ca->end()) {
            checkConfField(*e, exp, b.pathOf("conf") + ".caCert.expiration", errors);
          }
        }
      }
    }
    m.backends.push_back(std::move(backend));
  });
  r.take("skipValidation");
  r.finish();
  if (!m.enabled_backend.empty() &&
      std::none_of(m.backends.begin(), m.backends.end(),
                   [&](const MtlsBackend& b) { return b.name == m.enabled_backend; })) {
    r.error("enabledBackend", "no backend named '" + m.enabled_backend + "'");
  }
}

void readDataplane(Record& res, Dataplane& dp, Errors& errors) {
  const Json* v = res.take("networking", true);
  if (!v) return;
  const std::string path = res.pathOf("networking");
  if (!expectObject(*v, path, errors)) return;
  Record n(*v, path, errors);
  n.string("address", dp.address, true);
  n.take("advertisedAddress");
  n.take("advertisedPort");
  n.take("transparentProxying");
  n.take("admin");
  // A delegated gateway (Kuma: an API gateway of its own, here `causeway gateway`, joining the
  // mesh) has tags instead of inbounds.
  if (const Json* g = n.take("gateway")) {
    const std::string gpath = n.pathOf("gateway");
    if (expectObject(*g, gpath, errors)) {
      Record gr(*g, gpath, errors);
      std::string type = "DELEGATED";
      gr.string("type", type);
      if (type != "DELEGATED") {
        gr.error("type", "only DELEGATED gateways are supported (causeway gateway joins the mesh)");
      }
      Tags tags;
      if (readTags(gr, "tags", tags, true, errors) && !tags.count(std::string(kServiceTag))) {
        gr.error("tags", "the kuma.io/service tag is required");
      }
      gr.finish();
      dp.gateway_tags = std::move(tags);
    }
  }
  eachRecord(n, "inbound", !dp.gateway_tags, errors, [&](Record& r, size_t) {
    Inbound in;
    readPort(r, "port", in.port, true);
    in.service_port = in.port;
    readPort(r, "servicePort", in.service_port, false);
    in.service_address = "127.0.0.1";
    r.string("serviceAddress", in.service_address);
    r.take("address");
    r.take("health");
    r.take("serviceProbe");
    r.take("name");
    if (readTags(r, "tags", in.tags, true, errors) && !in.tags.count(std::string(kServiceTag))) {
      r.error("tags", "the kuma.io/service tag is required");
    }
    if (auto p = in.tags.find(std::string(kProtocolTag)); p != in.tags.end()) {
      static const std::set<std::string> kProtocols = {"tcp", "http", "http2", "grpc", "kafka"};
      if (!kProtocols.count(p->second)) {
        errors.push_back({r.pathOf("tags") + ".kuma.io/protocol",
                          "expected one of tcp, http, http2, grpc, kafka"});
      }
    }
    dp.inbound.push_back(std::move(in));
  });
  eachRecord(n, "outbound", false, errors, [&](Record& r, size_t) {
    Outbound out;
    readPort(r, "port", out.port, true);
    r.string("address", out.address);
    if (readTags(r, "tags", out.tags, true, errors)) {
      auto s = out.tags.find(std::string(kServiceTag));
      if (s == out.tags.end())
        r.error("tags", "the kuma.io/service tag is required");
      else
        out.service = s->second;
    }
    r.take("backendRef");
    dp.outbound.push_back(std::move(out));
  });
  n.finish();
  // One listener per port: inbounds and outbounds share the proxy's address space.
  std::set<uint32_t> inbound_ports, outbound_ports;
  for (size_t i = 0; i < dp.inbound.size(); ++i) {
    const uint32_t port = dp.inbound[i].port;
    if (port && !inbound_ports.insert(port).second) {
      errors.push_back({indexedPath(path + ".inbound", i) + ".port",
                        "port " + std::to_string(port) + " is used by another inbound"});
    }
  }
  for (size_t i = 0; i < dp.outbound.size(); ++i) {
    const uint32_t port = dp.outbound[i].port;
    if (port && !outbound_ports.insert(port).second) {
      errors.push_back({indexedPath(path + ".outbound", i) + ".port",
                        "port " + std::to_string(port) + " is used by another outbound"});
    } else if (port && inbound_ports.count(port)) {
      errors.push_back({indexedPath(path + ".outbound", i) + ".port",
                        "port " + std::to_string(port) + " is used by an inbound"});
    }
  }
}

// Reads one resource whose type is `type` at `path`; returns nullopt when it has errors.
std::optional<Resource> readResource(std::string_view type, const Json& doc,
                                     const std::string& path, Errors& errors) {
  const size_t before = errors.size();
  if (!expectObject(doc, path, errors)) return std::nullopt;
  Record r(doc, path, errors);
  r.take("type");
  r.take("labels");
  r.take("creationTime");
  r.take("modificationTime");
  std::string name;
  r.name("name", name, true);
  std::optional<Resource> out;
  if (type == "Mesh") {
    Mesh m;
    m.name = name;
    readMtls(r, m, errors);
    for (std::string_view ignored :
         {"logging", "tracing", "metrics", "networking", "routing", "constraints",
          "skipCreatingInitialPolicies", "meshServices"}) {
      r.take(ignored);
    }
    out = std::move(m);
  } else if (type == "Dataplane") {
    Dataplane dp;
    dp.name = name;
    r.name("mesh", dp.mesh);
    readDataplane(r, dp, errors);
    out = std::move(dp);
  } else if (auto pt = policyTypeOf(type)) {
    Policy p;
    p.type = *pt;
    p.name = name;
    r.name("mesh", p.mesh);
    readPolicySpec(r, p, errors);
    out = std::move(p);
  } else {
    r.error("type",
            "unknown type '" + std::string(type) + "'; expected one of " + knownTypesList());
  }
  r.finish();
  if (errors.size() != before) return std::nullopt;
  return out;
}

Status fail(Errors list, kong::LoadError* errors) {
  kong::LoadError e{std::move(list)};
  Status s = Status::invalidArgument(e.message());
  if (errors) *errors = std::move(e);
  return s;
}

bool isMarkerLine(std::string_view line, std::string_view marker) {
  if (line.substr(0, 3) != marker) return false;
  return line.size() == 3 || line[3] == ' ' || line[3] == '\t' || line[3] == '\r';
}

bool isBlankDocument(std::string_view doc) {
  size_t i = 0;
  while (i < doc.size()) {
    size_t end = doc.find('\n', i);
    if (end == std::string_view::npos) end = doc.size();
    std::string_view line = doc.substr(i, end - i);
    const size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#') {
      // A lone `---` marker line opening the chunk is no content.
      if (!(isMarkerLine(line, "---") &&
            line.find_first_not_of(" \t\r", 3) == std::string_view::npos)) {
        return false;
      }
    }
    i = end + 1;
  }
  return true;
}

}  // namespace

// ---- public -----------------------------------------------------------------------------------

std::optional<std::string_view> pluralOfType(std::string_view type) {
  for (const auto& t : kTypes) {
    if (t.type == type) return t.plural;
  }
  return std::nullopt;
}

std::optional<std::string_view> typeOfPlural(std::string_view plural) {
  for (const auto& t : kTypes) {
    if (t.plural == plural) return t.type;
  }
  return std::nullopt;
}

std::optional<double> parseDurationSeconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text == "0") return 0.0;
  double total = 0;
  size_t i = 0;
  while (i < text.size()) {
    const size_t start = i;
    bool dot = false;
    while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || (text[i] == '.' && !dot))) {
      if (text[i] == '.') dot = true;
      ++i;
    }
    if (i == start || (i == start + 1 && dot)) return std::nullopt;
    const double value = std::stod(std::string(text.substr(start, i - start)));
    const size_t unit_start = i;
    while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') ++i;
    const std::string_view unit = text.substr(unit_start, i - unit_start);
    double scale = 0;
    if (unit == "ns")
      scale = 1e-9;
    else if (unit == "us")
      scale = 1e-6;
    else if (unit == "ms")
      scale = 1e-3;
    else if (unit == "s")
      scale = 1;
    else if (unit == "m")
      scale = 60;
    else if (unit == "h")
      scale = 3600;
    else if (unit == "d")
      scale = 86400;
    else if (unit == "y")
      scale = 365 * 86400.0;  // Kuma's caCert.expiration: "10y"
    else
      return std::nullopt;
    total += value * scale;
  }
  if (!std::isfinite(total)) return std::nullopt;
  return total;
}

std::vector<std::string_view> splitYamlDocuments(std::string_view text) {
  std::vector<std::string_view> docs;
  size_t doc_start = 0;
  size_t i = 0;
  auto close = [&](size_t end) {
    std::string_view doc = text.substr(doc_start, end - doc_start);
    if (!isBlankDocument(doc)) docs.push_back(doc);
  };
  while (i < text.size()) {
    size_t end = text.find('\n', i);
    const size_t next = end == std::string_view::npos ? text.size() : end + 1;
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(i, end - i);
    if (isMarkerLine(line, "---")) {
      close(i);
      doc_start = i;  // the marker line may carry content (`--- {a: 1}`): keep it
    } else if (isMarkerLine(line, "...")) {
      close(i);
      doc_start = next;
    }
    i = next;
  }
  close(text.size());
  return docs;
}

Result<Resource> loadMeshResource(std::string_view type, const Json& body,
                                  kong::LoadError* errors) {
  Errors list;
  try {
    if (body.is_object()) {
      auto t = body.find("type");
      if (t != body.end() && !(t->is_string() && t->get<std::string>() == type)) {
        list.push_back({"type", "does not match the resource type " + std::string(type)});
      }
    }
    if (!pluralOfType(type)) {
      list.push_back({"type", "unknown type '" + std::string(type) + "'; expected one of " +
                                  knownTypesList()});
    }
    if (!list.empty()) return fail(std::move(list), errors);
    // Paths start at the resource: read it under a root whose name we strip afterwards.
    auto res = readResource(type, body, "$", list);
    for (auto& e : list) {
      if (e.path == "$")
        e.path.clear();
      else if (e.path.rfind("$.", 0) == 0)
        e.path.erase(0, 2);
    }
    if (!res) return fail(std::move(list), errors);
    if (errors) errors->errors.clear();
    return std::move(*res);
  } catch (const std::exception& e) {
    return fail({{"", std::string("invalid document: ") + e.what()}}, errors);
  }
}

Result<MeshResources> loadMeshResources(std::string_view text, kong::LoadError* errors) {
  Errors list;
  MeshResources out;
  std::set<std::tuple<std::string, std::string, std::string>> seen;
  const auto docs = splitYamlDocuments(text);
  try {
    size_t line = 0;  // newlines before docs[i], counted incrementally
    const char* counted = text.data();
    for (size_t i = 0; i < docs.size(); ++i) {
      const std::string path = "[" + std::to_string(i) + "]";
      Json doc;
      std::string problem;
      // Blank lines in front keep the parser's line numbers those of the whole stream.
      line += size_t(std::count(counted, docs[i].data(), '\n'));
      counted = docs[i].data();
      std::string padded(line, '\n');
      padded.append(docs[i]);
      if (!kong::parseDocument(padded, doc, problem)) {
        list.push_back({path, problem});
        continue;
      }
      if (doc.is_null()) continue;
      if (!expectObject(doc, path, list)) continue;
      auto t = doc.find("type");
      if (t == doc.end() || !t->is_string()) {
        list.push_back(
            {path + ".type", t == doc.end() ? "required field missing" : "expected a string"});
        continue;
      }
      const std::string type = t->get<std::string>();
      auto res = readResource(type, doc, path, list);
      if (!res) continue;
      std::string name, mesh;
      if (auto* m = std::get_if<Mesh>(&*res)) {
        name = m->name;
        out.meshes.push_back(std::move(*m));
      } else if (auto* dp = std::get_if<Dataplane>(&*res)) {
        name = dp->name;
        mesh = dp->mesh;
        out.dataplanes.push_back(std::move(*dp));
      } else {
        auto& p = std::get<Policy>(*res);
        name = p.name;
        mesh = p.mesh;
        out.policies.push_back(std::move(p));
      }
      if (!seen.insert({type, mesh, name}).second) {
        list.push_back({path + ".name", "duplicate " + type + " '" + name + "'" +
                                            (mesh.empty() ? "" : " in mesh '" + mesh + "'")});
      }
    }
  } catch (const std::exception& e) {  // nlohmann on an unexpected type; never escapes
    list.push_back({"", std::string("invalid document: ") + e.what()});
  }
  if (!list.empty()) return fail(std::move(list), errors);
  if (errors) errors->errors.clear();
  return out;
}

}  // namespace causeway::model::mesh
