#include "pki/ca.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "pki/certificate.h"
#include "pki/keys.h"

namespace causeway::pki {
namespace {

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;

X509Ptr parse(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())),
                                                BIO_free);
  return X509Ptr(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr), X509_free);
}

bool isCritical(X509* cert, int nid) {
  int i = X509_get_ext_by_NID(cert, nid, -1);
  return i >= 0 && X509_EXTENSION_get_critical(X509_get_ext(cert, i)) == 1;
}

std::string octets(const ASN1_OCTET_STRING* s) {
  if (!s) return {};
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                     size_t(ASN1_STRING_length(s)));
}

constexpr int64_t kNow = 1767225600;  // 2026-01-01 00:00:00 UTC

CertificateAuthority makeCa(int64_t now = kNow, const std::string& cn = "Test CA") {
  auto ca = CertificateAuthority::create({cn, std::chrono::hours(24 * 3650), now});
  EXPECT_TRUE(ca.isOk()) << ca.status().message();
  return ca.value();
}

TEST(CertificateAuthority, CreatesSelfSignedCa) {
  CertificateAuthority ca = makeCa();
  const CertificateInfo& info = ca.info();
  EXPECT_EQ(info.subject_cn, "Test CA");
  EXPECT_EQ(info.issuer_cn, "Test CA");
  EXPECT_TRUE(info.is_ca);
  EXPECT_EQ(info.not_before, kNow - 60);
  EXPECT_EQ(info.not_after, kNow + 3650LL * 86400);

  X509Ptr cert = parse(ca.certificatePem());
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  EXPECT_TRUE(isCritical(cert.get(), NID_basic_constraints));
  EXPECT_TRUE(isCritical(cert.get(), NID_key_usage));
  EXPECT_EQ(X509_get_key_usage(cert.get()), uint32_t(KU_KEY_CERT_SIGN | KU_CRL_SIGN));
  EXPECT_EQ(octets(X509_get0_subject_key_id(cert.get())).size(), 20u);
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
  // Self-signed: its own key verifies it.
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(cert.get())), 1);
  EXPECT_TRUE(verifyChain(ca.certificatePem(), ca.certificatePem(), kNow).isOk());
}

TEST(CertificateAuthority, LoadsFromPemAndRefusesMismatchedKey) {
  CertificateAuthority ca = makeCa();
  auto loaded = CertificateAuthority::load(ca.certificatePem(), ca.keyPem().view());
  ASSERT_TRUE(loaded.isOk()) << loaded.status().message();
  EXPECT_EQ(loaded->certificatePem(), ca.certificatePem());
  EXPECT_EQ(loaded->info().sha256_fingerprint, ca.info().sha256_fingerprint);

  // A certificate the loaded CA issues verifies against the original's certificate.
  auto key = generateKey();
  ASSERT_TRUE(key.isOk());
  CertSpec spec;
  spec.common_name = "svc";
  spec.now = kNow;
  auto cert = loaded->issue(key->publicKey(), spec);
  ASSERT_TRUE(cert.isOk()) << cert.status().message();
  EXPECT_TRUE(verifyChain(cert.value(), ca.certificatePem(), kNow + 10).isOk());

  CertificateAuthority other = makeCa();
  auto mismatched = CertificateAuthority::load(ca.certificatePem(), other.keyPem().view());
  ASSERT_FALSE(mismatched.isOk());
  EXPECT_NE(mismatched.status().message().find("does not match"), std::string::npos);

  EXPECT_FALSE(CertificateAuthority::load("not a certificate", ca.keyPem().view()).isOk());
  EXPECT_FALSE(CertificateAuthority::load(ca.certificatePem(), "not a key").isOk());
}

