// `causeway cert init`: writes the cluster CA and the CP and DP certificates that control and
// data planes use for their mutual-TLS sync connection (pki::certInit), then says how to use them.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "model/mesh/loader.h"
#include "pki/cert_init.h"
#include "pki/certificate.h"
#include "pki/csr.h"
#include "pki/files.h"
#include "pki/spiffe.h"

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

struct WorkloadFlags {
  std::string ca_dir;
  std::string mesh = "default";
  std::string service;
  std::string out;
  std::string lifetime = "24h";
};

// `cert workload`: a mesh CA in --mesh-ca-dir (created on first use) and a workload certificate
// for spiffe://<mesh>/<service>, for sidecars that run from files rather than from a CP.
int runCertWorkload(const WorkloadFlags& f) {
  auto fail = [](const std::string& msg) {
    std::fprintf(stderr, "causeway cert workload: %s\n", msg.c_str());
    return 1;
  };
  auto id = pki::meshServiceId(f.mesh, f.service);
  if (!id.isOk()) return fail(id.status().message());
  auto seconds = model::mesh::parseDurationSeconds(f.lifetime);
  if (!seconds || *seconds < 60) return fail("--lifetime: a duration of at least 1m, like 24h");
  if (Status st = pki::makePrivateDirectory(f.ca_dir); !st.isOk()) return fail(st.message());
  const std::string ca_cert = f.ca_dir + "/ca.crt", ca_key = f.ca_dir + "/ca.key";
  std::optional<pki::CertificateAuthority> ca;
  if (auto cert = pki::readFile(ca_cert); cert.isOk()) {
    auto key = pki::readSecretFile(ca_key);
    if (!key.isOk()) return fail(key.status().message());
    auto loaded = pki::CertificateAuthority::load(cert.value(), key->view());
    if (!loaded.isOk()) return fail(loaded.status().message());
    ca = loaded.value();
  } else {
    auto made = pki::createMeshCa({f.mesh, "files", std::chrono::hours(24 * 3650), pki::unixNow()});
    if (!made.isOk()) return fail(made.status().message());
    ca = made.value();
    if (Status st = pki::writeFileAtomically(ca_key, ca->keyPem().view(), 0600, false);
        !st.isOk()) {
      return fail(st.message());
    }
    if (Status st = pki::writeFileAtomically(ca_cert, ca->certificatePem(), 0644, false);
        !st.isOk()) {
      return fail(st.message());
    }
  }
  auto key = pki::KeyPair::generate();
  if (!key.isOk()) return fail(key.status().message());
  auto csr = pki::makeCsr(key.value(), f.service);
  if (!csr.isOk()) return fail(csr.status().message());
  auto cert = pki::issueWorkloadCertificate(
      *ca, csr.value(), id.value(), std::chrono::seconds(int64_t(*seconds)), pki::unixNow());
  if (!cert.isOk()) return fail(cert.status().message());
  if (Status st = pki::makePrivateDirectory(f.out); !st.isOk()) return fail(st.message());
  const std::string base = f.out + "/" + f.service;
  if (Status st = pki::writeFileAtomically(base + ".key", key->toPem().view(), 0600, true);
      !st.isOk()) {
    return fail(st.message());
  }
  if (Status st = pki::writeFileAtomically(base + ".crt", cert.value(), 0644, true); !st.isOk()) {
    return fail(st.message());
  }
  std::printf("%s.crt and %s.key: %s, signed by %s\n", base.c_str(), base.c_str(),
              id->toString().c_str(), ca_cert.c_str());
  return 0;
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
  auto wflags = std::make_shared<WorkloadFlags>();
  auto* workload = cert->add_subcommand(
      "workload",
      "a mesh workload certificate (SPIFFE ID spiffe://MESH/SERVICE) from a mesh CA kept in a "
      "directory (created on first use), for sidecars that run from files");
  workload->add_option("--mesh-ca-dir", wflags->ca_dir, "the mesh CA: ca.crt, ca.key")->required();
  workload->add_option("--mesh", wflags->mesh, "mesh name")->capture_default_str();
  workload->add_option("--service", wflags->service, "kuma.io/service of the workload")->required();
  workload->add_option("--out", wflags->out, "directory for SERVICE.crt and SERVICE.key")
      ->required();
  workload->add_option("--lifetime", wflags->lifetime, "validity, e.g. 24h or 10m")
      ->capture_default_str();
  return [flags, init, wflags, workload] {
    if (init->parsed()) return runCertInit(*flags);
    if (workload->parsed()) return runCertWorkload(*wflags);
    return 2;
  };
}

}  // namespace causeway::cli
