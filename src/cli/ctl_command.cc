// Placeholder: being written.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"

namespace causeway::cli {

Run addCtlCommand(CLI::App& app) {
  app.add_subcommand("ctl", "(not built yet)");
  return [] {
    std::fprintf(stderr, "causeway ctl: not built yet\n");
    return 2;
  };
}

}  // namespace causeway::cli
