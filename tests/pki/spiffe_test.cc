#include "pki/spiffe.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

#include "pki/csr.h"
#include "pki/keys.h"

namespace causeway::pki {
namespace {

constexpr int64_t kNow = 1767225600;  // 2026-01-01 00:00:00 UTC

bool refused(std::string_view uri, std::string_view why) {
  auto id = parseSpiffeId(uri);
  if (id.isOk()) {
    ADD_FAILURE() << uri << " was accepted";
    return false;
  }
  EXPECT_NE(id.status().message().find(why), std::string::npos)
      << uri << ": " << id.status().message();
  return true;
}

TEST(SpiffeId, ParsesMeshServiceIds) {
  auto id = parseSpiffeId("spiffe://default/backend");
  ASSERT_TRUE(id.isOk()) << id.status().message();
  EXPECT_EQ(id->trust_domain, "default");
  EXPECT_EQ(id->path, "/backend");
  EXPECT_EQ(id->toString(), "spiffe://default/backend");

  auto deep = parseSpiffeId("spiffe://prod.example-1_x/ns/Web.v2-a_b");
  ASSERT_TRUE(deep.isOk()) << deep.status().message();
  EXPECT_EQ(deep->path, "/ns/Web.v2-a_b");

  auto bare = parseSpiffeId("spiffe://example.org");
  ASSERT_TRUE(bare.isOk());
  EXPECT_EQ(bare->path, "");
}

TEST(SpiffeId, RefusesWhatTheSpecForbids) {
  EXPECT_TRUE(refused("SPIFFE://default/backend", "not a SPIFFE ID"));
  EXPECT_TRUE(refused("https://default/backend", "not a SPIFFE ID"));
  EXPECT_TRUE(refused("spiffe:/default/backend", "not a SPIFFE ID"));
  EXPECT_TRUE(refused("spiffe://Default/backend", "lowercase"));
  EXPECT_TRUE(refused("spiffe://default:8443/backend", "port"));
  EXPECT_TRUE(refused("spiffe://user@default/backend", "userinfo"));
  EXPECT_TRUE(refused("spiffe://default/backend?x=1", "query"));
  EXPECT_TRUE(refused("spiffe://default?x=1", "query"));
  EXPECT_TRUE(refused("spiffe://default/backend#frag", "fragment"));
  EXPECT_TRUE(refused("spiffe:///backend", "empty trust domain"));
  EXPECT_TRUE(refused("spiffe://", "empty trust domain"));
  EXPECT_TRUE(refused("spiffe://default/", "end with '/'"));
  EXPECT_TRUE(refused("spiffe://default/backend/", "empty segment"));
  EXPECT_TRUE(refused("spiffe://default//backend", "empty segment"));
  EXPECT_TRUE(refused("spiffe://default/./backend", "'.' segment"));
  EXPECT_TRUE(refused("spiffe://default/a/../backend", "'..' segment"));
  EXPECT_TRUE(refused("spiffe://default/back%20end", "percent-encoding"));
  EXPECT_TRUE(refused("spiffe://default/back end", "character"));
  EXPECT_TRUE(refused("spiffe://def ault/backend", "character"));
  EXPECT_TRUE(refused("spiffe://default/" + std::string(2100, 'a'), "2048"));
  EXPECT_TRUE(refused("spiffe://" + std::string(256, 'a') + "/x", "255"));
}

TEST(SpiffeId, MeshServiceId) {
  auto id = meshServiceId("default", "backend_kuma-demo_svc_3001");
  ASSERT_TRUE(id.isOk());
  EXPECT_EQ(id->toString(), "spiffe://default/backend_kuma-demo_svc_3001");
  EXPECT_FALSE(meshServiceId("Default", "backend").isOk());
  EXPECT_FALSE(meshServiceId("default", "a/b").isOk());
  EXPECT_FALSE(meshServiceId("default", "..").isOk());
  EXPECT_FALSE(meshServiceId("default", "").isOk());
  EXPECT_FALSE(meshServiceId("", "backend").isOk());
}

CertificateAuthority meshCa(const std::string& backend, const std::string& mesh = "default") {
  auto ca = createMeshCa({mesh, backend, std::chrono::hours(24 * 365), kNow - 3600});
  EXPECT_TRUE(ca.isOk()) << ca.status().message();
  return ca.value();
}

SpiffeId backendId() { return meshServiceId("default", "backend").value(); }

std::string csrFor(const KeyPair& key, const SubjectAltNames& sans = {}) {
  auto csr = makeCsr(key, "backend", sans);
  EXPECT_TRUE(csr.isOk());
  return csr.value();
}

std::string workloadCert(const CertificateAuthority& ca, const SpiffeId& id,
                         std::chrono::seconds lifetime = kDefaultWorkloadLifetime) {
  auto key = generateKey();
  EXPECT_TRUE(key.isOk());
  auto cert = issueWorkloadCertificate(ca, csrFor(key.value()), id, lifetime, kNow);
  EXPECT_TRUE(cert.isOk()) << cert.status().message();
  return cert.value();
}

TEST(WorkloadCertificate, MeshCaPerBackend) {
  CertificateAuthority ca = meshCa("ca-1");
  EXPECT_EQ(ca.info().subject_cn, "default mesh CA (ca-1)");
  EXPECT_TRUE(ca.info().is_ca);
  EXPECT_FALSE(createMeshCa({"default", "", std::chrono::hours(1), kNow}).isOk());
}

TEST(WorkloadCertificate, CarriesOnlyTheSpiffeIdWhateverTheCsrAsks) {
  CertificateAuthority ca = meshCa("ca-1");
  auto key = generateKey();
  ASSERT_TRUE(key.isOk());
  SubjectAltNames asked;
  asked.dns = {"evil.example.com", "admin.mesh"};
  asked.ips = {"10.0.0.1"};
  asked.uris = {"spiffe://default/admin", "spiffe://other/backend"};
  auto cert = issueWorkloadCertificate(ca, csrFor(key.value(), asked), backendId(),
                                       kDefaultWorkloadLifetime, kNow);
  ASSERT_TRUE(cert.isOk()) << cert.status().message();
  auto info = certificateInfo(cert.value());
  ASSERT_TRUE(info.isOk());
  EXPECT_TRUE(info->sans.dns.empty());
  EXPECT_TRUE(info->sans.ips.empty());
  EXPECT_EQ(info->sans.uris, std::vector<std::string>{"spiffe://default/backend"});
  EXPECT_FALSE(info->is_ca);
  EXPECT_TRUE(info->server_auth);
  EXPECT_TRUE(info->client_auth);
  EXPECT_EQ(info->not_after, kNow + 24 * 3600);
  auto id = spiffeIdOf(cert.value());
  ASSERT_TRUE(id.isOk());
  EXPECT_EQ(id.value(), backendId());
}

TEST(WorkloadCertificate, RefusesATamperedCsr) {
  CertificateAuthority ca = meshCa("ca-1");
  auto requester = generateKey();
  auto intruder = generateKey();
  ASSERT_TRUE(requester.isOk() && intruder.isOk());
  std::string csr = csrFor(requester.value());
  // Swap the intruder's public key in, keeping the requester's signature.
  std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_mem_buf(csr.data(), int(csr.size())),
                                               BIO_free);
  std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)> req(
      PEM_read_bio_X509_REQ(in.get(), nullptr, nullptr, nullptr), X509_REQ_free);
  ASSERT_TRUE(req);
  ASSERT_EQ(X509_REQ_set_pubkey(req.get(), intruder->get()), 1);
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
  ASSERT_EQ(PEM_write_bio_X509_REQ(out.get(), req.get()), 1);
  char* p = nullptr;
  long n = BIO_get_mem_data(out.get(), &p);
  std::string tampered(p, size_t(n));
  ASSERT_NE(tampered, csr);

