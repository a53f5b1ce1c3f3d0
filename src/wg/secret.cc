#include "wg/secret.h"

#include <openssl/crypto.h>

namespace causeway::wg {

void secureWipe(void* p, size_t size) {
  if (size != 0) OPENSSL_cleanse(p, size);
}

bool constantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace causeway::wg
