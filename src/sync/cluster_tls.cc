#include "sync/cluster_tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "pki/cert_init.h"

namespace causeway::sync {
namespace {

Result<net::SslCtxPtr> make(const std::string& dir, const char* cert_file, const char* key_file,
                            bool server) {
  net::SslCtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()),
                     net::SslCtxDeleter());
  if (!ctx) return Status::internal("cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  const std::string cert = dir + "/" + cert_file;
  const std::string key = dir + "/" + key_file;
  const std::string ca = dir + "/" + pki::kCaCertFile;
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) != 1) {
    return Status::invalidArgument("cannot load cluster certificate " + cert + ": " +
                                   net::lastSslError());
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1) {
    return Status::invalidArgument("cannot load cluster key " + key + ": " + net::lastSslError());
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return Status::invalidArgument(key + " does not match " + cert);
  }
  if (SSL_CTX_load_verify_locations(ctx.get(), ca.c_str(), nullptr) != 1) {
    return Status::invalidArgument("cannot load cluster CA " + ca + ": " + net::lastSslError());
  }
  // The server asks for a client certificate without requiring one: mesh sidecars have none
  // (they present a dataplane token), and cp::ClusterServer refuses every other data plane that
  // did not present one. A certificate that does not verify still fails the handshake.
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

}  // namespace

Result<net::SslCtxPtr> makeClusterServerContext(const std::string& dir) {
  return make(dir, pki::kCpCertFile, pki::kCpKeyFile, true);
}

Result<net::SslCtxPtr> makeClusterClientContext(const std::string& dir) {
  return make(dir, pki::kDpCertFile, pki::kDpKeyFile, false);
}

Result<net::SslCtxPtr> makeClusterCaOnlyClientContext(const std::string& ca_file) {
  net::SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()), net::SslCtxDeleter());
  if (!ctx) return Status::internal("cannot create a TLS context");
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_3_VERSION);
  if (SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1) {
    return Status::invalidArgument("cannot load cluster CA " + ca_file + ": " +
                                   net::lastSslError());
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

}  // namespace causeway::sync
