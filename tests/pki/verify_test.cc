#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <vector>

#include "pki/ca.h"
#include "pki/certificate.h"

namespace causeway::pki {
namespace {

constexpr int64_t kNow = 1767225600;  // 2026-01-01 00:00:00 UTC
constexpr int64_t kDay = 86400;

class VerifyChain : public ::testing::Test {
 protected:
  void SetUp() override {
    // The CA's validity starts well before the leaves below, so only the leaf's dates matter.
    auto ca = CertificateAuthority::create(
        {"Cluster CA", std::chrono::hours(24 * 3650), kNow - 365 * kDay});
    ASSERT_TRUE(ca.isOk());
    ca_ = std::make_unique<CertificateAuthority>(ca.value());
  }

  std::string issue(int64_t now, std::chrono::seconds lifetime = std::chrono::hours(24),
                    const CertificateAuthority* ca = nullptr) {
    CertSpec spec;
    spec.common_name = "causeway-dp";
    spec.sans.dns = {"causeway-dp"};
    spec.lifetime = lifetime;
    spec.usage = KeyUsage::kClient;
    spec.now = now;
    auto issued = (ca ? ca : ca_.get())->issueWithNewKey(spec);
    EXPECT_TRUE(issued.isOk()) << issued.status().message();
    return issued->cert_pem;
  }

  std::unique_ptr<CertificateAuthority> ca_;
};

TEST_F(VerifyChain, AcceptsCertificateFromTheCa) {
  std::string cert = issue(kNow);
  EXPECT_TRUE(verifyChain(cert, ca_->certificatePem(), kNow).isOk());
  EXPECT_TRUE(verifyChain(cert, ca_->certificatePem(), kNow - 59).isOk());  // clock skew margin
  EXPECT_TRUE(verifyChain(cert, std::vector<std::string>{ca_->certificatePem()}, kNow).isOk());
}

TEST_F(VerifyChain, RefusesExpiredCertificate) {
  // Issued ten days ago for one day.
  std::string cert = issue(kNow - 10 * kDay, std::chrono::hours(24));
  EXPECT_TRUE(verifyChain(cert, ca_->certificatePem(), kNow - 10 * kDay + 3600).isOk());
  Status st = verifyChain(cert, ca_->certificatePem(), kNow);
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("expired"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("causeway-dp"), std::string::npos) << st.message();
}

TEST_F(VerifyChain, RefusesCertificateNotYetValid) {
  std::string cert = issue(kNow + kDay);
  Status st = verifyChain(cert, ca_->certificatePem(), kNow);
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("not valid before"), std::string::npos) << st.message();
}

TEST_F(VerifyChain, RefusesCertificateOfAnotherCa) {
  // Same CA name, different key: a foreign cluster's CA.
  auto foreign = CertificateAuthority::create(
      {"Cluster CA", std::chrono::hours(24 * 3650), kNow - 365 * kDay});
  ASSERT_TRUE(foreign.isOk());
  std::string cert = issue(kNow, std::chrono::hours(24), &foreign.value());
  Status st = verifyChain(cert, ca_->certificatePem(), kNow);
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("not issued by a trusted CA"), std::string::npos) << st.message();

  // Trusting both CAs accepts it.
  std::string bundle = ca_->certificatePem() + foreign->certificatePem();
  EXPECT_TRUE(verifyChain(cert, bundle, kNow).isOk());
  EXPECT_TRUE(verifyChain(cert, {ca_->certificatePem(), foreign->certificatePem()}, kNow).isOk());
}

TEST_F(VerifyChain, RefusesAlteredCertificate) {
  std::string pem = issue(kNow);
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())),
                                                BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> x(
      PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
  ASSERT_TRUE(x);
  unsigned char* der = nullptr;
  int len = i2d_X509(x.get(), &der);
  std::string bytes(reinterpret_cast<char*>(der), size_t(len));
  OPENSSL_free(der);
  size_t at = bytes.find("causeway-dp");  // the subject CN
  ASSERT_NE(at, std::string::npos);
  bytes[at + 9] = 'c';  // "causeway-cp"
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::unique_ptr<X509, decltype(&X509_free)> altered(d2i_X509(nullptr, &p, long(bytes.size())),
                                                      X509_free);
  ASSERT_TRUE(altered);
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(out.get(), altered.get());
  char* data = nullptr;
  long n = BIO_get_mem_data(out.get(), &data);
  std::string altered_pem(data, size_t(n));

  Status st = verifyChain(altered_pem, ca_->certificatePem(), kNow);
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("bad signature"), std::string::npos) << st.message();
}

TEST_F(VerifyChain, RefusesSelfSignedStranger) {
  auto stranger = CertificateAuthority::create({"causeway-cp", std::chrono::hours(24), kNow});
  ASSERT_TRUE(stranger.isOk());
  Status st = verifyChain(stranger->certificatePem(), ca_->certificatePem(), kNow);
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("self-signed"), std::string::npos) << st.message();
}

TEST_F(VerifyChain, RefusesGarbage) {
  EXPECT_FALSE(verifyChain("", ca_->certificatePem(), kNow).isOk());
  EXPECT_FALSE(verifyChain(issue(kNow), "", kNow).isOk());
  EXPECT_FALSE(verifyChain(issue(kNow), std::vector<std::string>{}, kNow).isOk());
  EXPECT_FALSE(
      certificateInfo("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n").isOk());
}

TEST(FormatUtc, PrintsUtcTime) { EXPECT_EQ(formatUtc(kNow), "2026-01-01 00:00:00 UTC"); }

}  // namespace
}  // namespace causeway::pki
