// Content hashing for the loader: deterministic entity ids and the config hash. Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace causeway::model::kong {

// Lower-case hex of SHA-256(data).
std::string sha256Hex(std::string_view data);
// A UUID-formatted id (version 5 and RFC 4122 variant bits set) derived from SHA-256 of `key`, so
// the same entity in the same file always gets the same id.
std::string deterministicUuid(std::string_view key);

}  // namespace causeway::model::kong
