// The CP <-> DP sync protocol: JSON messages over a WebSocket (RFC 6455) on mutual TLS. Messages
// from the CP that carry configuration are deflated (zlib) binary frames; the others are text.
//
//   DP -> CP  hello      {id, hostname, version, capabilities, revision, hash}
//   CP -> DP  snapshot   {revision, hash, config: <declarative document>}
//   CP -> DP  delta      {from, revision, hash, upserts: [{kind, body}], deletes: [{kind, id}]}
//   DP -> CP  ack        {revision, hash}        applied and serving
//   DP -> CP  nack       {revision, error, resync}  refused; the DP keeps its config
//   both      heartbeat  {}                      every kHeartbeat; silence for 3x closes
//
// A delta applies to the DP's set at `from` only; the DP checks the resulting hash and, on any
// mismatch, nacks with resync=true and the CP answers with a full snapshot.
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/status.h"

namespace causeway::sync {

inline constexpr const char* kVersion = "0.1.0";
inline constexpr std::chrono::seconds kHeartbeat{5};
inline constexpr size_t kMaxMessageBytes = 512u << 20;  // inflated
inline constexpr const char* kPath = "/v1/outlet";
// Close codes (RFC 6455 private range) the CP uses to refuse a DP.
inline constexpr uint16_t kCloseRefused = 4001;

std::string deflateBytes(std::string_view in);
Result<std::string> inflateBytes(std::string_view in, size_t max_out);

// -1, 0, 1 comparing dotted versions ("0.10.0" > "0.9.1"); non-numeric parts compare as 0.
int compareVersions(std::string_view a, std::string_view b);

}  // namespace causeway::sync
