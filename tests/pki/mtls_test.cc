// The certificates `cert init` writes, used as the CP and DP use them: a real mutual-TLS
// handshake between two OpenSSL endpoints joined by a memory BIO pair.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "pki/cert_init.h"
#include "pki/files.h"

namespace causeway::pki {
namespace {

using CtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

// Certificates are issued at, and verified at, a fixed time: the test does not read the clock.
constexpr int64_t kNow = 1767225600;  // 2026-01-01 00:00:00 UTC
using SslPtr = std::unique_ptr<SSL, decltype(&SSL_free)>;

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/pki_mtls.XXXXXX";
    if (::mkdtemp(tmpl.data())) path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string fileOf(const std::string& dir, const char* name) {
  auto content = readFile(dir + "/" + name);
  EXPECT_TRUE(content.isOk()) << content.status().message();
  return content.isOk() ? content.value() : std::string();
}

// A TLS context with its own certificate and key, trusting only `ca_pem`, requiring (server)
// or checking (client) the peer's certificate.
CtxPtr makeContext(bool server, const std::string& cert_pem, const std::string& key_pem,
                   const std::string& ca_pem, int max_version, int64_t verify_time = kNow + 3600) {
  CtxPtr ctx(SSL_CTX_new(server ? TLS_server_method() : TLS_client_method()), SSL_CTX_free);
  EXPECT_TRUE(ctx);
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(ctx.get(), max_version);

  std::unique_ptr<BIO, decltype(&BIO_free)> cbio(
      BIO_new_mem_buf(cert_pem.data(), int(cert_pem.size())), BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(cbio.get(), nullptr, nullptr, nullptr), X509_free);
  EXPECT_TRUE(cert);
  EXPECT_EQ(SSL_CTX_use_certificate(ctx.get(), cert.get()), 1);
  std::unique_ptr<BIO, decltype(&BIO_free)> kbio(
      BIO_new_mem_buf(key_pem.data(), int(key_pem.size())), BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(kbio.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
  EXPECT_TRUE(key);
  EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx.get(), key.get()), 1);
  EXPECT_EQ(SSL_CTX_check_private_key(ctx.get()), 1);

  std::unique_ptr<BIO, decltype(&BIO_free)> abio(BIO_new_mem_buf(ca_pem.data(), int(ca_pem.size())),
                                                 BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> ca(
      PEM_read_bio_X509(abio.get(), nullptr, nullptr, nullptr), X509_free);
  EXPECT_TRUE(ca);
  EXPECT_EQ(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx.get()), ca.get()), 1);
  X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(ctx.get()), time_t(verify_time));
  SSL_CTX_set_verify(ctx.get(),
                     server ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT : SSL_VERIFY_PEER,
                     nullptr);
  return ctx;
}

struct Outcome {
  bool client_ok = false;
  bool server_ok = false;
  long client_verify = X509_V_OK;
  long server_verify = X509_V_OK;
  std::string server_saw_cn;  // the client certificate's CN, as the server verified it
  std::string echoed;         // what the client read back after sending "ping"
};

// Runs both handshakes in lock step until both finish or one fails, then exchanges a message.
Outcome handshake(SSL_CTX* server_ctx, SSL_CTX* client_ctx, const char* expected_server_name) {
  SslPtr server(SSL_new(server_ctx), SSL_free);
  SslPtr client(SSL_new(client_ctx), SSL_free);
  BIO* server_bio = nullptr;
  BIO* client_bio = nullptr;
  EXPECT_EQ(BIO_new_bio_pair(&server_bio, 0, &client_bio, 0), 1);
  SSL_set_bio(server.get(), server_bio, server_bio);
  SSL_set_bio(client.get(), client_bio, client_bio);
  SSL_set_accept_state(server.get());
  SSL_set_connect_state(client.get());
  // The CP is verified by its cluster name, whatever address the DP dialed.
  EXPECT_EQ(SSL_set1_host(client.get(), expected_server_name), 1);
  SSL_set_tlsext_host_name(client.get(), expected_server_name);

  Outcome out;
  bool client_failed = false;
  bool server_failed = false;
  auto step = [](SSL* ssl, bool& ok, bool& failed) {
    if (ok || failed) return;
    int r = SSL_do_handshake(ssl);
    if (r == 1) {
      ok = true;
      return;
    }
    int e = SSL_get_error(ssl, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) failed = true;
  };
  for (int i = 0; i < 50; ++i) {
    step(client.get(), out.client_ok, client_failed);
    step(server.get(), out.server_ok, server_failed);
    if ((out.client_ok && out.server_ok) || client_failed || server_failed) break;
  }
  // With TLS 1.3 the client is done before the server has checked its certificate: let it see
  // the server's verdict (an alert) by reading.
  if (out.client_ok && server_failed) {
    char buf[16];
    if (SSL_read(client.get(), buf, sizeof buf) <= 0) out.client_ok = false;
  }
  out.client_verify = SSL_get_verify_result(client.get());
  out.server_verify = SSL_get_verify_result(server.get());
  ERR_clear_error();

  if (out.client_ok && out.server_ok) {
    if (X509* peer = SSL_get0_peer_certificate(server.get())) {
      char cn[256] = {};
      X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, cn, sizeof cn);
      out.server_saw_cn = cn;
    }
    char buf[16] = {};
    EXPECT_EQ(SSL_write(client.get(), "ping", 4), 4);
    int n = SSL_read(server.get(), buf, sizeof buf);
    EXPECT_EQ(n, 4);
    EXPECT_EQ(SSL_write(server.get(), buf, n > 0 ? n : 0), n);
    n = SSL_read(client.get(), buf, sizeof buf);
    if (n > 0) out.echoed.assign(buf, size_t(n));
  }
  return out;
}

