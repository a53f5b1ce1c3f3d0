// Flow records, as VPC flow logs and NetFlow give them: per 5-tuple, packets, bytes, first and
// last seen, the domains of both ends and the verdict. A flow is exported when it has been idle
// for `idle_timeout`, every `active_timeout` while it lasts (its counters then restart), and at
// shutdown. I/O-free: packets and `now` go in, records come out. Not thread-safe: one per
// forwarding thread.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "transit/packet_info.h"

namespace causeway::transit {

using TimePoint = std::chrono::steady_clock::time_point;

struct FlowKey {
  std::array<uint8_t, 16> src{};
  std::array<uint8_t, 16> dst{};
  uint16_t src_port = 0;
  uint16_t dst_port = 0;
  uint8_t protocol = 0;
  bool v6 = false;
  bool operator==(const FlowKey&) const = default;
};

struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const;
};

struct FlowRecord {
  FlowKey key;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  TimePoint first_seen{};
  TimePoint last_seen{};
  std::string src_domain;
  std::string dst_domain;
  bool allowed = true;
  std::string_view reason;  // why denied (a static name), empty when allowed
};

struct FlowOptions {
  std::chrono::seconds idle_timeout{15};
  std::chrono::seconds active_timeout{60};
  size_t max_flows = 65536;  // beyond it new flows are not tracked (counted in overflows())
};

class FlowTable {
 public:
  explicit FlowTable(FlowOptions options = {}) : options_(options) {}

  // Counts one packet of `bytes` bytes. The domains are copied only when the flow is new.
  void record(const PacketInfo& packet, size_t bytes, TimePoint now, std::string_view src_domain,
              std::string_view dst_domain, bool allowed, std::string_view reason);
  // Appends the records due at `now` to `out`.
  void expire(TimePoint now, std::vector<FlowRecord>& out);
  // Appends every record and forgets them all.
  void drain(std::vector<FlowRecord>& out);
  // The flows being tracked, for /flows.
  const std::unordered_map<FlowKey, FlowRecord, FlowKeyHash>& flows() const { return flows_; }
  uint64_t overflows() const { return overflows_; }

 private:
  FlowOptions options_;
  std::unordered_map<FlowKey, FlowRecord, FlowKeyHash> flows_;
  uint64_t overflows_ = 0;
};

// One flow record as a JSON line (without the newline); steady times become Unix seconds by
// their distance from `steady_now`, which is `unix_now`.
std::string flowJson(const FlowRecord& r, std::string_view gateway, double unix_now,
                     TimePoint steady_now);

}  // namespace causeway::transit
