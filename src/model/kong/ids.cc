#include "model/kong/ids.h"

#include <openssl/sha.h>

#include <array>

namespace causeway::model::kong {
namespace {

std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256(std::string_view data) {
  std::array<unsigned char, SHA256_DIGEST_LENGTH> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest.data());
  return digest;
}

void appendHex(std::string& out, unsigned char b) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += kHex[b >> 4];
  out += kHex[b & 0xf];
}

}  // namespace

std::string sha256Hex(std::string_view data) {
  std::string out;
  out.reserve(64);
  for (unsigned char b : sha256(data)) appendHex(out, b);
  return out;
}

std::string deterministicUuid(std::string_view key) {
  auto d = sha256(key);
  d[6] = static_cast<unsigned char>((d[6] & 0x0f) | 0x50);  // version 5 (name-based)
  d[8] = static_cast<unsigned char>((d[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    appendHex(out, d[i]);
  }
  return out;
}

}  // namespace causeway::model::kong
