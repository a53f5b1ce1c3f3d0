// Compact JWS (JSON Web Token) signing and verification with RS256 and ES256, strict: the
// algorithm comes from the key, never from the token's header (a header naming another
// algorithm, "none" or HS256, is refused, so there is no algorithm confusion); base64url without
// padding and in its one canonical form; exp, nbf and iat checked against an injected `now`.
// Keys are immutable and cheap to copy (copies share one OpenSSL object, which OpenSSL 3 allows
// to be used from several threads); the functions are pure.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "pki/secret.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace causeway::pki {

enum class JwsAlgorithm { kRs256, kEs256 };
// "RS256", "ES256".
const char* jwsAlgorithmName(JwsAlgorithm alg);

// A public key that verifies tokens: RSA of at least 2048 bits (RS256) or EC P-256 (ES256).
class JwtVerifyKey {
 public:
  // "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo).
  static Result<JwtVerifyKey> fromPem(std::string_view pem);
  JwsAlgorithm algorithm() const { return alg_; }
  std::string toPem() const;
  EVP_PKEY* get() const { return key_.get(); }

 private:
  friend class JwtSigningKey;
  JwtVerifyKey(std::shared_ptr<EVP_PKEY> key, JwsAlgorithm alg) : key_(std::move(key)), alg_(alg) {}
  std::shared_ptr<EVP_PKEY> key_;
  JwsAlgorithm alg_;
};

// A private key that signs tokens. OpenSSL clears the key's memory when it is freed; its PEM is
// only ever handed out as a SecretString.
class JwtSigningKey {
 public:
  // A fresh RSA key (RS256, `bits` >= 2048) or EC P-256 key (ES256).
  static Result<JwtSigningKey> generate(JwsAlgorithm alg, int rsa_bits = 2048);
  // Unencrypted PKCS#8 or traditional PEM of an RSA (>= 2048 bits) or EC P-256 key.
  static Result<JwtSigningKey> fromPem(std::string_view pem);
  JwsAlgorithm algorithm() const { return alg_; }
  SecretString toPem() const;
  JwtVerifyKey verifyKey() const;
  EVP_PKEY* get() const { return key_.get(); }

 private:
  JwtSigningKey(std::shared_ptr<EVP_PKEY> key, JwsAlgorithm alg)
      : key_(std::move(key)), alg_(alg) {}
  std::shared_ptr<EVP_PKEY> key_;
  JwsAlgorithm alg_;
};

// header.payload.signature for the JSON object `claims_json` (which must be one), with header
// {"alg":..., "typ":"JWT"} and "kid" when `kid` is not empty.
Result<std::string> signJwt(const JwtSigningKey& key, std::string_view claims_json,
                            std::string_view kid = {});

// The "kid" of a token's header, read without verifying anything: only to pick the key that
// then verifies it. Empty when the header has none.
Result<std::string> jwtKeyId(std::string_view token);

struct JwtVerifyOptions {
  int64_t now = 0;          // unix seconds
  int64_t leeway = 0;       // seconds of clock skew allowed on exp, nbf and iat
  bool require_exp = true;  // a token without "exp" is refused
};

// Verifies `token` with `key`: exactly three base64url parts, a header whose "alg" is the key's
// algorithm and that has no "crit", a valid signature, a JSON object payload whose numeric
// exp > now, nbf <= now and iat <= now (each +- leeway, when present). Returns the payload
// (the claims as JSON text).
Result<std::string> verifyJwt(const JwtVerifyKey& key, std::string_view token,
                              const JwtVerifyOptions& options);

// Base64url without padding (RFC 7515 section 2), and its strict inverse: no padding, no
// characters outside the URL alphabet, unused trailing bits zero.
std::string base64UrlEncode(std::string_view data);
Result<std::string> base64UrlDecode(std::string_view text);

}  // namespace causeway::pki
