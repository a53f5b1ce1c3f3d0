#include "transit/flow_table.h"

#include <algorithm>
#include <cstring>

#include "base/ip.h"
#include "base/strings.h"

namespace causeway::transit {

size_t FlowKeyHash::operator()(const FlowKey& k) const {
  // FNV-1a over the fields: cheap and good enough for a table keyed by the 5-tuple.
  uint64_t h = 1469598103934665603ull;
  auto mix = [&h](const uint8_t* p, size_t n) {
    for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 1099511628211ull;
  };
  mix(k.src.data(), k.v6 ? 16 : 4);
  mix(k.dst.data(), k.v6 ? 16 : 4);
  const uint8_t rest[5] = {uint8_t(k.src_port >> 8), uint8_t(k.src_port), uint8_t(k.dst_port >> 8),
                           uint8_t(k.dst_port), k.protocol};
  mix(rest, sizeof rest);
  return size_t(h);
}

void FlowTable::record(const PacketInfo& p, size_t bytes, TimePoint now,
                       std::string_view src_domain, std::string_view dst_domain, bool allowed,
                       std::string_view reason) {
  FlowKey key;
  std::copy(p.src.begin(), p.src.end(), key.src.begin());
  std::copy(p.dst.begin(), p.dst.end(), key.dst.begin());
  key.src_port = p.src_port;
  key.dst_port = p.dst_port;
  key.protocol = p.protocol;
  key.v6 = p.v6;
  auto it = flows_.find(key);
  if (it == flows_.end()) {
    if (flows_.size() >= options_.max_flows) {
      ++overflows_;
      return;
    }
    FlowRecord r;
    r.key = key;
    r.first_seen = now;
    r.src_domain = src_domain;
    r.dst_domain = dst_domain;
    it = flows_.emplace(key, std::move(r)).first;
  }
  FlowRecord& r = it->second;
  if (r.packets == 0) r.first_seen = now;  // the first packet since an active-timeout export
  ++r.packets;
  r.bytes += bytes;
  r.last_seen = now;
  r.allowed = allowed;
  r.reason = reason;
}

void FlowTable::expire(TimePoint now, std::vector<FlowRecord>& out) {
  for (auto it = flows_.begin(); it != flows_.end();) {
    FlowRecord& r = it->second;
    if (now - r.last_seen >= options_.idle_timeout) {
      // Nothing since the last active-timeout export: that record said it all.
      if (r.packets > 0) out.push_back(std::move(r));
      it = flows_.erase(it);
      continue;
    }
    if (r.packets > 0 && now - r.first_seen >= options_.active_timeout) {
      out.push_back(r);
      r.packets = 0;
      r.bytes = 0;
      r.first_seen = now;
    }
    ++it;
  }
}

void FlowTable::drain(std::vector<FlowRecord>& out) {
  for (auto& [key, r] : flows_) {
    if (r.packets > 0) out.push_back(std::move(r));
  }
  flows_.clear();
}

namespace {

std::string addressText(const std::array<uint8_t, 16>& a, bool v6) {
  return IpAddress::fromBytes(std::span(a.data(), v6 ? 16 : 4)).toString();
}

std::string_view protocolName(uint8_t p) {
  switch (p) {
    case 1:
      return "icmp";
    case 6:
      return "tcp";
    case 17:
      return "udp";
    case 58:
      return "icmpv6";
    default:
      return {};
  }
}

}  // namespace

std::string flowJson(const FlowRecord& r, std::string_view gateway, double unix_now,
                     TimePoint steady_now) {
  auto unix = [&](TimePoint t) {
    return unix_now - std::chrono::duration<double>(steady_now - t).count();
  };
  char times[96];
  std::snprintf(times, sizeof times, "\"first_seen\":%.3f,\"last_seen\":%.3f", unix(r.first_seen),
                unix(r.last_seen));
  const std::string_view proto = protocolName(r.key.protocol);
  std::string out =
      "{\"gateway\":\"" + jsonEscape(gateway) + "\",\"src\":\"" + addressText(r.key.src, r.key.v6) +
      "\",\"dst\":\"" + addressText(r.key.dst, r.key.v6) + "\",\"proto\":" +
      (proto.empty() ? std::to_string(r.key.protocol) : "\"" + std::string(proto) + "\"") +
      ",\"sport\":" + std::to_string(r.key.src_port) +
      ",\"dport\":" + std::to_string(r.key.dst_port) + ",\"packets\":" + std::to_string(r.packets) +
      ",\"bytes\":" + std::to_string(r.bytes) + "," + times + ",\"src_domain\":" +
      (r.src_domain.empty() ? "null" : "\"" + jsonEscape(r.src_domain) + "\"") +
      ",\"dst_domain\":" +
      (r.dst_domain.empty() ? "null" : "\"" + jsonEscape(r.dst_domain) + "\"") + ",\"verdict\":\"" +
      (r.allowed ? "allow" : "deny") +
      "\",\"reason\":" + (r.reason.empty() ? "null" : "\"" + std::string(r.reason) + "\"") + "}";
  return out;
}

}  // namespace causeway::transit
