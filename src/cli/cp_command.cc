// Placeholder: being written.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"

namespace causeway::cli {

Run addCpCommand(CLI::App& app) {
  app.add_subcommand("cp", "(not built yet)");
  return [] {
    std::fprintf(stderr, "causeway cp: not built yet\n");
    return 2;
  };
}

}  // namespace causeway::cli
