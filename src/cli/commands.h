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

}  // namespace causeway::cli
