// The transit gateway's status listener pages: /status (tunnels and drop counters as JSON),
// /routes (the route table with the next hop in use), /flows (open flow records) and /metrics
// (Prometheus text). Pure functions of a forwarder's state; called on its thread.
#pragma once

#include <string>

#include "http/local_reply.h"
#include "transit/forwarder.h"

namespace causeway::transit {

std::string statusJson(const Forwarder& f, wg::TimePoint now);
std::string routesJson(const Forwarder& f);
std::string flowsJson(const Forwarder& f, wg::TimePoint now);
std::string metricsText(const Forwarder& f);

// Serves GET `path` from the pages above; 404 for anything else.
http::LocalReply statusPage(const Forwarder& f, std::string_view path, wg::TimePoint now);

}  // namespace causeway::transit
