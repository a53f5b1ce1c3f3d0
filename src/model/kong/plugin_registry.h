// The plugins the loader knows. A plugin registers its name and a config validator (normally from
// a static registrar in its own folder); the loader refuses every other name the way Kong does
// when a plugin is not in the `plugins` property. Register before the first load: registration
// takes a lock, lookups take a shared lock.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "model/kong/loader.h"

namespace causeway::model::kong {

struct PluginSchema {
  std::string name;
  // Validates a plugin's `config` (a JSON object, "{}" when absent) and may rewrite it with
  // defaults filled in. Returned errors have paths relative to `config` ("" for the whole).
  std::function<std::vector<FieldError>(std::string& config_json)> validate;
};

class PluginRegistry {
 public:
  static PluginRegistry& global();
  // Adds or replaces the schema of `schema.name`.
  void add(PluginSchema schema);
  // Copies the schema of `name` into `out` (no lock stays held); false when unknown.
  bool find(std::string_view name, PluginSchema& out) const;
  bool remove(std::string_view name);

 private:
  PluginRegistry() = default;
};

// Kong's refusal of an unknown plugin name.
std::string pluginNotEnabledMessage(std::string_view name);

}  // namespace causeway::model::kong
