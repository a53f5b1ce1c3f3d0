// The set of gateway entities a data plane serves, as both ends of the sync stream hold it: the
// control plane builds it from the store, the data plane from the snapshot and deltas it receives.
// Bodies are kept as canonical JSON text (nlohmann's compact dump, keys sorted): a fraction of
// the memory of parsed trees, and documents are built by concatenation. The hash is
// order-independent and updated per entity (XOR of per-entity SHA-256 over kind, id and the
// canonical text), so both sides agree on it without re-serializing 20k entities per change.
// Not thread-safe; one owner.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace causeway::sync {

class EntitySet {
 public:
  // `body` is re-serialized canonically.
  void upsert(const std::string& kind, const std::string& id, const nlohmann::json& body);
  void erase(const std::string& kind, const std::string& id);
  void clear();

  // The canonical text of an entity, or nullptr.
  const std::string* find(const std::string& kind, const std::string& id) const;
  // The entity's created_at (0 when absent or not an integer), for ordering without parsing.
  int64_t createdAt(const std::string& kind, const std::string& id) const;
  void forEach(const std::string& kind,
               const std::function<void(const std::string& id, const std::string& body)>& fn) const;
  size_t size() const { return count_; }
  // 32 hex characters, as Kong's config_hash; the empty set hashes to 32 zeros.
  std::string hash() const;

  // The Kong declarative document of the whole set (flat, references by id), every collection
  // ordered by created_at then id (Kong orders routes of equal priority by creation), as JSON
  // text, and parsed.
  std::string declarativeText() const;
  nlohmann::json declarative() const;
  // Replaces the content with a declarative document of that shape. False (and unchanged) if it
  // is not one.
  bool assign(const nlohmann::json& doc);

 private:
  using Digest = std::array<uint8_t, 16>;
  struct Entry {
    std::string body;
    int64_t created_at = 0;
    Digest digest;
  };
  static Digest digestOf(const std::string& kind, const std::string& id, const std::string& body);
  void toggle(const Digest& d);

  std::map<std::string, std::map<std::string, Entry>> kinds_;
  size_t count_ = 0;
  Digest xor_{};
};

}  // namespace causeway::sync
