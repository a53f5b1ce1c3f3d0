// `causeway ctl mesh token`: dataplane tokens for mesh sidecars, through the Admin API.
//   ctl mesh token --mesh M --service S [--service S2] [--name N] [--valid-for 24h]
//       prints a token (POST /tokens/dataplane)
//   ctl mesh token revoke --mesh M --id JTI
//       revokes one (POST /tokens/dataplane/revocations)
//   ctl mesh token inspect TOKEN|-f FILE
//       prints its claims, jti included, without verifying it (no Admin API)
// Exit codes as the rest of ctl: 0 ok, 2 usage, 3 unreachable, 4 refused, 5 server error.
#pragma once

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/admin_client.h"

namespace causeway::cli {

class CtlMeshCommands {
 public:
  // Adds `mesh` and its subcommands to ctl's parser.
  explicit CtlMeshCommands(CLI::App& ctl);
  bool parsed() const;
  // After parsing: runs the command that was given.
  int run(const AdminClientOptions& admin);

 private:
  struct Flags;
  std::shared_ptr<Flags> flags_;
  CLI::App* mesh_ = nullptr;
  CLI::App* token_ = nullptr;
  CLI::App* revoke_ = nullptr;
  CLI::App* inspect_ = nullptr;
};

}  // namespace causeway::cli
