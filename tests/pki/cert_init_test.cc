#include "pki/cert_init.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "pki/ca.h"
#include "pki/certificate.h"
#include "pki/files.h"
#include "pki/keys.h"

namespace causeway::pki {
namespace {

constexpr int64_t kYear = int64_t{365} * 86400;

class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string tmpl = std::string(base && *base ? base : "/tmp") + "/pki_test.XXXXXX";
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

// Sets the process umask for the life of the object.
class Umask {
 public:
  explicit Umask(mode_t mask) : old_(::umask(mask)) {}
  ~Umask() { ::umask(old_); }

 private:
  mode_t old_;
};

mode_t modeOf(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::string read(const std::string& path) {
  auto content = readFile(path);
  EXPECT_TRUE(content.isOk()) << content.status().message();
  return content.isOk() ? content.value() : std::string();
}

const std::vector<std::string> kFiles = {"ca.crt", "ca.key", "cp.crt",
                                         "cp.key", "dp.crt", "dp.key"};

TEST(CertInit, WritesSixFilesWithExactModes) {
  TempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  std::string dir = tmp.path() + "/nested/cluster";
  {
    Umask permissive(0);  // the modes must not depend on the umask
    ASSERT_TRUE(certInit(dir, {}).isOk());
  }
  EXPECT_EQ(modeOf(dir), 0700u);
  for (const auto& name : kFiles) {
    bool key = name.ends_with(".key");
    std::string path = dir + "/";
    path += name;
    EXPECT_EQ(modeOf(path), key ? 0600u : 0644u) << name;
  }
  // Only the six files: no temporary file left behind.
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    (void)e;
    ++entries;
  }
  EXPECT_EQ(entries, 6u);

  TempDir strict_tmp;
  {
    Umask strict(0077);
    ASSERT_TRUE(certInit(strict_tmp.path() + "/c", {}).isOk());
  }
  EXPECT_EQ(modeOf(strict_tmp.path() + "/c/ca.crt"), 0644u);
  EXPECT_EQ(modeOf(strict_tmp.path() + "/c/ca.key"), 0600u);
}

TEST(CertInit, CertificatesHaveTheRolesNamesAndLifetimes) {
  TempDir tmp;
  CertInitOptions options;
  options.cp_hosts = {"cp.example.com", "192.0.2.10"};
  options.now = 1767225600;  // 2026-01-01
  ASSERT_TRUE(certInit(tmp.path(), options).isOk());
  const std::string& d = tmp.path();

  auto ca = certificateInfo(read(d + "/ca.crt"));
  ASSERT_TRUE(ca.isOk());
  EXPECT_EQ(ca->subject_cn, "Causeway cluster CA");
  EXPECT_TRUE(ca->is_ca);
  EXPECT_EQ(ca->not_after - *options.now, 10 * kYear);

  auto cp = certificateInfo(read(d + "/cp.crt"));
  ASSERT_TRUE(cp.isOk());
  EXPECT_EQ(cp->subject_cn, "causeway-cp");
  EXPECT_EQ(cp->issuer_cn, "Causeway cluster CA");
  EXPECT_EQ(cp->sans.dns, (std::vector<std::string>{"causeway-cp", "localhost", "cp.example.com"}));
  EXPECT_EQ(cp->sans.ips, (std::vector<std::string>{"127.0.0.1", "::1", "192.0.2.10"}));
  EXPECT_TRUE(cp->server_auth);
  EXPECT_TRUE(cp->client_auth);
  EXPECT_FALSE(cp->is_ca);
  EXPECT_EQ(cp->not_after - *options.now, 3 * kYear);

  auto dp = certificateInfo(read(d + "/dp.crt"));
  ASSERT_TRUE(dp.isOk());
  EXPECT_EQ(dp->subject_cn, "causeway-dp");
  EXPECT_EQ(dp->sans.dns, std::vector<std::string>{"causeway-dp"});
  EXPECT_TRUE(dp->sans.ips.empty());
  EXPECT_FALSE(dp->server_auth);
  EXPECT_TRUE(dp->client_auth);
  EXPECT_EQ(dp->not_after - *options.now, 3 * kYear);

  std::string ca_pem = read(d + "/ca.crt");
  EXPECT_TRUE(verifyChain(read(d + "/cp.crt"), ca_pem, *options.now).isOk());
  EXPECT_TRUE(verifyChain(read(d + "/dp.crt"), ca_pem, *options.now).isOk());

  // Each key belongs to its certificate, and the CA can be loaded to issue more.
  auto key = readSecretFile(d + "/ca.key");
  ASSERT_TRUE(key.isOk());
  EXPECT_TRUE(CertificateAuthority::load(ca_pem, key->view()).isOk());
  auto cp_key = readSecretFile(d + "/cp.key");
  ASSERT_TRUE(cp_key.isOk());
  EXPECT_FALSE(CertificateAuthority::load(ca_pem, cp_key->view()).isOk());  // not the CA key
}

TEST(CertInit, RefusesToOverwriteUnlessForced) {
  TempDir tmp;
  const std::string& d = tmp.path();
  ASSERT_TRUE(certInit(d, {}).isOk());
  std::string ca_before = read(d + "/ca.crt");
  std::string key_before = read(d + "/ca.key");

  Status again = certInit(d, {});
  ASSERT_FALSE(again.isOk());
  EXPECT_EQ(again.code(), Status::Code::kAlreadyExists);
  EXPECT_NE(again.message().find(d + "/ca.crt"), std::string::npos) << again.message();
  EXPECT_EQ(read(d + "/ca.crt"), ca_before);
  EXPECT_EQ(read(d + "/ca.key"), key_before);

  // One leftover file is enough to refuse, and it is the one named.
  TempDir partial;
  ASSERT_TRUE(writeFileAtomically(partial.path() + "/dp.key", "old", 0600, false).isOk());
  Status st = certInit(partial.path(), {});
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("dp.key"), std::string::npos) << st.message();
  EXPECT_FALSE(std::filesystem::exists(partial.path() + "/ca.crt"));
  EXPECT_EQ(read(partial.path() + "/dp.key"), "old");

