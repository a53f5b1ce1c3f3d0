// Query strings: the first value of a parameter, as sent (no percent-decoding). Pure functions.
#pragma once

#include <optional>
#include <string_view>

namespace causeway::http {

// `query` is the part after '?' (without a fragment). A parameter without '=' has the value "";
// nullopt when the parameter is absent.
std::optional<std::string_view> queryParam(std::string_view query, std::string_view name);

}  // namespace causeway::http