TEST(CertificateAuthority, RefusesLeafCertificateAsCa) {
  CertificateAuthority ca = makeCa();
  CertSpec spec;
  spec.common_name = "leaf";
  spec.now = kNow;
  auto leaf = ca.issueWithNewKey(spec);
  ASSERT_TRUE(leaf.isOk());
  auto as_ca = CertificateAuthority::load(leaf->cert_pem, leaf->key_pem.view());
  ASSERT_FALSE(as_ca.isOk());
  EXPECT_NE(as_ca.status().message().find("not a CA"), std::string::npos);
}

TEST(CertificateAuthority, IssuesWithEverySanType) {
  CertificateAuthority ca = makeCa();
  auto key = generateKey();
  ASSERT_TRUE(key.isOk());
  CertSpec spec;
  spec.common_name = "backend";
  spec.sans.dns = {"backend.internal", "*.backend.internal"};
  spec.sans.ips = {"10.0.0.7", "fd00::7"};
  spec.sans.uris = {"spiffe://mesh/backend"};
  spec.lifetime = std::chrono::hours(24);
  spec.usage = KeyUsage::kServer;
  spec.now = kNow;
  auto pem = ca.issue(key->publicKey(), spec);
  ASSERT_TRUE(pem.isOk()) << pem.status().message();

  auto info = certificateInfo(pem.value());
  ASSERT_TRUE(info.isOk()) << info.status().message();
  EXPECT_EQ(info->subject_cn, "backend");
  EXPECT_EQ(info->issuer_cn, "Test CA");
  EXPECT_EQ(info->sans.dns, spec.sans.dns);
  EXPECT_EQ(info->sans.ips, spec.sans.ips);
  EXPECT_EQ(info->sans.uris, spec.sans.uris);
  EXPECT_EQ(info->not_before, kNow - 60);  // backdated for clock skew
  EXPECT_EQ(info->not_after, kNow + 86400);
  EXPECT_FALSE(info->is_ca);
  EXPECT_TRUE(info->server_auth);
  EXPECT_FALSE(info->client_auth);
  EXPECT_EQ(info->sha256_fingerprint.size(), 32u * 3 - 1);

  X509Ptr cert = parse(pem.value());
  ASSERT_TRUE(cert);
  EXPECT_TRUE(isCritical(cert.get(), NID_basic_constraints));
  EXPECT_EQ(X509_get_key_usage(cert.get()), uint32_t(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
  EXPECT_EQ(EVP_PKEY_eq(X509_get0_pubkey(cert.get()), key->get()), 1);
  X509Ptr ca_cert = parse(ca.certificatePem());
  EXPECT_EQ(octets(X509_get0_authority_key_id(cert.get())),
            octets(X509_get0_subject_key_id(ca_cert.get())));
  EXPECT_EQ(octets(X509_get0_subject_key_id(cert.get())).size(), 20u);
  EXPECT_EQ(X509_check_host(cert.get(), "x.backend.internal", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "10.0.0.7", 0), 1);
}

TEST(CertificateAuthority, ExtendedKeyUsageFollowsSpec) {
  CertificateAuthority ca = makeCa();
  struct Case {
    KeyUsage usage;
    bool server, client;
  };
  for (const Case& c : {Case{KeyUsage::kServer, true, false}, Case{KeyUsage::kClient, false, true},
                        Case{KeyUsage::kServerAndClient, true, true}}) {
    CertSpec spec;
    spec.common_name = "x";
    spec.usage = c.usage;
    spec.now = kNow;
    auto issued = ca.issueWithNewKey(spec);
    ASSERT_TRUE(issued.isOk()) << issued.status().message();
    auto info = certificateInfo(issued->cert_pem);
    ASSERT_TRUE(info.isOk());
    EXPECT_EQ(info->server_auth, c.server);
    EXPECT_EQ(info->client_auth, c.client);
    X509Ptr cert = parse(issued->cert_pem);
    EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), c.server ? 1 : 0);
    EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0), c.client ? 1 : 0);
    // The key that came with it is the certified one.
    auto key = KeyPair::fromPem(issued->key_pem.view());
    ASSERT_TRUE(key.isOk());
    EXPECT_EQ(X509_check_private_key(cert.get(), key->get()), 1);
  }
}

