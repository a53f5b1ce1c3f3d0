#include "cp/mesh_identity.h"

#include <openssl/rand.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "cp/mesh_api.h"
#include "model/mesh/loader.h"
#include "pki/secret.h"
#include "pki/spiffe.h"

namespace causeway::cp {
namespace {

using Json = nlohmann::json;
namespace mesh = model::mesh;

constexpr int64_t kDefaultCaLifetimeS = int64_t(10) * 365 * 86400;

std::string identityRef(const std::string& mesh_name) { return "mesh_identity/" + mesh_name; }

Json parse(const std::string& text) {
  Json j = Json::parse(text, nullptr, false);
  return j.is_object() ? j : Json::object();
}

std::string stringField(const Json& j, const char* name) {
  auto it = j.find(name);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// The CA lifetime a backend asks for (conf.caCert.expiration), else 10 years.
int64_t caLifetimeSeconds(const mesh::MtlsBackend& b) {
  auto ca = b.conf.find("caCert");
  if (ca == b.conf.end() || !ca->is_object()) return kDefaultCaLifetimeS;
  auto exp = ca->find("expiration");
  if (exp == ca->end() || !exp->is_string()) return kDefaultCaLifetimeS;
  auto s = mesh::parseDurationSeconds(exp->get<std::string>());
  return s && *s >= 3600 ? int64_t(*s) : kDefaultCaLifetimeS;
}

// Writes a new CA for `backend` of `mesh_name`: its key record and its trust record.
Status createCa(store::WriteTxn& txn, const std::string& mesh_name,
                const mesh::MtlsBackend& backend, int64_t now) {
  pki::MeshCaSpec spec;
  spec.mesh = mesh_name;
  spec.backend = backend.name;
  spec.lifetime = std::chrono::seconds(caLifetimeSeconds(backend));
  spec.now = now;
  auto ca = pki::createMeshCa(spec);
  if (!ca.isOk()) return ca.status();
  const std::string id = mesh_name + "/" + backend.name;
  pki::SecretString key = ca->keyPem();
  store::Record keys{kMeshCaKeysKind, id, "", {}, {identityRef(mesh_name)}};
  keys.body = Json{
      {"mesh", mesh_name},
      {"backend", backend.name},
      {"cert", ca->certificatePem()},
      {"key",
       key.str()}}.dump();
  Status st = txn.put(keys);
  pki::wipeString(keys.body);
  if (!st.isOk()) return st;
  store::Record trust{kMeshTrustKind, id, "", {}, {identityRef(mesh_name)}};
  trust.body = Json{{"id", id},
                    {"mesh", mesh_name},
                    {"backend", backend.name},
                    {"cert", ca->certificatePem()}}
                   .dump();
  return txn.put(trust);
}

// A random key id: 16 hex characters.
Result<std::string> randomKid() {
  unsigned char b[8];
  if (RAND_bytes(b, sizeof b) != 1) return Status::internal("no random bytes for a key id");
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : b) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

Result<std::vector<store::Record>> listAll(store::Store& store, const std::string& kind,
                                           const std::string& ref) {
  std::vector<store::Record> out;
  std::string offset;
  do {
    auto page = store.list(kind, offset, 1000, ref);
    if (!page.isOk()) return page.status();
    for (auto& r : page->records) out.push_back(std::move(r));
    offset = page->next_offset;
  } while (!offset.empty());
  return out;
}

}  // namespace

bool isMeshChannelKind(std::string_view kind) { return kind == kMeshTrustKind || isMeshKind(kind); }

Status reconcileMeshCas(store::WriteTxn& txn, const mesh::Mesh& m, int64_t now) {
  auto stored = txn.referencing(identityRef(m.name));
  if (!stored.isOk()) return stored.status();
  std::set<std::string> wanted, has_keys, has_trust;
  for (const auto& b : m.backends) {
    if (b.type == "builtin") wanted.insert(m.name + "/" + b.name);
  }
  for (const auto& r : *stored) {
    if (r.kind != kMeshCaKeysKind && r.kind != kMeshTrustKind) continue;
    if (!wanted.count(r.id)) {
      Status st = txn.remove(r.kind, r.id);
      if (!st.isOk() && st.code() != Status::Code::kNotFound) return st;
      continue;
    }
    (r.kind == kMeshCaKeysKind ? has_keys : has_trust).insert(r.id);
  }
  for (const auto& b : m.backends) {
    if (b.type != "builtin") continue;
    const std::string id = m.name + "/" + b.name;
    if (!has_keys.count(id)) {
      if (Status st = createCa(txn, m.name, b, now); !st.isOk()) return st;
      continue;
    }
    if (has_trust.count(id)) continue;
    // A key without its trust record (removed by hand): publish the certificate again.
    auto keys = txn.get(kMeshCaKeysKind, id);
    if (!keys.isOk()) return keys.status();
    if (!keys->has_value()) continue;
    const Json k = parse((*keys)->body);
    store::Record trust{kMeshTrustKind, id, "", {}, {identityRef(m.name)}};
    trust.body =
        Json{{"id", id}, {"mesh", m.name}, {"backend", b.name}, {"cert", stringField(k, "cert")}}
            .dump();
    if (Status st = txn.put(trust); !st.isOk()) return st;
  }
  return Status::ok();
}

Status removeMeshCas(store::WriteTxn& txn, const std::string& mesh_name) {
  auto stored = txn.referencing(identityRef(mesh_name));
  if (!stored.isOk()) return stored.status();
  for (const auto& r : *stored) {
    Status st = txn.remove(r.kind, r.id);
    if (!st.isOk() && st.code() != Status::Code::kNotFound) return st;
  }
  return Status::ok();
}

Result<mesh::Mesh> loadMeshWithCas(store::Store& store, const std::string& name, int64_t now) {
  std::optional<mesh::Mesh> out;
  std::string problem;
  auto written = store.write([&](store::WriteTxn& txn) -> Status {
    auto rec = txn.get("meshes", name);
    if (!rec.isOk()) return rec.status();
    if (!rec->has_value()) return Status::notFound("mesh '" + name + "' does not exist");
    auto loaded = mesh::loadMeshResource("Mesh", parse((*rec)->body));
    if (!loaded.isOk()) {
      return Status::internal("the stored mesh '" + name +
                              "' is not valid: " + loaded.status().message());
    }
    out = std::get<mesh::Mesh>(std::move(loaded.value()));
    return reconcileMeshCas(txn, *out, now);
  });
  if (!written.isOk()) return written.status();
  return std::move(*out);
}

Result<pki::CertificateAuthority> loadMeshCa(store::Store& store, const std::string& mesh_name,
                                             const std::string& backend) {
  auto rec = store.get(kMeshCaKeysKind, mesh_name + "/" + backend);
  if (!rec.isOk()) return rec.status();
  if (!rec->has_value()) {
    return Status::notFound("no CA for backend '" + backend + "' of mesh '" + mesh_name + "'");
  }
  Json body = parse((*rec)->body);
  pki::SecretString key(stringField(body, "key"));
  if (body.contains("key") && body["key"].is_string())
    pki::wipeString(body["key"].get_ref<std::string&>());
  pki::wipeString((*rec)->body);
  return pki::CertificateAuthority::load(stringField(body, "cert"), key.view());
}

Result<std::vector<std::string>> meshTrustedCas(store::Store& store, const std::string& mesh_name) {
  auto records = listAll(store, kMeshTrustKind, identityRef(mesh_name));
  if (!records.isOk()) return records.status();
  std::vector<std::string> out;
  for (const auto& r : *records) {
    std::string cert = stringField(parse(r.body), "cert");
    if (!cert.empty()) out.push_back(std::move(cert));
  }
  return out;
}

Result<TokenKeys> loadOrCreateTokenKeys(store::Store& store, int64_t now) {
  auto load = [&]() -> Result<TokenKeys> {
    auto records = listAll(store, kTokenSigningKeysKind, "");
    if (!records.isOk()) return records.status();
    std::map<std::string, pki::JwtVerifyKey> verify;
    std::optional<pki::TokenSigningKey> signing;
    int64_t newest = -1;
    for (auto& r : *records) {
      Json body = parse(r.body);
      pki::SecretString pem(stringField(body, "key"));
      if (body.contains("key") && body["key"].is_string()) {
        pki::wipeString(body["key"].get_ref<std::string&>());
      }
      pki::wipeString(r.body);
      auto key = pki::JwtSigningKey::fromPem(pem.view());
      if (!key.isOk()) {
        return Status::internal("stored token signing key '" + r.id +
                                "' is not usable: " + key.status().message());
      }
      verify.emplace(r.id, key->verifyKey());
      const int64_t created = body.value("created_at", int64_t(0));
      if (!signing || created > newest || (created == newest && r.id > signing->kid)) {
        newest = created;
        signing = pki::TokenSigningKey{r.id, key.value()};
      }
    }
    if (!signing) return Status::notFound("no token signing key");
    return TokenKeys{std::move(*signing), std::move(verify)};
  };
  auto keys = load();
  if (keys.isOk() || keys.status().code() != Status::Code::kNotFound) return keys;
  auto fresh = pki::JwtSigningKey::generate(pki::JwsAlgorithm::kEs256);
  if (!fresh.isOk()) return fresh.status();
  auto kid = randomKid();
  if (!kid.isOk()) return kid.status();
  auto written = store.write([&](store::WriteTxn& txn) -> Status {
    // Another replica may have been first: then its key is the one.
    auto page = txn.findByKey(kTokenSigningKeysKind, "first=1");
    if (!page.isOk()) return page.status();
    if (page->has_value()) return Status::ok();
    pki::SecretString pem = fresh->toPem();
    store::Record rec{kTokenSigningKeysKind, kid.value(), "", {"first=1"}, {}};
    rec.body = Json{
        {"kid", kid.value()},
        {"alg", pki::jwsAlgorithmName(fresh->algorithm())},
        {"key", pem.str()},
        {"created_at",
         now}}.dump();
    Status st = txn.put(rec);
    pki::wipeString(rec.body);
    return st;
  });
  if (!written.isOk()) return written.status();
  return load();
}

Result<std::set<std::string>> revokedTokenIds(store::Store& store, const std::string& mesh_name) {
  auto rec = store.get(kTokenRevocationsKind, mesh_name);
  if (!rec.isOk()) return rec.status();
  std::set<std::string> out;
  if (!rec->has_value()) return out;
  for (const auto& id : parse((*rec)->body).value("ids", Json::array())) {
    if (id.is_string()) out.insert(id.get<std::string>());
  }
  return out;
}

Status revokeTokenId(store::Store& store, const std::string& mesh_name, const std::string& jti) {
  auto written = store.write([&](store::WriteTxn& txn) -> Status {
    auto rec = txn.get(kTokenRevocationsKind, mesh_name);
    if (!rec.isOk()) return rec.status();
    Json body = rec->has_value() ? parse((*rec)->body) : Json::object();
    Json ids = body.value("ids", Json::array());
    if (!ids.is_array()) ids = Json::array();
    if (std::find(ids.begin(), ids.end(), Json(jti)) != ids.end()) return Status::ok();
    ids.push_back(jti);
    body = Json{{"mesh", mesh_name}, {"ids", std::move(ids)}};
    return txn.put(store::Record{kTokenRevocationsKind, mesh_name, body.dump(), {}, {}});
  });
  return written.isOk() ? Status::ok() : written.status();
}

}  // namespace causeway::cp
