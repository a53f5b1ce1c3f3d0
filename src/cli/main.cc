// causeway: one binary, one subcommand per role (ARCHITECTURE.md, "Roles of the one binary").
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <string>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Causeway: transit network, service mesh and API gateway in one binary"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("causeway 0.1.0"));
  std::map<std::string, causeway::cli::Run> runs;
  runs["gateway"] = causeway::cli::addGatewayCommand(app);
  runs["demo-app"] = causeway::cli::addDemoAppCommand(app);
  runs["cert"] = causeway::cli::addCertCommand(app);
  runs["cp"] = causeway::cli::addCpCommand(app);
  runs["ctl"] = causeway::cli::addCtlCommand(app);
  runs["transit"] = causeway::cli::addTransitCommand(app);
  runs["sidecar"] = causeway::cli::addSidecarCommand(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  for (auto* sub : app.get_subcommands()) return runs.at(sub->get_name())();
  return 2;
}