TEST(CertificateAuthority, SerialsAreRandom128Bit) {
  CertificateAuthority ca = makeCa();
  std::set<std::string> serials;
  for (int i = 0; i < 8; ++i) {
    CertSpec spec;
    spec.common_name = "x";
    auto issued = ca.issueWithNewKey(spec);
    ASSERT_TRUE(issued.isOk());
    auto info = certificateInfo(issued->cert_pem);
    ASSERT_TRUE(info.isOk());
    EXPECT_LE(info->serial_hex.size(), 32u);
    EXPECT_GE(info->serial_hex.size(), 24u);  // fewer digits: a 2^-36 chance
    serials.insert(info->serial_hex);
  }
  EXPECT_EQ(serials.size(), 8u);
}

TEST(CertificateAuthority, LifetimeNeverOutlivesTheCa) {
  CertificateAuthority ca = makeCa();
  CertSpec spec;
  spec.common_name = "long";
  spec.lifetime = std::chrono::hours(24 * 365 * 20);
  spec.now = kNow;
  auto issued = ca.issueWithNewKey(spec);
  ASSERT_TRUE(issued.isOk());
  auto info = certificateInfo(issued->cert_pem);
  ASSERT_TRUE(info.isOk());
  EXPECT_EQ(info->not_after, ca.info().not_after);
}

TEST(CertificateAuthority, RefusesInvalidSpecs) {
  CertificateAuthority ca = makeCa();
  auto key = generateKey();
  ASSERT_TRUE(key.isOk());
  auto issueWith = [&](auto edit) {
    CertSpec spec;
    spec.common_name = "ok";
    spec.now = kNow;
    edit(spec);
    return ca.issue(key->publicKey(), spec);
  };
  EXPECT_FALSE(issueWith([](CertSpec& s) { s.common_name = ""; }).isOk());
  EXPECT_FALSE(issueWith([](CertSpec& s) { s.common_name = std::string(65, 'a'); }).isOk());
  EXPECT_FALSE(issueWith([](CertSpec& s) { s.lifetime = std::chrono::seconds(0); }).isOk());
  auto bad_ip = issueWith([](CertSpec& s) { s.sans.ips = {"10.0.0.256"}; });
  ASSERT_FALSE(bad_ip.isOk());
  EXPECT_NE(bad_ip.status().message().find("10.0.0.256"), std::string::npos);
  EXPECT_FALSE(issueWith([](CertSpec& s) { s.sans.dns = {"has space"}; }).isOk());
  EXPECT_FALSE(issueWith([](CertSpec& s) { s.sans.dns = {""}; }).isOk());
  EXPECT_FALSE(issueWith([](CertSpec& s) { s.sans.uris = {"no-scheme"}; }).isOk());
  EXPECT_FALSE(CertificateAuthority::create({"", std::chrono::hours(1), kNow}).isOk());
}

TEST(SubjectAltNames, AddHostTellsAddressesFromNames) {
  SubjectAltNames sans;
  sans.addHost("cp.example.com");
  sans.addHost("192.0.2.10");
  sans.addHost("2001:db8::1");
  sans.addHost("[2001:db8::2]");
  EXPECT_EQ(sans.dns, std::vector<std::string>{"cp.example.com"});
  EXPECT_EQ(sans.ips, (std::vector<std::string>{"192.0.2.10", "2001:db8::1", "2001:db8::2"}));
}

TEST(CertificateAuthority, IssuesFromSeveralThreads) {
  CertificateAuthority ca = makeCa();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  threads.reserve(4);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        CertSpec spec;
        spec.common_name = "t" + std::to_string(t);
        auto issued = ca.issueWithNewKey(spec);
        if (issued.isOk() && verifyChain(issued->cert_pem, ca.certificatePem(), unixNow()).isOk()) {
          ++ok;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 20);
}

}  // namespace
}  // namespace causeway::pki
