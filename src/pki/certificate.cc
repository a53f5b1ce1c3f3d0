#include "pki/certificate.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509_vfy.h>

#include <chrono>
#include <ctime>

#include "pki/ossl.h"

namespace causeway::pki {
namespace {

std::string hexFingerprint(const unsigned char* md, unsigned int len) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(size_t(len) * 3);
  for (unsigned int i = 0; i < len; ++i) {
    if (i) out.push_back(':');
    out.push_back(kHex[md[i] >> 4]);
    out.push_back(kHex[md[i] & 0xF]);
  }
  return out;
}

std::string subjectOf(X509* cert) {
  std::string cn = ossl::commonName(X509_get_subject_name(cert));
  return cn.empty() ? std::string("(no common name)") : "'" + cn + "'";
}

// The reason X509_verify_cert gave, in words an operator can act on.
std::string verifyFailure(X509_STORE_CTX* ctx) {
  int err = X509_STORE_CTX_get_error(ctx);
  X509* cert = X509_STORE_CTX_get_current_cert(ctx);
  std::string what = cert ? "certificate " + subjectOf(cert) : std::string("certificate");
  if (cert && X509_STORE_CTX_get_error_depth(ctx) > 0) what = "issuing CA " + what;
  auto when = [](const ASN1_TIME* t) {
    auto unix = ossl::toUnix(t);
    return unix.isOk() ? formatUtc(unix.value()) : std::string("?");
  };
  switch (err) {
    case X509_V_ERR_CERT_HAS_EXPIRED:
      return what + " expired at " + when(X509_get0_notAfter(cert));
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return what + " is not valid before " + when(X509_get0_notBefore(cert));
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return what + " was not issued by a trusted CA (its issuer is '" +
             ossl::commonName(cert ? X509_get_issuer_name(cert) : nullptr) + "')";
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
      return "bad signature on " + what + " (altered, or signed by another key)";
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
      return what + " is self-signed and not one of the trusted CAs";
    case X509_V_ERR_INVALID_CA:
      return what + " is not a CA certificate";
    default:
      return what + ": " + X509_verify_cert_error_string(err);
  }
}

// sk_X509_free is a macro; the stack only borrows its certificates.
void freeStack(STACK_OF(X509) * certs) { sk_X509_free(certs); }

Status verifyWith(std::vector<ossl::X509Ptr> chain, const std::vector<ossl::X509Ptr>& cas,
                  int64_t now) {
  ossl::StorePtr store(X509_STORE_new());
  if (!store) return Status::internal(ossl::takeError());
  for (const auto& ca : cas) {
    if (X509_STORE_add_cert(store.get(), ca.get()) != 1) {
      ossl::clearErrors();  // the same CA twice in a bundle is harmless
    }
  }
  // Certificates after the leaf are untrusted intermediates; the stack borrows them.
  std::unique_ptr<STACK_OF(X509), ossl::FreeWith<freeStack>> untrusted(sk_X509_new_null());
  if (!untrusted) return Status::internal(ossl::takeError());
  for (size_t i = 1; i < chain.size(); ++i) {
    if (sk_X509_push(untrusted.get(), chain[i].get()) <= 0) {
      return Status::internal(ossl::takeError());
    }
  }
  ossl::StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), chain[0].get(), untrusted.get()) != 1) {
    return Status::internal(ossl::takeError());
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, time_t(now));
  int ok = X509_verify_cert(ctx.get());
  if (ok == 1) return Status::ok();
  std::string reason = verifyFailure(ctx.get());
  ossl::clearErrors();
  return Status::invalidArgument("certificate verification failed: " + reason);
}

}  // namespace

void SubjectAltNames::addHost(std::string_view host) {
  std::string name(host);
  if (name.size() > 2 && name.front() == '[' && name.back() == ']') {
    name = name.substr(1, name.size() - 2);  // "[::1]"
  }
  unsigned char buf[sizeof(struct in6_addr)];
  if (inet_pton(AF_INET, name.c_str(), buf) == 1 || inet_pton(AF_INET6, name.c_str(), buf) == 1) {
    ips.push_back(std::move(name));
  } else {
    dns.emplace_back(host);
  }
}

