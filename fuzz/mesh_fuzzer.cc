// fuzz-libs: causeway_model
// Fuzzes the mesh model: any text is loaded as Kuma Universal YAML (a stream of documents); when
// it validates, the policies are matched against every dataplane, and every caller service is
// checked against every inbound. Nothing may crash, and with mTLS off every call is allowed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_check.h"
#include "model/mesh/loader.h"
#include "model/mesh/matching.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace causeway::model::mesh;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto loaded = loadMeshResources(text);
  if (!loaded.isOk()) return 0;
  for (const Dataplane& dp : loaded->dataplanes) {
    DataplanePolicies matched = matchPolicies(dp, loaded->policies);
    for (const auto& in : matched.inbound) {
      for (const Dataplane& caller : loaded->dataplanes) {
        for (const auto& inbound : caller.inbound) {
          (void)callAllowed(in, inbound.service(), true);
          FUZZ_CHECK(callAllowed(in, inbound.service(), false));
        }
      }
    }
  }
  return 0;
}
