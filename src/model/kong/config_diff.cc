#include "model/kong/config_diff.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <utility>

#include "base/strings.h"
#include "model/kong/schema.h"

namespace causeway::model::kong {
namespace {

using Json = nlohmann::json;

// A foreign key of a kind: the field and the kind it refers to.
struct ForeignKey {
  std::string_view field;
  std::string_view kind;
};

// From the entity schemas (schema.h), which hold every foreign key.
std::vector<ForeignKey> foreignKeys(std::string_view kind) {
  std::vector<ForeignKey> out;
  if (const EntitySchema* schema = findSchema(kind)) {
    for (const auto& f : schema->fields) {
      if (f.type == FieldType::kForeign) out.push_back({f.name, f.reference});
    }
  }
  return out;
}

std::string stringOf(const Json& body, std::string_view key) {
  auto it = body.find(key);
  return it != body.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// "host:port" with the host lower-cased and Kong's default target port.
std::string normalizedTarget(const std::string& target) {
  auto hp = parseHostPort(target);
  if (!hp) return toLower(target);
  const std::string host = toLower(hp->host);
  const bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(hp->port.value_or(8000));
}

// The natural keys of an entity, most specific first (consumers have two).
std::vector<std::string> naturalKeysOf(std::string_view kind, const Json& body) {
  std::vector<std::string> keys;
  auto add = [&](std::string prefix, const std::string& value) {
    if (!value.empty()) keys.push_back(std::move(prefix) + value);
  };
  if (kind == "services" || kind == "routes" || kind == "upstreams") {
    add("name:", stringOf(body, "name"));
  } else if (kind == "snis") {
    add("name:", toLower(stringOf(body, "name")));
  } else if (kind == "consumers") {
    add("username:", stringOf(body, "username"));
    add("custom_id:", stringOf(body, "custom_id"));
  } else if (kind == "certificates") {
    add("cert:", stringOf(body, "cert"));
  } else if (kind == "targets") {
    const std::string target = stringOf(body, "target");
    if (!target.empty())
      keys.push_back(foreignId(body, "upstream") + "|" + normalizedTarget(target));
  } else if (kind == "plugins") {
    const std::string name = stringOf(body, "name");
    if (!name.empty()) {
      keys.push_back(name + "|" + foreignId(body, "service") + "|" + foreignId(body, "route") +
                     "|" + foreignId(body, "consumer"));
    }
  }
  return keys;
}

bool ignoredField(std::string_view key) {
  return key == "created_at" || key == "updated_at" || key == "id";
}

// The top-level fields whose values differ (absent equals null), sorted.
std::vector<std::string> changedFields(const Json& current, const Json& desired) {
  static const Json kNull = nullptr;
  std::set<std::string> keys;
  for (auto it = current.begin(); it != current.end(); ++it) keys.insert(it.key());
  for (auto it = desired.begin(); it != desired.end(); ++it) keys.insert(it.key());
  std::vector<std::string> out;
  for (const auto& k : keys) {
    if (ignoredField(k)) continue;
    auto a = current.find(k);
    auto b = desired.find(k);
    const Json& va = a == current.end() ? kNull : *a;
    const Json& vb = b == desired.end() ? kNull : *b;
    if (va != vb) out.push_back(k);
  }
  return out;
}

std::string_view opName(OperationType op) {
  switch (op) {
    case OperationType::kCreate:
      return "create";
    case OperationType::kUpdate:
      return "update";
    case OperationType::kDelete:
      return "delete";
  }
  return "create";
}

// Display names of services, routes and consumers by id, for plugin scopes.
using NameMaps = std::map<std::string, std::unordered_map<std::string, std::string>, std::less<>>;

std::string displayName(std::string_view kind, const Json& body, const NameMaps& names) {
  const std::string id = stringOf(body, "id");
  auto orId = [&](std::string s) { return s.empty() ? id : s; };
  if (kind == "services" || kind == "routes" || kind == "upstreams" || kind == "snis") {
    return orId(stringOf(body, "name"));
  }
  if (kind == "consumers") {
    const std::string username = stringOf(body, "username");
    return orId(username.empty() ? stringOf(body, "custom_id") : username);
  }
  if (kind == "targets") return orId(stringOf(body, "target"));
  if (kind == "plugins") {
    std::string scope;
    for (const auto& fk : foreignKeys("plugins")) {
      const std::string ref = foreignId(body, fk.field);
      if (ref.empty()) continue;
      std::string shown = ref;
      if (auto m = names.find(fk.kind); m != names.end()) {
        if (auto n = m->second.find(ref); n != m->second.end() && !n->second.empty()) {
          shown = n->second;
        }
      }
      scope += (scope.empty() ? "" : ", ") + std::string(fk.field) + " " + shown;
    }
    return orId(stringOf(body, "name")) + " (" + (scope.empty() ? "global" : scope) + ")";
  }
  return id;
}

Status checkBody(const Json& body, std::string_view kind, size_t i, const char* side) {
  if (!body.is_object() || !body.contains("id") || !body.at("id").is_string()) {
    return Status::invalidArgument(std::string(side) + " " + std::string(kind) + "[" +
                                   std::to_string(i) + "]: expected an object with a string 'id'");
  }
  return Status::ok();
}

}  // namespace

std::string singularKind(std::string_view kind) {
  if (kind == "snis") return "sni";
  if (kind.size() > 3 && kind.ends_with("ies")) {  // network_connection_policies
    return std::string(kind.substr(0, kind.size() - 3)) + "y";
  }
  if (!kind.empty() && kind.back() == 's') return std::string(kind.substr(0, kind.size() - 1));
  return std::string(kind);
}

Result<ConfigPlan> planConfigDiff(const EntityLists& current, const EntityLists& desired,
                                  bool naturalKeys) {
  static const std::vector<Json> kEmpty;
  auto listOf = [](const EntityLists& lists, std::string_view kind) -> const std::vector<Json>& {
    auto it = lists.find(kind);
    return it == lists.end() ? kEmpty : it->second;
  };

  // Desired id -> final id, per kind, for the matches by natural key.
  std::map<std::string, std::unordered_map<std::string, std::string>, std::less<>> rewrites;
  // The final desired bodies and the unmatched current ones, per kind.
  std::map<std::string, std::vector<Json>, std::less<>> finalDesired;
  std::vector<ConfigOperation> upserts;
  std::map<std::string, std::vector<size_t>, std::less<>> unmatchedCurrent;

  try {
    for (std::string_view kindView : kEntityKinds) {
      const std::string kind(kindView);
      const auto& cur = listOf(current, kind);
      const auto& want = listOf(desired, kind);
      for (size_t i = 0; i < cur.size(); ++i) {
        if (Status st = checkBody(cur[i], kind, i, "current"); !st.isOk()) return st;
      }

      // The desired bodies with references to renamed parents rewritten.
      std::vector<Json> bodies;
      bodies.reserve(want.size());
      std::unordered_map<std::string, size_t> desiredIds;
      for (size_t i = 0; i < want.size(); ++i) {
        if (Status st = checkBody(want[i], kind, i, "desired"); !st.isOk()) return st;
        Json body = want[i];
        for (const auto& fk : foreignKeys(kind)) {
          auto it = body.find(fk.field);
          if (it == body.end() || !it->is_object()) continue;
          const std::string ref = stringOf(*it, "id");
          auto& map = rewrites[std::string(fk.kind)];
          if (auto r = map.find(ref); r != map.end()) (*it)["id"] = r->second;
        }
        if (!desiredIds.emplace(body["id"].get<std::string>(), i).second) {
          return Status::invalidArgument("desired " + kind + "[" + std::to_string(i) + "]: id '" +
                                         body["id"].get<std::string>() + "' declared twice");
        }
        bodies.push_back(std::move(body));
      }

      // Match by id, then by natural key.
      std::unordered_map<std::string, size_t> currentById;
      for (size_t i = 0; i < cur.size(); ++i)
        currentById.emplace(cur[i].at("id").get<std::string>(), i);
      std::vector<long> matchOf(bodies.size(), -1);
      std::vector<bool> currentTaken(cur.size(), false);
      for (size_t i = 0; i < bodies.size(); ++i) {
        auto it = currentById.find(bodies[i]["id"].get<std::string>());
        if (it != currentById.end() && !currentTaken[it->second]) {
          matchOf[i] = long(it->second);
          currentTaken[it->second] = true;
        }
      }
      if (naturalKeys) {
        std::unordered_map<std::string, size_t> currentByKey;
        for (size_t i = 0; i < cur.size(); ++i) {
          if (currentTaken[i]) continue;
          for (auto& k : naturalKeysOf(kind, cur[i])) currentByKey.emplace(std::move(k), i);
        }
        auto& map = rewrites[kind];
        for (size_t i = 0; i < bodies.size(); ++i) {
          if (matchOf[i] >= 0) continue;
          for (const auto& k : naturalKeysOf(kind, bodies[i])) {
            auto it = currentByKey.find(k);
            if (it == currentByKey.end() || currentTaken[it->second]) continue;
            matchOf[i] = long(it->second);
            currentTaken[it->second] = true;
            const std::string existing = cur[it->second].at("id").get<std::string>();
            map[bodies[i]["id"].get<std::string>()] = existing;
            bodies[i]["id"] = existing;
            break;
          }
        }
      }

      for (size_t i = 0; i < bodies.size(); ++i) {
        ConfigOperation op;
        op.kind = kind;
        op.id = bodies[i]["id"].get<std::string>();
        if (matchOf[i] < 0) {
          op.op = OperationType::kCreate;
          op.body = bodies[i];
          upserts.push_back(std::move(op));
          continue;
        }
        const Json& existing = cur[size_t(matchOf[i])];
        op.changed = changedFields(existing, bodies[i]);
        if (op.changed.empty()) continue;
        op.op = OperationType::kUpdate;
        op.body = bodies[i];
        for (const char* k : {"created_at", "updated_at"}) {
          if (auto it = existing.find(k); it != existing.end()) op.body[k] = *it;
        }
        upserts.push_back(std::move(op));
      }
      auto& unmatched = unmatchedCurrent[kind];
      for (size_t i = 0; i < cur.size(); ++i) {
        if (!currentTaken[i]) unmatched.push_back(i);
      }
      finalDesired[kind] = std::move(bodies);
    }

    // Display names: scopes of plugins name their service, route and consumer.
    NameMaps names;
    for (const char* kind : {"services", "routes", "consumers"}) {
      auto& map = names[kind];
      for (const auto& body : listOf(current, kind)) {
        map[stringOf(body, "id")] = displayName(kind, body, names);
      }
      for (const auto& body : finalDesired[kind]) {
        map[stringOf(body, "id")] = displayName(kind, body, names);
      }
    }

    ConfigPlan plan;
    plan.operations.reserve(upserts.size());
    for (auto& op : upserts) {
      op.name = displayName(op.kind, op.body, names);
      plan.operations.push_back(std::move(op));
    }
    for (auto k = kEntityKinds.rbegin(); k != kEntityKinds.rend(); ++k) {
      const auto& cur = listOf(current, *k);
      for (size_t i : unmatchedCurrent[std::string(*k)]) {
        ConfigOperation op;
        op.op = OperationType::kDelete;
        op.kind = std::string(*k);
        op.id = cur[i].at("id").get<std::string>();
        op.name = displayName(*k, cur[i], names);
        plan.operations.push_back(std::move(op));
      }
    }
    return plan;
  } catch (const std::exception& e) {
    return Status::internal(std::string("internal error while planning: ") + e.what());
  }
}

size_t ConfigPlan::count(OperationType op) const {
  return size_t(std::count_if(operations.begin(), operations.end(),
                              [op](const ConfigOperation& o) { return o.op == op; }));
}

Json ConfigPlan::toJson() const {
  Json ops = Json::array();
  for (const auto& o : operations) {
    Json j = {{"op", opName(o.op)}, {"kind", o.kind}, {"id", o.id}, {"name", o.name}};
    if (o.op == OperationType::kUpdate) j["changed"] = o.changed;
    if (o.op != OperationType::kDelete) j["body"] = o.body;
    ops.push_back(std::move(j));
  }
  return Json{{"created", count(OperationType::kCreate)},
              {"updated", count(OperationType::kUpdate)},
              {"deleted", count(OperationType::kDelete)},
              {"operations", std::move(ops)}};
}

Result<ConfigPlan> ConfigPlan::fromJson(const Json& j) {
  if (!j.is_object()) return Status::invalidArgument("plan: expected an object");
  auto ops = j.find("operations");
  if (ops == j.end() || !ops->is_array()) {
    return Status::invalidArgument("plan: 'operations' must be an array");
  }
  ConfigPlan plan;
  for (size_t i = 0; i < ops->size(); ++i) {
    const Json& o = (*ops)[i];
    const std::string at = "plan: operations[" + std::to_string(i) + "]";
    if (!o.is_object()) return Status::invalidArgument(at + ": expected an object");
    ConfigOperation op;
    const std::string type = stringOf(o, "op");
    if (type == "create") {
      op.op = OperationType::kCreate;
    } else if (type == "update") {
      op.op = OperationType::kUpdate;
    } else if (type == "delete") {
      op.op = OperationType::kDelete;
    } else {
      return Status::invalidArgument(at + ".op: expected one of: create, update, delete");
    }
    op.kind = stringOf(o, "kind");
    op.id = stringOf(o, "id");
    op.name = stringOf(o, "name");
    if (op.kind.empty()) return Status::invalidArgument(at + ".kind: expected a string");
    if (auto b = o.find("body"); b != o.end()) op.body = *b;
    if (auto c = o.find("changed"); c != o.end()) {
      if (!c->is_array()) return Status::invalidArgument(at + ".changed: expected an array");
      for (const auto& f : *c) {
        if (!f.is_string()) return Status::invalidArgument(at + ".changed: expected strings");
        op.changed.push_back(f.get<std::string>());
      }
    }
    plan.operations.push_back(std::move(op));
  }
  return plan;
}

std::vector<std::string> ConfigPlan::describe() const {
  std::vector<std::string> lines;
  lines.reserve(operations.size());
  for (const auto& o : operations) {
    const std::string shown = o.name.empty() ? o.id : o.name;
    std::string line;
    switch (o.op) {
      case OperationType::kCreate:
        line = "creating ";
        break;
      case OperationType::kUpdate:
        line = "updating ";
        break;
      case OperationType::kDelete:
        line = "deleting ";
        break;
    }
    line += singularKind(o.kind) + " " + shown;
    if (o.op == OperationType::kUpdate && !o.changed.empty()) {
      line += ": ";
      for (size_t i = 0; i < o.changed.size(); ++i) line += (i ? ", " : "") + o.changed[i];
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string ConfigPlan::summary() const {
  if (empty()) return "no changes";
  return "created " + std::to_string(count(OperationType::kCreate)) + ", updated " +
         std::to_string(count(OperationType::kUpdate)) + ", deleted " +
         std::to_string(count(OperationType::kDelete));
}

}  // namespace causeway::model::kong
