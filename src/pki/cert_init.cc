#include "pki/cert_init.h"

#include <sys/stat.h>

#include <chrono>
#include <string_view>

#include "pki/ca.h"
#include "pki/files.h"

namespace causeway::pki {
namespace {

constexpr std::chrono::seconds kDay = std::chrono::hours(24);
constexpr std::chrono::seconds kCaLifetime = 3650 * kDay;    // 10 years
constexpr std::chrono::seconds kLeafLifetime = 1095 * kDay;  // 3 years

struct OutputFile {
  const char* name;
  std::string_view data;
  uint32_t mode;
};

}  // namespace

Status certInit(const std::string& out_dir, const CertInitOptions& options) {
  if (out_dir.empty()) return Status::invalidArgument("no output directory given");
  const char* const kNames[] = {kCaCertFile, kCaKeyFile,  kCpCertFile,
                                kCpKeyFile,  kDpCertFile, kDpKeyFile};
  auto pathOf = [&](const char* name) { return out_dir + "/" + name; };

  // Refuse before generating anything, so a refused run leaves every file as it was.
  if (!options.force) {
    for (const char* name : kNames) {
      struct stat st;
      if (::lstat(pathOf(name).c_str(), &st) == 0) {
        return Status::alreadyExists(pathOf(name) + " already exists; refusing to overwrite it");
      }
    }
  }

  int64_t now = options.now.value_or(unixNow());
  auto ca = CertificateAuthority::create({kClusterCaName, kCaLifetime, now});
  if (!ca.isOk()) return ca.status();

  CertSpec cp;
  cp.common_name = kClusterServerName;
  cp.sans.dns = {kClusterServerName, "localhost"};
  cp.sans.ips = {"127.0.0.1", "::1"};
  for (const auto& host : options.cp_hosts) cp.sans.addHost(host);
  cp.lifetime = kLeafLifetime;
  cp.usage = KeyUsage::kServerAndClient;
  cp.now = now;
  auto cp_pair = ca->issueWithNewKey(cp);
  if (!cp_pair.isOk())
    return Status::invalidArgument("CP certificate: " + cp_pair.status().message());

  CertSpec dp;
  dp.common_name = kClusterClientName;
  dp.sans.dns = {kClusterClientName};
  dp.lifetime = kLeafLifetime;
  dp.usage = KeyUsage::kClient;
  dp.now = now;
  auto dp_pair = ca->issueWithNewKey(dp);
  if (!dp_pair.isOk())
    return Status::invalidArgument("DP certificate: " + dp_pair.status().message());

  if (Status st = makePrivateDirectory(out_dir); !st.isOk()) return st;
  SecretString ca_key = ca->keyPem();
  // Keys first: a certificate is never on disk without its key when a write fails midway.
  const OutputFile files[] = {
      {kCaKeyFile, ca_key.view(), kKeyFileMode},
      {kCaCertFile, ca->certificatePem(), kCertFileMode},
      {kCpKeyFile, cp_pair->key_pem.view(), kKeyFileMode},
      {kCpCertFile, cp_pair->cert_pem, kCertFileMode},
      {kDpKeyFile, dp_pair->key_pem.view(), kKeyFileMode},
      {kDpCertFile, dp_pair->cert_pem, kCertFileMode},
  };
  for (const auto& file : files) {
    Status st = writeFileAtomically(pathOf(file.name), file.data, file.mode, options.force);
    if (st.code() == Status::Code::kAlreadyExists) {
      return Status::alreadyExists(st.message() + "; refusing to overwrite it");
    }
    if (!st.isOk()) return st;
  }
  return Status::ok();
}

}  // namespace causeway::pki
