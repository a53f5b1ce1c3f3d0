// A longest-prefix-match table from CIDR blocks to values, for the per-packet decision. One hash
// map per prefix length in use, per family; a lookup masks the address once per length, longest
// first, and allocates nothing. Build it, then share it: const methods are safe from any thread,
// insert() is not.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <span>
#include <unordered_map>
#include <vector>

#include "base/ip.h"

namespace causeway::model::network {

template <class V>
class PrefixTable {
 public:
  // Adds or replaces the value of exactly this block.
  void insert(const Cidr& cidr, V value) {
    auto& levels = cidr.isV6() ? v6_ : v4_;
    const int length = cidr.prefixLength();
    auto it = std::find_if(levels.begin(), levels.end(),
                           [&](const Level& l) { return l.length <= length; });
    if (it == levels.end() || it->length != length) it = levels.insert(it, Level{length, {}});
    it->entries.insert_or_assign(keyOf(cidr.address().bytes(), length), std::move(value));
  }

  // The value of the longest block holding `address` (4 or 16 bytes), or nullptr.
  const V* longestMatch(std::span<const uint8_t> address) const {
    if (address.size() != 4 && address.size() != 16) return nullptr;
    const auto& levels = address.size() == 16 ? v6_ : v4_;
    for (const Level& level : levels) {
      auto it = level.entries.find(keyOf(address, level.length));
      if (it != level.entries.end()) return &it->second;
    }
    return nullptr;
  }
  const V* longestMatch(const IpAddress& address) const { return longestMatch(address.bytes()); }

  bool empty() const { return v4_.empty() && v6_.empty(); }

 private:
  // An address truncated to its first `length` bits, as two big-endian words.
  struct Key {
    uint64_t high = 0, low = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const noexcept {
      uint64_t h = k.high * 0x9E3779B97F4A7C15ULL ^ (k.low + 0x632BE59BD9B4E019ULL);
      h ^= h >> 29;
      return size_t(h * 0xBF58476D1CE4E5B9ULL);
    }
  };
  struct Level {
    int length;
    std::unordered_map<Key, V, KeyHash> entries;
  };

  static Key keyOf(std::span<const uint8_t> address, int length) {
    uint8_t bytes[16] = {};
    std::memcpy(bytes, address.data(), address.size());
    Key k;
    for (int i = 0; i < 8; ++i) k.high = (k.high << 8) | bytes[i];
    for (int i = 8; i < 16; ++i) k.low = (k.low << 8) | bytes[i];
    k.high = length >= 64 ? k.high : length == 0 ? 0 : k.high & ~(~0ULL >> length);
    k.low = length >= 128 ? k.low : length <= 64 ? 0 : k.low & ~(~0ULL >> (length - 64));
    return k;
  }

  std::vector<Level> v4_, v6_;  // longest prefix first
};

}  // namespace causeway::model::network
