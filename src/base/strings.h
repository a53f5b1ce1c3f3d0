// Small string helpers used by parsers and the router. All are pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace causeway {

inline char asciiLower(char c) { return (c >= 'A' && c <= 'Z') ? char(c + 32) : c; }
bool equalsIgnoreCase(std::string_view a, std::string_view b);
std::string toLower(std::string_view s);
std::string_view trimOws(std::string_view s);  // optional whitespace: SP and HTAB
bool startsWith(std::string_view s, std::string_view prefix);
bool endsWith(std::string_view s, std::string_view suffix);
// Parses a decimal number with no sign, no spaces and no overflow past max.
std::optional<uint64_t> parseDecimal(std::string_view s, uint64_t max = UINT64_MAX);
// "host:port", "[v6]:port" or "host" (port then is nullopt). Empty host is an error.
struct HostPort {
  std::string host;
  std::optional<uint16_t> port;
};
std::optional<HostPort> parseHostPort(std::string_view s);
std::string jsonEscape(std::string_view s);  // for hand-built JSON on the data path

}  // namespace causeway
