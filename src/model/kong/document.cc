#include "model/kong/document.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

namespace causeway::model::kong {
namespace {

using Json = nlohmann::json;

bool isBlank(char c) { return c == ' ' || c == '\t'; }

// Resolves a plain (unquoted, untagged) YAML scalar to a typed JSON value.
Json resolvePlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  std::string_view v = s;
  const char first = v.front();
  if ((first >= '0' && first <= '9') || first == '-' || first == '+' || first == '.') {
    std::string_view digits = v;
    bool negative = false;
    if (digits.front() == '-' || digits.front() == '+') {
      negative = digits.front() == '-';
      digits.remove_prefix(1);
    }
    if (digits == ".inf" || digits == ".Inf" || digits == ".INF") {
      return negative ? -std::numeric_limits<double>::infinity()
                      : std::numeric_limits<double>::infinity();
    }
    if (v == ".nan" || v == ".NaN" || v == ".NAN") return std::numeric_limits<double>::quiet_NaN();
    if (!digits.empty() &&
        std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      int64_t i = 0;
      auto [p, ec] = std::from_chars(v.data() + (v.front() == '+' ? 1 : 0), v.data() + v.size(), i);
      if (ec == std::errc() && p == v.data() + v.size()) return i;
      return std::strtod(s.c_str(), nullptr);  // too large for 64 bits: keep its magnitude
    }
    if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'o')) {
      const int base = digits[1] == 'x' ? 16 : 8;
      uint64_t u = 0;
      auto [p, ec] = std::from_chars(digits.data() + 2, digits.data() + digits.size(), u, base);
      if (ec == std::errc() && p == digits.data() + digits.size() &&
          u <= uint64_t(std::numeric_limits<int64_t>::max())) {
        return negative ? -int64_t(u) : int64_t(u);
      }
    }
    // [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
    size_t i = 0;
    size_t mantissa = 0;
    while (i < digits.size() && digits[i] >= '0' && digits[i] <= '9') ++i, ++mantissa;
    if (i < digits.size() && digits[i] == '.') {
      ++i;
      while (i < digits.size() && digits[i] >= '0' && digits[i] <= '9') ++i, ++mantissa;
    }
    bool ok = mantissa > 0;
    if (ok && i < digits.size() && (digits[i] == 'e' || digits[i] == 'E')) {
      ++i;
      if (i < digits.size() && (digits[i] == '-' || digits[i] == '+')) ++i;
      size_t exp = 0;
      while (i < digits.size() && digits[i] >= '0' && digits[i] <= '9') ++i, ++exp;
      ok = exp > 0;
    }
    if (ok && i == digits.size()) return std::strtod(s.c_str(), nullptr);
  }
  return s;
}

class Converter {
 public:
  explicit Converter(size_t budget) : budget_(budget) {}

  // Converts a yaml-cpp node graph. Depth and node count are bounded: anchors can make a graph
  // whose expansion is exponential, or (in yaml-cpp) cyclic.
  bool convert(const YAML::Node& node, Json& out, int depth) {
    if (depth > kMaxNesting) return fail("document nests deeper than 64 levels");
    if (budget_ == 0) return fail("document expands to too many values (aliases?)");
    --budget_;
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out = nullptr;
        return true;
      case YAML::NodeType::Scalar: {
        const std::string& tag = node.Tag();
        if (tag == "?") {
          out = resolvePlainScalar(node.Scalar());
        } else if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float" ||
                   tag == "tag:yaml.org,2002:bool" || tag == "tag:yaml.org,2002:null") {
          out = resolvePlainScalar(node.Scalar());
        } else {
          out = node.Scalar();  // quoted, !!str or a custom tag: a string
        }
        return true;
      }
      case YAML::NodeType::Sequence: {
        out = Json::array();
        for (const auto& item : node) {
          Json child;
          if (!convert(item, child, depth + 1)) return false;
          out.push_back(std::move(child));
        }
        return true;
      }
      case YAML::NodeType::Map: {
        out = Json::object();
        for (const auto& kv : node) {
          if (!kv.first.IsScalar()) return fail("mapping keys must be strings");
          if (budget_ == 0) return fail("document expands to too many values (aliases?)");
          --budget_;
          Json child;
          if (!convert(kv.second, child, depth + 1)) return false;
          out[kv.first.Scalar()] = std::move(child);
        }
        return true;
      }
    }
    return fail("unexpected YAML node");
  }

  const std::string& error() const { return error_; }

 private:
  bool fail(std::string why) {
    error_ = std::move(why);
    return false;
  }
  size_t budget_;
  std::string error_;
};

}  // namespace

