// Flattening walks the document in the loader's order (loader.cc: services with their routes and
// plugins, top-level routes, upstreams with their targets, top-level targets, certificates with
// their SNIs, top-level SNIs, consumers with their plugins, top-level plugins), then gives ids in
// the loader's order: explicit ids of a collection first, then generated ones (ids.h), services,
// upstreams, certificates and consumers before the routes, targets, SNIs and plugins whose keys
// contain their parents' ids. Walking the same way is what makes the generated ids equal.
#include "model/kong/flatten.h"

#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/strings.h"
#include "model/kong/document.h"
#include "model/kong/ids.h"
#include "model/kong/validate.h"

namespace causeway::model::kong {
namespace {

using Json = nlohmann::json;

std::string indexed(const std::string& base, size_t i) {
  return base + "[" + std::to_string(i) + "]";
}

std::string join(const std::string& base, std::string_view key) {
  return base.empty() ? std::string(key) : base + "." + std::string(key);
}

const std::string* stringField(const Json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || !it->is_string()) return nullptr;
  return it->get_ptr<const std::string*>();
}

std::string stringOr(const Json& obj, std::string_view key, std::string fallback = {}) {
  const std::string* s = stringField(obj, key);
  return s ? *s : fallback;
}

// A reference to another entity, as written: a string (id or name) or a record.
struct Ref {
  bool present = false;
  std::string path;
  std::string value;
  enum class Kind { kAny, kId, kName } kind = Kind::kAny;
};

// One entity being flattened.
struct Draft {
  Json body;         // the entity's own fields (nested collections removed)
  std::string path;  // where it was declared, e.g. "services[0].routes[1]"
  bool explicitId = false;
  std::string id;
  size_t position = 0;  // in the list it was declared in
  long parent = -1;     // index of the enclosing entity in its kind's drafts
  // For plugins: which kind encloses it, and for a route parent whether it is a top-level route.
  enum class Parent { kNone, kService, kRoute, kTopRoute, kConsumer } parentKind = Parent::kNone;
  Ref ref1, ref2, ref3;  // service/upstream/certificate; plugins: service, route, consumer
};

// Id and name lookup of one kind.
struct Index {
  std::unordered_map<std::string, size_t> byId;
  std::unordered_map<std::string, size_t> byName;
};

class Flattener {
 public:
  Result<FlatConfig> run(const Json& root);

 private:
  bool fail(std::string path, std::string message) {
    if (error_.empty()) error_ = (path.empty() ? "" : path + ": ") + message;
    return false;
  }
  bool failed() const { return !error_.empty(); }

  // A copy of `v` without `drop` keys and the declarative-only ones; false if `v` is no record.
  bool entityBody(const Json& v, const std::string& path,
                  std::initializer_list<std::string_view> drop, Draft& d) {
    if (!v.is_object()) return fail(path, "expected a record");
    d.body = Json::object();
    for (auto it = v.begin(); it != v.end(); ++it) {
      const std::string& k = it.key();
      if (k == "_comment" || k == "_ignore") continue;
      bool dropped = false;
      for (auto x : drop) dropped = dropped || k == x;
      if (!dropped) d.body[k] = it.value();
    }
    d.path = path;
    if (auto it = v.find("id"); it != v.end() && !it->is_null()) {
      if (!it->is_string() || !isUuid(it->get<std::string>())) {
        return fail(join(path, "id"), "expected a valid UUID");
      }
      d.id = toLower(it->get<std::string>());
      d.explicitId = true;
    }
    return true;
  }

  bool readRef(const Json& obj, const std::string& path, std::string_view key,
               std::string_view nameKey, Ref& ref) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return true;
    ref.path = join(path, key);
    if (it->is_string()) {
      ref.value = it->get<std::string>();
      ref.present = true;
      return true;
    }
    if (it->is_object()) {
      if (const std::string* id = stringField(*it, "id")) {
        ref.value = toLower(*id);
        ref.kind = Ref::Kind::kId;
        ref.present = true;
        return true;
      }
      if (const std::string* name = stringField(*it, nameKey)) {
        ref.value = *name;
        ref.kind = Ref::Kind::kName;
        ref.present = true;
        return true;
      }
    }
    return fail(ref.path,
                "expected a string or a record with '" + std::string(nameKey) + "' or 'id'");
  }

