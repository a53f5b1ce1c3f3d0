// The set of gateway entities a data plane serves, as both ends of the sync stream hold it: the
// control plane builds it from the store, the data plane from the snapshot and deltas it receives.
// Its hash is order-independent and updated per entity (XOR of per-entity digests over the
// canonical JSON), so both sides agree on it without re-serializing 20k entities per change.
// Not thread-safe; one owner.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace causeway::sync {

class EntitySet {
 public:
  void upsert(const std::string& kind, const std::string& id, nlohmann::json body);
  void erase(const std::string& kind, const std::string& id);
  void clear();

  const nlohmann::json* find(const std::string& kind, const std::string& id) const;
  size_t size() const { return count_; }
  // 32 hex characters, as Kong's config_hash; the empty set hashes to 32 zeros.
  std::string hash() const;

  // The Kong declarative document of the whole set (flat, references by id), every collection
  // ordered by created_at then id (Kong orders routes of equal priority by creation).
  nlohmann::json declarative() const;
  // Replaces the content with a declarative document of that shape. False if it is not one.
  bool assign(const nlohmann::json& doc);

 private:
  using Digest = std::array<uint8_t, 16>;
  struct Entry {
    nlohmann::json body;
    Digest digest;
  };
  static Digest digestOf(const std::string& kind, const std::string& id, const nlohmann::json& body);
  void toggle(const Digest& d);

  std::map<std::string, std::map<std::string, Entry>> kinds_;
  size_t count_ = 0;
  Digest xor_{};
};

}  // namespace causeway::sync
