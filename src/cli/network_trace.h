// `causeway ctl network trace --config FILE SRC DST [--json]`: explains a flow from the
// declarative network model alone (model/network/trace.h), without any running gateway.
#pragma once

#include <ostream>
#include <string>

namespace causeway::cli {

// Loads `config`, traces SRC -> DST and prints the result: a few lines for humans, or with
// `json` one line {"verdict":...,"hops":[...],"firewall":...,"reason":...}. Returns 0 when the
// flow is allowed, 1 when it is denied or has no route, 2 for invalid input (an unreadable or
// invalid file, whose field errors go to `err` one a line, or an address that does not parse).
int runNetworkTrace(const std::string& config, const std::string& src, const std::string& dst,
                    bool json, std::ostream& out, std::ostream& err);

}  // namespace causeway::cli
