#include "proxy/endpoint_health.h"

namespace causeway::proxy {
namespace {
std::chrono::milliseconds decayAfter(const Cluster& c) { return c.outlier.base_ejection; }
}  // namespace

bool EndpointHealth::available(const Cluster& c, const std::string& key, Clock::time_point now) {
  auto it = states_.find(key);
  if (it == states_.end()) return true;
  const State& s = it->second;
  if (c.health_checked && s.unhealthy) return false;
  return !c.outlier.enabled || s.ejected_until <= now;
}

std::vector<size_t> EndpointHealth::excluded(const Cluster& c, Clock::time_point now) {
  std::vector<size_t> out;
  if (states_.empty() || (!c.outlier.enabled && !c.health_checked)) return out;
  for (size_t i = 0; i < c.pool_keys.size(); ++i) {
    if (!available(c, c.pool_keys[i], now)) out.push_back(i);
  }
  if (out.size() == c.pool_keys.size()) out.clear();  // panic: better some than none
  return out;
}

void EndpointHealth::record(const Cluster& c, const std::string& key, int status,
                            Clock::time_point now) {
  if (!c.outlier.enabled) return;
  const bool failed = status == 0 || status >= 500;
  const bool gateway = status == 0 || (status >= 502 && status <= 504);
  if (!failed) {
    auto it = states_.find(key);
    if (it != states_.end()) {
      State& st = it->second;
      st.consecutive_total = 0;
      st.consecutive_gateway = 0;
      // Healthy for a whole base period after its last ejection: the multiplier decays.
      if (st.ejections > 0 && now > st.ejected_until + decayAfter(c)) {
        st.ejections--;
        st.ejected_until = now;
      }
    }
    return;
  }
  State& s = states_[key];
  s.consecutive_total++;
  if (gateway) s.consecutive_gateway++;
  const OutlierDetection& od = c.outlier;
  const bool trip = (od.consecutive_total > 0 && s.consecutive_total >= od.consecutive_total) ||
                    (od.consecutive_gateway > 0 && s.consecutive_gateway >= od.consecutive_gateway);
  if (!trip || s.ejected_until > now) return;
  // At most max_ejection_percent of the cluster out at once (at least one endpoint may go).
  size_t out = 0;
  for (const std::string& k : c.pool_keys) {
    auto it = states_.find(k);
    if (it != states_.end() && it->second.ejected_until > now) ++out;
  }
  const size_t limit = std::max<size_t>(1, c.pool_keys.size() * od.max_ejection_percent / 100);
  if (out >= limit) return;
  s.ejections++;
  // base x n, capped as Envoy's max_ejection_time (300 s, or base when larger).
  const auto cap = std::max<std::chrono::milliseconds>(od.base_ejection, std::chrono::seconds(300));
  s.ejected_until = now + std::min<std::chrono::milliseconds>(od.base_ejection * s.ejections, cap);
  s.consecutive_total = 0;
  s.consecutive_gateway = 0;
  ejections_total_++;
}

void EndpointHealth::setHealthy(const std::string& key, bool healthy) {
  if (healthy) {
    auto it = states_.find(key);
    if (it != states_.end()) it->second.unhealthy = false;
    return;
  }
  states_[key].unhealthy = true;
}

}  // namespace causeway::proxy
