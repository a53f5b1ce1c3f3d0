#include "cp/mesh_channel.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "cp/mesh_api.h"
#include "cp/mesh_identity.h"
#include "model/mesh/loader.h"
#include "pki/dataplane_token.h"
#include "pki/spiffe.h"

namespace causeway::cp {
namespace {

using Json = nlohmann::json;
namespace mesh = model::mesh;

// What a sidecar's hello proves, once checked.
struct Checked {
  pki::DataplaneTokenClaims claims;
  Json dataplane_json;  // as stored
  mesh::Dataplane dataplane;
  mesh::Mesh mesh;
  std::string csr;
};

Status refused(const std::string& why) { return Status::invalidArgument(why); }

// The tags a data plane claims: each inbound's, or a delegated gateway's.
std::vector<const mesh::Tags*> claimedTags(const mesh::Dataplane& dp) {
  std::vector<const mesh::Tags*> out;
  if (dp.gateway_tags) out.push_back(&*dp.gateway_tags);
  for (const auto& in : dp.inbound) out.push_back(&in.tags);
  return out;
}

// Every inbound's tags (a gateway's tags) must be allowed by the token: its kuma.io/service
// listed by the token, and any other tag the token lists one of its values.
Status checkTags(const pki::DataplaneTokenClaims& claims, const mesh::Dataplane& dp) {
  auto services = claims.tags.find(pki::kServiceTag);
  for (const mesh::Tags* tags : claimedTags(dp)) {
    const std::string& service = tags->at(std::string(mesh::kServiceTag));
    if (services == claims.tags.end() || std::find(services->second.begin(), services->second.end(),
                                                   service) == services->second.end()) {
      return refused("the dataplane token does not allow service '" + service + "'");
    }
    for (const auto& [tag, allowed] : claims.tags) {
      auto have = tags->find(tag);
      if (have == tags->end() ||
          std::find(allowed.begin(), allowed.end(), have->second) == allowed.end()) {
        return refused("the dataplane token does not allow inbound tag " + tag + "=" +
                       (have == tags->end() ? "(absent)" : have->second));
      }
    }
  }
  return Status::ok();
}

// Checks everything a hello (or the hello of a sidecar asking for renewal) claims.
Result<Checked> check(store::Store& store, const Json& hello, int64_t now) {
  auto section = hello.find("mesh");
  if (section == hello.end() || !section->is_object()) {
    return refused("a mesh data plane's hello needs a 'mesh' object (token, dataplane, csr)");
  }
  auto token = section->find("token");
  if (token == section->end() || !token->is_string() || token->get<std::string>().empty()) {
    return refused("a mesh data plane needs a dataplane token");
  }
  auto dp_it = section->find("dataplane");
  if (dp_it == section->end() || !dp_it->is_object()) {
    return refused("a mesh data plane's hello needs its Dataplane");
  }
  Checked out;
  out.dataplane_json = *dp_it;
  if (!out.dataplane_json.contains("type")) out.dataplane_json["type"] = "Dataplane";
  if (!out.dataplane_json.contains("mesh")) {
    out.dataplane_json["mesh"] = std::string(mesh::kDefaultMesh);
  }
  model::kong::LoadError errors;
  auto loaded = mesh::loadMeshResource("Dataplane", out.dataplane_json, &errors);
  if (!loaded.isOk()) {
    std::string why = "invalid Dataplane: ";
    why += errors.errors.empty() ? loaded.status().message() : errors.message();
    return refused(why);
  }
  out.dataplane = std::get<mesh::Dataplane>(std::move(loaded.value()));
  if (claimedTags(out.dataplane).empty()) {
    return refused("a sidecar's Dataplane needs an inbound (or networking.gateway)");
  }
  if (auto csr = section->find("csr"); csr != section->end() && csr->is_string()) {
    out.csr = csr->get<std::string>();
  }

  auto keys = loadOrCreateTokenKeys(store, now);
  if (!keys.isOk()) return keys.status();
  auto revoked = revokedTokenIds(store, out.dataplane.mesh);
  if (!revoked.isOk()) return revoked.status();
  auto claims = pki::verifyDataplaneToken(keys->verify, token->get<std::string>(), now,
                                          revoked.value(), out.dataplane.mesh);
  if (!claims.isOk()) return claims.status();
  out.claims = std::move(claims.value());
  if (!out.claims.name.empty() && out.claims.name != out.dataplane.name) {
    return refused("the dataplane token is for dataplane '" + out.claims.name + "', not '" +
                   out.dataplane.name + "'");
  }
  if (Status st = checkTags(out.claims, out.dataplane); !st.isOk()) return st;

  auto m = loadMeshWithCas(store, out.dataplane.mesh, now);
  if (!m.isOk()) {
    if (m.status().code() == Status::Code::kNotFound) {
      return refused("mesh '" + out.dataplane.mesh + "' does not exist");
    }
    return m.status();
  }
  out.mesh = std::move(m.value());
  return out;
}

// Whether the mesh issues certificates: mTLS on, with a builtin backend enabled.
bool issuesCertificates(const mesh::Mesh& m) {
  const mesh::MtlsBackend* b = m.enabledBackend();
  return b && b->type == "builtin";
}

// The "certificate" message for the checked sidecar's CSR.
Result<std::string> certificateMessage(store::Store& store, const Checked& c, int64_t now) {
  const mesh::MtlsBackend* backend = c.mesh.enabledBackend();
  if (c.csr.empty()) return refused("mTLS is on in mesh '" + c.mesh.name + "': send a CSR");
  auto ca = loadMeshCa(store, c.mesh.name, backend->name);
  if (!ca.isOk()) return ca.status();
  const mesh::Tags& tags = *claimedTags(c.dataplane).front();
  auto id = pki::meshServiceId(c.mesh.name, tags.at(std::string(mesh::kServiceTag)));
  if (!id.isOk()) return refused("no SPIFFE ID for this sidecar: " + id.status().message());
  auto cert = pki::issueWorkloadCertificate(ca.value(), c.csr, id.value(),
                                            std::chrono::seconds(backend->cert_expiration_s), now);
  if (!cert.isOk()) return refused("cannot sign the CSR: " + cert.status().message());
  auto cas = meshTrustedCas(store, c.mesh.name);
  if (!cas.isOk()) return cas.status();
  return Json{{"type", "certificate"}, {"cert", cert.value()}, {"ca", cas.value()}}.dump();
}

// Stores the Dataplane as PUT /meshes/{mesh}/dataplanes/{name} would; no revision when the
// stored one is the same.
Status upsertDataplane(store::Store& store, const Checked& c) {
  auto rec = meshResourceRecord("Dataplane", c.dataplane_json);
  if (!rec.isOk()) return rec.status();
  auto written = store.write([&](store::WriteTxn& txn) -> Status {
    auto prior = txn.get(rec->kind, rec->id);
    if (!prior.isOk()) return prior.status();
    if (prior->has_value()) {
      Json before = Json::parse((*prior)->body, nullptr, false);
      if (before == c.dataplane_json) return Status::ok();
    }
    return txn.put(*rec);
  });
  return written.isOk() ? Status::ok() : written.status();
}

}  // namespace

MeshChannel::MeshChannel(store::Store& store, std::function<int64_t()> clock)
    : store_(store), clock_(std::move(clock)) {
  if (!clock_) {
    clock_ = [] {
      return int64_t(std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count());
    };
  }
}

Result<ChannelAdmission> MeshChannel::admit(const Json& hello) {
  const int64_t now = clock_();
  auto checked = check(store_, hello, now);
  if (!checked.isOk()) return checked.status();
  ChannelAdmission admission;
  if (issuesCertificates(checked->mesh)) {
    auto msg = certificateMessage(store_, checked.value(), now);
    if (!msg.isOk()) return msg.status();
    admission.messages.push_back(std::move(msg.value()));
  }
  if (Status st = upsertDataplane(store_, checked.value()); !st.isOk()) return st;
  admission.labels = {{"dataplane", checked->dataplane.name}, {"mesh", checked->dataplane.mesh}};
  spdlog::info("mesh: admitted dataplane {}/{} (token id {}){}", checked->dataplane.mesh,
               checked->dataplane.name, checked->claims.jti,
               admission.messages.empty() ? ", mTLS off" : ", certificate issued");
  return admission;
}

ChannelReply MeshChannel::onMessage(const Json& hello, const Json& message) {
  ChannelReply reply;
  if (message.value("type", "") != "csr") return reply;
  const int64_t now = clock_();
  auto checked = check(store_, hello, now);
  if (!checked.isOk()) {
    if (checked.status().code() == Status::Code::kInvalidArgument) {
      reply.refuse = checked.status().message();
    } else {
      reply.messages.push_back(
          Json{{"type", "error"}, {"error", checked.status().message()}}.dump());
    }
    return reply;
  }
  if (!issuesCertificates(checked->mesh)) {
    reply.messages.push_back(Json{
        {"type", "error"},
        {"error", "mTLS is off in mesh '" + checked->mesh.name +
                      "'"}}.dump());
    return reply;
  }
  auto csr = message.find("csr");
  checked->csr = csr != message.end() && csr->is_string() ? csr->get<std::string>() : "";
  auto msg = certificateMessage(store_, checked.value(), now);
  if (!msg.isOk()) {
    reply.messages.push_back(Json{{"type", "error"}, {"error", msg.status().message()}}.dump());
    return reply;
  }
  reply.messages.push_back(std::move(msg.value()));
  return reply;
}

ClusterServer::ChannelOptions MeshChannel::channelOptions() {
  ClusterServer::ChannelOptions options;
  options.client_certificate_optional = true;
  options.on_message = [this](const Json& hello, const Json& message) {
    return onMessage(hello, message);
  };
  return options;
}

}  // namespace causeway::cp
