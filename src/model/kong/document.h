// Turns the text of a declarative config (YAML, or JSON which is YAML too) into a JSON tree the
// loader walks. Hostile input is bounded before any recursive parser runs: documents nesting
// deeper than kMaxNesting levels and alias expansions larger than a budget are refused.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace causeway::model::kong {

inline constexpr int kMaxNesting = 64;

// An upper estimate of how deeply `text` nests (block indentation levels plus flow brackets,
// ignoring quoted strings, comments and block scalars). Cheap and non-recursive.
int estimateNesting(std::string_view text);

// Parses `text` into `out`. Plain YAML scalars are resolved like YAML 1.2's core schema (null,
// booleans, integers, floats, else strings); quoted and block scalars stay strings, as do scalars
// tagged `!!str` or a custom tag, while `!!int`/`!!float`/`!!bool`/`!!null` resolve like plain.
// Aliases are expanded (within the value budget); duplicate mapping keys and non-scalar keys are
// refused; of a multi-document stream the first document is used (as Kong does), the others only
// checked for syntax. Never throws: on failure returns false and sets `error` to a one-line reason
// (with the line and column when the input is at fault at a position).
bool parseDocument(std::string_view text, nlohmann::json& out, std::string& error);

}  // namespace causeway::model::kong
