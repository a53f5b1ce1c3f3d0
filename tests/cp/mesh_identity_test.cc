// Mesh CAs in the store: created with the Mesh that lists a builtin backend (one revision), kept
// across updates, a second one for a rotation, dropped with their backend or their mesh; the
// token signing key created once; revocation lists; what the mesh channel streams.
#include "cp/mesh_identity.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "cp/config_state.h"
#include "cp/mesh_api.h"
#include "mesh_fixture.h"
#include "pki/certificate.h"

namespace causeway::cp {
namespace {

using Json = nlohmann::json;

class MeshIdentityTest : public MeshStoreTest {};

TEST_F(MeshIdentityTest, MeshPutCreatesItsCaOnceInTheSameRevision) {
  const int64_t before = revision();
  ASSERT_EQ(call("PUT", "/meshes/default", meshWithBackends({"ca-1"}, "ca-1")).status, 201);
  EXPECT_EQ(revision(), before + 1);
  Json keys = record(kMeshCaKeysKind, "default/ca-1");
  Json trust = record(kMeshTrustKind, "default/ca-1");
  ASSERT_TRUE(keys.is_object());
  ASSERT_TRUE(trust.is_object());
  EXPECT_EQ(trust["mesh"], "default");
  EXPECT_EQ(trust["backend"], "ca-1");
  EXPECT_EQ(trust["id"], "default/ca-1");
  EXPECT_EQ(trust["cert"], keys["cert"]);
  EXPECT_FALSE(trust.contains("key"));
  EXPECT_NE(keys["key"].get<std::string>().find("PRIVATE KEY"), std::string::npos);
  auto info = pki::certificateInfo(trust["cert"].get<std::string>());
  ASSERT_TRUE(info.isOk());
  EXPECT_TRUE(info->is_ca);
  auto ca = loadMeshCa(*store_, "default", "ca-1");
  ASSERT_TRUE(ca.isOk()) << ca.status().toString();
  EXPECT_EQ(ca->certificatePem(), trust["cert"]);

  // Updating the mesh keeps its CA.
  ASSERT_EQ(call("PUT", "/meshes/default", meshWithBackends({"ca-1"}, "ca-1")).status, 200);
  EXPECT_EQ(record(kMeshTrustKind, "default/ca-1"), trust);
  // The Mesh itself reads back as given: the CA is not part of it.
  EXPECT_FALSE(call("GET", "/meshes/default").json.dump().find("BEGIN") != std::string::npos);
}

TEST_F(MeshIdentityTest, RotationListsTwoBackendsThenDropsTheOld) {
  ASSERT_EQ(call("PUT", "/meshes/default", meshWithBackends({"ca-1"}, "ca-1")).status, 201);
  const Json first = record(kMeshTrustKind, "default/ca-1");
  ASSERT_EQ(call("PUT", "/meshes/default", meshWithBackends({"ca-1", "ca-2"}, "ca-2")).status, 200);
  EXPECT_EQ(record(kMeshTrustKind, "default/ca-1"), first);
  const Json second = record(kMeshTrustKind, "default/ca-2");
  ASSERT_TRUE(second.is_object());
  EXPECT_NE(second["cert"], first["cert"]);
  auto trusted = meshTrustedCas(*store_, "default");
  ASSERT_TRUE(trusted.isOk());
  EXPECT_EQ(trusted.value(), (std::vector<std::string>{first["cert"], second["cert"]}));

  ASSERT_EQ(call("PUT", "/meshes/default", meshWithBackends({"ca-2"}, "ca-2")).status, 200);
  EXPECT_TRUE(record(kMeshTrustKind, "default/ca-1").is_null());
  EXPECT_TRUE(record(kMeshCaKeysKind, "default/ca-1").is_null());
  EXPECT_EQ(record(kMeshTrustKind, "default/ca-2"), second);
  EXPECT_EQ(meshTrustedCas(*store_, "default").value().size(), 1u);
}

TEST_F(MeshIdentityTest, ProvidedBackendsAndMtlsOffHaveNoCa) {
  Json mesh = {{"type", "Mesh"},
               {"mtls", {{"backends", {{{"name", "vault"}, {"type", "provided"}}}}}}};
  ASSERT_EQ(call("PUT", "/meshes/other", mesh).status, 201) << call("GET", "/meshes/other").text;
  EXPECT_TRUE(record(kMeshCaKeysKind, "other/vault").is_null());
  ASSERT_EQ(call("PUT", "/meshes/plain", Json{{"type", "Mesh"}}).status, 201);
  EXPECT_TRUE(meshTrustedCas(*store_, "plain").value().empty());
}

TEST_F(MeshIdentityTest, DeletingTheMeshDeletesItsCas) {
  ASSERT_EQ(call("PUT", "/meshes/default", meshWithBackends({"ca-1"}, "ca-1")).status, 201);
  EXPECT_EQ(call("DELETE", "/meshes/default").status, 200);
  EXPECT_TRUE(record(kMeshCaKeysKind, "default/ca-1").is_null());
  EXPECT_TRUE(record(kMeshTrustKind, "default/ca-1").is_null());
}

TEST_F(MeshIdentityTest, AMeshStoredWithoutItsCaGetsOneWhenNeeded) {
  auto rec =
      meshResourceRecord("Mesh", Json{{"type", "Mesh"},
                                      {"name", "old"},
                                      {"mtls",
                                       {{"enabledBackend", "ca-1"},
                                        {"backends", {{{"name", "ca-1"}, {"type", "builtin"}}}}}}});
  ASSERT_TRUE(rec.isOk());
  ASSERT_TRUE(store_->write([&](store::WriteTxn& txn) -> Status { return txn.put(*rec); }).isOk());
  EXPECT_TRUE(record(kMeshTrustKind, "old/ca-1").is_null());
  auto mesh = loadMeshWithCas(*store_, "old", pki::unixNow());
  ASSERT_TRUE(mesh.isOk()) << mesh.status().toString();
  EXPECT_EQ(mesh->enabled_backend, "ca-1");
  EXPECT_TRUE(record(kMeshTrustKind, "old/ca-1").is_object());
  const int64_t after = revision();
  ASSERT_TRUE(loadMeshWithCas(*store_, "old", pki::unixNow()).isOk());
  EXPECT_EQ(revision(), after) << "nothing missing: no new revision";
  EXPECT_EQ(loadMeshWithCas(*store_, "none", 0).status().code(), Status::Code::kNotFound);
}

TEST_F(MeshIdentityTest, TokenSigningKeyIsCreatedOnceAndRevocationsAccumulate) {
  auto first = loadOrCreateTokenKeys(*store_, 100);
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  EXPECT_FALSE(first->signing.kid.empty());
  auto second = loadOrCreateTokenKeys(*store_, 200);
  ASSERT_TRUE(second.isOk());
  EXPECT_EQ(second->signing.kid, first->signing.kid);
  EXPECT_EQ(second->verify.size(), 1u);

  EXPECT_TRUE(revokedTokenIds(*store_, "default").value().empty());
  ASSERT_TRUE(revokeTokenId(*store_, "default", "jti-1").isOk());
  const int64_t after = revision();
  ASSERT_TRUE(revokeTokenId(*store_, "default", "jti-1").isOk());
  EXPECT_EQ(revision(), after);
  ASSERT_TRUE(revokeTokenId(*store_, "default", "jti-2").isOk());
  EXPECT_EQ(revokedTokenIds(*store_, "default").value(), (std::set<std::string>{"jti-1", "jti-2"}));
  EXPECT_TRUE(revokedTokenIds(*store_, "other").value().empty());
}

TEST_F(MeshIdentityTest, TheMeshChannelStreamsResourcesAndTrustButNoKeys) {
  EXPECT_TRUE(isMeshChannelKind("meshes"));
  EXPECT_TRUE(isMeshChannelKind("dataplanes"));
  EXPECT_TRUE(isMeshChannelKind("meshtrafficpermissions"));
  EXPECT_TRUE(isMeshChannelKind(kMeshTrustKind));
  EXPECT_FALSE(isMeshChannelKind(kMeshCaKeysKind));
  EXPECT_FALSE(isMeshChannelKind(kTokenSigningKeysKind));
  EXPECT_FALSE(isMeshChannelKind(kTokenRevocationsKind));
  EXPECT_FALSE(isMeshChannelKind("services"));

  ASSERT_EQ(call("PUT", "/meshes/default", meshWithBackends({"ca-1"}, "ca-1")).status, 201);
  ASSERT_TRUE(loadOrCreateTokenKeys(*store_, 1).isOk());
  ASSERT_TRUE(revokeTokenId(*store_, "default", "x").isOk());
  ConfigState mesh_config(*store_, 16, isMeshChannelKind);
  ASSERT_TRUE(mesh_config.load().isOk());
  const auto& set = mesh_config.entities();
  EXPECT_EQ(set.size(), 2u);
  ASSERT_NE(set.find("meshes", "default"), nullptr);
  // Kuma resources carry their record id on the stream (entities are keyed by it).
  EXPECT_EQ(Json::parse(*set.find("meshes", "default"))["id"], "default");
  EXPECT_NE(set.find(kMeshTrustKind, "default/ca-1"), nullptr);
  const std::string text = set.declarativeText();
  EXPECT_EQ(text.find("PRIVATE KEY"), std::string::npos);
  // The gateway's config has none of them.
  ConfigState gateway_config(*store_);
  ASSERT_TRUE(gateway_config.load().isOk());
  EXPECT_EQ(gateway_config.entities().size(), 0u);
  // Nor has the declarative export.
  EXPECT_EQ(call("GET", "/config").text.find("PRIVATE KEY"), std::string::npos);
}

}  // namespace
}  // namespace causeway::cp
