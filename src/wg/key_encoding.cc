#include "wg/key_encoding.h"

namespace causeway::wg {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// 44 characters: 10 groups of 4 (30 bytes) and a last group of 3 characters + '=' (2 bytes).
bool decode(std::string_view text, uint8_t out[32]) {
  if (text.size() != 44 || text[43] != '=') return false;
  uint32_t acc = 0;
  size_t o = 0;
  for (size_t i = 0; i < 43; ++i) {
    const int v = sextet(text[i]);
    if (v < 0) return false;
    acc = (acc << 6) | uint32_t(v);
    if (i % 4 == 3) {
      out[o++] = uint8_t(acc >> 16);
      out[o++] = uint8_t(acc >> 8);
      out[o++] = uint8_t(acc);
      acc = 0;
    }
  }
  // 18 bits left: 16 of data and 2 that a canonical encoding leaves zero.
  if ((acc & 3) != 0) return false;
  out[o++] = uint8_t(acc >> 10);
  out[o++] = uint8_t(acc >> 2);
  return o == 32;
}

}  // namespace

std::string encodeKey(std::span<const uint8_t, 32> key) {
  std::string out;
  out.reserve(44);
  size_t i = 0;
  for (; i + 3 <= 32; i += 3) {
    const uint32_t v = uint32_t(key[i]) << 16 | uint32_t(key[i + 1]) << 8 | key[i + 2];
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const uint32_t v = uint32_t(key[i]) << 16 | uint32_t(key[i + 1]) << 8;
  out += kAlphabet[(v >> 18) & 63];
  out += kAlphabet[(v >> 12) & 63];
  out += kAlphabet[(v >> 6) & 63];
  out += '=';
  return out;
}

std::optional<PublicKey> decodePublicKey(std::string_view text) {
  PublicKey key{};
  if (!decode(text, key.data())) return std::nullopt;
  return key;
}

std::optional<Key> decodeSecretKey(std::string_view text) {
  Key key;
  if (!decode(text, key.data())) return std::nullopt;  // ~Key wipes what was decoded so far
  return key;
}

}  // namespace causeway::wg
