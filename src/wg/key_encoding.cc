#include "wg/key_encoding.h"

#include "base/base64.h"

namespace causeway::wg {

std::string encodeKey(std::span<const uint8_t, 32> key) { return base64Encode(key); }

std::optional<PublicKey> decodePublicKey(std::string_view text) {
  PublicKey key{};
  if (!base64DecodeExact(text, key)) return std::nullopt;
  return key;
}

std::optional<Key> decodeSecretKey(std::string_view text) {
  Key key;
  if (!base64DecodeExact(text, key.span()))
    return std::nullopt;  // ~Key wipes what was decoded so far
  return key;
}

}  // namespace causeway::wg
