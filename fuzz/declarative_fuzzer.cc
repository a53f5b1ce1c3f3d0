// fuzz-libs: causeway_model
// Feeds arbitrary bytes to the Kong declarative-config loader: it must never crash, hang or
// throw, and its error renderings must work on whatever it reports.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "model/kong/loader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 64 * 1024) return 0;  // big inputs only slow the search down
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = causeway::model::kong::loadDeclarative(text);
  if (!result.isOk()) {
    (void)result.error().message();
    (void)result.error().kongJson();
  } else if (result.config().hash.size() != 32) {
    __builtin_trap();  // a loaded config always has a hash
  }
  return 0;
}
