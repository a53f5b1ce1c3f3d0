#include "pki/jwt.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <cmath>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "base/base64.h"
#include "pki/ossl.h"

namespace causeway::pki {
namespace {

using Json = nlohmann::json;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, ossl::FreeWith<ECDSA_SIG_free>>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, ossl::FreeWith<EVP_MD_CTX_free>>;

constexpr int kMinRsaBits = 2048;
constexpr size_t kEs256CoordinateBytes = 32;
constexpr size_t kMaxTokenBytes = 64 * 1024;

std::shared_ptr<EVP_PKEY> share(ossl::PkeyPtr key) {
  return std::shared_ptr<EVP_PKEY>(key.release(), ossl::FreeWith<EVP_PKEY_free>{});
}

// The JWS algorithm a key is for, or why it is not one Causeway signs tokens with.
Result<JwsAlgorithm> algorithmOf(const EVP_PKEY* key) {
  if (ossl::isP256(key)) return JwsAlgorithm::kEs256;
  if (EVP_PKEY_is_a(key, "RSA")) {
    if (EVP_PKEY_get_bits(key) < kMinRsaBits) {
      return Status::invalidArgument("RSA key shorter than 2048 bits");
    }
    return JwsAlgorithm::kRs256;
  }
  return Status::invalidArgument("token keys must be RSA (RS256) or EC P-256 (ES256)");
}

// Parses a JSON object; nullopt for anything else (including invalid UTF-8).
std::optional<Json> parseObject(std::string_view text) {
  Json value = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

// The DER ECDSA signature OpenSSL makes, as JWS's fixed-size R || S (RFC 7518 section 3.4).
Result<std::string> derToRaw(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &p, long(der.size())));
  if (!sig) return Status::internal("cannot decode ECDSA signature: " + ossl::takeError());
  std::string raw(2 * kEs256CoordinateBytes, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, int(kEs256CoordinateBytes)) < 0 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + kEs256CoordinateBytes,
                   int(kEs256CoordinateBytes)) < 0) {
    return Status::internal("cannot encode ECDSA signature");
  }
  return raw;
}

// R || S back to DER for OpenSSL; nullopt when it is not 64 bytes.
std::optional<std::string> rawToDer(std::string_view raw) {
  if (raw.size() != 2 * kEs256CoordinateBytes) return std::nullopt;
  const auto* in = reinterpret_cast<const unsigned char*>(raw.data());
  EcdsaSigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(in, int(kEs256CoordinateBytes), nullptr);
  BIGNUM* s = BN_bin2bn(in + kEs256CoordinateBytes, int(kEs256CoordinateBytes), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    ossl::clearErrors();
    return std::nullopt;
  }
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig.get(), &der);
  if (len <= 0) {
    ossl::clearErrors();
    return std::nullopt;
  }
  std::string out(reinterpret_cast<char*>(der), size_t(len));
  OPENSSL_free(der);
  return out;
}

Result<std::string> signBytes(const JwtSigningKey& key, std::string_view input) {
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.get()) != 1) {
    return Status::internal("cannot sign token: " + ossl::takeError());
  }
  if (key.algorithm() == JwsAlgorithm::kRs256 &&
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
    return Status::internal("cannot sign token: " + ossl::takeError());
  }
  const auto* data = reinterpret_cast<const unsigned char*>(input.data());
  size_t len = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &len, data, input.size()) != 1) {
    return Status::internal("cannot sign token: " + ossl::takeError());
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, data,
                     input.size()) != 1) {
    return Status::internal("cannot sign token: " + ossl::takeError());
  }
  sig.resize(len);
  if (key.algorithm() == JwsAlgorithm::kEs256) return derToRaw(sig);
  return sig;
}

bool verifyBytes(const JwtVerifyKey& key, std::string_view input, std::string_view signature) {
  std::string der;
  if (key.algorithm() == JwsAlgorithm::kEs256) {
    auto converted = rawToDer(signature);
    if (!converted) return false;
    der = std::move(*converted);
    signature = der;
  }
  MdCtxPtr ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.get()) == 1 &&
            (key.algorithm() != JwsAlgorithm::kRs256 ||
             EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1) &&
            EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                             signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                             input.size()) == 1;
  ossl::clearErrors();
  return ok;
}

