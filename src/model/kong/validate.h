// Field validators for Kong entity values (hostnames, paths, names, UUIDs, regexes). Each returns
// std::nullopt when the value is valid, else the message Kong would give. Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace causeway::model::kong {

using Problem = std::optional<std::string>;

bool isUuid(std::string_view s);
bool isIPv4(std::string_view s);
bool isIPv6(std::string_view s);
// A DNS name: labels of letters, digits, '-' and '_', 1..63 bytes each, 253 in all.
bool isHostname(std::string_view s);

Problem checkName(std::string_view name);  // letters, digits, ". - _ ~" (and UTF-8)
Problem checkTag(std::string_view tag);
Problem checkHost(std::string_view host);  // hostname or IP address, no port
// A route host: optional single '*' label at either end, optional ":port".
Problem checkRouteHost(std::string_view host);
// An SNI: hostname with an optional '*' label at either end; no IP, no port.
Problem checkSni(std::string_view sni);
Problem checkHeaderName(std::string_view name);
// A service or cookie path: starts with "/", RFC 3986 characters, valid %-escapes.
Problem checkPath(std::string_view path);
// A route path: "/plain" (normalized) or "~/regex" (compiled with RE2).
Problem checkRoutePath(std::string_view path);
// `pattern` compiled with RE2 after kongRegexToRe2; case-insensitive when asked.
Problem checkRegex(std::string_view pattern, bool caseInsensitive);

// Kong's regexes are PCRE; this RE2 (2022-06) only knows the "(?P<name>" spelling of named
// groups, so "(?<name>" is rewritten. Everything else RE2 refuses is reported as invalid.
std::string kongRegexToRe2(std::string_view pattern);

// Kong 3 loads `_format_version` 1.1/2.1 files by prefixing regex-looking paths with "~".
bool looksLikeLegacyRegexPath(std::string_view path);

}  // namespace causeway::model::kong
