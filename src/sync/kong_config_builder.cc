#include "sync/kong_config_builder.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "model/kong/loader_json.h"
#include "model/kong/schema.h"

namespace causeway::sync {
namespace {

using Json = nlohmann::json;
using model::kong::Config;

Json parse(const std::string* text) {
  if (!text) return Json();
  Json j = Json::parse(*text, nullptr, false);
  return j.is_discarded() ? Json() : j;
}

template <class T>
void eraseById(std::vector<T>& v, const std::string& id) {
  v.erase(std::remove_if(v.begin(), v.end(), [&](const T& e) { return e.id == id; }), v.end());
}

// Sort keys computed once (created_at from the set's index), then the entities permuted.
template <class T>
void sortLikeFullLoad(std::vector<T>& v, const EntitySet& set, const std::string& kind) {
  std::vector<std::pair<int64_t, size_t>> keys;
  keys.reserve(v.size());
  for (size_t i = 0; i < v.size(); ++i) keys.emplace_back(set.createdAt(kind, v[i].id), i);
  std::sort(keys.begin(), keys.end(), [&](const auto& a, const auto& b) {
    if (a.first != b.first) return a.first < b.first;
    return v[a.second].id < v[b.second].id;
  });
  std::vector<T> sorted;
  sorted.reserve(v.size());
  for (const auto& k : keys) sorted.push_back(std::move(v[k.second]));
  v = std::move(sorted);
}

// A small declarative document: the entity and the entities it refers to.
class MiniDoc {
 public:
  explicit MiniDoc(const EntitySet& set) : set_(set) { doc_["_format_version"] = "3.0"; }
  void add(const std::string& kind, const std::string& id) {
    if (id.empty() || !seen_.insert(kind + "/" + id).second) return;
    Json body = parse(set_.find(kind, id));
    if (body.is_object()) doc_[kind].push_back(std::move(body));
  }
  void addBody(const std::string& kind, Json body) { doc_[kind].push_back(std::move(body)); }
  Result<Config> load() const {
    auto r = model::kong::loadDeclarativeJson(doc_);
    if (!r.isOk()) return Status::invalidArgument(r.error().message());
    return r.takeConfig();
  }

