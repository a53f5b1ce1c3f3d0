// The second round of network validation (see loader.h): what spans records. Runs on a Network
// whose records each loaded cleanly, so every index in it is the index in the file and error
// paths can be rebuilt from it. Pure functions; thread-safe.
#pragma once

#include <vector>

#include "model/kong/loader.h"
#include "model/network/network.h"

namespace causeway::model::network {

// Names, keys, endpoints, references, domains, HA groups, peerings, firewalls, overlapping CIDRs,
// static routes.
void checkNetwork(const Network& network, std::vector<kong::FieldError>& errors);

// Gives every gateway whose tunnel address was not `given` (transits then spokes, in file order)
// host #(i+1) of overlay_cidr, then checks that all tunnel addresses are distinct and clear of
// the spoke and external CIDRs.
void assignTunnelAddresses(Network& network, const std::vector<bool>& given,
                           std::vector<kong::FieldError>& errors);

}  // namespace causeway::model::network
