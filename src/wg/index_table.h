// IndexTable: the 32-bit session indices a device hands out (whitepaper section 5.4.2: each
// handshake and session is named by a random index chosen by its receiver), mapped to the peer
// that owns them. Index 0 is never handed out. Not thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "wg/action.h"
#include "wg/env.h"

namespace causeway::wg {

class IndexTable {
 public:
  // A fresh random index for `peer`.
  uint32_t allocate(PeerId peer, Env& env);
  void release(uint32_t index);
  std::optional<PeerId> find(uint32_t index) const;
  size_t size() const { return owners_.size(); }

 private:
  std::unordered_map<uint32_t, PeerId> owners_;
};

}  // namespace causeway::wg
