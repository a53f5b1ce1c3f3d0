#include "model/kong/validate.h"

#include <arpa/inet.h>
#include <re2/re2.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "base/strings.h"

namespace causeway::model::kong {
namespace {

bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool isHex(char c) { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
int hexValue(char c) {
  if (isDigit(c)) return c - '0';
  return (asciiLower(c) - 'a') + 10;
}
bool isUnreserved(char c) {
  return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
bool isPathChar(char c) {  // RFC 3986 pchar plus "/" and "%"
  static constexpr std::string_view kOther = "!$&'()*+,;=:@/%";
  return isUnreserved(c) || kOther.find(c) != std::string_view::npos;
}

// Checks "%XX" escapes; returns the first bad escape.
Problem checkPercent(std::string_view s) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') continue;
    if (i + 2 >= s.size() || !isHex(s[i + 1]) || !isHex(s[i + 2])) {
      return "invalid url-encoded value: '" + std::string(s.substr(i, 3)) + "'";
    }
  }
  return std::nullopt;
}

// Decodes %XX of unreserved characters, upper-cases the other escapes and removes dot segments,
// as Kong's path normalization does.
std::string normalizePath(std::string_view p) {
  std::string decoded;
  decoded.reserve(p.size());
  for (size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '%' && i + 2 < p.size() && isHex(p[i + 1]) && isHex(p[i + 2])) {
      const char c = char(hexValue(p[i + 1]) * 16 + hexValue(p[i + 2]));
      if (isUnreserved(c)) {
        decoded += c;
      } else {
        decoded += '%';
        decoded += char(std::toupper(static_cast<unsigned char>(p[i + 1])));
        decoded += char(std::toupper(static_cast<unsigned char>(p[i + 2])));
      }
      i += 2;
    } else {
      decoded += p[i];
    }
  }
  // RFC 3986 5.2.4 remove_dot_segments on an absolute path.
  std::vector<std::string_view> out;
  std::string_view rest = decoded;
  rest.remove_prefix(1);  // leading '/'
  bool trailingSlash = false;
  while (true) {
    const size_t slash = rest.find('/');
    std::string_view seg = rest.substr(0, slash);
    const bool last = slash == std::string_view::npos;
    if (seg == ".") {
      trailingSlash = last;
    } else if (seg == "..") {
      if (!out.empty()) out.pop_back();
      trailingSlash = last;
    } else {
      out.push_back(seg);
      trailingSlash = false;
    }
    if (last) break;
    rest.remove_prefix(slash + 1);
  }
  std::string result;
  for (auto seg : out) {
    result += '/';
    result += seg;
  }
  if (trailingSlash || result.empty()) result += '/';
  return result;
}

bool validUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    int extra = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0 && c >= 0xC2) {
      extra = 1;
    } else if ((c & 0xF0) == 0xE0) {
      extra = 2;
    } else if ((c & 0xF8) == 0xF0 && c <= 0xF4) {
      extra = 3;
    } else {
      return false;
    }
    if (i + size_t(extra) >= s.size()) return false;
    for (int k = 1; k <= extra; ++k) {
      if ((static_cast<unsigned char>(s[i + size_t(k)]) & 0xC0) != 0x80) return false;
    }
    i += size_t(extra) + 1;
  }
  return true;
}

// Host with '*' labels: checks the wildcard placement and the rest as a hostname.
Problem checkWildcardHost(std::string_view h, const std::string& original) {
  const size_t stars = size_t(std::count(h.begin(), h.end(), '*'));
  if (stars == 0) {
    if (isHostname(h) || isIPv4(h)) return std::nullopt;
    return "invalid hostname: " + original;
  }
  if (stars > 1) return std::string("invalid wildcard: must have at most one wildcard");
  std::string_view rest;
  if (startsWith(h, "*.")) {
    rest = h.substr(2);
  } else if (endsWith(h, ".*")) {
    rest = h.substr(0, h.size() - 2);
  } else {
    return std::string("invalid wildcard: must be placed at leftmost or rightmost label");
  }
  if (!isHostname(rest)) return "invalid hostname: " + original;
  return std::nullopt;
}

}  // namespace

bool isUuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (size_t i = 0; i < 36; ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!isHex(s[i])) {
      return false;
    }
  }
  return true;
}

bool isIPv4(std::string_view s) {
  if (s.empty() || s.size() > 15) return false;
  unsigned char buf[4];
  return inet_pton(AF_INET, std::string(s).c_str(), buf) == 1;
}

bool isIPv6(std::string_view s) {
  if (s.empty() || s.size() > 45) return false;
  unsigned char buf[16];
  return inet_pton(AF_INET6, std::string(s).c_str(), buf) == 1;
}