  auto cert = issueWorkloadCertificate(ca, tampered, backendId(), kDefaultWorkloadLifetime, kNow);
  EXPECT_FALSE(cert.isOk());
  EXPECT_TRUE(
      issueWorkloadCertificate(ca, csr, backendId(), kDefaultWorkloadLifetime, kNow).isOk());
  EXPECT_FALSE(
      issueWorkloadCertificate(ca, "not a csr", backendId(), kDefaultWorkloadLifetime, kNow)
          .isOk());
}

TEST(WorkloadCertificate, RefusesAnIdWithoutServiceOrInvalid) {
  CertificateAuthority ca = meshCa("ca-1");
  auto key = generateKey();
  ASSERT_TRUE(key.isOk());
  std::string csr = csrFor(key.value());
  EXPECT_FALSE(
      issueWorkloadCertificate(ca, csr, SpiffeId{"default", ""}, kDefaultWorkloadLifetime, kNow)
          .isOk());
  EXPECT_FALSE(
      issueWorkloadCertificate(ca, csr, SpiffeId{"Default", "/x"}, kDefaultWorkloadLifetime, kNow)
          .isOk());
  EXPECT_FALSE(issueWorkloadCertificate(ca, csr, SpiffeId{"default", "/a/../b"},
                                        kDefaultWorkloadLifetime, kNow)
                   .isOk());
}