  // The index of the entity `ref` names, or -1 after recording the error.
  long resolve(const Ref& ref, const Index& index, std::string_view key,
               std::string_view collection) {
    if (ref.kind != Ref::Kind::kName) {
      auto it = index.byId.find(toLower(ref.value));
      if (it != index.byId.end()) return long(it->second);
    }
    if (ref.kind != Ref::Kind::kId) {
      auto it = index.byName.find(ref.value);
      if (it != index.byName.end()) return long(it->second);
    }
    fail(ref.path, "invalid reference '" + std::string(key) + ": " + ref.value +
                       "' (no such entry in '" + std::string(collection) + "')");
    return -1;
  }

  template <class F>
  bool forEach(const Json& root, std::string_view key, const std::string& path, F each) {
    auto it = root.find(key);
    if (it == root.end() || it->is_null()) return true;
    if (!it->is_array()) return fail(path, "expected an array");
    for (size_t i = 0; i < it->size() && !failed(); ++i) each((*it)[i], indexed(path, i), i);
    return !failed();
  }

  void readService(const Json& v, const std::string& path, size_t position);
  void readRoute(const Json& v, const std::string& path, long parentService, size_t position);
  void readUpstream(const Json& v, const std::string& path);
  void readTarget(const Json& v, const std::string& path, long parentUpstream);
  void readCertificate(const Json& v, const std::string& path);
  void readSni(const Json& v, const std::string& path, long parentCertificate);
  void readConsumer(const Json& v, const std::string& path);
  void readPlugin(const Json& v, const std::string& path, Draft::Parent parent, long parentIndex);
  void readPlugins(const Json& owner, const std::string& path, Draft::Parent parent, long index) {
    forEach(
        owner, "plugins", join(path, "plugins"),
        [&](const Json& p, const std::string& at, size_t) { readPlugin(p, at, parent, index); });
  }

  bool expandUrl(Draft& d);
  bool claimExplicit(std::vector<Draft>& drafts, std::string_view collection, Index& index);
  void claimGenerated(std::vector<Draft>& drafts, std::string_view collection, Index& index,
                      const std::function<std::string(const Draft&, size_t)>& keyOf);
  bool claimNames(const std::vector<Draft>& drafts, std::string_view field, Index& index);
  static Json idRef(const std::string& id) { return Json{{"id", id}}; }

  std::string error_;
  std::string formatVersion_;
  std::vector<Draft> services_, nestedRoutes_, topRoutes_, routes_, upstreams_, targets_,
      certificates_, snis_, consumers_, plugins_;
};

// ---- Reading ----

void Flattener::readService(const Json& v, const std::string& path, size_t position) {
  Draft d;
  if (!entityBody(v, path, {"routes", "plugins"}, d)) return;
  d.position = position;
  if (!expandUrl(d)) return;
  const long self = long(services_.size());
  services_.push_back(std::move(d));
  forEach(v, "routes", join(path, "routes"),
          [&](const Json& r, const std::string& at, size_t i) { readRoute(r, at, self, i); });
  readPlugins(v, path, Draft::Parent::kService, self);
}

// Kong's `url` shorthand: scheme://host[:port][/path] sets protocol, host, port and path.
bool Flattener::expandUrl(Draft& d) {
  auto it = d.body.find("url");
  if (it == d.body.end()) return true;
  if (it->is_null()) {
    d.body.erase(it);
    return true;
  }
  const std::string at = join(d.path, "url");
  if (!it->is_string()) return fail(at, "expected a string");
  const std::string url = it->get<std::string>();
  const size_t schemeEnd = url.find("://");
  if (schemeEnd == std::string::npos || schemeEnd == 0) {
    return fail(at, "invalid url: '" + url + "' (expected scheme://host[:port][/path])");
  }
  const std::string protocol = toLower(std::string_view(url).substr(0, schemeEnd));
  std::string_view rest = std::string_view(url).substr(schemeEnd + 3);
  const size_t authorityEnd = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authorityEnd);
  std::string_view tail =
      authorityEnd == std::string_view::npos ? std::string_view() : rest.substr(authorityEnd);
  auto hp = authority.find('@') == std::string_view::npos ? parseHostPort(authority) : std::nullopt;
  if (!hp) return fail(at, "invalid url: '" + url + "' (bad host or port)");
  if (tail.find_first_of("?#") != std::string_view::npos) {
    return fail(at, "invalid url: '" + url + "' (query and fragment are not allowed)");
  }
  d.body.erase("url");
  d.body["protocol"] = protocol;
  d.body["host"] = hp->host;
  d.body["port"] = hp->port.value_or(protocol == "https" ? 443 : 80);
  d.body["path"] = tail.empty() ? Json(nullptr) : Json(std::string(tail));
  return true;
}

