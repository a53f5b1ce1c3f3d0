// Request path normalization (RFC 3986 section 6.2.2 as Kong applies it) and the upstream path
// built from Kong's strip_path / path_handling rules. Both declared in gateway/router.h.
#include <string>
#include <string_view>
#include <vector>

#include "gateway/router.h"

namespace causeway::gateway {
namespace {

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool isUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

char upperHex(char c) { return (c >= 'a' && c <= 'f') ? char(c - 32) : c; }

// What is left of the path after the matched prefix, cleaned of a leading "." or ".." segment the
// way Kong does (router/utils.lua sanitize_uri_postfix), so a strip cannot climb up the service
// path.
std::string_view sanitizePostfix(std::string_view postfix) {
  if (postfix == "." || postfix == "..") return {};
  if (postfix.substr(0, 2) == "./") return postfix.substr(2);
  if (postfix.substr(0, 3) == "../") return postfix.substr(3);
  return postfix;
}

}  // namespace

std::optional<std::string> normalizePath(std::string_view path) {
  if (path.empty() || path.front() != '/') return std::nullopt;

  // 1. Percent-encoding normalization: decode unreserved characters, upper-case the hex of the
  //    escapes that remain. A '%' not followed by two hex digits makes the path invalid.
  std::string decoded;
  decoded.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c != '%') {
      decoded.push_back(c);
      continue;
    }
    if (i + 2 >= path.size()) return std::nullopt;
    int hi = hexValue(path[i + 1]);
    int lo = hexValue(path[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    auto byte = static_cast<unsigned char>(hi * 16 + lo);
    if (isUnreserved(byte)) {
      decoded.push_back(static_cast<char>(byte));
    } else {
      decoded.push_back('%');
      decoded.push_back(upperHex(path[i + 1]));
      decoded.push_back(upperHex(path[i + 2]));
    }
    i += 2;
  }

  // 2. Dot-segment removal (RFC 3986 section 5.2.4) with empty segments dropped, which is how
  //    Kong merges duplicate slashes: "/a//../b" is "/b". Segments are kept as views into
  //    `decoded`; a path ending in "/", "/." or "/.." keeps its trailing slash.
  std::string out;
  out.reserve(decoded.size());
  std::vector<size_t> segment_starts;  // offsets in `out` of each kept "/segment"
  size_t pos = 1;                      // past the leading '/'
  bool trailing_slash = false;
  while (pos <= decoded.size()) {
    size_t end = decoded.find('/', pos);
    if (end == std::string::npos) end = decoded.size();
    std::string_view segment(decoded.data() + pos, end - pos);
    bool last = end == decoded.size();
    if (segment == "..") {
      if (!segment_starts.empty()) {
        out.resize(segment_starts.back());
        segment_starts.pop_back();
      }
      trailing_slash = last;
    } else if (segment == ".") {
      trailing_slash = last;
    } else if (segment.empty()) {
      // "//" merged; an empty last segment is the trailing slash of "/a/".
      trailing_slash = last && !segment_starts.empty();
    } else {
      segment_starts.push_back(out.size());
      out.push_back('/');
      out.append(segment);
      trailing_slash = false;
    }
    pos = end + 1;
  }
  if (out.empty() || trailing_slash) out.push_back('/');
  return out;
}

std::string upstreamPath(std::string_view service_path, std::string_view request_path,
                         std::string_view matched_path, bool strip_path,
                         model::kong::PathHandling handling) {
  // Kong uses "/" when the service has no path.
  const std::string_view base = service_path.empty() ? std::string_view("/") : service_path;
  const bool base_ends_with_slash = base.back() == '/';
  // Without a path match (route without paths) the postfix is the request path minus its
  // leading slash, as in Kong.
  std::string_view postfix;
  if (strip_path && !matched_path.empty() && matched_path.size() <= request_path.size()) {
    postfix = sanitizePostfix(request_path.substr(matched_path.size()));
  } else {
    postfix = request_path.empty() ? request_path : request_path.substr(1);
  }
  const std::string_view request_tail =
      request_path.empty() ? request_path : request_path.substr(1);

  auto join = [](std::string_view a, std::string_view b, std::string_view c = {}) {
    std::string out;
    out.reserve(a.size() + b.size() + c.size());
    out.append(a).append(b).append(c);
    return out;
  };

  if (handling == model::kong::PathHandling::kV1) {
    // v1: the service path is a plain prefix; only a doubled slash at the seam is collapsed.
    if (!strip_path) return join(base, request_tail);
    if (base_ends_with_slash && !postfix.empty() && postfix.front() == '/') {
      return join(base.substr(0, base.size() - 1), postfix);
    }
    return join(base, postfix);
  }

  // v0: service path, route path and request path are joined as URL segments.
  if (base_ends_with_slash) {
    if (!strip_path) return join(base, request_tail);
    if (postfix.empty()) {
      if (base == "/") return "/";
      if (!request_path.empty() && request_path.back() == '/') return std::string(base);
      return std::string(base.substr(0, base.size() - 1));
    }
    if (postfix.front() == '/') return join(base.substr(0, base.size() - 1), postfix);
    return join(base, postfix);
  }
  if (strip_path) {
    if (postfix.empty()) {
      if (request_path.size() > 1 && request_path.back() == '/') return join(base, "/");
      return std::string(base);
    }
    if (postfix.front() == '/') return join(base, postfix);
    return join(base, "/", postfix);
  }
  if (request_path == "/") return std::string(base);
  return join(base, request_path);
}

}  // namespace causeway::gateway
