#include "sync/entity_set.h"

#include <openssl/evp.h>

#include <algorithm>
#include <vector>

namespace causeway::sync {

using Json = nlohmann::json;

EntitySet::Digest EntitySet::digestOf(const std::string& kind, const std::string& id,
                                      const std::string& body) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  EVP_DigestUpdate(ctx, kind.data(), kind.size() + 1);  // with the terminating NUL as separator
  EVP_DigestUpdate(ctx, id.data(), id.size() + 1);
  EVP_DigestUpdate(ctx, body.data(), body.size());
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx, md, &len);
  EVP_MD_CTX_free(ctx);
  Digest d{};
  std::copy_n(md, d.size(), d.begin());
  return d;
}

void EntitySet::toggle(const Digest& d) {
  for (size_t i = 0; i < d.size(); ++i) xor_[i] ^= d[i];
}

void EntitySet::upsert(const std::string& kind, const std::string& id, const Json& body) {
  Entry e;
  e.body = body.dump(-1, ' ', false, Json::error_handler_t::replace);
  auto c = body.find("created_at");
  if (c != body.end() && c->is_number_integer()) e.created_at = c->get<int64_t>();
  e.digest = digestOf(kind, id, e.body);
  auto& entries = kinds_[kind];
  auto it = entries.find(id);
  if (it != entries.end()) {
    toggle(it->second.digest);
    it->second = std::move(e);
    toggle(it->second.digest);
  } else {
    toggle(e.digest);
    entries.emplace(id, std::move(e));
    ++count_;
  }
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

const std::string* EntitySet::find(const std::string& kind, const std::string& id) const {
  auto k = kinds_.find(kind);
  if (k == kinds_.end()) return nullptr;
  auto it = k->second.find(id);
  return it == k->second.end() ? nullptr : &it->second.body;
}

int64_t EntitySet::createdAt(const std::string& kind, const std::string& id) const {
  auto k = kinds_.find(kind);
  if (k == kinds_.end()) return 0;
  auto it = k->second.find(id);
  return it == k->second.end() ? 0 : it->second.created_at;
}

void EntitySet::forEach(
    const std::string& kind,
    const std::function<void(const std::string&, const std::string&)>& fn) const {
  auto k = kinds_.find(kind);
  if (k == kinds_.end()) return;
  for (const auto& [id, e] : k->second) fn(id, e.body);
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

std::string EntitySet::declarativeText() const {
  size_t total = 64;
  for (const auto& [kind, entries] : kinds_) {
    for (const auto& [id, e] : entries) total += e.body.size() + 1;
  }
  std::string out;
  out.reserve(total);
  out += "{\"_format_version\":\"3.0\"";
  for (const auto& [kind, entries] : kinds_) {
    if (entries.empty()) continue;
    std::vector<const Entry*> list;
    list.reserve(entries.size());
    for (const auto& [id, e] : entries) list.push_back(&e);
    // Ties keep id order (the map's).
    std::stable_sort(list.begin(), list.end(),
                     [](const Entry* a, const Entry* b) { return a->created_at < b->created_at; });
    out += ",\"";
    out += kind;  // collection names are plain identifiers
    out += "\":[";
    for (size_t i = 0; i < list.size(); ++i) {
      if (i) out += ',';
      out += list[i]->body;
    }
    out += ']';
  }
  out += '}';
  return out;
}

Json EntitySet::declarative() const { return Json::parse(declarativeText()); }

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
