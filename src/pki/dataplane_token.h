// Dataplane tokens, as Kuma issues them: a JWT signed by the control plane that a sidecar
// presents when it registers, saying which mesh it belongs to and which tags (notably
// kuma.io/service) it may claim. Revocable by its "jti". Claims use Kuma's names: "Name",
// "Mesh", "Tags", "Type" ("dataplane"), plus "jti", "iat", "nbf" and "exp".
// Pure functions (time is passed in); safe to call from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "pki/jwt.h"

namespace causeway::pki {

inline constexpr char kDataplaneTokenType[] = "dataplane";
inline constexpr char kServiceTag[] = "kuma.io/service";

struct DataplaneTokenClaims {
  std::string name;  // the one Dataplane it may register as; empty: any
  std::string mesh;
  std::map<std::string, std::vector<std::string>> tags;  // {"kuma.io/service": ["backend"]}
  std::string type = kDataplaneTokenType;
  std::string jti;         // random id, set by issueDataplaneToken
  int64_t issued_at = 0;   // unix seconds
  int64_t expires_at = 0;  // unix seconds

  bool operator==(const DataplaneTokenClaims&) const = default;
};

// A signing key with the id ("kid") that tokens it signs carry, so several keys can be trusted
// while the control plane rotates them.
struct TokenSigningKey {
  std::string kid;
  JwtSigningKey key;
};

// A token for `claims.name`, `claims.mesh` and `claims.tags` (the rest of `claims` is ignored):
// a fresh random jti (UUID v4), iat = nbf = now, exp = now + validity.
Result<std::string> issueDataplaneToken(const TokenSigningKey& signing_key,
                                        const DataplaneTokenClaims& claims, int64_t now,
                                        std::chrono::seconds validity);

// Verifies a dataplane token with the key its "kid" names (a token without a kid, or with one
// not in `keys_by_kid`, is refused), then its expiry at `now`, its Type, its revocation (its jti
// in `revoked_jtis`) and, when `mesh` is not empty, that it is for that mesh. The error says
// which check failed: "expired", "revoked", "signature is invalid", "for mesh ...", ...
Result<DataplaneTokenClaims> verifyDataplaneToken(
    const std::map<std::string, JwtVerifyKey>& keys_by_kid, std::string_view token, int64_t now,
    const std::set<std::string>& revoked_jtis, std::string_view mesh = {});

}  // namespace causeway::pki
