#include "pki/csr.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "pki/ca.h"

namespace causeway::pki {
namespace {

using ReqPtr = std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)>;

constexpr int64_t kNow = 1767225600;  // 2026-01-01 00:00:00 UTC

ReqPtr parseReq(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())),
                                                BIO_free);
  return ReqPtr(PEM_read_bio_X509_REQ(bio.get(), nullptr, nullptr, nullptr), X509_REQ_free);
}

std::string pemOf(X509_REQ* req) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509_REQ(bio.get(), req);
  char* p = nullptr;
  long n = BIO_get_mem_data(bio.get(), &p);
  return std::string(p, size_t(n));
}

// The CSR with the first occurrence of `from` in its DER encoding replaced by `to` (same length),
// its signature left as it was.
std::string tamper(const std::string& csr_pem, const std::string& from, const std::string& to) {
  ReqPtr req = parseReq(csr_pem);
  unsigned char* der = nullptr;
  int len = i2d_X509_REQ(req.get(), &der);
  std::string bytes(reinterpret_cast<char*>(der), size_t(len));
  OPENSSL_free(der);
  size_t at = bytes.find(from);
  EXPECT_NE(at, std::string::npos);
  bytes.replace(at, from.size(), to);
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  ReqPtr altered(d2i_X509_REQ(nullptr, &p, long(bytes.size())), X509_REQ_free);
  EXPECT_TRUE(altered);
  return pemOf(altered.get());
}

CertificateAuthority makeCa() {
  auto ca = CertificateAuthority::create({"Mesh CA", std::chrono::hours(24 * 365), kNow});
  EXPECT_TRUE(ca.isOk());
  return ca.value();
}

TEST(Csr, RoundTripsNameSansAndKey) {
  auto key = generateKey();
  ASSERT_TRUE(key.isOk());
  SubjectAltNames sans;
  sans.dns = {"web.mesh"};
  sans.ips = {"10.1.2.3"};
  sans.uris = {"spiffe://mesh/web"};
  auto csr = makeCsr(key.value(), "web", sans);
  ASSERT_TRUE(csr.isOk()) << csr.status().message();
  EXPECT_NE(csr->find("-----BEGIN CERTIFICATE REQUEST-----"), std::string::npos);
  auto info = readCsr(csr.value());
  ASSERT_TRUE(info.isOk()) << info.status().message();
  EXPECT_EQ(info->common_name, "web");
  EXPECT_EQ(info->sans, sans);
  EXPECT_TRUE(info->public_key == key->publicKey());
  // Nothing of the private key is in the request.
  EXPECT_EQ(csr->find("PRIVATE"), std::string::npos);
}

TEST(Csr, CaSignsForTheCsrKeyWithTheSpecNames) {
  CertificateAuthority ca = makeCa();
  auto key = generateKey();
  ASSERT_TRUE(key.isOk());
  SubjectAltNames asked;
  asked.dns = {"admin.example.com"};  // asks for more than it should get
  auto csr = makeCsr(key.value(), "root", asked);
  ASSERT_TRUE(csr.isOk());

  CertSpec spec;
  spec.common_name = "web";
  spec.sans.uris = {"spiffe://mesh/web"};
  spec.usage = KeyUsage::kServerAndClient;
  spec.now = kNow;
  auto cert = ca.signCsr(csr.value(), spec);
  ASSERT_TRUE(cert.isOk()) << cert.status().message();
  auto info = certificateInfo(cert.value());
  ASSERT_TRUE(info.isOk());
  EXPECT_EQ(info->subject_cn, "web");
  EXPECT_EQ(info->sans.uris, spec.sans.uris);
  EXPECT_TRUE(info->sans.dns.empty());
  EXPECT_TRUE(verifyChain(cert.value(), ca.certificatePem(), kNow).isOk());

  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(cert->data(), int(cert->size())),
                                                BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> x(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  ASSERT_TRUE(x);
  EXPECT_EQ(X509_check_private_key(x.get(), key->get()), 1);
}

TEST(Csr, TamperedCsrIsRefused) {
  CertificateAuthority ca = makeCa();
  auto key = generateKey();
  ASSERT_TRUE(key.isOk());
  auto csr = makeCsr(key.value(), "svc-a");
  ASSERT_TRUE(csr.isOk());
  std::string altered = tamper(csr.value(), "svc-a", "svc-b");
  ASSERT_NE(altered, csr.value());

  auto info = readCsr(altered);
  ASSERT_FALSE(info.isOk());
  EXPECT_NE(info.status().message().find("signature does not verify"), std::string::npos);
  CertSpec spec;
  spec.common_name = "svc-b";
  EXPECT_FALSE(ca.signCsr(altered, spec).isOk());
}

TEST(Csr, CsrNotSignedByItsOwnKeyIsRefused) {
  // A request for the victim's public key, signed with the attacker's key.
  auto victim = generateKey();
  auto attacker = generateKey();
  ASSERT_TRUE(victim.isOk() && attacker.isOk());
  ReqPtr req(X509_REQ_new(), X509_REQ_free);
  X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req.get()), "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("svc"), -1, -1, 0);
  ASSERT_EQ(X509_REQ_set_pubkey(req.get(), victim->get()), 1);
  ASSERT_GT(X509_REQ_sign(req.get(), attacker->get(), EVP_sha256()), 0);
  auto info = readCsr(pemOf(req.get()));
  ASSERT_FALSE(info.isOk());
  EXPECT_NE(info.status().message().find("signature does not verify"), std::string::npos);
}

TEST(Csr, RefusesGarbageAndBadNames) {
  EXPECT_FALSE(readCsr("").isOk());
  EXPECT_FALSE(readCsr("-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE "
                       "REQUEST-----\n")
                   .isOk());
  auto key = generateKey();
  ASSERT_TRUE(key.isOk());
  EXPECT_FALSE(makeCsr(key.value(), "").isOk());
  SubjectAltNames bad;
  bad.ips = {"not-an-ip"};
  EXPECT_FALSE(makeCsr(key.value(), "svc", bad).isOk());
}

}  // namespace
}  // namespace causeway::pki
