// File helpers for certificates and keys: the only I/O in the pki module. A file is written to
// a temporary file in the same directory with its final mode set before any byte is written,
// synced, then renamed into place, so readers see the old file or the whole new one and a key
// is never readable by others, not even for a moment.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "pki/secret.h"

namespace causeway::pki {

inline constexpr uint32_t kKeyFileMode = 0600;
inline constexpr uint32_t kCertFileMode = 0644;

// Writes `data` to `path` atomically with exactly `mode` (the umask does not apply). Without
// `overwrite`, an existing `path` is an alreadyExists error and is left alone.
Status writeFileAtomically(const std::string& path, std::string_view data, uint32_t mode,
                           bool overwrite);

// Creates `dir` with mode 0700 (and missing parents with 0755) unless it exists.
Status makePrivateDirectory(const std::string& dir);

Result<std::string> readFile(const std::string& path);
// For key files: the content is held in a SecretString, and intermediate buffers are wiped.
Result<SecretString> readSecretFile(const std::string& path);

}  // namespace causeway::pki
