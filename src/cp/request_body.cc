#include "cp/request_body.h"

#include "base/strings.h"

namespace causeway::cp {
namespace {

using Json = nlohmann::json;

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

template <class Fn>
void forEachPair(std::string_view s, Fn fn) {
  while (!s.empty()) {
    size_t amp = s.find('&');
    std::string_view pair = s.substr(0, amp);
    s = amp == std::string_view::npos ? std::string_view() : s.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string name = percentDecode(pair.substr(0, eq), true);
    std::string value =
        eq == std::string_view::npos ? "" : percentDecode(pair.substr(eq + 1), true);
    fn(std::move(name), std::move(value));
  }
}

// Places `value` at the path a form field name describes.
Status place(Json& root, const std::string& name, std::string value) {
  Json* node = &root;
  std::string_view rest = name;
  auto nextKey = [&]() -> std::string {
    size_t end = rest.find_first_of(".[");
    std::string key(rest.substr(0, end));
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    return key;
  };
  std::string key = nextKey();
  if (key.empty()) return Status::invalidArgument("invalid form field name '" + name + "'");
  node = &(*node)[key];
  while (!rest.empty()) {
    if (rest[0] == '.') {
      rest.remove_prefix(1);
      std::string k = nextKey();
      if (k.empty() || (!node->is_null() && !node->is_object())) {
        return Status::invalidArgument("invalid form field name '" + name + "'");
      }
      node = &(*node)[k];
    } else {  // '['
      size_t close = rest.find(']');
      if (close == std::string_view::npos) {
        return Status::invalidArgument("invalid form field name '" + name + "'");
      }
      std::string_view inside = rest.substr(1, close - 1);
      rest.remove_prefix(close + 1);
      if (!node->is_null() && !node->is_array()) {
        return Status::invalidArgument("invalid form field name '" + name + "'");
      }
      if (node->is_null()) *node = Json::array();
      if (inside.empty()) {
        node->push_back(nullptr);
        node = &node->back();
      } else {
        auto index = parseDecimal(inside, 10000);
        if (!index) return Status::invalidArgument("invalid form field name '" + name + "'");
        size_t i = *index > 0 ? size_t(*index) - 1 : 0;  // Kong's forms are 1-based
        while (node->size() <= i) node->push_back(nullptr);
        node = &(*node)[i];
      }
    }
  }
  if (node->is_null()) {
    *node = std::move(value);
  } else if (node->is_array()) {
    node->push_back(std::move(value));
  } else if (node->is_string()) {
    Json prev = std::move(*node);
    *node = Json::array({std::move(prev), std::move(value)});
  } else {
    return Status::invalidArgument("invalid form field name '" + name + "'");
  }
  return Status::ok();
}

}  // namespace

std::string percentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int hi = hexValue(s[i + 1]), lo = hexValue(s[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += char(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += (plus_is_space && s[i] == '+') ? ' ' : s[i];
  }
  return out;
}

std::map<std::string, std::string> parseQuery(std::string_view query) {
  std::map<std::string, std::string> out;
  forEachPair(query, [&](std::string name, std::string value) { out[name] = std::move(value); });
  return out;
}

Result<Json> parseEntityBody(std::string_view content_type, std::string_view body) {
  std::string type = toLower(content_type.substr(0, content_type.find(';')));
  type = std::string(trimOws(type));
  size_t first = body.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Json::object();
  if (type == "application/json" || (type.empty() && (body[first] == '{'))) {
    Json j = Json::parse(body, nullptr, false);
    if (j.is_discarded()) return Status::invalidArgument("Cannot parse JSON body");
    if (!j.is_object())
      return Status::invalidArgument("Cannot parse JSON body: expected an object");
    return j;
  }
  if (type == "application/x-www-form-urlencoded" || type.empty()) {
    Json root = Json::object();
    Status st;
    forEachPair(body, [&](std::string name, std::string value) {
      if (st.isOk()) st = place(root, name, std::move(value));
    });
    if (!st.isOk()) return st;
    return root;
  }
  return Status::invalidArgument("Unsupported Content-Type '" + type +
                                 "': send application/json or a form");
}

}  // namespace causeway::cp
