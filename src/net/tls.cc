#include "net/tls.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace causeway::net {
namespace {

int alpnSelect(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
               unsigned int inlen, void*) {
  static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
  unsigned char* sel = nullptr;
  if (SSL_select_next_proto(&sel, outlen, kHttp11, sizeof kHttp11, in, inlen) ==
      OPENSSL_NPN_NEGOTIATED) {
    *out = sel;
    return SSL_TLSEXT_ERR_OK;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

std::string lastSslError() {
  unsigned long e = ERR_get_error();
  if (e == 0) return "unknown TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

void SslCtxDeleter::operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }

void wipe(std::string& secret) {
  if (!secret.empty()) OPENSSL_cleanse(secret.data(), secret.size());
  secret.clear();
}

PemPair::~PemPair() { wipe(key); }

Result<SslCtxPtr> makeServerContext(std::string_view cert_pem, std::string_view key_pem) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_server_method()), SslCtxDeleter{});
  if (!ctx) return Status::internal(lastSslError());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_alpn_select_cb(ctx.get(), alpnSelect, nullptr);

  std::unique_ptr<BIO, decltype(&BIO_free)> cbio(
      BIO_new_mem_buf(cert_pem.data(), int(cert_pem.size())), BIO_free);
  X509* leaf = PEM_read_bio_X509(cbio.get(), nullptr, nullptr, nullptr);
  if (!leaf) return Status::invalidArgument("invalid certificate: " + lastSslError());
  int ok = SSL_CTX_use_certificate(ctx.get(), leaf);
  X509_free(leaf);
  if (ok != 1) return Status::invalidArgument("invalid certificate: " + lastSslError());
  while (X509* extra = PEM_read_bio_X509(cbio.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx.get(), extra) != 1) {
      X509_free(extra);
      return Status::invalidArgument("invalid certificate chain: " + lastSslError());
    }
  }
  ERR_clear_error();  // the loop above ends on a "no start line" error

  std::unique_ptr<BIO, decltype(&BIO_free)> kbio(
      BIO_new_mem_buf(key_pem.data(), int(key_pem.size())), BIO_free);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kbio.get(), nullptr, nullptr, nullptr);
  if (!key) return Status::invalidArgument("invalid key: " + lastSslError());
  ok = SSL_CTX_use_PrivateKey(ctx.get(), key);
  EVP_PKEY_free(key);
  if (ok != 1 || SSL_CTX_check_private_key(ctx.get()) != 1) {
    return Status::invalidArgument("key does not match certificate: " + lastSslError());
  }
  return ctx;
}

Result<PemPair> generateSelfSigned(const std::string& common_name) {
  EVP_PKEY* pkey = EVP_EC_gen("P-256");
  if (!pkey) return Status::internal(lastSslError());
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(pkey, EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> x(X509_new(), X509_free);
  X509_set_version(x.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x.get()), long(time(nullptr)));
  X509_gmtime_adj(X509_getm_notBefore(x.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(x.get(), key.get());
  X509_NAME* name = X509_get_subject_name(x.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1,
                             0);
  X509_set_issuer_name(x.get(), name);
  if (X509_sign(x.get(), key.get(), EVP_sha256()) == 0) return Status::internal(lastSslError());

  PemPair out;
  std::unique_ptr<BIO, decltype(&BIO_free)> b1(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(b1.get(), x.get());
  char* p = nullptr;
  long n = BIO_get_mem_data(b1.get(), &p);
  out.cert.assign(p, size_t(n));
  std::unique_ptr<BIO, decltype(&BIO_free)> b2(BIO_new(BIO_s_secmem()), BIO_free);
  PEM_write_bio_PrivateKey(b2.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  n = BIO_get_mem_data(b2.get(), &p);
  out.key.assign(p, size_t(n));
  return out;
}

SslCtxPtr makeClientContext(bool verify) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()), SslCtxDeleter{});
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  if (verify) {
    SSL_CTX_set_default_verify_paths(ctx.get());
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  // Upstream sessions are resumed across pooled connections.
  SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_CLIENT);
  return ctx;
}

std::vector<std::string> peerUriSans(SSL* ssl) {
  std::vector<std::string> out;
  X509* peer = SSL_get0_peer_certificate(ssl);
  if (!peer) return out;
  auto* names =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(peer, NID_subject_alt_name, nullptr, nullptr));
  if (!names) return out;
  for (int i = 0; i < sk_GENERAL_NAME_num(names); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(names, i);
    if (n->type != GEN_URI) continue;
    const ASN1_IA5STRING* uri = n->d.uniformResourceIdentifier;
    out.emplace_back(reinterpret_cast<const char*>(ASN1_STRING_get0_data(uri)),
                     size_t(ASN1_STRING_length(uri)));
  }
  GENERAL_NAMES_free(names);
  return out;
}

}  // namespace causeway::net