struct Parts {
  std::string_view header_b64, payload_b64, signature_b64;
};

Result<Parts> splitToken(std::string_view token) {
  if (token.size() > kMaxTokenBytes) return Status::invalidArgument("token too long");
  size_t first = token.find('.');
  size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Status::invalidArgument("malformed token: expected header.payload.signature");
  }
  return Parts{token.substr(0, first), token.substr(first + 1, second - first - 1),
               token.substr(second + 1)};
}

Result<Json> decodeHeader(std::string_view header_b64) {
  auto header = base64UrlDecode(header_b64);
  if (!header.isOk()) return Status::invalidArgument("token header: " + header.status().message());
  auto json = parseObject(header.value());
  if (!json) return Status::invalidArgument("token header is not a JSON object");
  return std::move(*json);
}

// A NumericDate claim: nullopt when absent, an error when present but not a number.
Result<std::optional<int64_t>> numericDate(const Json& claims, const char* name) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<int64_t>();
  if (it->is_number_integer()) return std::optional<int64_t>(it->get<int64_t>());
  if (it->is_number_float() && std::isfinite(it->get<double>()) &&
      std::fabs(it->get<double>()) < 1e15) {
    return std::optional<int64_t>(int64_t(std::floor(it->get<double>())));
  }
  return Status::invalidArgument(std::string("token claim '") + name + "' is not a number");
}

}  // namespace

const char* jwsAlgorithmName(JwsAlgorithm alg) {
  return alg == JwsAlgorithm::kRs256 ? "RS256" : "ES256";
}

std::string base64UrlEncode(std::string_view data) {
  std::string out = base64Encode(
      std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()), data.size()));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

Result<std::string> base64UrlDecode(std::string_view text) {
  if (text.size() % 4 == 1) return Status::invalidArgument("invalid base64url length");
  std::string standard;
  standard.reserve(text.size() + 2);
  for (char c : text) {
    // '+', '/' and '=' are standard base64, not base64url: refused like any other character.
    if (c == '-') {
      standard.push_back('+');
    } else if (c == '_') {
      standard.push_back('/');
    } else if (c == '+' || c == '/' || c == '=' || base64Value(c) < 0) {
      return Status::invalidArgument("invalid base64url character");
    } else {
      standard.push_back(c);
    }
  }
  while (standard.size() % 4 != 0) standard.push_back('=');
  std::string out(text.size() * 3 / 4, '\0');
  if (!base64DecodeExact(standard,
                         std::span<uint8_t>(reinterpret_cast<uint8_t*>(out.data()), out.size()))) {
    return Status::invalidArgument("invalid base64url (non-canonical trailing bits)");
  }
  return out;
}

Result<JwtVerifyKey> JwtVerifyKey::fromPem(std::string_view pem) {
  ossl::clearErrors();
  ossl::BioPtr bio = ossl::readBio(pem);
  ossl::PkeyPtr key(PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr));
  if (!key) return Status::invalidArgument("invalid public key PEM: " + ossl::takeError());
  auto alg = algorithmOf(key.get());
  if (!alg.isOk()) return alg.status();
  return JwtVerifyKey(share(std::move(key)), alg.value());
}

std::string JwtVerifyKey::toPem() const {
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1) {
    ossl::clearErrors();
    return {};
  }
  return ossl::bioString(bio.get());
}

Result<JwtSigningKey> JwtSigningKey::generate(JwsAlgorithm alg, int rsa_bits) {
  ossl::clearErrors();
  ossl::PkeyPtr key;
  if (alg == JwsAlgorithm::kRs256) {
    if (rsa_bits < kMinRsaBits) return Status::invalidArgument("RSA key shorter than 2048 bits");
    key.reset(EVP_RSA_gen(static_cast<unsigned int>(rsa_bits)));
  } else {
    key.reset(EVP_EC_gen("P-256"));
  }
  if (!key) return Status::internal("cannot generate a token key: " + ossl::takeError());
  return JwtSigningKey(share(std::move(key)), alg);
}

Result<JwtSigningKey> JwtSigningKey::fromPem(std::string_view pem) {
  auto key = ossl::parsePrivateKey(pem);
  if (!key.isOk()) return key.status();
  auto alg = algorithmOf(key->get());
  if (!alg.isOk()) return alg.status();
  return JwtSigningKey(share(std::move(key.value())), alg.value());
}

