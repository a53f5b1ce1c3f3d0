// LoadError rendering: the one-line message and Kong's error body (code 14, nested `fields` and
// `flattened_errors`).
//
// Deviations from Kong, on purpose: array positions in `fields` are 0-based like our paths (Kong's
// Lua tables are 1-based only in its `message`, which we also render 1-based); an array with few
// errors far apart is an object keyed by the 0-based position ("99999": ...) instead of thousands
// of nulls; `flattened_errors` entries carry `entity_path` but not the raw entity.
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/kong/loader.h"

namespace causeway::model::kong {
namespace {

using Json = nlohmann::json;

struct Segment {
  bool isIndex = false;
  std::string key;
  size_t index = 0;
};

// Splits "services[0].routes[1].paths[0]" into segments. Tolerant: anything odd is a key.
std::vector<Segment> splitPath(const std::string& path) {
  std::vector<Segment> out;
  size_t i = 0;
  const size_t n = path.size();
  auto parseIndex = [&](size_t at, size_t& value, size_t& end) {
    if (at >= n || path[at] != '[') return false;
    size_t j = at + 1;
    size_t v = 0;
    size_t digits = 0;
    while (j < n && path[j] >= '0' && path[j] <= '9' && digits < 12) {
      v = v * 10 + size_t(path[j] - '0');
      ++j, ++digits;
    }
    if (digits == 0 || j >= n || path[j] != ']') return false;
    value = v;
    end = j + 1;
    return true;
  };
  while (i < n) {
    size_t value = 0;
    size_t end = 0;
    if (parseIndex(i, value, end)) {
      out.push_back({true, {}, value});
      i = end;
      if (i < n && path[i] == '.') ++i;
      continue;
    }
    std::string key;
    while (i < n && path[i] != '.') {
      if (path[i] == '[' && parseIndex(i, value, end)) break;
      key += path[i++];
    }
    out.push_back({false, std::move(key), 0});
    if (i < n && path[i] == '.') ++i;
  }
  return out;
}

struct Node {
  std::map<std::string, Node> keys;
  std::map<size_t, Node> items;
  std::vector<std::string> entity;  // messages about the node as a whole ("@entity")
  std::vector<std::string> leaf;    // messages about a scalar field
  bool isLeaf() const { return keys.empty() && items.empty() && entity.empty(); }
};

// Which nested collections hold entities, per entity type (the rest are plain fields).
const char* nestedEntityType(const std::string& parentType, const std::string& key) {
  static const std::map<std::string, std::map<std::string, const char*>> kNesting = {
      {"", {{"services", "service"}, {"routes", "route"}, {"upstreams", "upstream"},
            {"targets", "target"}, {"certificates", "certificate"}, {"snis", "sni"},
            {"consumers", "consumer"}, {"plugins", "plugin"}}},
      {"service", {{"routes", "route"}, {"plugins", "plugin"}}},
      {"route", {{"plugins", "plugin"}}},
      {"upstream", {{"targets", "target"}}},
      {"certificate", {{"snis", "sni"}}},
      {"consumer", {{"plugins", "plugin"}}},
  };
  auto parent = kNesting.find(parentType);
  if (parent == kNesting.end()) return nullptr;
  auto it = parent->second.find(key);
  return it == parent->second.end() ? nullptr : it->second;
}

// True when `segments` name a whole entity ("services[0]", "services[0].routes[1]").
bool isEntityPath(const std::vector<Segment>& segments) {
  std::string type;
  size_t i = 0;
  for (; i + 1 < segments.size(); i += 2) {
    if (segments[i].isIndex || !segments[i + 1].isIndex) return false;
    const char* nested = nestedEntityType(type, segments[i].key);
    if (!nested) return false;
    type = nested;
  }
  return i == segments.size() && !type.empty();
}

Node buildTree(const std::vector<FieldError>& errors) {
  Node root;
  for (const auto& e : errors) {
    Node* node = &root;
    auto segments = splitPath(e.path);
    for (const auto& s : segments) node = s.isIndex ? &node->items[s.index] : &node->keys[s.key];
    if (segments.empty() || isEntityPath(segments)) {
      node->entity.push_back(e.message);
    } else {
      node->leaf.push_back(e.message);
    }
  }
  return root;
}

std::string joinMessages(const std::vector<std::string>& messages) {
  std::string out;
  for (const auto& m : messages) {
    if (!out.empty()) out += "; ";
    out += m;
  }
  return out;
}

bool denseArray(const Node& node) {
  if (!node.keys.empty() || !node.entity.empty() || !node.leaf.empty()) return false;
  const size_t maxIndex = node.items.rbegin()->first;
  return maxIndex < 2 * node.items.size() + 16;
}

Json toJson(const Node& node) {
  if (node.isLeaf() && !node.leaf.empty()) return joinMessages(node.leaf);
  if (!node.items.empty() && denseArray(node)) {
    Json arr = Json::array();
    for (const auto& [index, child] : node.items) {
      while (arr.size() < index) arr.push_back(nullptr);
      arr.push_back(toJson(child));
    }
    return arr;
  }
  Json obj = Json::object();
  for (const auto& [key, child] : node.keys) obj[key] = toJson(child);
  for (const auto& [index, child] : node.items) obj[std::to_string(index)] = toJson(child);
  if (!node.entity.empty() || !node.leaf.empty()) {
    Json list = Json::array();
    for (const auto& m : node.entity) list.push_back(m);
    for (const auto& m : node.leaf) list.push_back(m);
    obj["@entity"] = std::move(list);
  }
  return obj;
}

std::string luaQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

bool luaIdentifier(const std::string& s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
      return false;
  }
  return true;
}

// Kong's message renders the error table as Lua (1-based positions).
std::string toLua(const Node& node) {
  if (node.isLeaf() && !node.leaf.empty()) return luaQuote(joinMessages(node.leaf));
  std::string out = "{";
  bool firstEntry = true;
  auto sep = [&] {
    if (!firstEntry) out += ",";
    firstEntry = false;
  };
  bool contiguous = node.keys.empty() && node.entity.empty() && node.leaf.empty();
  size_t expected = 0;
  for (const auto& [index, child] : node.items) contiguous = contiguous && index == expected++;
  for (const auto& [index, child] : node.items) {
    sep();
    if (!contiguous) out += "[" + std::to_string(index + 1) + "]=";
    out += toLua(child);
  }
  for (const auto& [key, child] : node.keys) {
    sep();
    out += luaIdentifier(key) ? key : "[" + luaQuote(key) + "]";
    out += "=" + toLua(child);
  }
  if (!node.entity.empty() || !node.leaf.empty()) {
    sep();
    out += "[\"@entity\"]={";
    bool firstMessage = true;
    for (const auto* list : {&node.entity, &node.leaf}) {
      for (const auto& m : *list) {
        if (!firstMessage) out += ",";
        firstMessage = false;
        out += luaQuote(m);
      }
    }
    out += "}";
  }
  return out + "}";
}

Json flattenedErrors(const std::vector<FieldError>& errors) {
  struct Entity {
    std::string type;
    Json errors = Json::array();
  };
  std::map<std::string, Entity> byPath;
  std::vector<std::string> order;
  for (const auto& e : errors) {
    auto segments = splitPath(e.path);
    std::string type;
    std::string entityPath;
    size_t fieldStart = 0;
    std::string walked;
    for (size_t i = 0; i + 1 < segments.size(); i += 2) {  // name then [index]
      if (segments[i].isIndex) break;
      const char* nested = segments[i + 1].isIndex ? nestedEntityType(type, segments[i].key)
                                                   : nullptr;
      if (!nested) break;
      walked += (walked.empty() ? "" : ".") + segments[i].key + "[" +
                std::to_string(segments[i + 1].index) + "]";
      type = nested;
      entityPath = walked;
      fieldStart = i + 2;
    }
    if (type.empty()) continue;  // top-level problems are only in `fields`
    std::string field;
    for (size_t i = fieldStart; i < segments.size(); ++i) {
      if (segments[i].isIndex) {
        field += "[" + std::to_string(segments[i].index) + "]";
      } else {
        field += (field.empty() ? "" : ".") + segments[i].key;
      }
    }
    auto [it, inserted] = byPath.try_emplace(entityPath);
    if (inserted) {
      it->second.type = type;
      order.push_back(entityPath);
    }
    if (field.empty()) {
      it->second.errors.push_back({{"type", "entity"}, {"message", e.message}});
    } else {
      it->second.errors.push_back({{"type", "field"}, {"field", field}, {"message", e.message}});
    }
  }
  Json out = Json::array();
  for (const auto& path : order) {
    const auto& entity = byPath[path];
    out.push_back({{"entity_type", entity.type}, {"entity_path", path},
                   {"errors", entity.errors}});
  }
  return out;
}

}  // namespace

std::string LoadError::message() const {
  std::string out;
  for (const auto& e : errors) {
    if (!out.empty()) out += "; ";
    if (!e.path.empty()) out += e.path + ": ";
    out += e.message;
  }
  return out;
}

std::string LoadError::kongJson() const {
  const Node root = buildTree(errors);
  Json body = {{"code", 14}, {"name", "invalid declarative configuration"}};
  std::string lua = toLua(root);
  if (root.keys.empty() && root.items.empty() && root.leaf.empty() && root.entity.size() == 1) {
    lua = root.entity.front();  // a document-level failure (unreadable, unparseable)
  }
  body["message"] = "declarative config is invalid: " + lua;
  body["fields"] = toJson(root);
  if (body["fields"].is_string() || body["fields"].is_array()) {
    body["fields"] = Json{{"@entity", Json::array({body["fields"]})}};
  }
  body["flattened_errors"] = flattenedErrors(errors);
  return body.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace causeway::model::kong

namespace causeway::model::kong {

nlohmann::json fieldErrorsJson(const std::vector<FieldError>& errors) {
  Json fields = toJson(buildTree(errors));
  if (!fields.is_object()) fields = Json{{"@entity", Json::array({fields})}};
  return fields;
}

}  // namespace causeway::model::kong
