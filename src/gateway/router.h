// Kong's `traditional_compatible` router: picks the route for a request.
//
// A route matches when every field it configures matches (protocols, methods, hosts, paths,
// headers, snis). Among matches, priority follows Kong: more matched fields first; plain hosts
// over wildcard hosts; more headers; regex paths before plain paths, ordered by regex_priority;
// then the longest plain path; then config order. Regex paths are anchored at the start and run
// on RE2 (linear time). Plain hosts and path prefixes are indexed so a match does not scan every
// route.
//
// Built once per config snapshot; match() is const and safe from many threads at once.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "http/http1_parser.h"
#include "model/kong/entities.h"

namespace causeway::gateway {

// What the router looks at. Views must stay valid during match().
struct RouteRequest {
  std::string_view scheme = "http";  // "http" or "https" (the downstream connection)
  std::string_view method;
  std::string_view host;   // Host header without port; the router compares case-insensitively
  uint16_t port = 0;       // port from the Host header, else the listener's port
  std::string_view path;   // already normalized (see normalizePath), without the query
  std::string_view sni;    // TLS server name, empty if none
  std::span<const http::Header> headers;
};

struct RouteMatch {
  const model::kong::Route* route = nullptr;
  size_t route_index = 0;           // index into Config::routes
  std::string_view matched_path;    // the prefix of RouteRequest::path the route's path matched
                                    // (for a regex: the whole match); empty if no path configured
  std::vector<std::string> captures;  // regex path captures, for hash_on uri_capture (1-based)
                                      // group n is captures[n - 1]; an unset group is empty
  // Named groups of the regex path ("(?<name>...)" or "(?P<name>...)"): name -> value.
  std::vector<std::pair<std::string, std::string>> named_captures;
};

class Router {
 public:
  // Compiles the routes of `config`; `config` must outlive the Router. Fails on an invalid regex
  // (the loader refuses those earlier, so this is a second line of defence).
  static Result<std::unique_ptr<Router>> build(const model::kong::Config& config);
  virtual ~Router() = default;

  // The best route for `req`, or nullopt (the caller answers 404
  // {"message":"no Route matched with those values"}).
  virtual std::optional<RouteMatch> match(const RouteRequest& req) const = 0;
};

// RFC 3986 normalization of a request path as Kong does before routing: percent-decoding of
// unreserved characters, upper-case hex in remaining escapes, removal of dot segments, merging
// of duplicate slashes. Returns nullopt for an invalid path (the caller answers 400).
std::optional<std::string> normalizePath(std::string_view path);

// The path sent upstream, following Kong's strip_path / path_handling tables:
// service_path (empty when the service has none), the normalized request path, and the part of
// it that the route matched.
std::string upstreamPath(std::string_view service_path, std::string_view request_path,
                         std::string_view matched_path, bool strip_path,
                         model::kong::PathHandling handling);

}  // namespace causeway::gateway
