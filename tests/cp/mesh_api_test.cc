// Kuma mesh resources in the CP's store: the record mapping (kind = plural, id = mesh/name, body as
// given, a ref to the mesh), and /meshes on the Admin API (one revision per write, Kuma's errors).
#include "cp/mesh_api.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "cp/admin_api.h"
#include "sqlite_store_fixture.h"

namespace causeway::cp {
namespace {

using Json = nlohmann::json;

const Json kPermission = {
    {"type", "MeshTrafficPermission"},
    {"name", "allow-web"},
    {"mesh", "default"},
    {"spec",
     {{"targetRef", {{"kind", "MeshService"}, {"name", "backend"}}},
      {"from",
       {{{"targetRef", {{"kind", "MeshSubset"}, {"tags", {{"kuma.io/service", "web"}}}}},
         {"default", {{"action", "Allow"}}}}}}}}};

TEST(MeshRecordTest, KindIsThePluralAndIdIsMeshSlashName) {
  auto rec = meshResourceRecord("MeshTrafficPermission", kPermission);
  ASSERT_TRUE(rec.isOk()) << rec.status().toString();
  EXPECT_EQ(rec->kind, "meshtrafficpermissions");
  EXPECT_EQ(rec->id, "default/allow-web");
  EXPECT_EQ(Json::parse(rec->body), kPermission);
  EXPECT_EQ(rec->refs, std::vector<std::string>{"meshes/default"});
  EXPECT_TRUE(rec->unique_keys.empty());
}

TEST(MeshRecordTest, MeshesAreKeyedByNameAndRefuseNoName) {
  auto rec = meshResourceRecord("Mesh", Json{{"type", "Mesh"}, {"name", "prod"}});
  ASSERT_TRUE(rec.isOk());
  EXPECT_EQ(rec->kind, "meshes");
  EXPECT_EQ(rec->id, "prod");
  EXPECT_TRUE(rec->refs.empty());
  auto dp = meshResourceRecord("Dataplane", Json{{"type", "Dataplane"}, {"name", "web-01"}});
  ASSERT_TRUE(dp.isOk());
  EXPECT_EQ(dp->kind, "dataplanes");
  EXPECT_EQ(dp->id, "default/web-01");  // Kuma's default mesh
  EXPECT_FALSE(meshResourceRecord("Mesh", Json{{"type", "Mesh"}}).isOk());
  EXPECT_FALSE(meshResourceRecord("NoSuchType", Json{{"name", "x"}}).isOk());
  EXPECT_TRUE(isMeshKind("meshhttproutes"));
  EXPECT_FALSE(isMeshKind("services"));
  EXPECT_FALSE(isMeshKind("network_transit_gateways"));
}

class MeshApiTest : public SqliteStoreTest {
 protected:
  std::pair<int, Json> call(const std::string& method, const std::string& path,
                            const Json& body = nullptr) {
    ApiRequest req;
    req.method = method;
    req.path = path;
    req.body = body.is_null() ? "" : body.dump();
    req.remote = "127.0.0.1";
    AdminApi api(*store_, AdminApiHooks{});
    ApiResponse r = api.handle(req);
    return {r.status, r.body.empty() ? Json() : Json::parse(r.body, nullptr, false)};
  }
};

TEST_F(MeshApiTest, PutGetListDeleteOneRevisionEach) {
  EXPECT_EQ(call("PUT", "/meshes/default", Json{{"type", "Mesh"}}).first, 201);
  const int64_t before = revision();
  auto [status, body] =
      call("PUT", "/meshes/default/meshtrafficpermissions/allow-web", kPermission);
  EXPECT_EQ(status, 201) << body.dump();
  EXPECT_EQ(revision(), before + 1);
  EXPECT_EQ(call("PUT", "/meshes/default/meshtrafficpermissions/allow-web", kPermission).first,
            200);
  auto got = call("GET", "/meshes/default/meshtrafficpermissions/allow-web");
  EXPECT_EQ(got.first, 200);
  EXPECT_EQ(got.second, kPermission);
  auto list = call("GET", "/meshes/default/meshtrafficpermissions");
  EXPECT_EQ(list.second["total"], 1);
  EXPECT_EQ(list.second["items"][0], kPermission);
  EXPECT_TRUE(list.second["next"].is_null());
  // The Kong side is untouched.
  EXPECT_EQ(call("GET", "/services").second["data"].size(), 0u);

  auto refused = call("DELETE", "/meshes/default");
  EXPECT_EQ(refused.first, 400);
  EXPECT_NE(refused.second["details"].get<std::string>().find("still has 1"), std::string::npos);
  EXPECT_EQ(call("DELETE", "/meshes/default/meshtrafficpermissions/allow-web").first, 200);
  EXPECT_EQ(call("GET", "/meshes/default/meshtrafficpermissions/allow-web").first, 404);
  EXPECT_EQ(call("DELETE", "/meshes/default").first, 200);
  EXPECT_EQ(call("GET", "/meshes").second["total"], 0);
}

TEST_F(MeshApiTest, RefusesInvalidResourcesMismatchesAndMissingMeshes) {
  Json mtp = kPermission;
  EXPECT_EQ(call("PUT", "/meshes/default/meshtrafficpermissions/allow-web", mtp).first, 400)
      << "no mesh 'default' yet";
  ASSERT_EQ(call("PUT", "/meshes/default", Json::object()).first, 201);
  mtp["spec"]["from"][0]["default"]["action"] = "Maybe";
  auto [status, body] = call("PUT", "/meshes/default/meshtrafficpermissions/allow-web", mtp);
  EXPECT_EQ(status, 400);
  EXPECT_EQ(body["title"], "Could not process a resource");
  ASSERT_TRUE(body["invalid_parameters"].is_array()) << body.dump();
  EXPECT_EQ(body["invalid_parameters"][0]["field"], "spec.from[0].default.action");
  auto other = call("PUT", "/meshes/default/meshtrafficpermissions/other-name", kPermission);
  EXPECT_EQ(other.first, 400);
  EXPECT_EQ(other.second["invalid_parameters"][0]["field"], "name");
  EXPECT_EQ(call("GET", "/meshes/default/nosuchthings").first, 404);
}

}  // namespace
}  // namespace causeway::cp
