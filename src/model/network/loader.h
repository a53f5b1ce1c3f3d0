// Loads the transit network from a declarative file (YAML or JSON): the top-level `network:` key;
// other top-level keys (a Kong `_format_version` config in the same file) are ignored. The whole
// network is checked before anything is returned: accepted whole, or refused with every offending
// field named by path ("network.spoke_gateways[1].cidrs[0]: host bits set: ...").
//
// Checks run in two rounds: each record's own fields (types, formats, required and unknown
// fields, keys, endpoints, CIDRs), then, only when those are clean, what spans records (unique
// names, keys and endpoints, references, domains, overlapping CIDRs, static route next hops,
// tunnel addresses). Any two spoke or external CIDRs that overlap are refused, wherever they are
// in the network: every gateway's table stays unambiguous and so does the domain of an address.
//
// Gateways without a tunnel_address get host #(i+1) of overlay_cidr, i counting transits then
// spokes in file order. Pure functions, no I/O besides loadNetworkFile's read; thread-safe.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "base/status.h"
#include "model/kong/loader.h"
#include "model/network/network.h"

namespace causeway::model::network {

struct LoadOptions {
  // A transit or spoke gateway must name its public_key (a file: gateways run from it alone).
  // Off for a control plane's network, where a gateway registers its key when it first connects:
  // an absent key is left all zero (hasKey() false) and the planner gives that peer no tunnel.
  // External connections always need theirs (a stock WireGuard peer does not register).
  bool require_keys = true;
};

// On failure the Status (invalid argument) carries LoadError::message(), every error on one line,
// and `errors`, when given, receives them one by one.
Result<Network> loadNetwork(std::string_view text, kong::LoadError* errors = nullptr,
                            const LoadOptions& options = {});
// Reads the file then loads it; an unreadable file is one error with the path "".
Result<Network> loadNetworkFile(const std::string& path, kong::LoadError* errors = nullptr);
// The same for a document already parsed (a control plane's store or snapshot).
Result<Network> loadNetworkJson(const nlohmann::json& root, kong::LoadError* errors = nullptr,
                                const LoadOptions& options = {});

}  // namespace causeway::model::network
