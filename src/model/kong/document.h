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
// booleans, integers, floats, else strings); quoted scalars stay strings. Never throws: on failure
// returns false and sets `error` to a one-line reason.
bool parseDocument(std::string_view text, nlohmann::json& out, std::string& error);

}  // namespace causeway::model::kong
