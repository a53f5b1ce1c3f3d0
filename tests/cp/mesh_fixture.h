// A SQLite store fixture with the Admin API at hand, and the Kuma resources the mesh identity,
// token and admission tests share.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cp/admin_api.h"
#include "sqlite_store_fixture.h"

namespace causeway::cp {

// A Mesh with these builtin backends (and `enabled` as enabledBackend; "" for mTLS off).
inline nlohmann::json meshWithBackends(const std::vector<std::string>& backends,
                                       const std::string& enabled) {
  nlohmann::json b = nlohmann::json::array();
  for (const auto& name : backends) {
    b.push_back(
        {{"name", name}, {"type", "builtin"}, {"dpCert", {{"rotation", {{"expiration", "2h"}}}}}});
  }
  nlohmann::json mesh = {{"type", "Mesh"}};
  if (!backends.empty()) mesh["mtls"] = {{"backends", b}};
  if (!enabled.empty()) mesh["mtls"]["enabledBackend"] = enabled;
  return mesh;
}

inline nlohmann::json dataplaneJson(const std::string& name, const std::string& mesh,
                                    const std::string& service) {
  return {{"type", "Dataplane"},
          {"name", name},
          {"mesh", mesh},
          {"networking",
           {{"address", "10.0.0.1"},
            {"inbound",
             {{{"port", 8080},
               {"servicePort", 18080},
               {"tags", {{"kuma.io/service", service}, {"kuma.io/protocol", "http"}}}}}}}}};
}

class MeshStoreTest : public SqliteStoreTest {
 protected:
  struct Answer {
    int status = 0;
    std::string content_type;
    std::string text;
    nlohmann::json json;
  };

  Answer call(const std::string& method, const std::string& path,
              const nlohmann::json& body = nullptr) {
    ApiRequest req;
    req.method = method;
    req.path = path;
    req.body = body.is_null() ? "" : body.dump();
    req.remote = "127.0.0.1";
    AdminApi api(*store_, AdminApiHooks{});
    ApiResponse r = api.handle(req);
    Answer a{r.status, r.content_type, r.body, nlohmann::json()};
    if (!r.body.empty()) a.json = nlohmann::json::parse(r.body, nullptr, false);
    return a;
  }

  // The body of a stored record, or null.
  nlohmann::json record(const std::string& kind, const std::string& id) {
    auto r = store_->get(kind, id);
    EXPECT_TRUE(r.isOk());
    if (!r.isOk() || !r->has_value()) return nullptr;
    return nlohmann::json::parse((*r)->body);
  }

  // A token from POST /tokens/dataplane.
  std::string issueToken(const std::string& mesh, const std::vector<std::string>& services,
                         const std::string& name = "") {
    nlohmann::json body = {{"mesh", mesh},
                           {"tags", {{"kuma.io/service", services}}},
                           {"type", "dataplane"},
                           {"validFor", "24h"}};
    if (!name.empty()) body["name"] = name;
    Answer a = call("POST", "/tokens/dataplane", body);
    EXPECT_EQ(a.status, 200) << a.text;
    return a.text;
  }
};

}  // namespace causeway::cp
