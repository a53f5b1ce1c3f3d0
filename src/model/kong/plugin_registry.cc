#include "model/kong/plugin_registry.h"

#include <map>
#include <mutex>
#include <shared_mutex>

namespace causeway::model::kong {
namespace {

struct Table {
  std::shared_mutex mu;
  std::map<std::string, PluginSchema, std::less<>> schemas;
};

Table& table() {
  static Table* t = new Table();  // never destroyed: lookups may run during static teardown
  return *t;
}

}  // namespace

PluginRegistry& PluginRegistry::global() {
  static PluginRegistry registry;
  return registry;
}

void PluginRegistry::add(PluginSchema schema) {
  std::unique_lock lock(table().mu);
  std::string name = schema.name;
  table().schemas[name] = std::move(schema);
}

bool PluginRegistry::find(std::string_view name, PluginSchema& out) const {
  std::shared_lock lock(table().mu);
  auto it = table().schemas.find(name);
  if (it == table().schemas.end()) return false;
  out = it->second;
  return true;
}

bool PluginRegistry::remove(std::string_view name) {
  std::unique_lock lock(table().mu);
  auto it = table().schemas.find(name);
  if (it == table().schemas.end()) return false;
  table().schemas.erase(it);
  return true;
}

std::string pluginNotEnabledMessage(std::string_view name) {
  return "plugin '" + std::string(name) +
         "' not enabled; add it to the 'plugins' configuration property";
}

}  // namespace causeway::model::kong
