// Keeps the data plane's compiled Kong config (model::kong::Config) in step with its EntitySet.
// A full snapshot is validated and loaded whole; a delta only reloads the entities it touched
// (with what they refer to, so references resolve) and patches the previous Config, so a
// one-route change costs a few milliseconds instead of reloading 20k entities. The CP validated
// every entity and enforces uniqueness and references across them, which a one-entity load
// cannot see. Not thread-safe; lives on the DP's main thread.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "model/kong/entities.h"
#include "sync/entity_set.h"

namespace causeway::sync {

class KongConfigBuilder {
 public:
  using Touched = std::vector<std::pair<std::string, std::string>>;  // (kind, id)

  // Validates and loads the whole set, or the document it was assigned from (the same content).
  Status reset(const EntitySet& set);
  Status reset(const nlohmann::json& doc);
  // Reloads what `touched` names from `set` (already updated). Unchanged on error.
  Status apply(const EntitySet& set, const Touched& touched);
  const model::kong::Config& config() const { return config_; }
  // Back to the config before the last successful apply() (when publishing it failed).
  void rollback() { config_ = std::move(previous_); }
  void forgetPrevious() { previous_ = model::kong::Config{}; }

 private:
  model::kong::Config config_;
  model::kong::Config previous_;
};

}  // namespace causeway::sync