  CertInitOptions force;
  force.force = true;
  ASSERT_TRUE(certInit(d, force).isOk());
  EXPECT_NE(read(d + "/ca.crt"), ca_before);
  EXPECT_EQ(modeOf(d + "/ca.key"), 0600u);
}

TEST(CertInit, RefusesBadHostAndFileAsDirectory) {
  TempDir tmp;
  CertInitOptions options;
  options.cp_hosts = {"bad host"};
  Status st = certInit(tmp.path() + "/x", options);
  ASSERT_FALSE(st.isOk());
  EXPECT_NE(st.message().find("bad host"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(tmp.path() + "/x"));  // nothing created

  ASSERT_TRUE(writeFileAtomically(tmp.path() + "/file", "x", 0644, false).isOk());
  EXPECT_FALSE(certInit(tmp.path() + "/file", {}).isOk());
}

TEST(Files, WriteAtomicallyReplacesOnlyWhenAsked) {
  TempDir tmp;
  std::string path = tmp.path() + "/f";
  ASSERT_TRUE(writeFileAtomically(path, "one", 0644, false).isOk());
  Status st = writeFileAtomically(path, "two", 0644, false);
  EXPECT_EQ(st.code(), Status::Code::kAlreadyExists);
  EXPECT_EQ(read(path), "one");
  ASSERT_TRUE(writeFileAtomically(path, "three", 0600, true).isOk());
  EXPECT_EQ(read(path), "three");
  EXPECT_EQ(modeOf(path), 0600u);
  EXPECT_FALSE(readFile(tmp.path() + "/missing").isOk());
  EXPECT_FALSE(writeFileAtomically(tmp.path() + "/no/such/dir/f", "x", 0600, false).isOk());
}

}  // namespace
}  // namespace causeway::pki