void Flattener::readRoute(const Json& v, const std::string& path, long parentService,
                          size_t position) {
  Draft d;
  if (!entityBody(v, path, {"plugins"}, d)) return;
  d.position = position;
  d.parent = parentService;
  if (parentService < 0 && !readRef(v, path, "service", "name", d.ref1)) return;
  // Kong 3 reads a 1.1/2.1 file's regex-looking paths as regexes ("~" prefix), as the loader does.
  if (formatVersion_ != "3.0") {
    if (auto it = d.body.find("paths"); it != d.body.end() && it->is_array()) {
      for (auto& p : *it) {
        if (!p.is_string()) continue;
        const std::string s = p.get<std::string>();
        if (startsWith(s, "/") && looksLikeLegacyRegexPath(s)) p = "~" + s;
      }
    }
  }
  auto& list = parentService >= 0 ? nestedRoutes_ : topRoutes_;
  const long self = long(list.size());
  list.push_back(std::move(d));
  readPlugins(v, path, parentService >= 0 ? Draft::Parent::kRoute : Draft::Parent::kTopRoute, self);
}

void Flattener::readUpstream(const Json& v, const std::string& path) {
  Draft d;
  if (!entityBody(v, path, {"targets"}, d)) return;
  d.position = upstreams_.size();
  const long self = long(upstreams_.size());
  upstreams_.push_back(std::move(d));
  forEach(v, "targets", join(path, "targets"),
          [&](const Json& t, const std::string& at, size_t) { readTarget(t, at, self); });
}

void Flattener::readTarget(const Json& v, const std::string& path, long parentUpstream) {
  Draft d;
  if (!entityBody(v, path, {}, d)) return;
  d.parent = parentUpstream;
  if (parentUpstream < 0) {
    if (!readRef(v, path, "upstream", "name", d.ref1)) return;
    if (!d.ref1.present) {
      fail(join(path, "upstream"), "required field missing");
      return;
    }
  }
  const std::string* target = stringField(v, "target");
  auto hp = target ? parseHostPort(*target) : std::nullopt;
  if (!hp) {
    fail(join(path, "target"), "Invalid target; not a valid hostname or ip address");
    return;
  }
  // Kong stores a target with its port (8000 when not given).
  const bool v6 = hp->host.find(':') != std::string::npos;
  const uint16_t port = hp->port.value_or(8000);
  d.body["target"] = (v6 ? "[" + hp->host + "]" : hp->host) + ":" + std::to_string(port);
  targets_.push_back(std::move(d));
}

void Flattener::readCertificate(const Json& v, const std::string& path) {
  Draft d;
  if (!entityBody(v, path, {"snis"}, d)) return;
  if (!stringField(v, "cert")) {
    fail(join(path, "cert"), "required field missing");
    return;
  }
  const long self = long(certificates_.size());
  certificates_.push_back(std::move(d));
  forEach(v, "snis", join(path, "snis"),
          [&](const Json& s, const std::string& at, size_t) { readSni(s, at, self); });
}

void Flattener::readSni(const Json& v, const std::string& path, long parentCertificate) {
  Draft d;
  d.parent = parentCertificate;
  if (v.is_string() && parentCertificate >= 0) {  // certificates[].snis: ["a.example.com"]
    d.body = Json{{"name", v.get<std::string>()}};
    d.path = path;
  } else {
    if (!entityBody(v, path, {}, d)) return;
    if (parentCertificate < 0) {
      if (!readRef(v, path, "certificate", "id", d.ref1)) return;
      if (!d.ref1.present) {
        fail(join(path, "certificate"), "required field missing");
        return;
      }
    }
    if (!stringField(v, "name")) {
      fail(join(path, "name"), "required field missing");
      return;
    }
  }
  snis_.push_back(std::move(d));
}