TEST(WorkloadCertificate, VerifiesAcrossTwoCaBackendsDuringRotation) {
  CertificateAuthority old_ca = meshCa("ca-1");
  CertificateAuthority new_ca = meshCa("ca-2");
  CertificateAuthority other_mesh = meshCa("ca-1", "other");
  std::string from_old = workloadCert(old_ca, backendId());
  std::string from_new = workloadCert(new_ca, backendId());
  std::vector<std::string> both = {old_ca.certificatePem(), new_ca.certificatePem()};

  for (const auto& cert : {from_old, from_new}) {
    auto id = verifyWorkloadCertificate(cert, both, kNow + 60, "default");
    ASSERT_TRUE(id.isOk()) << id.status().message();
    EXPECT_EQ(id.value(), backendId());
  }
  // Before the rotation starts only the old CA is trusted; after it ends only the new one.
  EXPECT_TRUE(verifyWorkloadCertificate(from_old, {old_ca.certificatePem()}, kNow).isOk());
  EXPECT_FALSE(verifyWorkloadCertificate(from_new, {old_ca.certificatePem()}, kNow).isOk());
  EXPECT_FALSE(verifyWorkloadCertificate(from_old, {new_ca.certificatePem()}, kNow).isOk());
  // A CA of another mesh, a wrong trust domain, an expired certificate.
  std::string foreign = workloadCert(other_mesh, meshServiceId("other", "backend").value());
  EXPECT_FALSE(verifyWorkloadCertificate(foreign, both, kNow).isOk());
  auto wrong_domain =
      verifyWorkloadCertificate(foreign, {other_mesh.certificatePem()}, kNow, "default");
  ASSERT_FALSE(wrong_domain.isOk());
  EXPECT_NE(wrong_domain.status().message().find("trust domain"), std::string::npos);
  auto expired = verifyWorkloadCertificate(from_old, both, kNow + 24 * 3600 + 1);
  ASSERT_FALSE(expired.isOk());
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);
  // A CA certificate is not a workload certificate.
  EXPECT_FALSE(verifyWorkloadCertificate(old_ca.certificatePem(), both, kNow).isOk());
}

TEST(WorkloadCertificate, SpiffeIdOfRefusesCertificatesWithoutOneUri) {
  CertificateAuthority ca = meshCa("ca-1");
  CertSpec spec;
  spec.common_name = "two";
  spec.sans.uris = {"spiffe://default/a", "spiffe://default/b"};
  spec.now = kNow;
  auto two = ca.issueWithNewKey(spec);
  ASSERT_TRUE(two.isOk());
  EXPECT_FALSE(spiffeIdOf(two->cert_pem).isOk());
  spec.sans.uris = {};
  spec.sans.dns = {"backend"};
  auto none = ca.issueWithNewKey(spec);
  ASSERT_TRUE(none.isOk());
  EXPECT_FALSE(spiffeIdOf(none->cert_pem).isOk());
}

TEST(WorkloadCertificate, RenewsAtEightyPercentOfItsLifetime) {
  CertificateInfo info;
  info.not_before = 1000;
  info.not_after = 2000;
  EXPECT_EQ(renewAt(info), 1800);

  std::string cert = workloadCert(meshCa("ca-1"), backendId());
  auto parsed = certificateInfo(cert);
  ASSERT_TRUE(parsed.isOk());
  auto at = renewAt(cert);
  ASSERT_TRUE(at.isOk());
  // Issued at kNow with 60 s of clock skew before it: 24 h + 60 s in all.
  EXPECT_EQ(parsed->not_before, kNow - 60);
  EXPECT_EQ(at.value(), kNow - 60 + (24 * 3600 + 60) * 8 / 10);
  EXPECT_GT(at.value(), kNow + 19 * 3600);
  EXPECT_LT(at.value(), parsed->not_after);
  EXPECT_FALSE(renewAt(std::string_view("garbage")).isOk());
}

}  // namespace
}  // namespace causeway::pki
