#include "pki/dataplane_token.h"

#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include "pki/ossl.h"

namespace causeway::pki {
namespace {

using Json = nlohmann::json;

// A random UUID (version 4, RFC 9562), Kuma's jti format.
Result<std::string> randomUuid() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) {
    return Status::internal("no random bytes for a token id: " + ossl::takeError());
  }
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[b[i] >> 4]);
    out.push_back(kHex[b[i] & 0xf]);
  }
  return out;
}

Status invalidToken(const std::string& why) {
  return Status::invalidArgument("dataplane token " + why);
}

// A string claim; `required` ones must be present. Anything but a string is an error.
Result<std::string> stringClaim(const Json& claims, const char* name, bool required) {
  auto it = claims.find(name);
  if (it == claims.end()) {
    if (required) return invalidToken(std::string("has no '") + name + "'");
    return std::string();
  }
  if (!it->is_string()) return invalidToken(std::string("claim '") + name + "' is not a string");
  return it->get<std::string>();
}

Result<std::map<std::string, std::vector<std::string>>> tagsClaim(const Json& claims) {
  std::map<std::string, std::vector<std::string>> tags;
  auto it = claims.find("Tags");
  if (it == claims.end() || it->is_null()) return tags;
  if (!it->is_object()) return invalidToken("claim 'Tags' is not an object");
  for (const auto& [tag, values] : it->items()) {
    if (!values.is_array()) return invalidToken("tag '" + tag + "' is not a list");
    auto& out = tags[tag];
    for (const auto& value : values) {
      if (!value.is_string()) return invalidToken("tag '" + tag + "' has a non-string value");
      out.push_back(value.get<std::string>());
    }
  }
  return tags;
}

}  // namespace

Result<std::string> issueDataplaneToken(const TokenSigningKey& signing_key,
                                        const DataplaneTokenClaims& claims, int64_t now,
                                        std::chrono::seconds validity) {
  if (claims.mesh.empty()) return Status::invalidArgument("a dataplane token needs a mesh");
  if (validity.count() <= 0) {
    return Status::invalidArgument("dataplane token validity must be positive");
  }
  if (signing_key.kid.empty()) {
    return Status::invalidArgument("the token signing key needs a key id");
  }
  auto jti = randomUuid();
  if (!jti.isOk()) return jti.status();
  Json body = {{"Mesh", claims.mesh},
               {"Type", kDataplaneTokenType},
               {"Tags", Json::object()},
               {"jti", jti.value()},
               {"iat", now},
               {"nbf", now},
               {"exp", now + int64_t(validity.count())}};
  if (!claims.name.empty()) body["Name"] = claims.name;
  for (const auto& [tag, values] : claims.tags) body["Tags"][tag] = values;
  std::string text;
  try {
    text = body.dump();  // throws on invalid UTF-8 in a name or tag
  } catch (const Json::exception&) {
    return Status::invalidArgument("dataplane token claims are not valid UTF-8");
  }
  return signJwt(signing_key.key, text, signing_key.kid);
}

Result<DataplaneTokenClaims> verifyDataplaneToken(
    const std::map<std::string, JwtVerifyKey>& keys_by_kid, std::string_view token, int64_t now,
    const std::set<std::string>& revoked_jtis, std::string_view mesh) {
  auto kid = jwtKeyId(token);
  if (!kid.isOk()) return invalidToken("is malformed: " + kid.status().message());
  if (kid->empty()) return invalidToken("has no key id ('kid')");
  auto key = keys_by_kid.find(kid.value());
  if (key == keys_by_kid.end()) {
    return invalidToken("is signed by unknown key '" + kid.value() + "' (rotated out?)");
  }
  JwtVerifyOptions options;
  options.now = now;
  options.require_exp = true;
  auto payload = verifyJwt(key->second, token, options);
  if (!payload.isOk()) {
    const std::string& why = payload.status().message();
    if (why.rfind("token expired", 0) == 0) return invalidToken("expired: " + why);
    return invalidToken("refused: " + why);
  }
  Json body = Json::parse(payload.value(), nullptr, /*allow_exceptions=*/false);
  // verifyJwt returned it, so it is a JSON object.
  DataplaneTokenClaims claims;
  auto type = stringClaim(body, "Type", true);
  if (!type.isOk()) return type.status();
  if (type.value() != kDataplaneTokenType) {
    return invalidToken("has type '" + type.value() + "', not 'dataplane'");
  }
  claims.type = type.value();
  auto jti = stringClaim(body, "jti", true);
  if (!jti.isOk()) return jti.status();
  if (jti->empty()) return invalidToken("has an empty 'jti'");
  if (revoked_jtis.count(jti.value()) != 0) return invalidToken("is revoked (jti " + *jti + ")");
  claims.jti = jti.value();
  auto token_mesh = stringClaim(body, "Mesh", true);
  if (!token_mesh.isOk()) return token_mesh.status();
  if (token_mesh->empty()) return invalidToken("has an empty 'Mesh'");
  if (!mesh.empty() && token_mesh.value() != mesh) {
    return invalidToken("is for mesh '" + token_mesh.value() + "', not '" + std::string(mesh) +
                        "'");
  }
  claims.mesh = token_mesh.value();
  auto name = stringClaim(body, "Name", false);
  if (!name.isOk()) return name.status();
  claims.name = name.value();
  auto tags = tagsClaim(body);
  if (!tags.isOk()) return tags.status();
  claims.tags = std::move(tags.value());
  claims.issued_at = body.value("iat", int64_t(0));
  claims.expires_at = body.value("exp", int64_t(0));
  return claims;
}

}  // namespace causeway::pki
