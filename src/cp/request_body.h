// Admin API request decoding: query strings, and entity bodies sent as JSON or as HTML forms
// (`curl --data name=x --data paths[]=/a --data service.id=...`, as Kong's documentation does).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/status.h"

namespace causeway::cp {

std::string percentDecode(std::string_view s, bool plus_is_space);

// Query parameters; a repeated name keeps the last value.
std::map<std::string, std::string> parseQuery(std::string_view query);

// The body as a JSON object. Forms: "a=1" -> {"a":"1"}; "a[]=x&a[]=y" or a repeated "a" -> array;
// "a.b=1" -> {"a":{"b":"1"}}; "a[1]=x" -> array position. Values stay strings (the schema coerces
// them). An empty body is {}. Anything else is an error naming what was wrong.
Result<nlohmann::json> parseEntityBody(std::string_view content_type, std::string_view body);

}  // namespace causeway::cp
