#include "observe/stats.h"

#include <algorithm>
#include <cstdio>

namespace causeway::observe {
namespace {

void addCode(std::vector<std::pair<int, uint64_t>>& v, int code, uint64_t n) {
  for (auto& [c, count] : v) {
    if (c == code) {
      count += n;
      return;
    }
  }
  v.emplace_back(code, n);
}

// Label values escape backslash, double quote and newline.
std::string label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string num(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", d);
  return buf;
}

}  // namespace

void Stats::merge(const Stats& o) {
  connections_accepted += o.connections_accepted;
  connections_active += o.connections_active;
  requests += o.requests;
  for (const auto& [k, r] : o.routes) {
    auto [it, inserted] = routes.try_emplace(k, r);
    if (inserted) continue;
    RouteSeries& m = it->second;
    for (const auto& [code, n] : r.by_code) addCode(m.by_code, code, n);
    for (size_t i = 0; i < m.buckets.size(); ++i) m.buckets[i] += r.buckets[i];
    m.latency_sum += r.latency_sum;
    m.count += r.count;
  }
  for (const auto& [k, n] : o.upstream_errors) upstream_errors[k] += n;
}

void WorkerStats::request(std::string_view service, std::string_view route, int code,
                          double seconds) {
  ++s_.requests;
  key_.assign(service);
  key_ += '\x1f';
  key_.append(route);
  auto it = s_.routes.find(key_);
  if (it == s_.routes.end()) {
    RouteSeries r;
    r.service = std::string(service);
    r.route = std::string(route);
    it = s_.routes.emplace(key_, std::move(r)).first;
  }
  RouteSeries& r = it->second;
  addCode(r.by_code, code, 1);
  size_t b = 0;
  while (b < kLatencyBuckets.size() && seconds > kLatencyBuckets[b]) ++b;
  ++r.buckets[b];
  r.latency_sum += seconds;
  ++r.count;
}

void WorkerStats::upstreamError(std::string_view service, std::string_view kind) {
  ++s_.upstream_errors[{std::string(service), std::string(kind)}];
}

std::string renderPrometheus(const Stats& s, const ProcessInfo& p) {
  std::string o;
  o += "# HELP causeway_connections_accepted_total Downstream connections accepted.\n";
  o += "# TYPE causeway_connections_accepted_total counter\n";
  o += "causeway_connections_accepted_total " + std::to_string(s.connections_accepted) + "\n";
  o += "# HELP causeway_connections_active Downstream connections open now.\n";
  o += "# TYPE causeway_connections_active gauge\n";
  o += "causeway_connections_active " + std::to_string(s.connections_active) + "\n";
  o += "# HELP causeway_workers Worker threads.\n# TYPE causeway_workers gauge\n";
  o += "causeway_workers " + std::to_string(p.workers) + "\n";
  o += "# HELP causeway_config_info The configuration being served.\n";
  o += "# TYPE causeway_config_info gauge\n";
  o += "causeway_config_info{hash=\"" + label(p.config_hash) + "\"} 1\n";
  o += "# HELP causeway_config_reloads_total Configuration reloads by result.\n";
  o += "# TYPE causeway_config_reloads_total counter\n";
  o += "causeway_config_reloads_total{result=\"ok\"} " + std::to_string(p.config_reloads_ok) + "\n";
  o += "causeway_config_reloads_total{result=\"failed\"} " +
       std::to_string(p.config_reloads_failed) + "\n";

  std::vector<const RouteSeries*> series;
  for (const auto& [k, r] : s.routes) series.push_back(&r);
  std::sort(series.begin(), series.end(), [](auto* a, auto* b) {
    return std::tie(a->service, a->route) < std::tie(b->service, b->route);
  });

  o += "# HELP causeway_http_requests_total HTTP requests by service, route and status code.\n";
  o += "# TYPE causeway_http_requests_total counter\n";
  for (const RouteSeries* r : series) {
    auto codes = r->by_code;
    std::sort(codes.begin(), codes.end());
    for (const auto& [code, n] : codes) {
      o += "causeway_http_requests_total{service=\"" + label(r->service) + "\",route=\"" +
           label(r->route) + "\",code=\"" + std::to_string(code) + "\"} " + std::to_string(n) +
           "\n";
    }
  }
  o += "# HELP causeway_http_request_duration_seconds Time from request head to the end of the "
       "response.\n";
  o += "# TYPE causeway_http_request_duration_seconds histogram\n";
  for (const RouteSeries* r : series) {
    std::string labels = "service=\"" + label(r->service) + "\",route=\"" + label(r->route) + "\"";
    uint64_t cumulative = 0;
    for (size_t i = 0; i < r->buckets.size(); ++i) {
      cumulative += r->buckets[i];
      std::string le = i < kLatencyBuckets.size() ? num(kLatencyBuckets[i]) : "+Inf";
      o += "causeway_http_request_duration_seconds_bucket{" + labels + ",le=\"" + le + "\"} " +
           std::to_string(cumulative) + "\n";
    }
    o += "causeway_http_request_duration_seconds_sum{" + labels + "} " + num(r->latency_sum) + "\n";
    o += "causeway_http_request_duration_seconds_count{" + labels + "} " +
         std::to_string(r->count) + "\n";
  }
  o += "# HELP causeway_upstream_errors_total Failed upstream attempts by service and kind.\n";
  o += "# TYPE causeway_upstream_errors_total counter\n";
  for (const auto& [k, n] : s.upstream_errors) {
    o += "causeway_upstream_errors_total{service=\"" + label(k.first) + "\",kind=\"" +
         label(k.second) + "\"} " + std::to_string(n) + "\n";
  }
  return o;
}

}  // namespace causeway::observe