void Flattener::readConsumer(const Json& v, const std::string& path) {
  Draft d;
  if (!entityBody(v, path, {"plugins"}, d)) return;
  if (stringOr(v, "username").empty() && stringOr(v, "custom_id").empty()) {
    fail(path, "at least one of these fields must be non-empty: 'custom_id', 'username'");
    return;
  }
  const long self = long(consumers_.size());
  consumers_.push_back(std::move(d));
  readPlugins(v, path, Draft::Parent::kConsumer, self);
}

void Flattener::readPlugin(const Json& v, const std::string& path, Draft::Parent parent,
                           long parentIndex) {
  Draft d;
  if (!entityBody(v, path, {}, d)) return;
  d.parentKind = parent;
  d.parent = parentIndex;
  if (!stringField(v, "name")) {
    fail(join(path, "name"), "required field missing");
    return;
  }
  const bool inRoute = parent == Draft::Parent::kRoute || parent == Draft::Parent::kTopRoute;
  if (parent != Draft::Parent::kService && !readRef(v, path, "service", "name", d.ref1)) return;
  if (!inRoute && !readRef(v, path, "route", "name", d.ref2)) return;
  if (parent != Draft::Parent::kConsumer && !readRef(v, path, "consumer", "username", d.ref3)) {
    return;
  }
  plugins_.push_back(std::move(d));
}

// ---- Ids and references ----

bool Flattener::claimExplicit(std::vector<Draft>& drafts, std::string_view collection,
                              Index& index) {
  for (size_t i = 0; i < drafts.size(); ++i) {
    if (!drafts[i].explicitId) continue;
    if (!index.byId.emplace(drafts[i].id, i).second) {
      return fail(join(drafts[i].path, "id"), "uniqueness violation: '" + std::string(collection) +
                                                  "' entity with primary key set to '" +
                                                  drafts[i].id + "' already declared");
    }
  }
  return true;
}

void Flattener::claimGenerated(std::vector<Draft>& drafts, std::string_view collection,
                               Index& index,
                               const std::function<std::string(const Draft&, size_t)>& keyOf) {
  for (size_t i = 0; i < drafts.size(); ++i) {
    Draft& d = drafts[i];
    if (d.explicitId) continue;
    d.id = claimGeneratedId(collection, keyOf(d, i), [&](const std::string& id) {
      return index.byId.emplace(id, i).second;
    });
  }
}

bool Flattener::claimNames(const std::vector<Draft>& drafts, std::string_view field, Index& index) {
  for (size_t i = 0; i < drafts.size(); ++i) {
    const std::string name = stringOr(drafts[i].body, field);
    if (!name.empty() && !index.byName.emplace(name, i).second) {
      return fail(join(drafts[i].path, field), "uniqueness violation: entity with " +
                                                   std::string(field) + " set to '" + name +
                                                   "' already declared");
    }
  }
  return true;
}