SecretString JwtSigningKey::toPem() const { return ossl::privateKeyToPem(key_.get()); }

JwtVerifyKey JwtSigningKey::verifyKey() const {
  // Through the SubjectPublicKeyInfo PEM, so the verify key holds no private material.
  auto pub = JwtVerifyKey::fromPem(JwtVerifyKey(key_, alg_).toPem());
  // A key that generate() or fromPem() accepted always has an encodable public half.
  if (!pub.isOk()) std::abort();
  return std::move(pub.value());
}

Result<std::string> signJwt(const JwtSigningKey& key, std::string_view claims_json,
                            std::string_view kid) {
  auto claims = parseObject(claims_json);
  if (!claims) return Status::invalidArgument("token claims must be a JSON object");
  Json header = {{"alg", jwsAlgorithmName(key.algorithm())}, {"typ", "JWT"}};
  if (!kid.empty()) header["kid"] = std::string(kid);
  std::string input = base64UrlEncode(header.dump()) + "." + base64UrlEncode(claims->dump());
  auto sig = signBytes(key, input);
  if (!sig.isOk()) return sig.status();
  return input + "." + base64UrlEncode(sig.value());
}

Result<std::string> jwtKeyId(std::string_view token) {
  auto parts = splitToken(token);
  if (!parts.isOk()) return parts.status();
  auto header = decodeHeader(parts->header_b64);
  if (!header.isOk()) return header.status();
  auto it = header->find("kid");
  if (it == header->end()) return std::string();
  if (!it->is_string()) return Status::invalidArgument("token header 'kid' is not a string");
  return it->get<std::string>();
}

Result<std::string> verifyJwt(const JwtVerifyKey& key, std::string_view token,
                              const JwtVerifyOptions& options) {
  auto parts = splitToken(token);
  if (!parts.isOk()) return parts.status();
  auto header = decodeHeader(parts->header_b64);
  if (!header.isOk()) return header.status();
  auto alg = header->find("alg");
  const char* expected = jwsAlgorithmName(key.algorithm());
  if (alg == header->end() || !alg->is_string()) {
    return Status::invalidArgument("token header has no 'alg'");
  }
  if (alg->get<std::string>() != expected) {
    return Status::invalidArgument("token algorithm '" + alg->get<std::string>() +
                                   "' refused: the key is for " + expected);
  }
  if (header->contains("crit")) {
    return Status::invalidArgument("token header 'crit' is not supported");
  }
  if (auto typ = header->find("typ");
      typ != header->end() && !(typ->is_string() && typ->get<std::string>() == "JWT")) {
    return Status::invalidArgument("token header 'typ' is not JWT");
  }
  auto signature = base64UrlDecode(parts->signature_b64);
  if (!signature.isOk()) {
    return Status::invalidArgument("token signature: " + signature.status().message());
  }
  std::string_view input =
      token.substr(0, parts->header_b64.size() + 1 + parts->payload_b64.size());
  if (!verifyBytes(key, input, signature.value())) {
    return Status::invalidArgument("token signature is invalid");
  }
  auto payload = base64UrlDecode(parts->payload_b64);
  if (!payload.isOk())
    return Status::invalidArgument("token payload: " + payload.status().message());
  auto claims = parseObject(payload.value());
  if (!claims) return Status::invalidArgument("token payload is not a JSON object");

  auto exp = numericDate(*claims, "exp");
  auto nbf = numericDate(*claims, "nbf");
  auto iat = numericDate(*claims, "iat");
  for (const auto* date : {&exp, &nbf, &iat}) {
    if (!date->isOk()) return date->status();
  }
  const int64_t now = options.now;
  if (!exp->has_value() && options.require_exp) {
    return Status::invalidArgument("token has no expiry ('exp')");
  }
  if (exp->has_value() && now >= **exp + options.leeway) {
    return Status::invalidArgument("token expired at " + std::to_string(**exp));
  }
  if (nbf->has_value() && now + options.leeway < **nbf) {
    return Status::invalidArgument("token not valid before " + std::to_string(**nbf));
  }
  if (iat->has_value() && now + options.leeway < **iat) {
    return Status::invalidArgument("token issued in the future (iat " + std::to_string(**iat) +
                                   ")");
  }
  return std::move(payload.value());
}

}  // namespace causeway::pki
