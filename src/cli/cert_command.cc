// `causeway cert init`: writes the cluster CA and the CP and DP certificates that control and
// data planes use for their mutual-TLS sync connection (pki::certInit), then says how to use them.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "pki/cert_init.h"
#include "pki/certificate.h"
#include "pki/files.h"

namespace causeway::cli {
namespace {

struct CertInitFlags {
  std::string out;
  bool force = false;
  std::vector<std::string> cp_hosts;
};

std::string joinSans(const pki::SubjectAltNames& sans) {
  std::string out;
  auto add = [&](const char* kind, const std::vector<std::string>& names) {
    for (const auto& n : names) {
      if (!out.empty()) out += ", ";
      out += kind;
      out += n;
    }
  };
  add("DNS:", sans.dns);
  add("IP:", sans.ips);
  add("URI:", sans.uris);
  return out;
}

// One certificate file: its path, what it is, when it expires and its fingerprint.
bool describeCertificate(const std::string& path, const char* role, const char* usage) {
  auto pem = pki::readFile(path);
  if (!pem.isOk()) {
    std::fprintf(stderr, "causeway cert init: %s\n", pem.status().message().c_str());
    return false;
  }
  auto info = pki::certificateInfo(pem.value());
  if (!info.isOk()) {
    std::fprintf(stderr, "causeway cert init: %s: %s\n", path.c_str(),
                 info.status().message().c_str());
    return false;
  }
  std::printf("  %s\n", path.c_str());
  std::printf("      %s \"%s\"%s\n", role, info->subject_cn.c_str(), usage);
  if (!info->sans.empty()) std::printf("      names %s\n", joinSans(info->sans).c_str());
  std::printf("      expires %s\n", pki::formatUtc(info->not_after).c_str());
  std::printf("      SHA-256 fingerprint %s\n", info->sha256_fingerprint.c_str());
  return true;
}

int runCertInit(const CertInitFlags& flags) {
  pki::CertInitOptions options;
  options.cp_hosts = flags.cp_hosts;
  options.force = flags.force;
  Status st = pki::certInit(flags.out, options);
  if (!st.isOk()) {
    std::fprintf(stderr, "causeway cert init: %s\n", st.message().c_str());
    if (st.code() == Status::Code::kAlreadyExists) {
      std::fprintf(stderr,
                   "Nothing was written. Pass --force to replace the cluster certificates in %s "
                   "(data planes holding the old ones will no longer connect).\n",
                   flags.out.c_str());
    }
    return 1;
  }

  const std::string& dir = flags.out;
  auto path = [&](const char* name) { return dir + "/" + name; };
  std::printf("Wrote the cluster certificates to %s (mode 0700):\n", dir.c_str());
  bool ok = describeCertificate(path(pki::kCaCertFile), "cluster CA", "");
  std::printf(
      "  %s\n      its private key (mode 0600): needed only to issue certificates; keep "
      "it off data planes\n",
      path(pki::kCaKeyFile).c_str());
  ok = describeCertificate(path(pki::kCpCertFile), "control plane",
                           ", for serverAuth and clientAuth") &&
       ok;
  std::printf("  %s\n      its private key (mode 0600)\n", path(pki::kCpKeyFile).c_str());
  ok = describeCertificate(path(pki::kDpCertFile), "data plane", ", for clientAuth") && ok;
  std::printf("  %s\n      its private key (mode 0600)\n", path(pki::kDpKeyFile).c_str());

  std::printf(
      "\nStart the control plane with:\n"
      "  causeway cp --cluster-cert-dir %s\n"
      "and each data plane (it needs %s, %s and %s from this directory) with:\n"
      "  causeway gateway --cp wss://HOST:8005 --cluster-cert-dir %s --data-dir DATA_DIR\n"
      "where HOST is the control plane's address.\n\n"
      "Data planes verify the control plane by the name \"%s\" in its certificate, not by\n"
      "HOST (like Kong's cluster_server_name), so the same directory works whatever address\n"
      "the control plane has.\n",
      dir.c_str(), pki::kCaCertFile, pki::kDpCertFile, pki::kDpKeyFile, dir.c_str(),
      pki::kClusterServerName);
  return ok ? 0 : 1;
}

}  // namespace

Run addCertCommand(CLI::App& app) {
  auto flags = std::make_shared<CertInitFlags>();
  auto* cert = app.add_subcommand("cert",
                                  "cluster certificates for control plane <-> data plane "
                                  "mutual TLS (cert init)");
  cert->require_subcommand(1);
  auto* init = cert->add_subcommand(
      "init",
      "create a cluster CA and the control-plane and data-plane certificates in a "
      "directory: ca.crt, ca.key, cp.crt, cp.key, dp.crt, dp.key");
  init->add_option("--out", flags->out, "directory to write (created with mode 0700)")->required();
  init->add_flag("--force", flags->force, "replace existing certificate files");
  init->add_option("--cp-host", flags->cp_hosts,
                   "extra host name or IP address of the control plane for its certificate "
                   "(repeatable; data planes need none: they verify the name causeway-cp)")
      ->allow_extra_args(false);
  return [flags, init] {
    if (init->parsed()) return runCertInit(*flags);
    return 2;
  };
}

}  // namespace causeway::cli
