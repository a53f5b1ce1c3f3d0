// Standard base64 (RFC 4648, "+/" alphabet, "=" padding), for the few places the protocols need
// it: the WebSocket handshake and WireGuard keys. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace causeway {

std::string base64Encode(std::span<const uint8_t> data);

// The 6-bit value of a base64 character, or -1.
int base64Value(char c);

// Decodes `text` into exactly `out.size()` bytes, written straight into `out` (so a secret needs
// no intermediate copy). Strict: the length must be the padded encoding of out.size() bytes and
// the encoding canonical (unused low bits zero). False on anything else; `out` may then hold part
// of the result, which a caller holding a secret wipes.
bool base64DecodeExact(std::string_view text, std::span<uint8_t> out);

}  // namespace causeway
