// Turns a Kong 3.x declarative config into flat per-kind lists of Admin API entity bodies, as a
// control plane stores them: nested entities (services[].routes, services[].plugins,
// routes[].plugins, consumers[].plugins, upstreams[].targets, certificates[].snis) are moved to
// their kind's list with the foreign key set to {"id": parent id}; references by name or id
// (strings, {name: ..}/{username: ..} or {id: ..} records) become {"id": ...}; the `url` shorthand
// of services becomes protocol/host/port/path; certificate SNIs given as strings become SNI
// entities. Entities without an id get the one the loader generates for them (ids.h), so an
// entity has the same id in DB-less mode and on a control plane.
//
// The bodies carry only what the file says plus those rewrites: filling schema defaults is the
// caller's job. Pure functions; thread-safe.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace causeway::model::kong {

// The kinds a control plane stores, each after the kinds its entities refer to.
inline constexpr std::array<std::string_view, 8> kEntityKinds = {
    "certificates", "snis", "services", "routes", "upstreams", "targets", "consumers", "plugins"};

// Entity bodies per kind ("services", "routes", ...): JSON objects, each with an "id".
using EntityLists = std::map<std::string, std::vector<nlohmann::json>, std::less<>>;

struct FlatConfig {
  std::string format_version;  // "3.0" (or a legacy "1.1"/"2.1", already converted)
  // Every kind of kEntityKinds, possibly empty. Routes come in the loader's order (those nested in
  // services first, service by service, then the top-level ones), which is the routers' last
  // tie-breaker; the other kinds are in file order, nested ones before top-level ones.
  EntityLists entities;
};

// Flattens the JSON tree of a declarative config. Meant for a document loadDeclarative() accepted;
// on any other input it returns an error Status naming the field path, and never throws.
Result<FlatConfig> flattenDeclarative(const nlohmann::json& root);

// Parses `text` (YAML, or JSON) like loadDeclarative() does, then flattens it.
Result<FlatConfig> flattenDeclarativeText(std::string_view text);

}  // namespace causeway::model::kong
