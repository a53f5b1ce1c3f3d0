// Content hashing for the loader: deterministic entity ids and the config hash. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace causeway::model::kong {

// Lower-case hex of SHA-256(data).
std::string sha256Hex(std::string_view data);
// A UUID-formatted id (version 5 and RFC 4122 variant bits set) derived from SHA-256 of `key`, so
// the same entity in the same file always gets the same id.
std::string deterministicUuid(std::string_view key);
// A random version-4 UUID (OpenSSL's RNG), for entities created through the Admin API and node ids.
std::string randomUuid();

// The id of an entity declared without one: deterministicUuid(collection + ":" + key). When
// `claim` refuses it (the id is taken), the key is suffixed "#2", "#3", ... until one is accepted.
// The loader and flattenDeclarative() both use this and the key functions below, so an entity
// declared in a file gets the same id in DB-less mode and on a control plane.
std::string claimGeneratedId(std::string_view collection, std::string_view key,
                             const std::function<bool(const std::string&)>& claim);

// Keys of generated ids, per collection (the part after "collection:").
// A service: its name, else its position in the `services` list.
std::string serviceIdKey(std::string_view name, size_t position);
// A route: its name; else, nested in a service, that service's id and the route's position in the
// service's `routes`; else its position in the top-level `routes` and its index among all routes
// (the nested ones first, service by service).
std::string routeIdKey(std::string_view name, std::optional<std::string_view> parentServiceId,
                       size_t position, size_t index);
// An upstream: its name, else its index in `upstreams`.
std::string upstreamIdKey(std::string_view name, size_t index);
// A target: its upstream's id and host:port (host lower-cased); `index` (among all targets) only
// when the host is empty.
std::string targetIdKey(std::string_view upstreamId, std::string_view host, uint16_t port,
                        size_t index);
// A certificate: the SHA-256 of its PEM.
std::string certificateIdKey(std::string_view certPem);
// A consumer: its username, else its custom_id.
std::string consumerIdKey(std::string_view username, std::string_view customId);
// A plugin: its name and the ids of its service, route and consumer ("" when not scoped).
std::string pluginIdKey(std::string_view name, std::string_view serviceId, std::string_view routeId,
                        std::string_view consumerId);
// An SNI: its name, lower-cased. (The loader keeps SNIs as names on their certificate and gives
// them no id; a control plane stores them as entities.)
std::string sniIdKey(std::string_view name);

}  // namespace causeway::model::kong
