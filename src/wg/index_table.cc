#include "wg/index_table.h"

namespace causeway::wg {

uint32_t IndexTable::allocate(PeerId peer, Env& env) {
  while (true) {
    const uint32_t index = env.randomU32();
    if (index != 0 && owners_.emplace(index, peer).second) return index;
  }
}

void IndexTable::release(uint32_t index) {
  if (index != 0) owners_.erase(index);
}

std::optional<PeerId> IndexTable::find(uint32_t index) const {
  const auto it = owners_.find(index);
  if (it == owners_.end()) return std::nullopt;
  return it->second;
}

}  // namespace causeway::wg
