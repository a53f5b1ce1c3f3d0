// The Kong 3.x gateway entities, as held in memory after a declarative config was loaded and
// validated. Plain values: a Config is immutable once built and is shared read-only between
// threads. Field names and defaults follow Kong's schemas.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace causeway::model::kong {

enum class PathHandling { kV0, kV1 };
enum class LbAlgorithm { kRoundRobin, kLeastConnections, kConsistentHashing };
enum class HashOn { kNone, kIp, kHeader, kCookie, kPath, kConsumer, kQueryArg, kUriCapture };

struct Service {
  std::string id;    // UUID; generated deterministically from the name when absent
  std::string name;  // may be empty
  std::vector<std::string> tags;
  std::string protocol = "http";  // http | https
  std::string host;
  uint16_t port = 80;
  std::optional<std::string> path;  // starts with "/" when set
  int retries = 5;
  int connect_timeout_ms = 60000;
  int write_timeout_ms = 60000;
  int read_timeout_ms = 60000;
  std::optional<bool> tls_verify;  // nullopt: Kong's default (off)
  std::optional<int> tls_verify_depth;  // 0..64; nullopt: Kong's default (OpenSSL's depth)
  bool enabled = true;
};

// One header condition of a route: name (lower-cased) and the accepted values. A value that starts
// with "~*" is a case-insensitive regex (stored without the prefix in `regexes`); plain values
// compare case-insensitively.
struct RouteHeader {
  std::string name;
  std::vector<std::string> values;   // plain values
  std::vector<std::string> regexes;  // "~*" values, prefix removed
};

struct Route {
  std::string id;
  std::string name;
  std::vector<std::string> tags;
  std::string service_id;  // empty: a route without a service (answers 503 like Kong)
  std::vector<std::string> protocols = {"http", "https"};
  std::vector<std::string> methods;  // upper-case
  std::vector<std::string> hosts;    // as written: "example.com", "*.example.com", "example.*",
                                     // optionally with ":port"
  std::vector<std::string> paths;    // as written; "~" prefix marks a regex
  std::vector<RouteHeader> headers;
  std::vector<std::string> snis;
  int regex_priority = 0;
  bool strip_path = true;
  bool preserve_host = false;
  PathHandling path_handling = PathHandling::kV0;
  int https_redirect_status_code = 426;
  bool request_buffering = true;
  bool response_buffering = true;
  size_t order = 0;  // position in the config, the last tie-breaker (Kong: created_at)
};

struct Target {
  std::string id;
  std::string upstream_id;
  std::string host;
  uint16_t port = 8000;  // Kong's default target port
  uint32_t weight = 100;  // 0..65535; 0 disables the target
  std::vector<std::string> tags;
};

struct Upstream {
  std::string id;
  std::string name;  // a service whose host equals this name is balanced over the targets
  std::vector<std::string> tags;
  LbAlgorithm algorithm = LbAlgorithm::kRoundRobin;
  HashOn hash_on = HashOn::kNone;
  HashOn hash_fallback = HashOn::kNone;
  std::string hash_on_header;
  std::string hash_fallback_header;
  std::string hash_on_cookie;
  std::string hash_on_cookie_path = "/";
  std::string hash_on_query_arg;
  std::string hash_fallback_query_arg;
  std::string hash_on_uri_capture;
  std::string hash_fallback_uri_capture;
  uint32_t slots = 10000;  // 10..65536
  std::optional<std::string> host_header;
  std::vector<Target> targets;
};

struct Certificate {
  std::string id;
  std::string cert;  // PEM chain
  std::string key;   // PEM private key; wiped by the owner when freed
  std::vector<std::string> tags;
  std::vector<std::string> snis;  // names served with this certificate ("*.example.com" allowed)
};

struct Consumer {
  std::string id;
  std::string username;
  std::string custom_id;
  std::vector<std::string> tags;
};

// A plugin instance. No plugin is built in yet: the loader refuses every name it does not know.
struct Plugin {
  std::string id;
  std::string name;
  std::string config_json;  // the plugin's config, validated by the plugin's schema
  std::string service_id, route_id, consumer_id;
  bool enabled = true;
  std::vector<std::string> protocols;
  std::vector<std::string> tags;
};

struct Config {
  std::string format_version;  // "3.0"
  std::vector<Service> services;
  std::vector<Route> routes;  // in config order; Route::order is the index
  std::vector<Upstream> upstreams;
  std::vector<Certificate> certificates;
  std::vector<Consumer> consumers;
  std::vector<Plugin> plugins;
  std::string hash;  // 32 hex chars over the canonical content, as Kong's config_hash

  const Service* findService(const std::string& id) const;
  const Upstream* findUpstreamByName(const std::string& name) const;
};

}  // namespace causeway::model::kong
