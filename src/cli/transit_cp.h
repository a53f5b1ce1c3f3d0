// `causeway transit --cp`: a transit or spoke gateway that takes its network from a control
// plane. Its private key lives in --data-dir (created 0600 on first start); the gateway names
// itself and its public key in the sync hello, and the CP registers the key (trust on first use).
// Each snapshot or delta is assembled into the network document, loaded and planned for this
// gateway; a plan that fails is nacked and the running one kept. The first plan may come from the
// snapshot saved in --data-dir, so a gateway restarts while the CP is away.
#pragma once

#include <string>

#include "transit/gateway.h"

namespace causeway::cli {

struct TransitCpOptions {
  std::string cp_url;    // wss://HOST:PORT[,wss://...]
  std::string cert_dir;  // ca.crt, dp.crt, dp.key
  std::string data_dir;  // transit.key, node_id, the last good snapshot
  std::string name;      // the transit or spoke gateway of the network to run
};

// Runs until SIGTERM/SIGINT; returns the process exit code.
int runTransitFromCp(const TransitCpOptions& options, transit::GatewayOptions gateway);

}  // namespace causeway::cli
