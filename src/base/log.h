// Logging setup. Code logs with spdlog directly (include <spdlog/spdlog.h> in .cc files only);
// this header only configures the process-wide logger. Secrets are never logged.
#pragma once

#include <string_view>

namespace causeway::log {

// Level names: trace, debug, info, warn, error, off. Unknown names fall back to info.
void init(std::string_view level);

}  // namespace causeway::log