bool isHostname(std::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  size_t labelLen = 0;
  for (char c : s) {
    if (c == '.') {
      if (labelLen == 0) return false;
      labelLen = 0;
      continue;
    }
    if (!(isAlpha(c) || isDigit(c) || c == '-' || c == '_')) return false;
    if (++labelLen > 63) return false;
  }
  return labelLen > 0;
}

Problem checkName(std::string_view name) {
  if (name.empty()) return std::string("length must be at least 1");
  if (name.size() > 128) return std::string("length must not exceed 128");
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) continue;
    if (!(isUnreserved(c))) {
      return "invalid value '" + std::string(name) +
             "': the only accepted ascii characters are alphanumerics or ., -, _, and ~";
    }
  }
  if (!validUtf8(name)) return "invalid value '" + std::string(name) + "': invalid utf-8";
  return std::nullopt;
}

Problem checkTag(std::string_view tag) {
  if (tag.empty()) return std::string("length must be at least 1");
  for (char c : tag) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) continue;
    if (u <= 0x20 || u == 0x7f || c == ',' || c == '/') {
      return "invalid tag '" + std::string(tag) +
             "': expected printable ascii (except `,` and `/`) or valid utf-8 sequences";
    }
  }
  if (!validUtf8(tag)) return "invalid tag '" + std::string(tag) + "': invalid utf-8";
  return std::nullopt;
}

Problem checkHost(std::string_view host) {
  if (host.empty()) return std::string("length must be at least 1");
  if (isIPv4(host) || isIPv6(host) || isHostname(host)) return std::nullopt;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']' &&
      isIPv6(host.substr(1, host.size() - 2))) {
    return std::nullopt;
  }
  return "invalid hostname: " + std::string(host);
}

Problem checkRouteHost(std::string_view host) {
  const std::string original(host);
  if (host.empty()) return std::string("length must be at least 1");
  if (host.front() == '[') {
    auto hp = parseHostPort(host);
    if (!hp || !isIPv6(hp->host)) return "invalid hostname: " + original;
    return std::nullopt;
  }
  std::string_view name = host;
  const size_t colon = host.rfind(':');
  if (colon != std::string_view::npos) {
    if (host.find(':') != colon) return "invalid hostname: " + original;
    auto port = parseDecimal(host.substr(colon + 1), 65535);
    if (!port) return "invalid port number: " + original;
    name = host.substr(0, colon);
  }
  return checkWildcardHost(name, original);
}

Problem checkSni(std::string_view sni) {
  const std::string original(sni);
  if (sni.empty()) return std::string("length must be at least 1");
  if (isIPv4(sni) || isIPv6(sni)) return std::string("must not be an IP");
  if (sni.find(':') != std::string_view::npos) return std::string("must not have a port");
  return checkWildcardHost(sni, original);
}

Problem checkHeaderName(std::string_view name) {
  static constexpr std::string_view kTokenOther = "!#$%&'*+-.^_`|~";
  if (name.empty()) return std::string("length must be at least 1");
  for (char c : name) {
    if (!(isAlpha(c) || isDigit(c) || kTokenOther.find(c) != std::string_view::npos)) {
      return "invalid header name: '" + std::string(name) + "'";
    }
  }
  return std::nullopt;
}

Problem checkPath(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::string("should start with: /");
  for (char c : path) {
    if (!isPathChar(c)) {
      return "invalid path: '" + std::string(path) +
             "' (characters outside of the reserved list of RFC 3986 found)";
    }
  }
  return checkPercent(path);
}

Problem checkRoutePath(std::string_view path) {
  if (startsWith(path, "~/")) return checkRegex(path.substr(1), false);
  if (path.empty() || path.front() != '/') {
    return std::string("should start with: / (fixed path) or ~/ (regex path)");
  }
  if (auto p = checkPath(path)) return p;
  std::string normalized = normalizePath(path);
  if (normalized != path) {
    return "non-normalized path, consider use '" + normalized + "' instead";
  }
  return std::nullopt;
}

Problem checkRegex(std::string_view pattern, bool caseInsensitive) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(!caseInsensitive);
  const std::string translated = kongRegexToRe2(pattern);
  RE2 re(translated, options);
  if (!re.ok()) {
    return "invalid regex: '" + std::string(pattern) + "' (RE2 returned: " + re.error() + ")";
  }
  return std::nullopt;
}

std::string kongRegexToRe2(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 4);
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      out += pattern[i];
      out += pattern[++i];
      continue;
    }
    if (pattern.substr(i, 3) == "(?<" && i + 3 < pattern.size() && pattern[i + 3] != '=' &&
        pattern[i + 3] != '!') {
      out += "(?P<";
      i += 2;
      continue;
    }
    out += pattern[i];
  }
  return out;
}

bool looksLikeLegacyRegexPath(std::string_view path) {
  return path.find_first_of("()[]{}*+?^$|\\") != std::string_view::npos;
}

}  // namespace causeway::model::kong
