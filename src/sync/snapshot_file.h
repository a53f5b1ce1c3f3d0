// The data plane's copy of its last good snapshot, so it can start serving while the control
// plane is unreachable. Written atomically (temporary file, fsync, rename) with mode 0600: it
// holds certificate keys.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"

namespace causeway::sync {

struct SavedSnapshot {
  int64_t revision = 0;
  std::string hash;
  nlohmann::json config;    // the declarative document (what loadSnapshot returns)
  std::string config_text;  // when set, saved instead of `config` (the document as JSON text)
};

std::string snapshotPath(const std::string& data_dir);
Status saveSnapshot(const std::string& data_dir, const SavedSnapshot& snap);
// kNotFound when there is none yet; invalidArgument when it is unreadable or corrupt.
Result<SavedSnapshot> loadSnapshot(const std::string& data_dir);

}  // namespace causeway::sync
