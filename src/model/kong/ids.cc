#include "model/kong/ids.h"

#include <openssl/rand.h>

#include <openssl/sha.h>

#include <array>

#include "base/strings.h"

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

std::string claimGeneratedId(std::string_view collection, std::string_view key,
                             const std::function<bool(const std::string&)>& claim) {
  std::string full;
  full.reserve(collection.size() + 1 + key.size());
  full += collection;
  full += ':';
  full += key;
  std::string id = deterministicUuid(full);
  for (int n = 2; !claim(id); ++n) id = deterministicUuid(full + "#" + std::to_string(n));
  return id;
}

std::string serviceIdKey(std::string_view name, size_t position) {
  return name.empty() ? "#" + std::to_string(position) : "name:" + std::string(name);
}

std::string routeIdKey(std::string_view name, std::optional<std::string_view> parentServiceId,
                       size_t position, size_t index) {
  if (!name.empty()) return "name:" + std::string(name);
  if (parentServiceId) return std::string(*parentServiceId) + ":#" + std::to_string(position);
  return "#" + std::to_string(position) + ":" + std::to_string(index);
}

std::string upstreamIdKey(std::string_view name, size_t index) {
  return name.empty() ? "#" + std::to_string(index) : "name:" + std::string(name);
}

std::string targetIdKey(std::string_view upstreamId, std::string_view host, uint16_t port,
                        size_t index) {
  return std::string(upstreamId) + ":" + toLower(host) + ":" + std::to_string(port) +
         (host.empty() ? "#" + std::to_string(index) : "");
}

std::string certificateIdKey(std::string_view certPem) { return sha256Hex(certPem); }

std::string consumerIdKey(std::string_view username, std::string_view customId) {
  return username.empty() ? "custom_id:" + std::string(customId)
                          : "username:" + std::string(username);
}

std::string pluginIdKey(std::string_view name, std::string_view serviceId, std::string_view routeId,
                        std::string_view consumerId) {
  std::string key(name);
  for (auto part : {serviceId, routeId, consumerId}) {
    key += ':';
    key += part;
  }
  return key;
}

std::string sniIdKey(std::string_view name) { return "name:" + toLower(name); }

std::string randomUuid() {
  unsigned char b[16];
  RAND_bytes(b, sizeof b);
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 15];
  }
  return out;
}

}  // namespace causeway::model::kong