 private:
  const EntitySet& set_;
  Json doc_;
  std::set<std::string> seen_;
};

}  // namespace

Status KongConfigBuilder::reset(const EntitySet& set) { return reset(set.declarative()); }

Status KongConfigBuilder::reset(const nlohmann::json& doc) {
  auto r = model::kong::loadDeclarativeJson(doc);
  if (!r.isOk()) return Status::invalidArgument(r.error().message());
  config_ = r.takeConfig();
  return Status::ok();
}

Status KongConfigBuilder::apply(const EntitySet& set, const Touched& touched) {
  // A large delta (the first sync after an empty start, a bulk import) is cheaper loaded whole.
  if (touched.size() * 4 > set.size()) {
    Config before = std::move(config_);
    Status st = reset(set);
    if (!st.isOk()) {
      config_ = std::move(before);
      return st;
    }
    previous_ = std::move(before);
    return Status::ok();
  }
  // What to reload, by the unit the Config holds: targets live in their upstream, snis in their
  // certificate.
  std::set<std::string> services, routes, upstreams, certificates, consumers, plugins;
  for (const auto& [kind, id] : touched) {
    if (kind == "services")
      services.insert(id);
    else if (kind == "routes")
      routes.insert(id);
    else if (kind == "upstreams")
      upstreams.insert(id);
    else if (kind == "certificates")
      certificates.insert(id);
    else if (kind == "consumers")
      consumers.insert(id);
    else if (kind == "plugins")
      plugins.insert(id);
    else if (kind == "targets" || kind == "snis") {
      const char* parentField = kind == "targets" ? "upstream" : "certificate";
      auto& parents = kind == "targets" ? upstreams : certificates;
      std::string parent = model::kong::foreignId(parse(set.find(kind, id)), parentField);
      if (!parent.empty()) parents.insert(parent);
      // A deleted child: find its parent in the current Config.
      if (kind == "targets") {
        for (const auto& u : config_.upstreams) {
          for (const auto& t : u.targets) {
            if (t.id == id) upstreams.insert(u.id);
          }
        }
      } else if (parent.empty()) {
        // A deleted sni: the Config keeps names, not sni ids, so rebuild every certificate.
        for (const auto& c : config_.certificates) certificates.insert(c.id);
      }
    }
  }

  Config next = config_;
  MiniDoc doc(set);
  size_t loaded = 0;
  for (const auto& id : services) {
    eraseById(next.services, id);
    if (set.find("services", id)) doc.add("services", id), ++loaded;
  }
  for (const auto& id : routes) {
    eraseById(next.routes, id);
    if (const std::string* body = set.find("routes", id)) {
      doc.add("services", model::kong::foreignId(parse(body), "service"));
      doc.add("routes", id);
      ++loaded;
    }
  }
  for (const auto& id : upstreams) {
    eraseById(next.upstreams, id);
    if (!set.find("upstreams", id)) continue;
    doc.add("upstreams", id);
    // Targets in the order a full load sees them (created_at, then id): it is the balancer's.
    std::vector<std::pair<int64_t, std::string>> targets;
    set.forEach("targets", [&](const std::string& tid, const std::string& body) {
      if (model::kong::foreignId(parse(&body), "upstream") == id) {
        targets.emplace_back(set.createdAt("targets", tid), tid);
      }
    });
    std::sort(targets.begin(), targets.end());
    for (const auto& t : targets) doc.add("targets", t.second);
    ++loaded;
  }
  for (const auto& id : certificates) {
    eraseById(next.certificates, id);
    if (!set.find("certificates", id)) continue;
    doc.add("certificates", id);
    set.forEach("snis", [&](const std::string& sid, const std::string& body) {
      if (model::kong::foreignId(parse(&body), "certificate") == id) doc.add("snis", sid);
    });
    ++loaded;
  }
  for (const auto& id : consumers) {
    eraseById(next.consumers, id);
    if (set.find("consumers", id)) doc.add("consumers", id), ++loaded;
  }
  for (const auto& id : plugins) {
    eraseById(next.plugins, id);
    if (const std::string* text = set.find("plugins", id)) {
      Json body = parse(text);
      doc.add("services", model::kong::foreignId(body, "service"));
      doc.add("routes", model::kong::foreignId(body, "route"));
      doc.add("consumers", model::kong::foreignId(body, "consumer"));
      doc.add("plugins", id);
      ++loaded;
    }
  }
  if (loaded > 0) {
    auto part = doc.load();
    if (!part.isOk()) return part.status();
    // Take only what was asked for: referenced entities came along to resolve references.
    for (auto& s : part->services) {
      if (services.count(s.id)) next.services.push_back(std::move(s));
    }
    for (auto& r : part->routes) {
      if (routes.count(r.id)) next.routes.push_back(std::move(r));
    }
    for (auto& u : part->upstreams) {
      if (upstreams.count(u.id)) next.upstreams.push_back(std::move(u));
    }
    for (auto& c : part->certificates) {
      if (certificates.count(c.id)) next.certificates.push_back(std::move(c));
    }
    for (auto& c : part->consumers) {
      if (consumers.count(c.id)) next.consumers.push_back(std::move(c));
    }
    for (auto& p : part->plugins) {
      if (plugins.count(p.id)) next.plugins.push_back(std::move(p));
    }
  }
  // The order a full load gives every collection (created_at, then id): route order decides
  // routing ties, and the rest keeps the Config identical to a full load.
  if (!services.empty()) sortLikeFullLoad(next.services, set, "services");
  if (!routes.empty()) {
    sortLikeFullLoad(next.routes, set, "routes");
    for (size_t i = 0; i < next.routes.size(); ++i) next.routes[i].order = i;
  }
  if (!upstreams.empty()) sortLikeFullLoad(next.upstreams, set, "upstreams");
  if (!certificates.empty()) sortLikeFullLoad(next.certificates, set, "certificates");
  if (!consumers.empty()) sortLikeFullLoad(next.consumers, set, "consumers");
  if (!plugins.empty()) sortLikeFullLoad(next.plugins, set, "plugins");
  previous_ = std::move(config_);
  config_ = std::move(next);
  return Status::ok();
}

}  // namespace causeway::sync
