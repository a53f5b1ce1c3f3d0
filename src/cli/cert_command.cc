// Placeholder: being written.
#include <CLI/CLI.hpp>
#include <cstdio>

#include "cli/commands.h"

namespace causeway::cli {

Run addCertCommand(CLI::App& app) {
  app.add_subcommand("cert", "(not built yet)");
  return [] {
    std::fprintf(stderr, "causeway cert: not built yet\n");
    return 2;
  };
}

}  // namespace causeway::cli
