// Subcommands of the causeway binary. Each registers its flags on the CLI11 app and returns the
// function to run when it is selected.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace causeway::cli {

using Run = std::function<int()>;

Run addGatewayCommand(CLI::App& app);
Run addDemoAppCommand(CLI::App& app);
Run addCertCommand(CLI::App& app);     // cert init
Run addCpCommand(CLI::App& app);       // control plane
Run addCtlCommand(CLI::App& app);      // Admin API client, network trace
Run addTransitCommand(CLI::App& app);  // transit network gateway, genkey, pubkey
Run addSidecarCommand(CLI::App& app);  // service-mesh data plane

}  // namespace causeway::cli
