#include "mesh/tls_contexts.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace causeway::mesh {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;

BioPtr memBio(std::string_view pem) { return BioPtr(BIO_new_mem_buf(pem.data(), int(pem.size()))); }

Status useIdentity(SSL_CTX* ctx, const Identity& id) {
  BioPtr certs = memBio(id.cert_pem);
  X509* leaf = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr);
  if (!leaf) return Status::invalidArgument("mesh TLS: bad certificate: " + net::lastSslError());
  int ok = SSL_CTX_use_certificate(ctx, leaf);
  X509_free(leaf);
  if (ok != 1) return Status::invalidArgument("mesh TLS: certificate: " + net::lastSslError());
  while (X509* extra = PEM_read_bio_X509(certs.get(), nullptr, nullptr, nullptr)) {
    if (SSL_CTX_add0_chain_cert(ctx, extra) != 1) {
      X509_free(extra);
      return Status::invalidArgument("mesh TLS: chain: " + net::lastSslError());
    }
  }
  ERR_clear_error();  // the loop ends on "no start line"
  BioPtr key_bio = memBio(id.key_pem.view());
  EVP_PKEY* key = PEM_read_bio_PrivateKey(key_bio.get(), nullptr, nullptr, nullptr);
  if (!key) return Status::invalidArgument("mesh TLS: bad key");
  ok = SSL_CTX_use_PrivateKey(ctx, key);
  EVP_PKEY_free(key);
  if (ok != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    return Status::invalidArgument("mesh TLS: the key does not match the certificate");
  }
  X509_STORE* store = SSL_CTX_get_cert_store(ctx);
  for (const std::string& pem : id.trusted_ca_pems) {
    BioPtr b = memBio(pem);
    X509* ca = PEM_read_bio_X509(b.get(), nullptr, nullptr, nullptr);
    if (!ca) return Status::invalidArgument("mesh TLS: bad CA certificate: " + net::lastSslError());
    ok = X509_STORE_add_cert(store, ca);
    X509_free(ca);
    if (ok != 1) return Status::invalidArgument("mesh TLS: CA: " + net::lastSslError());
  }
  return Status::ok();
}

Result<net::SslCtxPtr> make(const Identity& id, bool server) {
  net::SslCtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()),
                     net::SslCtxDeleter());
  if (!ctx) return Status::internal("cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  if (Status st = useIdentity(ctx.get(), id); !st.isOk()) return st;
  // The peer must present a certificate for the other role: a workload certificate is both.
  SSL_CTX_set_purpose(ctx.get(), server ? X509_PURPOSE_SSL_CLIENT : X509_PURPOSE_SSL_SERVER);
  SSL_CTX_set_verify(ctx.get(),
                     server ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER,
                     nullptr);
  if (server) {
    SSL_CTX_set_session_cache_mode(ctx.get(), SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx.get(), 0);
  }
  return ctx;
}

}  // namespace

Result<MeshTls> makeMeshTls(const Identity& identity) {
  auto in = make(identity, true);
  if (!in.isOk()) return in.status();
  auto out = make(identity, false);
  if (!out.isOk()) return out.status();
  return MeshTls{in.value(), out.value()};
}

}  // namespace causeway::mesh
