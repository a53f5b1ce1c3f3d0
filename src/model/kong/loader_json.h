// loadDeclarative() for a document that is already a JSON tree (the control plane's compiled
// snapshot, the Admin API's entities): skips text parsing. Separate from loader.h so that the
// many users of loader.h do not include nlohmann/json.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "model/kong/loader.h"

namespace causeway::model::kong {

LoadResult loadDeclarativeJson(const nlohmann::json& root);

// Kong's nested `fields` object for a list of field errors ("paths[1]" -> {"paths":[null,"..."]}).
nlohmann::json fieldErrorsJson(const std::vector<FieldError>& errors);

}  // namespace causeway::model::kong
