#include "transit/status_pages.h"

#include <chrono>
#include <cstdio>

#include "base/strings.h"
#include "net/socket_address.h"
#include "wg/key_encoding.h"

namespace causeway::transit {
namespace {

std::string quoted(std::string_view s) { return "\"" + jsonEscape(s) + "\""; }

std::string_view kindName(network::PeerKind k) {
  switch (k) {
    case network::PeerKind::kTransit:
      return "transit";
    case network::PeerKind::kSpoke:
      return "spoke";
    case network::PeerKind::kExternal:
      return "external";
  }
  return "unknown";
}

std::string_view routeKindName(network::RouteKind k) {
  switch (k) {
    case network::RouteKind::kLocal:
      return "local";
    case network::RouteKind::kTunnel:
      return "tunnel";
    case network::RouteKind::kBlackhole:
      return "blackhole";
  }
  return "unknown";
}

// The tunnel protocol's drops (by wg reason) and the forwarder's, as one {"reason": n} object.
template <class Counts, class Name>
void appendCounts(std::string& out, bool& first, const Counts& counts, size_t skip, Name name) {
  for (size_t i = 0; i < counts.size(); ++i) {
    if (i == skip || counts[i] == 0) continue;
    out += first ? "" : ",";
    first = false;
    out += quoted(name(i)) + ":" + std::to_string(counts[i]);
  }
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", s);
  return buf;
}

}  // namespace

std::string statusJson(const Forwarder& f, wg::TimePoint now) {
  const network::GatewayPlan& plan = f.plan();
  std::string out = "{\"name\":" + quoted(plan.name) + ",\"role\":\"" +
                    (plan.is_transit ? "transit" : "spoke") +
                    "\",\"public_key\":" + quoted(wg::encodeKey(f.publicKey())) + ",\"tunnels\":[";
  bool first_tunnel = true;
  for (const TunnelStatus& t : f.tunnels()) {
    out += first_tunnel ? "" : ",";
    first_tunnel = false;
    std::string endpoint = t.endpoint;
    if (!t.wg.endpoint.empty()) {
      if (auto a = net::SocketAddress::fromBytes(t.wg.endpoint.bytes())) {
        endpoint = a->toString();
      }
    }
    out += "{\"peer\":" + quoted(t.peer) + ",\"kind\":\"" + std::string(kindName(t.kind)) +
           "\",\"endpoint\":" + quoted(endpoint) + ",\"up\":" + (t.up ? "true" : "false") +
           ",\"last_handshake_s\":" +
           (t.wg.last_handshake
                ? seconds(std::chrono::duration<double>(now - *t.wg.last_handshake).count())
                : "null") +
           ",\"rx_bytes\":" + std::to_string(t.wg.rx_bytes) +
           ",\"tx_bytes\":" + std::to_string(t.wg.tx_bytes) +
           ",\"rx_packets\":" + std::to_string(t.wg.rx_packets) +
           ",\"tx_packets\":" + std::to_string(t.wg.tx_packets) +
           ",\"handshakes\":" + std::to_string(t.wg.handshakes) + ",\"drops\":{";
    bool first = true;
    appendCounts(out, first, t.wg.drops, size_t(wg::DropReason::kNone),
                 [](size_t i) { return wg::dropReasonName(wg::DropReason(i)); });
    out += "}}";
  }
  out += "],\"drops\":{";
  bool first = true;
  appendCounts(out, first, f.decisionDrops(), size_t(network::Decision::Cause::kNone),
               [](size_t i) { return network::causeName(network::Decision::Cause(i)); });
  appendCounts(out, first, f.drops(), SIZE_MAX,
               [](size_t i) { return forwardDropName(ForwardDrop(i)); });
  appendCounts(out, first, f.tunnelDrops(), size_t(wg::DropReason::kNone),
               [](size_t i) { return wg::dropReasonName(wg::DropReason(i)); });
  out += "}}";
  return out;
}

std::string routesJson(const Forwarder& f) {
  const network::GatewayPlan& plan = f.plan();
  std::string out = "[";
  bool first = true;
  for (const network::RouteEntry& r : plan.routes) {
    out += first ? "" : ",";
    first = false;
    out += "{\"cidr\":" + quoted(r.cidr.toString()) + ",\"kind\":\"" +
           std::string(routeKindName(r.kind)) + "\",\"next_hops\":[";
    for (size_t i = 0; i < r.next_hops.size(); ++i) {
      out += (i ? "," : "") + quoted(plan.peers[r.next_hops[i]].name);
    }
    const std::optional<size_t> active = f.activeNextHop(r);
    out += "],\"active\":" + (active ? quoted(plan.peers[*active].name) : "null") +
           ",\"domain\":" + (r.domain.empty() ? "null" : quoted(r.domain)) +
           ",\"origin\":" + quoted(r.origin) + "}";
  }
  return out + "]";
}

std::string flowsJson(const Forwarder& f, wg::TimePoint now) {
  const double unix_now =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  std::string out = "[";
  bool first = true;
  for (const auto& [key, record] : f.flowTable().flows()) {
    out += first ? "" : ",";
    first = false;
    out += flowJson(record, f.plan().name, unix_now, now);
  }
  return out + "]";
}

std::string metricsText(const Forwarder& f) {
  std::string out;
  out +=
      "# HELP causeway_transit_tunnel_up Whether the peer answered within the liveness window.\n"
      "# TYPE causeway_transit_tunnel_up gauge\n";
  const std::vector<TunnelStatus> tunnels = f.tunnels();
  for (const TunnelStatus& t : tunnels) {
    out += "causeway_transit_tunnel_up{peer=" + quoted(t.peer) + "} " + (t.up ? "1" : "0") + "\n";
  }
  auto counter = [&](std::string_view name, std::string_view help, auto value) {
    out += "# HELP " + std::string(name) + " " + std::string(help) + "\n# TYPE " +
           std::string(name) + " counter\n";
    for (const TunnelStatus& t : tunnels) {
      out += std::string(name) + "{peer=" + quoted(t.peer) + "} " + std::to_string(value(t)) + "\n";
    }
  };
  counter("causeway_transit_tunnel_rx_bytes_total", "Transport bytes received from the peer.",
          [](const TunnelStatus& t) { return t.wg.rx_bytes; });
  counter("causeway_transit_tunnel_tx_bytes_total", "Transport bytes sent to the peer.",
          [](const TunnelStatus& t) { return t.wg.tx_bytes; });
  counter("causeway_transit_tunnel_rx_packets_total", "Transport packets received from the peer.",
          [](const TunnelStatus& t) { return t.wg.rx_packets; });
  counter("causeway_transit_tunnel_tx_packets_total", "Transport packets sent to the peer.",
          [](const TunnelStatus& t) { return t.wg.tx_packets; });
  counter("causeway_transit_handshakes_total", "Completed handshakes with the peer.",
          [](const TunnelStatus& t) { return t.wg.handshakes; });
  out +=
      "# HELP causeway_transit_drops_total Packets dropped, by reason.\n"
      "# TYPE causeway_transit_drops_total counter\n";
  for (size_t i = 1; i < f.decisionDrops().size(); ++i) {
    out += "causeway_transit_drops_total{reason=\"" +
           std::string(network::causeName(network::Decision::Cause(i))) + "\"} " +
           std::to_string(f.decisionDrops()[i]) + "\n";
  }
  for (size_t i = 0; i < f.drops().size(); ++i) {
    out += "causeway_transit_drops_total{reason=\"" + std::string(forwardDropName(ForwardDrop(i))) +
           "\"} " + std::to_string(f.drops()[i]) + "\n";
  }
  for (size_t i = 1; i < f.tunnelDrops().size(); ++i) {
    out += "causeway_transit_drops_total{reason=\"" +
           std::string(wg::dropReasonName(wg::DropReason(i))) + "\"} " +
           std::to_string(f.tunnelDrops()[i]) + "\n";
  }
  out +=
      "# HELP causeway_transit_flows Flow records open.\n# TYPE causeway_transit_flows gauge\n"
      "causeway_transit_flows " +
      std::to_string(f.flowTable().flows().size()) + "\n";
  return out;
}

http::LocalReply statusPage(const Forwarder& f, std::string_view path, wg::TimePoint now) {
  http::LocalReply r;
  r.status = 200;
  if (path == "/status") {
    r.body = statusJson(f, now);
  } else if (path == "/routes") {
    r.body = routesJson(f);
  } else if (path == "/flows") {
    r.body = flowsJson(f, now);
  } else if (path == "/metrics") {
    r.body = metricsText(f);
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  } else {
    r.status = 404;
    r.body = http::kongErrorBody("Not found");
  }
  return r;
}

}  // namespace causeway::transit
