// Kuma's dataplane tokens on the Admin API, and their revocation.
//
//   POST /tokens/dataplane                 Kuma's body {"name", "mesh", "tags", "type",
//                                          "validFor"}; answers the token as text/plain (200).
//                                          "mesh" defaults to "default" and must exist; "type" is
//                                          "dataplane" (or absent); "validFor" ("24h", Kuma's
//                                          durations) is required.
//   POST /tokens/dataplane/revocations     {"mesh", "id": "<jti>"}: revokes a token of that mesh
//                                          (Kuma keeps them in the Secret
//                                          dataplane-token-revocations-<mesh>); answers 200
//                                          {"mesh", "ids": [...]} (adding an id twice is fine)
//   GET  /tokens/dataplane/revocations/{mesh}   {"mesh", "ids": [...]}
// Errors have Kuma's shape (400 with "invalid_parameters" naming the field). The Admin API's token
// authorization applies as for any endpoint. Tokens are never logged.
// Functions block on the store; they run on the CP's main thread.
#pragma once

#include <string>
#include <vector>

#include "cp/api_types.h"
#include "store/store.h"

namespace causeway::cp {

// /tokens...; `segments` are the decoded path segments (segments[0] == "tokens").
ApiResponse handleTokens(store::Store& store, const ApiRequest& req,
                         const std::vector<std::string>& segments);

}  // namespace causeway::cp
