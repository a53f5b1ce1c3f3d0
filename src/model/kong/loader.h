// Loads a Kong 3.x declarative config (YAML or JSON, `_format_version: "3.0"`) into a validated
// Config. The whole file is checked before anything is returned: a config is accepted whole or
// refused with every offending field path named, in Kong's style:
//   {"code":14,"name":"invalid declarative configuration","message":"declarative config is
//    invalid: {services={{routes={{paths={[1]="..."}}}}}}","fields":{...}}
// Pure function, no I/O besides what the caller passes in; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/kong/entities.h"

namespace causeway::model::kong {

// One validation error: the path to the offending field and what is wrong with it.
struct FieldError {
  std::string path;     // e.g. "services[0].routes[1].paths[0]" (0-based indexes)
  std::string message;  // e.g. "invalid regex: '(' missing )"
};

struct LoadError {
  std::vector<FieldError> errors;
  std::string message() const;  // one line naming every field: "services[0].port: ...; ..."
  std::string kongJson() const; // Kong's error body: code 14, name, message and nested fields
};

class LoadResult {
 public:
  bool isOk() const { return errors_.errors.empty(); }
  const Config& config() const { return config_; }
  Config takeConfig() { return std::move(config_); }
  const LoadError& error() const { return errors_; }

  Config config_;
  LoadError errors_;
};

// Parses and validates a declarative config held in `text` (YAML; JSON is valid YAML).
LoadResult loadDeclarative(std::string_view text);

// Reads a file then loads it; an unreadable file is a single error with path "".
LoadResult loadDeclarativeFile(const std::string& path);

}  // namespace causeway::model::kong