Result<CertificateInfo> certificateInfo(std::string_view cert_pem) {
  auto parsed = ossl::parseCertificate(cert_pem);
  if (!parsed.isOk()) return parsed.status();
  X509* cert = parsed->get();

  CertificateInfo info;
  info.subject_cn = ossl::commonName(X509_get_subject_name(cert));
  info.issuer_cn = ossl::commonName(X509_get_issuer_name(cert));
  ossl::GeneralNamesPtr names(
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr)));
  info.sans = ossl::fromGeneralNames(names.get());

  auto not_before = ossl::toUnix(X509_get0_notBefore(cert));
  if (!not_before.isOk()) return not_before.status();
  auto not_after = ossl::toUnix(X509_get0_notAfter(cert));
  if (!not_after.isOk()) return not_after.status();
  info.not_before = not_before.value();
  info.not_after = not_after.value();

  std::unique_ptr<BIGNUM, ossl::FreeWith<BN_free>> serial(
      ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr));
  if (!serial) return Status::invalidArgument("invalid serial number: " + ossl::takeError());
  if (char* hex = BN_bn2hex(serial.get())) {
    info.serial_hex = hex;
    OPENSSL_free(hex);
  }

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (X509_digest(cert, EVP_sha256(), md, &md_len) != 1) {
    return Status::internal("cannot hash certificate: " + ossl::takeError());
  }
  info.sha256_fingerprint = hexFingerprint(md, md_len);

  uint32_t flags = X509_get_extension_flags(cert);
  info.is_ca = (flags & EXFLAG_CA) != 0;
  uint32_t xku = X509_get_extended_key_usage(cert);  // all bits set when there is no EKU
  info.server_auth = (xku & XKU_SSL_SERVER) != 0;
  info.client_auth = (xku & XKU_SSL_CLIENT) != 0;
  ossl::clearErrors();
  return info;
}

Result<PublicKey> certificatePublicKey(std::string_view cert_pem) {
  auto parsed = ossl::parseCertificate(cert_pem);
  if (!parsed.isOk()) return parsed.status();
  return PublicKey::fromOpenSsl(X509_get0_pubkey(parsed->get()));
}

Status verifyChain(std::string_view cert_pem, std::string_view ca_bundle_pem, int64_t now) {
  auto chain = ossl::parseCertificates(cert_pem);
  if (!chain.isOk()) return chain.status();
  auto cas = ossl::parseCertificates(ca_bundle_pem);
  if (!cas.isOk()) return Status::invalidArgument("CA bundle: " + cas.status().message());
  return verifyWith(std::move(chain.value()), cas.value(), now);
}

Status verifyChain(std::string_view cert_pem, const std::vector<std::string>& ca_pems,
                   int64_t now) {
  auto chain = ossl::parseCertificates(cert_pem);
  if (!chain.isOk()) return chain.status();
  if (ca_pems.empty()) return Status::invalidArgument("no trusted CA certificate given");
  std::vector<ossl::X509Ptr> cas;
  for (const auto& pem : ca_pems) {
    auto some = ossl::parseCertificates(pem);
    if (!some.isOk()) return Status::invalidArgument("CA certificate: " + some.status().message());
    for (auto& ca : some.value()) cas.push_back(std::move(ca));
  }
  return verifyWith(std::move(chain.value()), cas, now);
}

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string formatUtc(int64_t unix_seconds) {
  time_t t = time_t(unix_seconds);
  struct tm tm = {};
  if (!gmtime_r(&t, &tm)) return std::to_string(unix_seconds);
  char buf[64];
  size_t n = strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return std::string(buf, n);
}

}  // namespace causeway::pki