class ClusterMtls : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    CertInitOptions options;
    options.now = kNow;
    ASSERT_TRUE(certInit(dir_.path(), options).isOk());
    ASSERT_TRUE(certInit(foreign_.path(), options).isOk());
  }
  std::string file(const char* name) { return fileOf(dir_.path(), name); }
  std::string foreignFile(const char* name) { return fileOf(foreign_.path(), name); }

  CtxPtr cpServer() {
    return makeContext(true, file(kCpCertFile), file(kCpKeyFile), file(kCaCertFile), GetParam());
  }
  CtxPtr dpClient() {
    return makeContext(false, file(kDpCertFile), file(kDpKeyFile), file(kCaCertFile), GetParam());
  }

  TempDir dir_;
  TempDir foreign_;  // another cluster: same names, its own CA
};

TEST_P(ClusterMtls, CpAndDpCompleteMutualTls) {
  CtxPtr server = cpServer();
  CtxPtr client = dpClient();
  Outcome out = handshake(server.get(), client.get(), kClusterServerName);
  EXPECT_TRUE(out.client_ok);
  EXPECT_TRUE(out.server_ok);
  EXPECT_EQ(out.client_verify, X509_V_OK) << X509_verify_cert_error_string(out.client_verify);
  EXPECT_EQ(out.server_verify, X509_V_OK) << X509_verify_cert_error_string(out.server_verify);
  EXPECT_EQ(out.server_saw_cn, "causeway-dp");
  EXPECT_EQ(out.echoed, "ping");
}

TEST_P(ClusterMtls, ServerRefusesDpCertificateOfAnotherCa) {
  CtxPtr server = cpServer();
  // The foreign DP trusts our CA (so only the server's check is under test).
  CtxPtr client = makeContext(false, foreignFile(kDpCertFile), foreignFile(kDpKeyFile),
                              file(kCaCertFile), GetParam());
  Outcome out = handshake(server.get(), client.get(), kClusterServerName);
  EXPECT_FALSE(out.server_ok);
  EXPECT_FALSE(out.client_ok);
  EXPECT_NE(out.server_verify, X509_V_OK);
}

TEST_P(ClusterMtls, ClientRefusesCpCertificateOfAnotherCa) {
  CtxPtr server = makeContext(true, foreignFile(kCpCertFile), foreignFile(kCpKeyFile),
                              file(kCaCertFile), GetParam());
  CtxPtr client = dpClient();
  Outcome out = handshake(server.get(), client.get(), kClusterServerName);
  EXPECT_FALSE(out.client_ok);
  EXPECT_FALSE(out.server_ok);
  EXPECT_NE(out.client_verify, X509_V_OK);
}

TEST_P(ClusterMtls, ClientRefusesWrongServerName) {
  CtxPtr server = cpServer();
  CtxPtr client = dpClient();
  Outcome out = handshake(server.get(), client.get(), "other-cp");
  EXPECT_FALSE(out.client_ok);
  EXPECT_EQ(out.client_verify, X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST_P(ClusterMtls, DpCertificateCannotServe) {
  // dp.crt has clientAuth only: a client refuses it as a server even under its own name.
  CtxPtr server =
      makeContext(true, file(kDpCertFile), file(kDpKeyFile), file(kCaCertFile), GetParam());
  CtxPtr client = dpClient();
  Outcome out = handshake(server.get(), client.get(), kClusterClientName);
  EXPECT_FALSE(out.client_ok);
  EXPECT_EQ(out.client_verify, X509_V_ERR_INVALID_PURPOSE);
}

TEST_P(ClusterMtls, ServerRefusesExpiredDpCertificate) {
  // Four years on, the three-year DP certificate has expired (the ten-year CA has not).
  int64_t later = kNow + int64_t{4} * 365 * 86400;
  CtxPtr server =
      makeContext(true, file(kCpCertFile), file(kCpKeyFile), file(kCaCertFile), GetParam(), later);
  CtxPtr client = dpClient();
  Outcome out = handshake(server.get(), client.get(), kClusterServerName);
  EXPECT_FALSE(out.server_ok);
  EXPECT_EQ(out.server_verify, X509_V_ERR_CERT_HAS_EXPIRED);
}

TEST_P(ClusterMtls, ServerRefusesClientWithoutCertificate) {
  CtxPtr server = cpServer();
  CtxPtr client(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  SSL_CTX_set_min_proto_version(client.get(), TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(client.get(), GetParam());
  Outcome out = handshake(server.get(), client.get(), kClusterServerName);
  EXPECT_FALSE(out.server_ok);
}

INSTANTIATE_TEST_SUITE_P(TlsVersions, ClusterMtls,
                         ::testing::Values(TLS1_2_VERSION, TLS1_3_VERSION), [](const auto& info) {
                           return info.param == TLS1_3_VERSION ? std::string("Tls13")
                                                               : std::string("Tls12");
                         });

}  // namespace
}  // namespace causeway::pki