Result<FlatConfig> Flattener::run(const Json& root) {
  if (!root.is_object()) {
    return Status::invalidArgument(
        "expected a mapping of entities (a YAML mapping or a JSON "
        "object)");
  }
  const std::string* version = stringField(root, "_format_version");
  if (!version) return Status::invalidArgument("_format_version: required field missing");
  formatVersion_ = *version;

  forEach(root, "services", "services",
          [&](const Json& v, const std::string& p, size_t i) { readService(v, p, i); });
  forEach(root, "routes", "routes",
          [&](const Json& v, const std::string& p, size_t i) { readRoute(v, p, -1, i); });
  forEach(root, "upstreams", "upstreams",
          [&](const Json& v, const std::string& p, size_t) { readUpstream(v, p); });
  forEach(root, "targets", "targets",
          [&](const Json& v, const std::string& p, size_t) { readTarget(v, p, -1); });
  forEach(root, "certificates", "certificates",
          [&](const Json& v, const std::string& p, size_t) { readCertificate(v, p); });
  forEach(root, "snis", "snis",
          [&](const Json& v, const std::string& p, size_t) { readSni(v, p, -1); });
  forEach(root, "consumers", "consumers",
          [&](const Json& v, const std::string& p, size_t) { readConsumer(v, p); });
  forEach(root, "plugins", "plugins", [&](const Json& v, const std::string& p, size_t) {
    readPlugin(v, p, Draft::Parent::kNone, -1);
  });
  if (failed()) return Status::invalidArgument(error_);

  // One route list: nested first, then top level (the loader's order).
  const size_t nestedCount = nestedRoutes_.size();
  routes_ = std::move(nestedRoutes_);
  for (auto& r : topRoutes_) routes_.push_back(std::move(r));
  for (auto& p : plugins_) {
    if (p.parentKind == Draft::Parent::kTopRoute) {
      p.parentKind = Draft::Parent::kRoute;
      p.parent += long(nestedCount);
    }
  }

  Index services, upstreams, certificates, consumers, routes, targets, snis, plugins;
  if (!claimNames(services_, "name", services) || !claimExplicit(services_, "services", services)) {
    return Status::invalidArgument(error_);
  }
  claimGenerated(services_, "services", services, [&](const Draft& d, size_t) {
    return serviceIdKey(stringOr(d.body, "name"), d.position);
  });
  if (!claimNames(upstreams_, "name", upstreams) ||
      !claimExplicit(upstreams_, "upstreams", upstreams)) {
    return Status::invalidArgument(error_);
  }
  claimGenerated(upstreams_, "upstreams", upstreams, [&](const Draft& d, size_t i) {
    return upstreamIdKey(stringOr(d.body, "name"), i);
  });
  if (!claimExplicit(certificates_, "certificates", certificates)) {
    return Status::invalidArgument(error_);
  }
  claimGenerated(certificates_, "certificates", certificates, [&](const Draft& d, size_t) {
    return certificateIdKey(stringOr(d.body, "cert"));
  });
  Index consumersByCustomId;
  if (!claimNames(consumers_, "username", consumers) ||
      !claimNames(consumers_, "custom_id", consumersByCustomId) ||
      !claimExplicit(consumers_, "consumers", consumers)) {
    return Status::invalidArgument(error_);
  }
  claimGenerated(consumers_, "consumers", consumers, [&](const Draft& d, size_t) {
    return consumerIdKey(stringOr(d.body, "username"), stringOr(d.body, "custom_id"));
  });

  // Routes: their service (nested ones inherit it), then ids.
  std::vector<std::string> routeServiceIds(routes_.size());
  for (size_t i = 0; i < routes_.size(); ++i) {
    Draft& r = routes_[i];
    long s = r.parent;
    if (s < 0 && r.ref1.present) s = resolve(r.ref1, services, "service", "services");
    if (failed()) return Status::invalidArgument(error_);
    if (s >= 0) routeServiceIds[i] = services_[size_t(s)].id;
    r.body["service"] = s >= 0 ? idRef(routeServiceIds[i]) : Json(nullptr);
  }
  if (!claimNames(routes_, "name", routes) || !claimExplicit(routes_, "routes", routes)) {
    return Status::invalidArgument(error_);
  }
  claimGenerated(routes_, "routes", routes, [&](const Draft& d, size_t i) {
    return routeIdKey(
        stringOr(d.body, "name"),
        d.parent >= 0 ? std::optional<std::string_view>(routeServiceIds[i]) : std::nullopt,
        d.position, i);
  });

  // Targets: their upstream, then ids.
  std::unordered_set<std::string> seenTargets;
  for (auto& t : targets_) {
    if (t.parent < 0) t.parent = resolve(t.ref1, upstreams, "upstream", "upstreams");
    if (failed()) return Status::invalidArgument(error_);
    const std::string& upstreamId = upstreams_[size_t(t.parent)].id;
    t.body["upstream"] = idRef(upstreamId);
    if (!seenTargets.insert(upstreamId + "|" + toLower(stringOr(t.body, "target"))).second) {
      return Status::invalidArgument(join(t.path, "target") + ": uniqueness violation: target '" +
                                     stringOr(t.body, "target") + "' already declared in upstream");
    }
  }
  if (!claimExplicit(targets_, "targets", targets)) return Status::invalidArgument(error_);
  claimGenerated(targets_, "targets", targets, [&](const Draft& d, size_t i) {
    auto hp = parseHostPort(stringOr(d.body, "target"));
    const std::string& upstreamId = upstreams_[size_t(d.parent)].id;
    return hp ? targetIdKey(upstreamId, hp->host, hp->port.value_or(8000), i)
              : targetIdKey(upstreamId, "", 8000, i);
  });

  // SNIs: their certificate, then ids (names are unique, case-insensitively).
  std::unordered_set<std::string> sniNames;
  for (auto& s : snis_) {
    if (s.parent < 0) s.parent = resolve(s.ref1, certificates, "certificate", "certificates");
    if (failed()) return Status::invalidArgument(error_);
    s.body["certificate"] = idRef(certificates_[size_t(s.parent)].id);
    const std::string name = stringOr(s.body, "name");
    if (!sniNames.insert(toLower(name)).second) {
      return Status::invalidArgument(s.path +
                                     ": uniqueness violation: 'snis' entity with name "
                                     "set to '" +
                                     name + "' already declared");
    }
  }
  if (!claimExplicit(snis_, "snis", snis)) return Status::invalidArgument(error_);
  claimGenerated(snis_, "snis", snis,
                 [&](const Draft& d, size_t) { return sniIdKey(stringOr(d.body, "name")); });

  // Plugins: their scope, then ids.
  std::vector<std::array<std::string, 3>> scopes(plugins_.size());
  for (size_t i = 0; i < plugins_.size(); ++i) {
    Draft& p = plugins_[i];
    auto& [serviceId, routeId, consumerId] = scopes[i];
    if (p.parentKind == Draft::Parent::kService) serviceId = services_[size_t(p.parent)].id;
    if (p.parentKind == Draft::Parent::kRoute) routeId = routes_[size_t(p.parent)].id;
    if (p.parentKind == Draft::Parent::kConsumer) consumerId = consumers_[size_t(p.parent)].id;
    if (p.ref1.present) {
      const long s = resolve(p.ref1, services, "service", "services");
      if (s >= 0) serviceId = services_[size_t(s)].id;
    }
    if (p.ref2.present) {
      const long r = resolve(p.ref2, routes, "route", "routes");
      if (r >= 0) routeId = routes_[size_t(r)].id;
    }
    if (p.ref3.present) {
      const long c = resolve(p.ref3, consumers, "consumer", "consumers");
      if (c >= 0) consumerId = consumers_[size_t(c)].id;
    }
    if (failed()) return Status::invalidArgument(error_);
    p.body["service"] = serviceId.empty() ? Json(nullptr) : idRef(serviceId);
    p.body["route"] = routeId.empty() ? Json(nullptr) : idRef(routeId);
    p.body["consumer"] = consumerId.empty() ? Json(nullptr) : idRef(consumerId);
  }
  if (!claimExplicit(plugins_, "plugins", plugins)) return Status::invalidArgument(error_);
  claimGenerated(plugins_, "plugins", plugins, [&](const Draft& d, size_t i) {
    return pluginIdKey(stringOr(d.body, "name"), scopes[i][0], scopes[i][1], scopes[i][2]);
  });

  FlatConfig out;
  out.format_version = formatVersion_;
  auto emit = [&](std::string_view kind, std::vector<Draft>& drafts) {
    auto& list = out.entities[std::string(kind)];
    list.reserve(drafts.size());
    for (auto& d : drafts) {
      d.body["id"] = d.id;
      list.push_back(std::move(d.body));
    }
  };
  emit("certificates", certificates_);
  emit("snis", snis_);
  emit("services", services_);
  emit("routes", routes_);
  emit("upstreams", upstreams_);
  emit("targets", targets_);
  emit("consumers", consumers_);
  emit("plugins", plugins_);
  return out;
}

}  // namespace

Result<FlatConfig> flattenDeclarative(const nlohmann::json& root) {
  try {
    Flattener f;
    return f.run(root);
  } catch (const std::exception& e) {
    return Status::internal(std::string("internal error while flattening: ") + e.what());
  } catch (...) {
    return Status::internal("internal error while flattening");
  }
}

Result<FlatConfig> flattenDeclarativeText(std::string_view text) {
  Json root;
  std::string error;
  try {
    if (!parseDocument(text, root, error)) return Status::invalidArgument(error);
  } catch (...) {
    return Status::internal("internal error while parsing");
  }
  return flattenDeclarative(root);
}

}  // namespace causeway::model::kong
