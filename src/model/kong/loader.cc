// The Kong 3.x declarative-config loader: parse (document.cc), walk every entity collecting all
// field errors, then give ids, resolve references and check uniqueness with hash maps (linear in
// the number of entities), and finally hash the canonical content.
//
// Route order (Route::order, Config::routes): the routes nested in services, service by service in
// file order, then the top-level `routes` in file order.
// Generated ids: deterministicUuid() of the entity type and its natural key: the name (services,
// routes, upstreams), username/custom_id (consumers), upstream id + host:port (targets), the PEM
// digest (certificates), name + scope ids (plugins); nameless services and routes use their
// position (the parent service id + position for nested routes). The keys come from ids.h,
// shared with flattenDeclarative() (flatten.h) so a control plane gives the same ids.
#include "model/kong/loader.h"
#include "model/kong/loader_json.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <limits>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>

#include "base/strings.h"
#include "model/kong/certs.h"
#include "model/kong/document.h"
#include "model/kong/ids.h"
#include "model/kong/plugin_registry.h"
#include "model/kong/validate.h"

namespace causeway::model::kong {
namespace {

using Json = nlohmann::json;

constexpr int64_t kMaxTimeout = 2147483647;  // 2^31 - 1 ms

std::string join(const std::string& base, std::string_view key) {
  if (base.empty()) return std::string(key);
  std::string out;
  out.reserve(base.size() + 1 + key.size());
  out += base;
  out += '.';
  out += key;
  return out;
}

std::string indexed(const std::string& base, size_t i) {
  return base + "[" + std::to_string(i) + "]";
}

std::string notSupportedMessage(std::string_view what) {
  return std::string(what) + " is not supported yet by causeway";
}

bool contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

const std::vector<std::string>& kongProtocols() {
  static const std::vector<std::string> k = {"grpc", "grpcs", "http", "https", "tcp",
                                             "tls",  "tls_passthrough", "udp", "ws", "wss"};
  return k;
}

std::string oneOfMessage(const std::vector<std::string>& values) {
  std::string out = "expected one of: ";
  for (size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + values[i];
  return out;
}

// http and https pass; Kong's other protocols are refused honestly; anything else is invalid.
Problem checkProtocol(const std::string& p) {
  if (p == "http" || p == "https") return std::nullopt;
  if (contains(kongProtocols(), p)) return "protocol '" + p + "' is not supported yet by causeway";
  return oneOfMessage(kongProtocols());
}

class Errors {
 public:
  explicit Errors(std::vector<FieldError>& out) : out_(out) {}
  void add(std::string path, std::string message) {
    out_.push_back({std::move(path), std::move(message)});
  }
  size_t count() const { return out_.size(); }

 private:
  std::vector<FieldError>& out_;
};

// Reads the fields of one record, remembering which keys it knows so that finish() can name the
// unknown ones. Absent and null values are both "not set", as in Kong.
class Fields {
 public:
  Fields(const Json& obj, std::string path, Errors& errors)
      : obj_(obj), path_(std::move(path)), errors_(errors) {}
  Fields(const Fields&) = delete;
  Fields& operator=(const Fields&) = delete;

  const std::string& path() const { return path_; }
  std::string pathOf(std::string_view key) const { return join(path_, key); }
  Errors& errors() { return errors_; }

  // The value of `key`, or nullptr when absent or null; marks the key as known.
  const Json* take(std::string_view key) {
    known_.push_back(key);
    auto it = obj_.find(key);
    if (it == obj_.end() || it->is_null()) return nullptr;
    return &*it;
  }
  bool has(std::string_view key) const {
    auto it = obj_.find(key);
    return it != obj_.end() && !it->is_null();
  }

  void error(std::string_view key, std::string message) {
    errors_.add(pathOf(key), std::move(message));
  }
  void required(std::string_view key) { error(key, "required field missing"); }

  bool string(std::string_view key, std::string& out, bool isRequired = false) {
    const Json* v = take(key);
    if (!v) {
      if (isRequired) required(key);
      return false;
    }
    if (!v->is_string()) {
      error(key, "expected a string");
      return false;
    }
    out = v->get<std::string>();
    return true;
  }

  bool integer(std::string_view key, int64_t& out, int64_t lo, int64_t hi,
               bool isRequired = false) {
    const Json* v = take(key);
    if (!v) {
      if (isRequired) required(key);
      return false;
    }
    return integerValue(*v, pathOf(key), out, lo, hi, errors_);
  }

  bool boolean(std::string_view key, bool& out) {
    const Json* v = take(key);
    if (!v) return false;
    if (!v->is_boolean()) {
      error(key, "expected a boolean");
      return false;
    }
    out = v->get<bool>();
    return true;
  }

  // An array of strings; each element checked by `check` (may be null).
  bool stringList(std::string_view key, std::vector<std::string>& out,
                  Problem (*check)(std::string_view) = nullptr) {
    const Json* v = take(key);
    if (!v) return false;
    if (!v->is_array()) {
      error(key, "expected an array");
      return false;
    }
    const std::string base = pathOf(key);
    out.clear();
    out.reserve(v->size());
    bool ok = true;
    for (size_t i = 0; i < v->size(); ++i) {
      const Json& e = (*v)[i];
      if (!e.is_string()) {
        errors_.add(indexed(base, i), "expected a string");
        ok = false;
        continue;
      }
      std::string s = e.get<std::string>();
      if (check) {
        if (auto p = check(s)) {
          errors_.add(indexed(base, i), *p);
          ok = false;
          continue;
        }
      }
      out.push_back(std::move(s));
    }
    return ok;
  }

  void tags(std::vector<std::string>& out) { stringList("tags", out, &checkTag); }

  // The entity's `id`: a UUID, stored lower-case. Returns true when set.
  bool id(std::string& out) {
    std::string raw;
    if (!string("id", raw)) return false;
    if (!isUuid(raw)) {
      error("id", "expected a valid UUID");
      return false;
    }
    out = toLower(raw);
    return true;
  }

  // Keys Kong accepts that carry nothing for us (timestamps, comments).
  void ignore(std::initializer_list<std::string_view> keys) {
    for (auto k : keys) known_.push_back(k);
  }
  void ignoreCommon() { ignore({"created_at", "updated_at", "_comment", "_ignore"}); }

  // A Kong field we do not implement: accepted when null, false or empty, refused otherwise.
  void unsupported(std::string_view key, std::string_view what) {
    const Json* v = take(key);
    if (!v) return;
    const bool unset = (v->is_boolean() && !v->get<bool>()) ||
                       ((v->is_array() || v->is_object()) && v->empty());
    if (!unset) error(key, notSupportedMessage(what));
  }

  // Reports every key that no reader asked for.
  void finish() {
    for (auto it = obj_.begin(); it != obj_.end(); ++it) {
      if (std::find(known_.begin(), known_.end(), std::string_view(it.key())) == known_.end()) {
        errors_.add(pathOf(it.key()), "unknown field");
      }
    }
  }

  static bool integerValue(const Json& v, const std::string& path, int64_t& out, int64_t lo,
                           int64_t hi, Errors& errors) {
    int64_t value = 0;
    if (v.is_number_integer() && !v.is_number_unsigned()) {
      value = v.get<int64_t>();
    } else if (v.is_number_unsigned()) {
      const uint64_t u = v.get<uint64_t>();
      value = u > uint64_t(std::numeric_limits<int64_t>::max())
                  ? std::numeric_limits<int64_t>::max()
                  : int64_t(u);
    } else if (v.is_number_float()) {
      const double d = v.get<double>();
      if (!std::isfinite(d) || std::floor(d) != d) {
        errors.add(path, "expected an integer");
        return false;
      }
      value = d >= 9.2e18 ? std::numeric_limits<int64_t>::max()
              : d <= -9.2e18 ? std::numeric_limits<int64_t>::min()
                             : int64_t(d);
    } else {
      errors.add(path, "expected an integer");
      return false;
    }
    if (value < lo || value > hi) {
      errors.add(path, "value should be between " + std::to_string(lo) + " and " +
                           std::to_string(hi));
      return false;
    }
    out = value;
    return true;
  }

 private:
  const Json& obj_;
  std::string path_;
  Errors& errors_;
  std::vector<std::string_view> known_;
};

// A reference to another entity: a string (name or id) or a record {id: ...} / {name: ...}.
struct Ref {
  bool present = false;
  std::string path;
  std::string value;
  enum class Kind { kAny, kId, kName } kind = Kind::kAny;
};

void readRef(Fields& f, std::string_view key, std::string_view nameKey, Ref& ref) {
  const Json* v = f.take(key);
  if (!v) return;
  ref.path = f.pathOf(key);
  if (v->is_string()) {
    ref.value = v->get<std::string>();
    ref.present = true;
    return;
  }
  if (!v->is_object()) {
    f.error(key, "expected a string or a record with '" + std::string(nameKey) + "' or 'id'");
    return;
  }
  Fields inner(*v, ref.path, f.errors());
  std::string id, name;
  const bool hasId = inner.string("id", id);
  const bool hasName = inner.string(nameKey, name);
  inner.finish();
  if (hasId) {
    ref.value = toLower(id);
    ref.kind = Ref::Kind::kId;
    ref.present = true;
  } else if (hasName) {
    ref.value = name;
    ref.kind = Ref::Kind::kName;
    ref.present = true;
  } else {
    f.error(key, "expected a string or a record with '" + std::string(nameKey) + "' or 'id'");
  }
}

// Id and name lookup for one entity type.
struct Index {
  std::unordered_map<std::string, size_t> byId;
  std::unordered_map<std::string, size_t> byName;

  // Index of the entity `ref` names, or -1 after reporting a dangling reference.
  long resolve(const Ref& ref, std::string_view key, std::string_view collection,
               Errors& errors) const {
    if (ref.kind != Ref::Kind::kName) {
      auto it = byId.find(toLower(ref.value));
      if (it != byId.end()) return long(it->second);
    }
    if (ref.kind != Ref::Kind::kId) {
      auto it = byName.find(ref.value);
      if (it != byName.end()) return long(it->second);
    }
    errors.add(ref.path, "invalid reference '" + std::string(key) + ": " + ref.value +
                             "' (no such entry in '" + std::string(collection) + "')");
    return -1;
  }
};

// ---- Drafts: an entity being loaded, with where it came from and what it refers to. ----

struct ServiceDraft {
  Service value;
  std::string path;
  bool explicitId = false;
  size_t position = 0;  // in its collection
};

struct RouteDraft {
  Route value;
  std::string path;
  bool explicitId = false;
  long parentService = -1;  // draft index, for nested routes
  size_t position = 0;      // in its parent list
  Ref service;
};

struct UpstreamDraft {
  Upstream value;
  std::string path;
  bool explicitId = false;
};

struct TargetDraft {
  Target value;
  std::string path;
  bool explicitId = false;
  long parentUpstream = -1;
  Ref upstream;
};

struct CertificateDraft {
  Certificate value;
  std::string path;
  bool explicitId = false;
};

struct SniDraft {
  std::string name;
  std::string path;  // of the name
  long parentCertificate = -1;
  Ref certificate;
};

struct ConsumerDraft {
  Consumer value;
  std::string path;
  bool explicitId = false;
};

struct PluginDraft {
  Plugin value;
  std::string path;
  bool explicitId = false;
  bool known = false;
  long parentService = -1, parentRoute = -1, parentConsumer = -1;
  Ref service, route, consumer;
};

enum class Parent { kNone, kService, kRoute, kConsumer };

class Loader {
 public:
  explicit Loader(std::vector<FieldError>& errors) : errors_(errors) {}

  Config load(const Json& root);

 private:
  void readServices(const Json& list, const std::string& path);
  void readService(const Json& v, const std::string& path, size_t position);
  void readRoutes(const Json& list, const std::string& path, long parentService);
  void readRoute(const Json& v, const std::string& path, long parentService, size_t position);
  void readUpstream(const Json& v, const std::string& path);
  void readHealthchecks(Fields& f);
  void readTarget(const Json& v, const std::string& path, long parentUpstream);
  void readCertificate(const Json& v, const std::string& path);
  void readSni(const Json& v, const std::string& path, long parentCertificate);
  void readConsumer(const Json& v, const std::string& path);
  void readPlugins(const Json& list, const std::string& path, Parent parent, long parentIndex);
  void readPlugin(const Json& v, const std::string& path, Parent parent, long parentIndex);

  // Calls `each(element, path, position)` for each element of an array field.
  template <class F>
  void forEach(const Json& list, const std::string& path, F each) {
    if (!list.is_array()) {
      errors_.add(path, "expected an array");
      return;
    }
    for (size_t i = 0; i < list.size(); ++i) each(list[i], indexed(path, i), i);
  }

  bool asRecord(const Json& v, const std::string& path) {
    if (v.is_object()) return true;
    errors_.add(path, "expected a record");
    return false;
  }

  void assignIdsAndResolve();
  Config build();

  Errors errors_;
  std::string formatVersion_;
  std::vector<ServiceDraft> services_;
  std::vector<RouteDraft> nestedRoutes_, topRoutes_;
  std::vector<RouteDraft> routes_;  // nested then top-level, after load()
  std::vector<UpstreamDraft> upstreams_;
  std::vector<TargetDraft> targets_;
  std::vector<CertificateDraft> certificates_;
  std::vector<SniDraft> snis_;
  std::vector<ConsumerDraft> consumers_;
  std::vector<PluginDraft> plugins_;
};

// ---- Services ----

void Loader::readServices(const Json& list, const std::string& path) {
  forEach(list, path, [&](const Json& v, const std::string& p, size_t i) { readService(v, p, i); });
}

void Loader::readService(const Json& v, const std::string& path, size_t position) {
  if (!asRecord(v, path)) return;
  const long self = long(services_.size());
  services_.push_back({});
  ServiceDraft& d = services_.back();
  d.path = path;
  d.position = position;
  Service s;
  Fields f(v, path, errors_);
  f.ignoreCommon();
  d.explicitId = f.id(s.id);
  if (f.string("name", s.name)) {
    if (auto p = checkName(s.name)) f.error("name", *p);
  }
  f.tags(s.tags);

  std::string url;
  const bool hasUrl = f.string("url", url);
  if (hasUrl) {
    std::vector<std::string> clash;
    for (const char* k : {"protocol", "host", "port", "path"}) {
      if (f.has(k)) clash.push_back(std::string("'") + k + "'");
    }
    if (!clash.empty()) {
      std::string list;
      for (size_t i = 0; i < clash.size(); ++i) list += (i ? ", " : "") + clash[i];
      f.error("url", "'url' is a shorthand for protocol, host, port and path: it cannot be "
                     "combined with " + list);
    }
    // scheme://host[:port][/path]
    const size_t schemeEnd = url.find("://");
    if (schemeEnd == std::string::npos || schemeEnd == 0) {
      f.error("url", "invalid url: '" + url + "' (expected scheme://host[:port][/path])");
    } else {
      s.protocol = toLower(std::string_view(url).substr(0, schemeEnd));
      std::string_view rest = std::string_view(url).substr(schemeEnd + 3);
      const size_t authorityEnd = rest.find_first_of("/?#");
      std::string_view authority = rest.substr(0, authorityEnd);
      std::string_view tail =
          authorityEnd == std::string_view::npos ? std::string_view() : rest.substr(authorityEnd);
      auto hp = authority.find('@') == std::string_view::npos ? parseHostPort(authority)
                                                              : std::nullopt;
      if (auto p = checkProtocol(s.protocol)) {
        f.error("url", *p);
      } else if (!hp) {
        f.error("url", "invalid url: '" + url + "' (bad host or port)");
      } else if (auto hostProblem = checkHost(hp->host)) {
        f.error("url", *hostProblem);
      } else if (tail.find_first_of("?#") != std::string_view::npos) {
        f.error("url", "invalid url: '" + url + "' (query and fragment are not allowed)");
      } else {
        s.host = hp->host;
        s.port = hp->port.value_or(s.protocol == "https" ? 443 : 80);
        if (!tail.empty()) {
          if (auto p = checkPath(tail)) {
            f.error("url", *p);
          } else {
            s.path = std::string(tail);
          }
        }
      }
    }
  }
  if (!hasUrl || f.has("protocol")) {
    if (f.string("protocol", s.protocol)) {
      if (auto p = checkProtocol(s.protocol)) f.error("protocol", *p);
    }
  }
  if (!hasUrl || f.has("host")) {
    if (f.string("host", s.host, /*isRequired=*/!hasUrl)) {
      if (auto p = checkHost(s.host)) f.error("host", *p);
    }
  }
  int64_t n = 0;
  if (!hasUrl || f.has("port")) {
    if (f.integer("port", n, 0, 65535)) s.port = uint16_t(n);
  }
  if (!hasUrl || f.has("path")) {
    std::string path;
    if (f.string("path", path)) {
      if (auto p = checkPath(path)) {
        f.error("path", *p);
      } else {
        s.path = path;
      }
    }
  }
  if (f.integer("retries", n, 0, 32767)) s.retries = int(n);
  if (f.integer("connect_timeout", n, 1, kMaxTimeout)) s.connect_timeout_ms = int(n);
  if (f.integer("write_timeout", n, 1, kMaxTimeout)) s.write_timeout_ms = int(n);
  if (f.integer("read_timeout", n, 1, kMaxTimeout)) s.read_timeout_ms = int(n);
  bool b = false;
  if (f.boolean("tls_verify", b)) s.tls_verify = b;
  if (f.integer("tls_verify_depth", n, 0, 64)) s.tls_verify_depth = int(n);
  f.boolean("enabled", s.enabled);
  f.unsupported("client_certificate", "'client_certificate'");
  f.unsupported("ca_certificates", "'ca_certificates'");
  if (s.path && s.protocol != "http" && s.protocol != "https") {
    f.error("path", "value must be null when 'protocol' is not http or https");
  }
  services_[size_t(self)].value = std::move(s);

  if (const Json* routes = f.take("routes")) readRoutes(*routes, f.pathOf("routes"), self);
  if (const Json* plugins = f.take("plugins")) {
    readPlugins(*plugins, f.pathOf("plugins"), Parent::kService, self);
  }
  f.finish();
}

// ---- Routes ----

void Loader::readRoutes(const Json& list, const std::string& path, long parentService) {
  forEach(list, path, [&](const Json& v, const std::string& p, size_t i) {
    readRoute(v, p, parentService, i);
  });
}

void Loader::readRoute(const Json& v, const std::string& path, long parentService,
                       size_t position) {
  if (!asRecord(v, path)) return;
  auto& list = parentService >= 0 ? nestedRoutes_ : topRoutes_;
  const size_t self = list.size();
  list.push_back({});
  RouteDraft d;
  d.path = path;
  d.parentService = parentService;
  d.position = position;
  Route& r = d.value;
  Fields f(v, path, errors_);
  f.ignoreCommon();
  d.explicitId = f.id(r.id);
  if (f.string("name", r.name)) {
    if (auto p = checkName(r.name)) f.error("name", *p);
  }
  f.tags(r.tags);
  if (parentService < 0) readRef(f, "service", "name", d.service);

  if (const Json* protocols = f.take("protocols")) {
    std::vector<std::string> values;
    if (!protocols->is_array()) {
      f.error("protocols", "expected an array");
    } else if (protocols->empty()) {
      f.error("protocols", "length must be at least 1");
    } else {
      for (size_t i = 0; i < protocols->size(); ++i) {
        const Json& e = (*protocols)[i];
        const std::string at = indexed(f.pathOf("protocols"), i);
        if (!e.is_string()) {
          errors_.add(at, "expected a string");
          continue;
        }
        std::string p = e.get<std::string>();
        if (auto problem = checkProtocol(p)) {
          errors_.add(at, *problem);
        } else if (!contains(values, p)) {
          values.push_back(std::move(p));
        }
      }
      if (!values.empty()) r.protocols = std::move(values);
    }
  }
  f.stringList("methods", r.methods, [](std::string_view m) -> Problem {
    if (m.empty() || !std::all_of(m.begin(), m.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
      return "invalid value: " + std::string(m);
    return std::nullopt;
  });
  f.stringList("hosts", r.hosts, &checkRouteHost);
  if (const Json* paths = f.take("paths")) {
    if (!paths->is_array()) {
      f.error("paths", "expected an array");
    } else {
      const bool legacy = formatVersion_ != "3.0";
      for (size_t i = 0; i < paths->size(); ++i) {
        const Json& e = (*paths)[i];
        const std::string at = indexed(f.pathOf("paths"), i);
        if (!e.is_string()) {
          errors_.add(at, "expected a string");
          continue;
        }
        std::string p = e.get<std::string>();
        // Kong 3 reads a 1.1/2.1 file's regex-looking paths as regexes ("~" prefix).
        if (legacy && startsWith(p, "/") && looksLikeLegacyRegexPath(p)) p = "~" + p;
        if (auto problem = checkRoutePath(p)) {
          errors_.add(at, *problem);
        } else {
          r.paths.push_back(std::move(p));
        }
      }
    }
  }
  if (const Json* headers = f.take("headers")) {
    if (!headers->is_object()) {
      f.error("headers", "expected a map");
    } else {
      std::unordered_set<std::string> seen;
      for (auto it = headers->begin(); it != headers->end(); ++it) {
        const std::string at = join(f.pathOf("headers"), it.key());
        RouteHeader h;
        h.name = toLower(it.key());
        if (auto p = checkHeaderName(it.key())) {
          errors_.add(at, *p);
          continue;
        }
        if (h.name == "host") {
          errors_.add(at, "cannot contain 'host' header, which must be specified in the 'hosts' "
                          "attribute");
          continue;
        }
        if (!seen.insert(h.name).second) {
          errors_.add(at, "duplicate header name (names are case-insensitive)");
          continue;
        }
        const Json& values = it.value();
        if (!values.is_array()) {
          errors_.add(at, "expected an array");
          continue;
        }
        if (values.empty()) {
          errors_.add(at, "length must be at least 1");
          continue;
        }
        bool ok = true;
        for (size_t i = 0; i < values.size(); ++i) {
          if (!values[i].is_string()) {
            errors_.add(indexed(at, i), "expected a string");
            ok = false;
            continue;
          }
          std::string value = values[i].get<std::string>();
          if (startsWith(value, "~*")) {
            value.erase(0, 2);
            if (auto p = checkRegex(value, /*caseInsensitive=*/true)) {
              errors_.add(indexed(at, i), *p);
              ok = false;
              continue;
            }
            h.regexes.push_back(std::move(value));
          } else {
            h.values.push_back(std::move(value));
          }
        }
        if (ok) r.headers.push_back(std::move(h));
      }
    }
  }
  f.stringList("snis", r.snis, &checkSni);
  int64_t n = 0;
  if (f.integer("regex_priority", n, std::numeric_limits<int>::min(),
                std::numeric_limits<int>::max())) {
    r.regex_priority = int(n);
  }
  f.boolean("strip_path", r.strip_path);
  f.boolean("preserve_host", r.preserve_host);
  f.boolean("request_buffering", r.request_buffering);
  f.boolean("response_buffering", r.response_buffering);
  std::string handling;
  if (f.string("path_handling", handling)) {
    if (handling == "v0") {
      r.path_handling = PathHandling::kV0;
    } else if (handling == "v1") {
      r.path_handling = PathHandling::kV1;
    } else {
      f.error("path_handling", "expected one of: v0, v1");
    }
  }
  if (f.integer("https_redirect_status_code", n, std::numeric_limits<int64_t>::min(),
                std::numeric_limits<int64_t>::max())) {
    if (n == 426 || n == 301 || n == 302 || n == 307 || n == 308) {
      r.https_redirect_status_code = int(n);
    } else {
      f.error("https_redirect_status_code", "expected one of: 426, 301, 302, 307, 308");
    }
  }
  f.unsupported("sources", "'sources' (stream routing)");
  f.unsupported("destinations", "'destinations' (stream routing)");
  f.unsupported("expression", "'expression' (the expressions router)");
  f.unsupported("priority", "'priority' (the expressions router)");

  // Entity checks, on what was given (a field with errors counts as given).
  const bool https = contains(r.protocols, "https");
  if (f.has("snis") && !https) {
    f.error("snis", "'snis' can only be set when 'protocols' is 'grpcs', 'https', 'tls' or "
                    "'tls_passthrough'");
  }
  auto given = [&](const char* k) {
    if (!f.has(k)) return false;
    const Json& m = v.at(k);
    return !(m.is_array() || m.is_object()) || !m.empty();
  };
  bool anyMatcher = given("methods") || given("hosts") || given("headers") || given("paths") ||
                    (https && given("snis"));
  if (!anyMatcher) {
    errors_.add(path, https ? std::string("must set one of 'methods', 'hosts', 'headers', 'paths', "
                                          "'snis' when 'protocols' is 'https'")
                            : std::string("must set one of 'methods', 'hosts', 'headers', "
                                          "'paths' when 'protocols' is 'http'"));
  }
  list[self] = std::move(d);

  if (const Json* plugins = f.take("plugins")) {
    // Route draft index encoded as: nested routes first, top-level after, fixed in build().
    readPlugins(*plugins, f.pathOf("plugins"), Parent::kRoute,
                parentService >= 0 ? long(self) : -2 - long(self));
  }
  f.finish();
}

// ---- Upstreams and targets ----

bool parseHashOn(const std::string& s, HashOn& out) {
  static const std::pair<const char*, HashOn> kValues[] = {
      {"none", HashOn::kNone},     {"consumer", HashOn::kConsumer},
      {"ip", HashOn::kIp},         {"header", HashOn::kHeader},
      {"cookie", HashOn::kCookie}, {"path", HashOn::kPath},
      {"query_arg", HashOn::kQueryArg}, {"uri_capture", HashOn::kUriCapture}};
  for (const auto& [name, value] : kValues) {
    if (s == name) {
      out = value;
      return true;
    }
  }
  return false;
}

void Loader::readUpstream(const Json& v, const std::string& path) {
  if (!asRecord(v, path)) return;
  const long self = long(upstreams_.size());
  upstreams_.push_back({});
  UpstreamDraft d;
  d.path = path;
  Upstream& u = d.value;
  Fields f(v, path, errors_);
  f.ignoreCommon();
  d.explicitId = f.id(u.id);
  if (f.string("name", u.name, /*isRequired=*/true)) {
    if (!isHostname(u.name)) f.error("name", "Invalid name ('" + u.name + "'); must be a valid hostname");
  }
  f.tags(u.tags);
  std::string s;
  if (f.string("algorithm", s)) {
    if (s == "round-robin") {
      u.algorithm = LbAlgorithm::kRoundRobin;
    } else if (s == "consistent-hashing") {
      u.algorithm = LbAlgorithm::kConsistentHashing;
    } else if (s == "least-connections") {
      u.algorithm = LbAlgorithm::kLeastConnections;
    } else if (s == "latency" || s == "sticky-sessions") {
      f.error("algorithm", notSupportedMessage("algorithm '" + s + "'"));
    } else {
      f.error("algorithm", "expected one of: consistent-hashing, latency, least-connections, "
                           "round-robin");
    }
  }
  const std::string hashValues =
      "expected one of: none, consumer, ip, header, cookie, path, query_arg, uri_capture";
  bool hashOnOk = true, fallbackOk = false;
  if (f.string("hash_on", s) && !parseHashOn(s, u.hash_on)) {
    f.error("hash_on", hashValues);
    hashOnOk = false;
  }
  if (f.string("hash_fallback", s)) {
    fallbackOk = parseHashOn(s, u.hash_fallback);
    if (!fallbackOk) f.error("hash_fallback", hashValues);
  }
  auto headerField = [&](const char* key, std::string& out) {
    if (f.string(key, out)) {
      if (auto p = checkHeaderName(out)) f.error(key, *p);
    }
  };
  headerField("hash_on_header", u.hash_on_header);
  headerField("hash_fallback_header", u.hash_fallback_header);
  f.string("hash_on_cookie", u.hash_on_cookie);
  if (f.string("hash_on_cookie_path", u.hash_on_cookie_path)) {
    if (auto p = checkPath(u.hash_on_cookie_path)) f.error("hash_on_cookie_path", *p);
  }
  f.string("hash_on_query_arg", u.hash_on_query_arg);
  f.string("hash_fallback_query_arg", u.hash_fallback_query_arg);
  f.string("hash_on_uri_capture", u.hash_on_uri_capture);
  f.string("hash_fallback_uri_capture", u.hash_fallback_uri_capture);
  int64_t n = 0;
  if (f.integer("slots", n, 10, 65536)) u.slots = uint32_t(n);
  std::string hostHeader;
  if (f.string("host_header", hostHeader)) {
    if (auto p = checkHost(hostHeader)) {
      f.error("host_header", *p);
    } else {
      u.host_header = hostHeader;
    }
  }
  f.unsupported("client_certificate", "'client_certificate'");
  f.unsupported("use_srv_name", "'use_srv_name'");
  readHealthchecks(f);

  // Kong's cross-field rules on hashing.
  auto requireField = [&](bool when, const char* key, const std::string& value) {
    if (when && value.empty() && !f.has(key)) f.required(key);
  };
  requireField(u.hash_on == HashOn::kHeader, "hash_on_header", u.hash_on_header);
  requireField(u.hash_fallback == HashOn::kHeader, "hash_fallback_header", u.hash_fallback_header);
  requireField(u.hash_on == HashOn::kCookie || u.hash_fallback == HashOn::kCookie,
               "hash_on_cookie", u.hash_on_cookie);
  requireField(u.hash_on == HashOn::kQueryArg, "hash_on_query_arg", u.hash_on_query_arg);
  requireField(u.hash_fallback == HashOn::kQueryArg, "hash_fallback_query_arg",
               u.hash_fallback_query_arg);
  requireField(u.hash_on == HashOn::kUriCapture, "hash_on_uri_capture", u.hash_on_uri_capture);
  requireField(u.hash_fallback == HashOn::kUriCapture, "hash_fallback_uri_capture",
               u.hash_fallback_uri_capture);
  if (hashOnOk && fallbackOk && u.hash_fallback != HashOn::kNone) {
    if (u.hash_on == HashOn::kNone || u.hash_on == HashOn::kCookie) {
      f.error("hash_fallback", "expected one of: none");
    } else if (u.hash_on == u.hash_fallback) {
      const bool distinctNames =
          (u.hash_on == HashOn::kHeader && toLower(u.hash_on_header) != toLower(u.hash_fallback_header)) ||
          (u.hash_on == HashOn::kQueryArg && u.hash_on_query_arg != u.hash_fallback_query_arg) ||
          (u.hash_on == HashOn::kUriCapture && u.hash_on_uri_capture != u.hash_fallback_uri_capture);
      if (!distinctNames) {
        errors_.add(path, "values of these fields must be distinct: 'hash_on', 'hash_fallback'");
      }
    }
  }
  upstreams_[size_t(self)] = std::move(d);

  if (const Json* targets = f.take("targets")) {
    forEach(*targets, f.pathOf("targets"),
            [&](const Json& t, const std::string& p, size_t) { readTarget(t, p, self); });
  }
  f.finish();
}

// Health checks are read for their shape; enabled probes are refused, since nothing runs them yet.
void Loader::readHealthchecks(Fields& upstream) {
  const Json* hc = upstream.take("healthchecks");
  if (!hc) return;
  const std::string path = upstream.pathOf("healthchecks");
  if (!asRecord(*hc, path)) return;
  Fields f(*hc, path, errors_);
  auto number = [&](Fields& r, const char* key, double lo, double hi, double& out) {
    const Json* v = r.take(key);
    if (!v) return;
    if (!v->is_number()) {
      r.error(key, "expected a number");
    } else if (v->get<double>() < lo || v->get<double>() > hi || std::isnan(v->get<double>())) {
      r.error(key, "value should be between " + std::to_string(int64_t(lo)) + " and " +
                       std::to_string(int64_t(hi)));
    } else {
      out = v->get<double>();
    }
  };
  auto statuses = [&](Fields& r) {
    const Json* v = r.take("http_statuses");
    if (!v) return;
    if (!v->is_array()) {
      r.error("http_statuses", "expected an array");
      return;
    }
    for (size_t i = 0; i < v->size(); ++i) {
      int64_t code = 0;
      Fields::integerValue((*v)[i], indexed(r.pathOf("http_statuses"), i), code, 100, 999,
                           errors_);
    }
  };
  // Returns true when the counters or intervals switch the checker on.
  auto health = [&](Fields& parent, const char* key, bool active, bool healthy) {
    const Json* v = parent.take(key);
    if (!v || !asRecord(*v, parent.pathOf(key))) return false;
    Fields r(*v, parent.pathOf(key), errors_);
    double interval = 0, a = 0, b = 0, c = 0;
    if (active) number(r, "interval", 0, 65535, interval);
    statuses(r);
    if (healthy) {
      number(r, "successes", 0, 255, a);
    } else {
      number(r, "http_failures", 0, 255, a);
      number(r, "tcp_failures", 0, 255, b);
      number(r, "timeouts", 0, 255, c);
    }
    r.finish();
    return active ? interval > 0 : (a > 0 || b > 0 || c > 0);
  };
  auto checkType = [&](Fields& r) {
    std::string type;
    if (r.string("type", type) && type != "http" && type != "https" && type != "tcp" &&
        type != "grpc" && type != "grpcs") {
      r.error("type", "expected one of: tcp, http, https, grpc, grpcs");
    }
  };
  if (const Json* active = f.take("active"); active && asRecord(*active, f.pathOf("active"))) {
    Fields r(*active, f.pathOf("active"), errors_);
    checkType(r);
    double unused = 0;
    number(r, "timeout", 0, 65535, unused);
    int64_t n = 0;
    r.integer("concurrency", n, 1, 2147483648LL);
    std::string s;
    if (r.string("http_path", s)) {
      if (auto p = checkPath(s)) r.error("http_path", *p);
    }
    if (r.string("https_sni", s)) {
      if (auto p = checkHost(s)) r.error("https_sni", *p);
    }
    bool b = false;
    r.boolean("https_verify_certificate", b);
    if (const Json* h = r.take("headers"); h && !h->is_object()) r.error("headers", "expected a map");
    const bool healthyOn = health(r, "healthy", true, true);
    const bool unhealthyOn = health(r, "unhealthy", true, false);
    const bool on = healthyOn || unhealthyOn;
    r.finish();
    if (on) errors_.add(f.pathOf("active"), notSupportedMessage("active health checking"));
  }
  if (const Json* passive = f.take("passive"); passive && asRecord(*passive, f.pathOf("passive"))) {
    Fields r(*passive, f.pathOf("passive"), errors_);
    checkType(r);
    const bool healthyOn = health(r, "healthy", false, true);
    const bool unhealthyOn = health(r, "unhealthy", false, false);
    const bool on = healthyOn || unhealthyOn;
    r.finish();
    if (on) errors_.add(f.pathOf("passive"), notSupportedMessage("passive health checking"));
  }
  double threshold = 0;
  number(f, "threshold", 0, 100, threshold);
  f.finish();
}

void Loader::readTarget(const Json& v, const std::string& path, long parentUpstream) {
  if (!asRecord(v, path)) return;
  TargetDraft d;
  d.path = path;
  d.parentUpstream = parentUpstream;
  Target& t = d.value;
  Fields f(v, path, errors_);
  f.ignoreCommon();
  d.explicitId = f.id(t.id);
  f.tags(t.tags);
  if (parentUpstream < 0) {
    readRef(f, "upstream", "name", d.upstream);
    if (!d.upstream.present && !f.has("upstream")) f.required("upstream");
  }
  std::string target;
  if (f.string("target", target, /*isRequired=*/true)) {
    auto hp = parseHostPort(target);
    const bool bracketed = startsWith(target, "[");
    if (!hp || (bracketed ? !isIPv6(hp->host) : !(isIPv4(hp->host) || isHostname(hp->host)))) {
      f.error("target", "Invalid target ('" + target + "'); not a valid hostname or ip address");
    } else {
      t.host = hp->host;
      t.port = hp->port.value_or(8000);
    }
  }
  int64_t n = 0;
  if (f.integer("weight", n, 0, 65535)) t.weight = uint32_t(n);
  f.finish();
  targets_.push_back(std::move(d));
}

// ---- Certificates and SNIs ----

void Loader::readCertificate(const Json& v, const std::string& path) {
  if (!asRecord(v, path)) return;
  const long self = long(certificates_.size());
  certificates_.push_back({});
  CertificateDraft d;
  d.path = path;
  Certificate& c = d.value;
  Fields f(v, path, errors_);
  f.ignoreCommon();
  d.explicitId = f.id(c.id);
  f.tags(c.tags);
  bool certOk = false, keyOk = false;
  if (f.string("cert", c.cert, true)) {
    if (auto p = checkCertificatePem(c.cert)) {
      f.error("cert", *p);
    } else {
      certOk = true;
    }
  }
  if (f.string("key", c.key, true)) {
    if (auto p = checkPrivateKeyPem(c.key)) {
      f.error("key", *p);
    } else {
      keyOk = true;
    }
  }
  if (certOk && keyOk && !keyMatchesCertificate(c.cert, c.key)) {
    errors_.add(path, "certificate does not match key");
  }
  f.unsupported("cert_alt", "'cert_alt'");
  f.unsupported("key_alt", "'key_alt'");
  certificates_[size_t(self)] = std::move(d);
  if (const Json* snis = f.take("snis")) {
    forEach(*snis, f.pathOf("snis"),
            [&](const Json& s, const std::string& p, size_t) { readSni(s, p, self); });
  }
  f.finish();
}

void Loader::readSni(const Json& v, const std::string& path, long parentCertificate) {
  SniDraft d;
  d.parentCertificate = parentCertificate;
  if (v.is_string() && parentCertificate >= 0) {  // certificates[].snis: ["a.example.com"]
    d.name = v.get<std::string>();
    d.path = path;
  } else {
    if (!asRecord(v, path)) return;
    Fields f(v, path, errors_);
    f.ignoreCommon();
    std::string id;
    f.id(id);  // validated; SNIs are kept as names on their certificate
    std::vector<std::string> tags;
    f.tags(tags);
    if (parentCertificate < 0) {
      readRef(f, "certificate", "id", d.certificate);
      if (!d.certificate.present && !f.has("certificate")) f.required("certificate");
    }
    d.path = f.pathOf("name");
    const bool ok = f.string("name", d.name, true);
    f.finish();
    if (!ok) return;
  }
  if (auto p = checkSni(d.name)) {
    errors_.add(d.path, *p);
    return;
  }
  snis_.push_back(std::move(d));
}

// ---- Consumers ----

void Loader::readConsumer(const Json& v, const std::string& path) {
  if (!asRecord(v, path)) return;
  const long self = long(consumers_.size());
  consumers_.push_back({});
  ConsumerDraft d;
  d.path = path;
  Consumer& c = d.value;
  Fields f(v, path, errors_);
  f.ignoreCommon();
  d.explicitId = f.id(c.id);
  f.tags(c.tags);
  f.string("username", c.username);
  f.string("custom_id", c.custom_id);
  if (c.username.empty() && c.custom_id.empty()) {
    errors_.add(path, "at least one of these fields must be non-empty: 'custom_id', 'username'");
  }
  consumers_[size_t(self)] = std::move(d);
  if (const Json* plugins = f.take("plugins")) {
    readPlugins(*plugins, f.pathOf("plugins"), Parent::kConsumer, self);
  }
  f.finish();
}

// ---- Plugins ----

void Loader::readPlugins(const Json& list, const std::string& path, Parent parent,
                         long parentIndex) {
  forEach(list, path, [&](const Json& v, const std::string& p, size_t) {
    readPlugin(v, p, parent, parentIndex);
  });
}

void Loader::readPlugin(const Json& v, const std::string& path, Parent parent, long parentIndex) {
  if (!asRecord(v, path)) return;
  PluginDraft d;
  d.path = path;
  Plugin& p = d.value;
  Fields f(v, path, errors_);
  f.ignoreCommon();
  d.explicitId = f.id(p.id);
  f.tags(p.tags);
  if (parent == Parent::kService) d.parentService = parentIndex;
  if (parent == Parent::kRoute) d.parentRoute = parentIndex;
  if (parent == Parent::kConsumer) d.parentConsumer = parentIndex;
  if (parent != Parent::kService) readRef(f, "service", "name", d.service);
  if (parent != Parent::kRoute) readRef(f, "route", "name", d.route);
  if (parent != Parent::kConsumer) readRef(f, "consumer", "username", d.consumer);
  f.unsupported("consumer_group", "'consumer_group'");
  f.unsupported("ordering", "'ordering'");
  std::string instanceName;
  if (f.string("instance_name", instanceName)) {
    if (auto problem = checkName(instanceName)) f.error("instance_name", *problem);
  }
  f.boolean("enabled", p.enabled);
  p.protocols = {"grpc", "grpcs", "http", "https"};
  if (f.has("protocols")) {
    std::vector<std::string> protocols;
    if (f.stringList("protocols", protocols, [](std::string_view s) -> Problem {
          if (contains(kongProtocols(), s)) return std::nullopt;
          return oneOfMessage(kongProtocols());
        })) {
      p.protocols = std::move(protocols);
    }
  }
  const Json* config = f.take("config");
  if (config && !config->is_object()) {
    f.error("config", "expected a record");
    config = nullptr;
  }
  p.config_json = config ? config->dump(-1, ' ', false, Json::error_handler_t::replace) : "{}";
  if (f.string("name", p.name, true)) {
    PluginSchema schema;
    if (!PluginRegistry::global().find(p.name, schema)) {
      f.error("name", pluginNotEnabledMessage(p.name));
    } else {
      d.known = true;
      if (schema.validate) {
        for (auto& e : schema.validate(p.config_json)) {
          errors_.add(e.path.empty() ? f.pathOf("config")
                                     : join(f.pathOf("config"), e.path),
                      std::move(e.message));
        }
      }
    }
  }
  f.finish();
  plugins_.push_back(std::move(d));
}

// ---- Top level ----

Config Loader::load(const Json& root) {
  if (!root.is_object()) {
    errors_.add("", "expected a mapping of entities (a YAML mapping or a JSON object)");
    return {};
  }
  Fields top(root, "", errors_);
  top.ignore({"_comment", "_ignore"});
  if (const Json* v = top.take("_format_version")) {
    if (!v->is_string()) {
      top.error("_format_version", "expected a string (quote the version: \"3.0\")");
    } else {
      formatVersion_ = v->get<std::string>();
      if (formatVersion_ != "3.0" && formatVersion_ != "2.1" && formatVersion_ != "1.1") {
        top.error("_format_version", "expected one of: 1.1, 2.1, 3.0");
      }
    }
  } else {
    top.required("_format_version");
  }
  bool transform = true;
  top.boolean("_transform", transform);
  std::string workspace;
  top.string("_workspace", workspace);
  for (const char* kind : {"ca_certificates", "vaults", "key_sets", "keys", "filter_chains",
                           "consumer_groups", "workspaces", "parameters", "licenses"}) {
    top.unsupported(kind, std::string("entity type '") + kind + "'");
  }

  if (const Json* v = top.take("services")) readServices(*v, "services");
  if (const Json* v = top.take("routes")) readRoutes(*v, "routes", -1);
  if (const Json* v = top.take("upstreams")) {
    forEach(*v, "upstreams", [&](const Json& e, const std::string& p, size_t) { readUpstream(e, p); });
  }
  if (const Json* v = top.take("targets")) {
    forEach(*v, "targets", [&](const Json& e, const std::string& p, size_t) { readTarget(e, p, -1); });
  }
  if (const Json* v = top.take("certificates")) {
    forEach(*v, "certificates",
            [&](const Json& e, const std::string& p, size_t) { readCertificate(e, p); });
  }
  if (const Json* v = top.take("snis")) {
    forEach(*v, "snis", [&](const Json& e, const std::string& p, size_t) { readSni(e, p, -1); });
  }
  if (const Json* v = top.take("consumers")) {
    forEach(*v, "consumers",
            [&](const Json& e, const std::string& p, size_t) { readConsumer(e, p); });
  }
  if (const Json* v = top.take("plugins")) readPlugins(*v, "plugins", Parent::kNone, -1);
  top.finish();

  // One route list: nested first, then top level. Fix the route parents of plugins.
  routes_ = std::move(nestedRoutes_);
  const size_t nestedCount = routes_.size();
  for (auto& r : topRoutes_) routes_.push_back(std::move(r));
  for (auto& p : plugins_) {
    if (p.parentRoute <= -2) p.parentRoute = long(nestedCount) + (-2 - p.parentRoute);
  }
  assignIdsAndResolve();
  return build();
}

// Records an id, reporting a duplicate. Generated ids that collide get a suffix instead.
template <class Draft>
void claimIds(std::vector<Draft>& drafts, std::string_view collection, Index& index,
              Errors& errors, const std::function<std::string(const Draft&, size_t)>& keyOf) {
  for (size_t i = 0; i < drafts.size(); ++i) {
    auto& d = drafts[i];
    if (!d.explicitId) continue;
    if (!index.byId.emplace(d.value.id, i).second) {
      errors.add(join(d.path, "id"), "uniqueness violation: '" + std::string(collection) +
                                         "' entity with primary key set to '" + d.value.id +
                                         "' already declared");
    }
  }
  for (size_t i = 0; i < drafts.size(); ++i) {
    auto& d = drafts[i];
    if (d.explicitId) continue;
    d.value.id = claimGeneratedId(collection, keyOf(d, i), [&](const std::string& id) {
      return index.byId.emplace(id, i).second;
    });
  }
}

template <class Draft, class NameOf>
void claimNames(std::vector<Draft>& drafts, std::string_view collection, std::string_view field,
                Index& index, Errors& errors, NameOf nameOf) {
  for (size_t i = 0; i < drafts.size(); ++i) {
    const std::string& name = nameOf(drafts[i].value);
    if (name.empty()) continue;
    if (!index.byName.emplace(name, i).second) {
      errors.add(join(drafts[i].path, field), "uniqueness violation: '" + std::string(collection) +
                                                  "' entity with " + std::string(field) +
                                                  " set to '" + name + "' already declared");
    }
  }
}

void Loader::assignIdsAndResolve() {
  Index services, routes, upstreams, certificates, consumers, consumersByCustomId, plugins;

  claimNames(services_, "services", "name", services, errors_,
             [](const Service& s) -> const std::string& { return s.name; });
  claimIds<ServiceDraft>(services_, "services", services, errors_, [](const ServiceDraft& d, size_t) {
    return serviceIdKey(d.value.name, d.position);
  });
  claimNames(upstreams_, "upstreams", "name", upstreams, errors_,
             [](const Upstream& u) -> const std::string& { return u.name; });
  claimIds<UpstreamDraft>(upstreams_, "upstreams", upstreams, errors_,
                          [](const UpstreamDraft& d, size_t i) {
                            return upstreamIdKey(d.value.name, i);
                          });
  claimIds<CertificateDraft>(certificates_, "certificates", certificates, errors_,
                             [](const CertificateDraft& d, size_t) {
                               return certificateIdKey(d.value.cert);
                             });
  claimNames(consumers_, "consumers", "username", consumers, errors_,
             [](const Consumer& c) -> const std::string& { return c.username; });
  claimNames(consumers_, "consumers", "custom_id", consumersByCustomId, errors_,
             [](const Consumer& c) -> const std::string& { return c.custom_id; });
  claimIds<ConsumerDraft>(consumers_, "consumers", consumers, errors_,
                          [](const ConsumerDraft& d, size_t) {
                            return consumerIdKey(d.value.username, d.value.custom_id);
                          });

  // Routes: their service first (the nested ones inherit it), then ids.
  for (auto& r : routes_) {
    if (r.parentService >= 0) {
      r.value.service_id = services_[size_t(r.parentService)].value.id;
    } else if (r.service.present) {
      const long s = services.resolve(r.service, "service", "services", errors_);
      if (s >= 0) r.value.service_id = services_[size_t(s)].value.id;
    }
  }
  claimNames(routes_, "routes", "name", routes, errors_,
             [](const Route& r) -> const std::string& { return r.name; });
  claimIds<RouteDraft>(routes_, "routes", routes, errors_, [](const RouteDraft& d, size_t i) {
    return routeIdKey(d.value.name,
                      d.parentService >= 0 ? std::optional<std::string_view>(d.value.service_id)
                                           : std::nullopt,
                      d.position, i);
  });

  // Targets: their upstream, then ids, then duplicates per upstream.
  for (auto& t : targets_) {
    if (t.parentUpstream < 0 && t.upstream.present) {
      t.parentUpstream = upstreams.resolve(t.upstream, "upstream", "upstreams", errors_);
    }
    if (t.parentUpstream >= 0) t.value.upstream_id = upstreams_[size_t(t.parentUpstream)].value.id;
  }
  std::unordered_set<std::string> seenTargets;
  for (auto& t : targets_) {
    if (t.parentUpstream < 0 || t.value.host.empty()) continue;
    const std::string key = t.value.upstream_id + "|" + toLower(t.value.host) + ":" +
                            std::to_string(t.value.port);
    if (!seenTargets.insert(key).second) {
      errors_.add(join(t.path, "target"),
                  "uniqueness violation: target '" + t.value.host + ":" +
                      std::to_string(t.value.port) + "' already declared in upstream '" +
                      upstreams_[size_t(t.parentUpstream)].value.name + "'");
    }
  }
  Index targetIds;
  claimIds<TargetDraft>(targets_, "targets", targetIds, errors_, [](const TargetDraft& d, size_t i) {
    return targetIdKey(d.value.upstream_id, d.value.host, d.value.port, i);
  });

  // SNIs: their certificate, then one name per config.
  std::unordered_map<std::string, size_t> sniNames;
  for (size_t i = 0; i < snis_.size(); ++i) {
    auto& s = snis_[i];
    if (s.parentCertificate < 0 && s.certificate.present) {
      s.parentCertificate = certificates.resolve(s.certificate, "certificate", "certificates",
                                                 errors_);
    }
    if (!sniNames.emplace(toLower(s.name), i).second) {
      errors_.add(s.path, "uniqueness violation: 'snis' entity with name set to '" + s.name +
                              "' already declared");
    }
  }

  // Plugins: their scope, then ids, then one plugin of a name per scope.
  for (auto& p : plugins_) {
    if (p.parentService >= 0) p.value.service_id = services_[size_t(p.parentService)].value.id;
    if (p.parentRoute >= 0) p.value.route_id = routes_[size_t(p.parentRoute)].value.id;
    if (p.parentConsumer >= 0) p.value.consumer_id = consumers_[size_t(p.parentConsumer)].value.id;
    if (p.service.present) {
      const long s = services.resolve(p.service, "service", "services", errors_);
      if (s >= 0) p.value.service_id = services_[size_t(s)].value.id;
    }
    if (p.route.present) {
      const long r = routes.resolve(p.route, "route", "routes", errors_);
      if (r >= 0) p.value.route_id = routes_[size_t(r)].value.id;
    }
    if (p.consumer.present) {
      const long c = consumers.resolve(p.consumer, "consumer", "consumers", errors_);
      if (c >= 0) p.value.consumer_id = consumers_[size_t(c)].value.id;
    }
  }
  std::unordered_set<std::string> seenPlugins;
  for (auto& p : plugins_) {
    if (p.value.name.empty() || !p.known) continue;
    const std::string key = p.value.name + "|" + p.value.service_id + "|" + p.value.route_id +
                            "|" + p.value.consumer_id + "|";
    if (!seenPlugins.insert(key).second) {
      errors_.add(join(p.path, "name"), "uniqueness violation: plugin '" + p.value.name +
                                            "' is already configured for this "
                                            "service/route/consumer combination");
    }
  }
  claimIds<PluginDraft>(plugins_, "plugins", plugins, errors_, [](const PluginDraft& d, size_t) {
    return pluginIdKey(d.value.name, d.value.service_id, d.value.route_id, d.value.consumer_id);
  });
}

Config Loader::build() {
  Config c;
  c.format_version = formatVersion_;
  c.services.reserve(services_.size());
  for (auto& s : services_) c.services.push_back(std::move(s.value));
  c.routes.reserve(routes_.size());
  for (auto& r : routes_) {
    r.value.order = c.routes.size();
    c.routes.push_back(std::move(r.value));
  }
  for (auto& t : targets_) {
    if (t.parentUpstream >= 0) {
      upstreams_[size_t(t.parentUpstream)].value.targets.push_back(std::move(t.value));
    }
  }
  for (auto& u : upstreams_) c.upstreams.push_back(std::move(u.value));
  for (auto& s : snis_) {
    if (s.parentCertificate >= 0) {
      certificates_[size_t(s.parentCertificate)].value.snis.push_back(std::move(s.name));
    }
  }
  for (auto& cert : certificates_) c.certificates.push_back(std::move(cert.value));
  for (auto& consumer : consumers_) c.consumers.push_back(std::move(consumer.value));
  for (auto& p : plugins_) c.plugins.push_back(std::move(p.value));
  return c;
}

// ---- Content hash ----

// Feeds every loaded value, in a fixed order and unambiguously (length-prefixed strings), into
// SHA-256: the hash depends on content only, not on key order, formatting or anchors.
class ContentHasher {
 public:
  ContentHasher() : ctx_(EVP_MD_CTX_new()) { EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr); }
  ~ContentHasher() { EVP_MD_CTX_free(ctx_); }
  ContentHasher(const ContentHasher&) = delete;
  ContentHasher& operator=(const ContentHasher&) = delete;

  ContentHasher& str(std::string_view s) {
    num(int64_t(s.size()));
    buffer_.append(s);
    if (buffer_.size() > (1 << 16)) flush();
    return *this;
  }
  ContentHasher& num(int64_t v) {
    buffer_.append(reinterpret_cast<const char*>(&v), sizeof v);
    return *this;
  }
  ContentHasher& list(const std::vector<std::string>& v) {
    num(int64_t(v.size()));
    for (const auto& s : v) str(s);
    return *this;
  }
  ContentHasher& opt(const std::optional<std::string>& v) {
    num(v ? 1 : 0);
    if (v) str(*v);
    return *this;
  }
  // The first 16 bytes of the digest as 32 lower-case hex characters.
  std::string hex32() {
    flush();
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    EVP_DigestFinal_ex(ctx_, digest, &n);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < 16 && i < n; ++i) {
      out += kHex[digest[i] >> 4];
      out += kHex[digest[i] & 0xf];
    }
    return out;
  }

 private:
  void flush() {
    EVP_DigestUpdate(ctx_, buffer_.data(), buffer_.size());
    buffer_.clear();
  }
  EVP_MD_CTX* ctx_;
  std::string buffer_;
};

std::string contentHash(const Config& c) {
  ContentHasher h;
  h.str("causeway-config-1").str(c.format_version);
  h.num(int64_t(c.services.size()));
  for (const auto& s : c.services) {
    h.str(s.id).str(s.name).list(s.tags).str(s.protocol).str(s.host).num(s.port).opt(s.path);
    h.num(s.retries).num(s.connect_timeout_ms).num(s.write_timeout_ms).num(s.read_timeout_ms);
    h.num(s.tls_verify ? (*s.tls_verify ? 1 : 0) : -1).num(s.tls_verify_depth.value_or(-1));
    h.num(s.enabled);
  }
  h.num(int64_t(c.routes.size()));
  for (const auto& r : c.routes) {
    h.str(r.id).str(r.name).list(r.tags).str(r.service_id).list(r.protocols).list(r.methods);
    h.list(r.hosts).list(r.paths).num(int64_t(r.headers.size()));
    for (const auto& hd : r.headers) h.str(hd.name).list(hd.values).list(hd.regexes);
    h.list(r.snis).num(r.regex_priority).num(r.strip_path).num(r.preserve_host);
    h.num(r.path_handling == PathHandling::kV0 ? 0 : 1).num(r.https_redirect_status_code);
    h.num(r.request_buffering).num(r.response_buffering).num(int64_t(r.order));
  }
  h.num(int64_t(c.upstreams.size()));
  for (const auto& u : c.upstreams) {
    h.str(u.id).str(u.name).list(u.tags).num(int64_t(u.algorithm)).num(int64_t(u.hash_on));
    h.num(int64_t(u.hash_fallback)).str(u.hash_on_header).str(u.hash_fallback_header);
    h.str(u.hash_on_cookie).str(u.hash_on_cookie_path).str(u.hash_on_query_arg);
    h.str(u.hash_fallback_query_arg).str(u.hash_on_uri_capture).str(u.hash_fallback_uri_capture);
    h.num(u.slots).opt(u.host_header).num(int64_t(u.targets.size()));
    for (const auto& t : u.targets) h.str(t.id).str(t.host).num(t.port).num(t.weight).list(t.tags);
  }
  h.num(int64_t(c.certificates.size()));
  for (const auto& cert : c.certificates) {
    h.str(cert.id).str(cert.cert).str(cert.key).list(cert.tags).list(cert.snis);
  }
  h.num(int64_t(c.consumers.size()));
  for (const auto& consumer : c.consumers) {
    h.str(consumer.id).str(consumer.username).str(consumer.custom_id).list(consumer.tags);
  }
  h.num(int64_t(c.plugins.size()));
  for (const auto& p : c.plugins) {
    h.str(p.id).str(p.name).str(p.config_json).str(p.service_id).str(p.route_id);
    h.str(p.consumer_id).num(p.enabled).list(p.protocols).list(p.tags);
  }
  return h.hex32();
}

}  // namespace

LoadResult loadDeclarative(std::string_view text) {
  LoadResult result;
  try {
    Json root;
    std::string parseError;
    if (!parseDocument(text, root, parseError)) {
      result.errors_.errors.push_back({"", std::move(parseError)});
      return result;
    }
    return loadDeclarativeJson(root);
  } catch (const std::exception& e) {
    result.errors_.errors.push_back({"", std::string("internal error while loading: ") + e.what()});
  } catch (...) {
    result.errors_.errors.push_back({"", "internal error while loading"});
  }
  return result;
}

LoadResult loadDeclarativeJson(const nlohmann::json& root) {
  LoadResult result;
  try {
    Loader loader(result.errors_.errors);
    Config config = loader.load(root);
    if (!result.errors_.errors.empty()) return result;
    config.hash = contentHash(config);
    result.config_ = std::move(config);
  } catch (const std::exception& e) {
    result.errors_.errors.push_back({"", std::string("internal error while loading: ") + e.what()});
  } catch (...) {
    result.errors_.errors.push_back({"", "internal error while loading"});
  }
  if (!result.errors_.errors.empty()) result.config_ = Config{};
  return result;
}

LoadResult loadDeclarativeFile(const std::string& path) {
  std::string text;
  bool ok = false;
  if (std::FILE* file = std::fopen(path.c_str(), "rb")) {
    char buf[1 << 16];
    size_t n = 0;
    while ((n = std::fread(buf, 1, sizeof buf, file)) > 0) text.append(buf, n);
    ok = !std::ferror(file);
    std::fclose(file);
  }
  if (!ok) {
    LoadResult result;
    result.errors_.errors.push_back({"", "cannot read declarative config file '" + path + "'"});
    return result;
  }
  return loadDeclarative(text);
}

}  // namespace causeway::model::kong
