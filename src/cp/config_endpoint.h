// /config: GET exports the stored gateway config as one declarative document (flat, references by
// id); POST makes the stored config equal a declarative file in one transaction (?dry_run=true
// only plans). The document GET returns is exactly what data planes are given.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <vector>

#include "cp/api_types.h"
#include "store/store.h"

namespace causeway::cp {

ApiResponse handleConfig(store::Store& store, const ApiRequest& req);

// The declarative document ({"_format_version":"3.0", "services":[...], ...}) for these records;
// records of kinds that are not Kong entities are skipped.
nlohmann::json exportDeclarative(const std::vector<store::Record>& records);

}  // namespace causeway::cp
