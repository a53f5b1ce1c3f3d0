#include "store/codec.h"

#include <array>
#include <nlohmann/json.hpp>
#include <unordered_set>

namespace causeway::store {

namespace {

constexpr std::string_view kOffsetPrefix = "o1:";
constexpr uint8_t kInvalid = 0xff;  // not a base64url character
constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64UrlEncode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
    out += kBase64Url[(v >> 6) & 63];
    out += kBase64Url[v & 63];
  }
  size_t rest = in.size() - i;
  if (rest == 1) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
  } else if (rest == 2) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += kBase64Url[(v >> 18) & 63];
    out += kBase64Url[(v >> 12) & 63];
    out += kBase64Url[(v >> 6) & 63];
  }
  return out;
}

// Strict: unpadded, URL alphabet only, unused trailing bits zero (one encoding per payload).
std::optional<std::string> base64UrlDecode(std::string_view in) {
  static const std::array<uint8_t, 256> kValue = [] {
    std::array<uint8_t, 256> t{};
    t.fill(kInvalid);
    for (int i = 0; i < 64; ++i) t[uint8_t(kBase64Url[i])] = uint8_t(i);
    return t;
  }();
  if (in.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    uint8_t v = kValue[uint8_t(c)];
    if (v == kInvalid) return std::nullopt;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

}  // namespace

Result<std::string> encodeStringList(const std::vector<std::string>& values,
                                     std::string_view what) {
  try {
    return nlohmann::json(values).dump();
  } catch (const std::exception&) {
    return Status::invalidArgument(std::string(what) + " is not valid UTF-8");
  }
}

std::optional<std::vector<std::string>> decodeStringList(std::string_view json) {
  try {
    auto parsed = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_array()) return std::nullopt;
    std::vector<std::string> out;
    out.reserve(parsed.size());
    for (const auto& v : parsed) {
      if (!v.is_string()) return std::nullopt;
      out.push_back(v.get<std::string>());
    }
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::vector<std::string> uniqueValues(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  out.reserve(values.size());
  std::unordered_set<std::string_view> seen;
  for (const auto& v : values) {
    if (seen.insert(v).second) out.push_back(v);
  }
  return out;
}

std::string encodeOffset(std::string_view last_id) {
  std::string payload(kOffsetPrefix);
  payload += last_id;
  return base64UrlEncode(payload);
}

std::optional<std::string> decodeOffset(std::string_view token) {
  auto payload = base64UrlDecode(token);
  if (!payload || payload->size() <= kOffsetPrefix.size() ||
      payload->compare(0, kOffsetPrefix.size(), kOffsetPrefix) != 0) {
    return std::nullopt;
  }
  return payload->substr(kOffsetPrefix.size());
}

}  // namespace causeway::store
