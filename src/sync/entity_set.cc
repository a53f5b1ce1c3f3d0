#include "sync/entity_set.h"

#include <openssl/evp.h>

#include <algorithm>
#include <vector>

namespace causeway::sync {

using Json = nlohmann::json;

EntitySet::Digest EntitySet::digestOf(const std::string& kind, const std::string& id,
                                      const Json& body) {
  std::string data = kind;
  data += '\0';
  data += id;
  data += '\0';
  data += body.dump(-1, ' ', false, Json::error_handler_t::replace);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  Digest d{};
  std::copy_n(md, d.size(), d.begin());
  return d;
}

void EntitySet::toggle(const Digest& d) {
  for (size_t i = 0; i < d.size(); ++i) xor_[i] ^= d[i];
}

void EntitySet::upsert(const std::string& kind, const std::string& id, Json body) {
  Digest d = digestOf(kind, id, body);
  auto& entries = kinds_[kind];
  auto it = entries.find(id);
  if (it != entries.end()) {
    toggle(it->second.digest);
    it->second = Entry{std::move(body), d};
  } else {
    entries.emplace(id, Entry{std::move(body), d});
    ++count_;
  }
  toggle(d);
}

void EntitySet::erase(const std::string& kind, const std::string& id) {
  auto k = kinds_.find(kind);
  if (k == kinds_.end()) return;
  auto it = k->second.find(id);
  if (it == k->second.end()) return;
  toggle(it->second.digest);
  k->second.erase(it);
  --count_;
}

void EntitySet::clear() {
  kinds_.clear();
  count_ = 0;
  xor_ = {};
}

const Json* EntitySet::find(const std::string& kind, const std::string& id) const {
  auto k = kinds_.find(kind);
  if (k == kinds_.end()) return nullptr;
  auto it = k->second.find(id);
  return it == k->second.end() ? nullptr : &it->second.body;
}

std::string EntitySet::hash() const {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (uint8_t b : xor_) {
    out += hex[b >> 4];
    out += hex[b & 15];
  }
  return out;
}

Json EntitySet::declarative() const {
  Json doc = {{"_format_version", "3.0"}};
  for (const auto& [kind, entries] : kinds_) {
    if (entries.empty()) continue;
    std::vector<const Json*> bodies;
    bodies.reserve(entries.size());
    for (const auto& [id, e] : entries) bodies.push_back(&e.body);
    std::stable_sort(bodies.begin(), bodies.end(), [](const Json* a, const Json* b) {
      auto ca = a->value("created_at", int64_t(0)), cb = b->value("created_at", int64_t(0));
      return ca < cb;  // ties keep id order (the map's)
    });
    Json list = Json::array();
    for (const Json* b : bodies) list.push_back(*b);
    doc[kind] = std::move(list);
  }
  return doc;
}

bool EntitySet::assign(const Json& doc) {
  if (!doc.is_object()) return false;
  EntitySet fresh;
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (!it.key().empty() && it.key()[0] == '_') continue;
    if (!it->is_array()) return false;
    for (const auto& body : *it) {
      if (!body.is_object() || !body.contains("id") || !body["id"].is_string()) return false;
      fresh.upsert(it.key(), body["id"].get<std::string>(), body);
    }
  }
  *this = std::move(fresh);
  return true;
}

}  // namespace causeway::sync
