// Keys as text, the way `wg genkey` / `wg pubkey` write them: standard base64 (RFC 4648) of the
// 32 bytes, 44 characters ending in '='. Decoding is strict: exact length, canonical padding
// bits, no whitespace. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "wg/secret.h"

namespace causeway::wg {

std::string encodeKey(std::span<const uint8_t, 32> key);
inline std::string encodeKey(const PublicKey& key) { return encodeKey(std::span(key)); }
inline std::string encodeKey(const Key& key) { return encodeKey(key.span()); }

std::optional<PublicKey> decodePublicKey(std::string_view text);
// The same for a private or preshared key; the text itself is the caller's to wipe.
std::optional<Key> decodeSecretKey(std::string_view text);

}  // namespace causeway::wg
