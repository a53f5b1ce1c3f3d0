// Gateway: one running transit or spoke gateway, the I/O around a Forwarder. It owns the TUN
// device (created with the plan's tunnel address and MTU), the one UDP socket of its tunnels, the
// kernel routes it installs for the prefixes it tunnels (and, on a transit with a firewall, the
// policy rule that sends inspected packets to the firewall), the status listener and the flow
// log. Everything runs on one thread (an Asio io_context): the data path reads batches from the
// TUN device and the socket, and writes batches back.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "base/status.h"
#include "model/network/plan.h"
#include "transit/flow_table.h"
#include "wg/secret.h"

namespace causeway::transit {

struct GatewayOptions {
  std::string tun_name = "cw0";
  std::string listen;                            // "ADDR:PORT"; "" = 0.0.0.0:<plan listen port>
  std::string status_listen = "127.0.0.1:9901";  // "" or "off": none
  std::string flow_log;                          // JSON lines file; "-" standard output; "" none
  FlowOptions flows;
  int policy_table = 51820;  // routing table of the firewall policy rule
  // Called on SIGHUP for this gateway's new plan (the file read again). An error keeps the
  // running plan: nothing is half applied.
  std::function<Result<model::network::GatewayPlan>()> reload;

  // ---- plan source (a control plane: `causeway transit --cp`) ----
  // Applies a new plan of this gateway on the gateway's thread, as a reload does (an error keeps
  // the running plan), and returns the outcome once applied; unavailable once the gateway has
  // stopped. Callable from any thread but the gateway's own (it waits for that thread).
  using PlanApply = std::function<Status(model::network::GatewayPlan plan)>;
  // Called once, on the gateway's thread, when the gateway is set up and about to serve.
  std::function<void(PlanApply apply)> plan_source;
};

// Runs the gateway until SIGTERM or SIGINT, then withdraws its routes and rule, writes the open
// flow records and closes the TUN device. Returns the process exit code (0 on a clean stop); a
// setup failure is logged with what was attempted and returns 1.
int runGateway(model::network::GatewayPlan plan, const wg::Key& private_key,
               const GatewayOptions& options);

}  // namespace causeway::transit
