// OpenSSL contexts for the data path: server contexts built from PEM (one per certificate), a
// generated self-signed default certificate, and client contexts for upstream TLS.
// SSL_CTX objects are reference-counted by OpenSSL and immutable once built, so a snapshot can
// share them with every worker.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace causeway::net {

struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const;
};
using SslCtxPtr = std::shared_ptr<SSL_CTX>;

// TLS 1.2 and 1.3, server preference, ALPN "http/1.1".
Result<SslCtxPtr> makeServerContext(std::string_view cert_pem, std::string_view key_pem);

// A fresh self-signed certificate and key (EC P-256), PEM encoded, for the given common name.
struct PemPair {
  std::string cert;
  std::string key;
  ~PemPair();  // wipes the key
};
Result<PemPair> generateSelfSigned(const std::string& common_name);

// Client context for upstream TLS: verify against the system trust store when `verify`.
SslCtxPtr makeClientContext(bool verify);

// The URI subjectAltNames of the peer's certificate on an established connection (verified or
// not: check SSL_get_verify_result, or use a context that refuses unverified peers).
std::vector<std::string> peerUriSans(SSL* ssl);

// The oldest queued OpenSSL error as text (and clears the queue), for error messages.
std::string lastSslError();

// Overwrites a string holding key material before it is freed.
void wipe(std::string& secret);

}  // namespace causeway::net