int estimateNesting(std::string_view text) {
  int flow = 0;
  int deepest = 0;
  std::vector<size_t> indents;  // block indentation stack
  size_t blockScalarIndent = std::string_view::npos;  // inside `|`/`>` content deeper than this
  size_t i = 0;
  const size_t n = text.size();
  while (i < n) {
    // Start of a line.
    size_t col = 0;
    while (i < n && text[i] == ' ') ++i, ++col;
    const size_t lineStart = i;
    size_t eol = text.find('\n', i);
    if (eol == std::string_view::npos) eol = n;
    bool blank = i >= eol || text[i] == '#' || text[i] == '\r';
    if (blockScalarIndent != std::string_view::npos) {
      if (blank || col > blockScalarIndent) {
        i = eol + 1;
        continue;
      }
      blockScalarIndent = std::string_view::npos;
    }
    if (blank) {
      i = eol + 1;
      continue;
    }
    if (flow == 0) {
      while (!indents.empty() && indents.back() >= col) indents.pop_back();
      indents.push_back(col);
    }
    int markers = 0;  // "- - - x" and "? " open one level each
    size_t j = lineStart;
    while (j + 1 < eol && (text[j] == '-' || text[j] == '?' || text[j] == ':') &&
           isBlank(text[j + 1])) {
      ++markers;
      j += 2;
      while (j < eol && isBlank(text[j])) ++j;
    }
    // Scan the rest of the line (and any quoted string spanning lines) for flow brackets.
    bool tokenStart = true;
    char lastSignificant = 0;
    while (i < n && text[i] != '\n') {
      const char c = text[i];
      if (tokenStart && (c == '"' || c == '\'')) {
        ++i;
        while (i < n) {
          if (c == '"' && text[i] == '\\') {
            i += 2;
            continue;
          }
          if (text[i] == c) {
            if (c == '\'' && i + 1 < n && text[i + 1] == '\'') {
              i += 2;
              continue;
            }
            break;
          }
          ++i;
        }
        ++i;  // past the closing quote (or past the end)
        tokenStart = false;
        lastSignificant = c;
        continue;
      }
      if (tokenStart && c == '#') {
        while (i < n && text[i] != '\n') ++i;
        break;
      }
      if (c == '[' || c == '{') {
        ++flow;
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      }
      tokenStart = isBlank(c) || c == '[' || c == '{' || c == ',' || c == ':' || c == '-';
      if (!isBlank(c) && c != '\r') lastSignificant = c;
      deepest = std::max(deepest, int(indents.size()) + markers + flow);
      ++i;
    }
    deepest = std::max(deepest, int(indents.size()) + markers + flow);
    if (flow == 0 && (lastSignificant == '|' || lastSignificant == '>' ||
                      ((lastSignificant == '-' || lastSignificant == '+' ||
                        (lastSignificant >= '1' && lastSignificant <= '9')) &&
                       [&] {  // "|-", ">+", "|2" ...
                         std::string_view line = text.substr(lineStart, i - lineStart);
                         while (!line.empty() && (isBlank(line.back()) || line.back() == '\r'))
                           line.remove_suffix(1);
                         while (!line.empty() && (line.back() == '-' || line.back() == '+' ||
                                                  (line.back() >= '1' && line.back() <= '9')))
                           line.remove_suffix(1);
                         return !line.empty() && (line.back() == '|' || line.back() == '>');
                       }()))) {
      blockScalarIndent = col;
    }
    ++i;  // past '\n'
  }
  return deepest;
}

bool parseDocument(std::string_view text, Json& out, std::string& error) {
  try {
    if (estimateNesting(text) > kMaxNesting) {
      error = "document nests deeper than 64 levels";
      return false;
    }
    size_t first = 0;
    while (first < text.size() && (isBlank(text[first]) || text[first] == '\n' ||
                                   text[first] == '\r')) {
      ++first;
    }
    if (first < text.size() && text[first] == '{') {
      // Fast path for JSON (a 100k-route export parses several times faster than via YAML).
      Json parsed = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
      if (!parsed.is_discarded()) {
        out = std::move(parsed);
        return true;
      }
      // Not strict JSON: a YAML flow mapping maybe; fall through.
    }
    YAML::Node root = YAML::Load(std::string(text));
    Converter converter(std::max<size_t>(size_t{1} << 16, text.size() * 8));
    if (!converter.convert(root, out, 0)) {
      error = converter.error();
      return false;
    }
    return true;
  } catch (const YAML::Exception& e) {
    error = "failed parsing YAML: " + e.msg + " (line " + std::to_string(e.mark.line + 1) +
            ", column " + std::to_string(e.mark.column + 1) + ")";
  } catch (const std::exception& e) {
    error = std::string("failed parsing: ") + e.what();
  } catch (...) {
    error = "failed parsing";
  }
  return false;
}

}  // namespace causeway::model::kong
