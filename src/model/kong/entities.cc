#include "model/kong/entities.h"

namespace causeway::model::kong {

const Service* Config::findService(const std::string& id) const {
  for (const auto& s : services) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

const Upstream* Config::findUpstreamByName(const std::string& name) const {
  for (const auto& u : upstreams) {
    if (u.name == name) return &u;
  }
  return nullptr;
}

}  // namespace causeway::model::kong
