#include "cli/sidecar_cp.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <asio/steady_timer.hpp>
#include <cctype>
#include <chrono>
#include <deque>
#include <optional>

#include "pki/certificate.h"
#include "pki/csr.h"
#include "pki/files.h"
#include "pki/keys.h"
#include "sync/sync_client.h"

namespace causeway::cli {
namespace {

using Json = nlohmann::json;
namespace mesh_model = model::mesh;

constexpr char kCertFile[] = "mesh-identity.crt";
constexpr char kKeyFile[] = "mesh-identity.key";
constexpr char kCaFile[] = "mesh-ca.pem";
constexpr char kTrustKind[] = "mesh_trust";  // cp/mesh_identity.h
constexpr std::chrono::seconds kRetryRenewal{60};
constexpr size_t kMaxPendingKeys = 4;

// The PEM certificates of a bundle, one string each.
std::vector<std::string> splitPem(const std::string& bundle) {
  static const std::string kEnd = "-----END CERTIFICATE-----";
  std::vector<std::string> out;
  size_t from = 0;
  for (;;) {
    size_t begin = bundle.find("-----BEGIN CERTIFICATE-----", from);
    if (begin == std::string::npos) break;
    size_t end = bundle.find(kEnd, begin);
    if (end == std::string::npos) break;
    out.push_back(bundle.substr(begin, end + kEnd.size() - begin) + "\n");
    from = end + kEnd.size();
  }
  return out;
}

std::string trimmed(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace

struct SidecarCpClient::State : std::enable_shared_from_this<SidecarCpClient::State> {
  asio::io_context& io;
  SidecarCpOptions options;
  OnIdentity on_identity;
  OnResources on_resources;
  std::string mesh_name, dataplane_name;
  pki::SecretString token;
  std::unique_ptr<sync::SyncClient> client;
  mesh::Identity current;
  std::deque<pki::KeyPair> pending_keys;  // of the CSRs sent, newest last
  std::vector<std::string> trust;         // the mesh's CAs, from its trust records
  std::string requested_for_backend;      // the enabled backend a renewal was asked for
  std::string enabled_ca;                 // the enabled backend's CA certificate, when known
  asio::steady_timer renewal;
  std::string last_error;
  bool stopped = false;

  State(asio::io_context& i, SidecarCpOptions o, OnIdentity id, OnResources res)
      : io(i),
        options(std::move(o)),
        on_identity(std::move(id)),
        on_resources(std::move(res)),
        renewal(i) {}

  static int64_t now() { return pki::unixNow(); }
  std::string path(const char* name) const { return options.data_dir + "/" + name; }

  // A fresh key and the CSR for it; the key waits for its certificate.
  Result<std::string> newCsr() {
    auto key = pki::KeyPair::generate();
    if (!key.isOk()) return key.status();
    auto csr = pki::makeCsr(key.value(), dataplane_name);
    if (!csr.isOk()) return csr.status();
    pending_keys.push_back(key.value());
    while (pending_keys.size() > kMaxPendingKeys) pending_keys.pop_front();
    return csr;
  }

  void extendHello(Json& hello) {
    Json section = {{"token", token.str()}, {"dataplane", options.dataplane}};
    auto csr = newCsr();
    if (csr.isOk()) {
      section["csr"] = csr.value();
    } else {
      spdlog::error("sidecar: cannot make a CSR: {}", csr.status().message());
    }
    hello["mesh"] = std::move(section);
  }

  void persist(const mesh::Identity& id) {
    std::string cas;
    for (const auto& ca : id.trusted_ca_pems) cas += ca;
    Status st =
        pki::writeFileAtomically(path(kKeyFile), id.key_pem.view(), pki::kKeyFileMode, true);
    if (st.isOk()) {
      st = pki::writeFileAtomically(path(kCertFile), id.cert_pem, pki::kCertFileMode, true);
    }
    if (st.isOk()) st = pki::writeFileAtomically(path(kCaFile), cas, pki::kCertFileMode, true);
    if (!st.isOk()) spdlog::warn("sidecar: cannot save the identity: {}", st.message());
  }

  void adopt(mesh::Identity id, bool save) {
    current = id;
    if (save) persist(current);
    spdlog::info("sidecar: identity {} (valid until {}, renewal at {}, {} trusted CA(s))",
                 current.spiffe_id, pki::formatUtc(current.not_after),
                 pki::formatUtc(current.renew_at), current.trusted_ca_pems.size());
    armRenewal(std::chrono::seconds(std::max<int64_t>(current.renew_at - now(), 1)));
    if (on_identity) on_identity(std::move(id));
  }

  void armRenewal(std::chrono::seconds delay) {
    renewal.expires_after(delay);
    renewal.async_wait([weak = weak_from_this()](std::error_code ec) {
      auto self = weak.lock();
      if (ec || !self || self->stopped) return;
      self->requestCertificate("the certificate is due for renewal");
    });
  }

  // Sends a CSR with a fresh key; retried until a certificate arrives (a reconnect's hello
  // carries one too).
  void requestCertificate(const std::string& why) {
    auto csr = newCsr();
    if (!csr.isOk()) {
      spdlog::error("sidecar: cannot make a CSR: {}", csr.status().message());
    } else if (client && client->send(Json{{"type", "csr"}, {"csr", csr.value()}}.dump())) {
      spdlog::info("sidecar: asked the control plane for a new certificate: {}", why);
    }
    armRenewal(kRetryRenewal);
  }

  void onCertificate(const Json& msg) {
    mesh::Identity id;
    id.cert_pem = msg.value("cert", "");
    for (const auto& ca : msg.value("ca", Json::array())) {
      if (ca.is_string()) id.trusted_ca_pems.push_back(ca.get<std::string>());
    }
    // The newest pending key first: the certificate answers the last CSR, usually.
    for (auto it = pending_keys.rbegin(); it != pending_keys.rend(); ++it) {
      id.key_pem = it->toPem();
      if (!mesh::completeIdentity(id, now()).isOk()) continue;
      // This CSR and older ones are answered; a later CSR's certificate (say from a backend
      // enabled meanwhile) may still come, so its key stays.
      pending_keys.erase(pending_keys.begin(), it.base());
      if (pending_keys.empty()) requested_for_backend.clear();
      trust = id.trusted_ca_pems;
      adopt(std::move(id), true);
      if (pending_keys.empty() && !enabled_ca.empty() &&
          !pki::verifyChain(current.cert_pem, enabled_ca, now()).isOk()) {
        requestCertificate("the certificate is not from the mesh's enabled backend");
      }
      return;
    }
    last_error = "the control plane sent a certificate that does not fit any key sent";
    spdlog::warn("sidecar: {}", last_error);
  }

  void onMessage(const std::string& type, const Json& msg) {
    if (type == "certificate") {
      onCertificate(msg);
    } else if (type == "error") {
      last_error = msg.value("error", "");
      spdlog::warn("sidecar: the control plane says: {}", last_error);
    }
  }

  // The resources of this sidecar's mesh in `set`, and the mesh's trusted CAs (in id order).
  Result<mesh_model::MeshResources> assemble(const sync::EntitySet& set,
                                             std::vector<std::string>& cas) const {
    mesh_model::MeshResources out;
    const Json doc = set.declarative();
    for (auto it = doc.begin(); it != doc.end(); ++it) {
      if (!it->is_array()) continue;
      if (it.key() == kTrustKind) {
        for (const Json& t : *it) {
          if (t.value("mesh", "") == mesh_name && t.contains("cert") && t["cert"].is_string()) {
            cas.push_back(t["cert"].get<std::string>());
          }
        }
        continue;
      }
      auto type = mesh_model::typeOfPlural(it.key());
      if (!type) continue;
      for (Json body : *it) {
        const bool is_mesh = *type == "Mesh";
        const std::string owner = is_mesh ? body.value("name", "") : body.value("mesh", "");
        if (owner != mesh_name) continue;
        const std::string id = body.value("id", "");
        body.erase("id");  // the stream's key, not part of the resource
        model::kong::LoadError errors;
        auto loaded = mesh_model::loadMeshResource(*type, body, &errors);
        if (!loaded.isOk()) {
          return Status::invalidArgument(
              std::string(it.key()) + " " + id + ": " +
              (errors.errors.empty() ? loaded.status().message() : errors.message()));
        }
        if (auto* m = std::get_if<mesh_model::Mesh>(&loaded.value())) {
          out.meshes.push_back(std::move(*m));
        } else if (auto* d = std::get_if<mesh_model::Dataplane>(&loaded.value())) {
          out.dataplanes.push_back(std::move(*d));
        } else {
          out.policies.push_back(std::get<mesh_model::Policy>(std::move(loaded.value())));
        }
      }
    }
    return out;
  }

  // The mesh's CA list changed: trust the new list with the same certificate, or ask for a new
  // certificate when its CA is no longer listed.
  void updateTrust(const std::vector<std::string>& cas) {
    if (cas.empty() || cas == trust) return;
    trust = cas;
    if (current.empty() || current.trusted_ca_pems == cas) return;
    mesh::Identity id = current;
    id.trusted_ca_pems = cas;
    if (mesh::completeIdentity(id, now()).isOk()) {
      adopt(std::move(id), true);
    } else {
      requestCertificate("the CA that issued this certificate left the mesh");
    }
  }

  // mTLS on with a builtin backend whose CA did not issue the current certificate (or no
  // certificate yet): ask for one.
  void checkBackend(const mesh_model::MeshResources& res, const sync::EntitySet& set) {
    auto m = std::find_if(res.meshes.begin(), res.meshes.end(),
                          [&](const mesh_model::Mesh& x) { return x.name == mesh_name; });
    if (m == res.meshes.end()) return;
    const mesh_model::MtlsBackend* backend = m->enabledBackend();
    if (!backend || backend->type != "builtin") return;
    const std::string* trust_body = set.find(kTrustKind, mesh_name + "/" + backend->name);
    if (!trust_body) return;
    const std::string ca = Json::parse(*trust_body, nullptr, false).value("cert", "");
    enabled_ca = ca;
    if (!current.empty() && pki::verifyChain(current.cert_pem, ca, now()).isOk()) return;
    if (requested_for_backend == backend->name) return;  // asked already; the timer retries
    requested_for_backend = backend->name;
    requestCertificate(current.empty() ? "mTLS is on" : "the mesh's enabled backend changed");
  }

  Status publish(const sync::EntitySet& set) {
    std::vector<std::string> cas;
    auto res = assemble(set, cas);
    if (!res.isOk()) return res.status();
    Status st = on_resources ? on_resources(res.value()) : Status::ok();
    if (!st.isOk()) return st;
    updateTrust(cas);
    checkBackend(res.value(), set);
    return Status::ok();
  }

  void loadSavedIdentity() {
    auto cert = pki::readFile(path(kCertFile));
    auto key = pki::readSecretFile(path(kKeyFile));
    auto cas = pki::readFile(path(kCaFile));
    if (!cert.isOk() || !key.isOk() || !cas.isOk()) return;
    mesh::Identity id;
    id.cert_pem = cert.value();
    id.key_pem = key.value();
    id.trusted_ca_pems = splitPem(cas.value());
    if (Status st = mesh::completeIdentity(id, now()); !st.isOk()) {
      spdlog::warn("sidecar: the saved identity is not usable ({}); waiting for the CP",
                   st.message());
      return;
    }
    trust = id.trusted_ca_pems;
    spdlog::info("sidecar: serving with the saved identity until the control plane answers");
    adopt(std::move(id), false);
  }
};

SidecarCpClient::SidecarCpClient(asio::io_context& io, SidecarCpOptions options,
                                 OnIdentity on_identity, OnResources on_resources)
    : state_(std::make_shared<State>(io, std::move(options), std::move(on_identity),
                                     std::move(on_resources))) {}

SidecarCpClient::~SidecarCpClient() { stop(); }

Status SidecarCpClient::start() {
  State& s = *state_;
  const Json& dp = s.options.dataplane;
  if (!dp.is_object() || !dp.contains("name") || !dp["name"].is_string()) {
    return Status::invalidArgument("the Dataplane needs a name");
  }
  s.dataplane_name = dp["name"].get<std::string>();
  s.mesh_name = dp.contains("mesh") && dp["mesh"].is_string()
                    ? dp["mesh"].get<std::string>()
                    : std::string(mesh_model::kDefaultMesh);
  if (s.options.ca_cert.empty()) return Status::invalidArgument("--ca-cert is required with --cp");
  auto token = pki::readSecretFile(s.options.token_file);
  if (!token.isOk()) return token.status();
  s.token = pki::SecretString(trimmed(token->view()));
  if (s.token.empty()) return Status::invalidArgument(s.options.token_file + " holds no token");
  if (Status st = pki::makePrivateDirectory(s.options.data_dir); !st.isOk()) return st;
  s.loadSavedIdentity();

  sync::SyncClientOptions so;
  so.cp_url = s.options.cp_url;
  so.ca_file = s.options.ca_cert;
  so.data_dir = s.options.data_dir;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  so.hostname = host;
  so.capabilities = {"mesh"};
  std::weak_ptr<State> weak = state_;
  so.extend_hello = [weak](Json& hello) {
    if (auto self = weak.lock()) self->extendHello(hello);
  };
  so.on_message = [weak](const std::string& type, const Json& msg) {
    if (auto self = weak.lock()) self->onMessage(type, msg);
  };
  sync::SyncHandler handler;
  handler.snapshot = [weak](const sync::EntitySet& set, const Json&, const std::string&) {
    auto self = weak.lock();
    return self ? self->publish(set) : Status::ok();
  };
  handler.delta = [weak](const sync::EntitySet& set, const sync::SyncHandler::Touched&,
                         const std::string&) {
    auto self = weak.lock();
    return self ? self->publish(set) : Status::ok();
  };
  s.client = std::make_unique<sync::SyncClient>(s.io, so, handler);
  return s.client->start();
}

void SidecarCpClient::stop() {
  state_->stopped = true;
  state_->renewal.cancel();
  if (state_->client) state_->client->stop();
}

nlohmann::json SidecarCpClient::status() const {
  const State& s = *state_;
  Json identity = nullptr;
  if (!s.current.empty()) {
    identity = {{"spiffe_id", s.current.spiffe_id},
                {"not_after", s.current.not_after},
                {"renew_at", s.current.renew_at},
                {"trusted_cas", s.current.trusted_ca_pems.size()}};
  }
  return Json{{"sync", s.client ? s.client->status() : Json(nullptr)},
              {"dataplane", s.dataplane_name},
              {"mesh", s.mesh_name},
              {"identity", std::move(identity)},
              {"last_error", s.last_error}};
}

}  // namespace causeway::cli
