// Encodings both store backends share: the unique keys and refs of a record as a JSON array of
// strings (stored next to the body so reads need no join), and the opaque offset token of a page.
// Pure functions; no exceptions escape.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace causeway::store {

// `values` as a JSON array; invalidArgument if a value is not valid UTF-8 (`what` names it).
Result<std::string> encodeStringList(const std::vector<std::string>& values, std::string_view what);
// The inverse of encodeStringList; nullopt if `json` is not an array of strings.
std::optional<std::vector<std::string>> decodeStringList(std::string_view json);

// `values` without duplicates, first occurrence kept, order otherwise unchanged.
std::vector<std::string> uniqueValues(const std::vector<std::string>& values);

// The offset token of a page that ended at `last_id`, and back. The token is URL-safe base64 of a
// versioned payload; decodeOffset returns nullopt for anything encodeOffset did not produce.
std::string encodeOffset(std::string_view last_id);
std::optional<std::string> decodeOffset(std::string_view token);

}  // namespace causeway::store
