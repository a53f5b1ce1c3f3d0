// The Kong-compatible Admin API: services, routes, upstreams, targets, consumers, certificates,
// snis and plugins (list with size/offset/tags, get by id or endpoint key, POST, PUT as upsert,
// PATCH, DELETE, nested paths), /schemas/{kind}, /config (GET export, POST whole config), /status,
// /clustering/data-planes, /network (network_config.h), Kuma's /meshes (mesh_api.h), dataplane
// tokens (token_api.h) and admin tokens. Every write is one store transaction: it applies whole or
// not at all. Handlers run on the control plane's main thread; the store is blocking.
#pragma once

#include <functional>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "cp/api_types.h"
#include "store/store.h"

namespace causeway::cp {

struct AdminApiHooks {
  std::function<nlohmann::json()> data_planes;  // /clustering/data-planes "data"
  std::function<nlohmann::json()> status;       // extra fields for /status
};

class AdminApi {
 public:
  AdminApi(store::Store& store, AdminApiHooks hooks);
  ApiResponse handle(const ApiRequest& req);

  // Admin tokens: stored as SHA-256 hashes; the token itself is returned once.
  enum class Role { kReadOnly, kReadWrite };
  static Result<std::string> createToken(store::Store& store, const std::string& name, Role role);
  static Result<bool> anyToken(store::Store& store);

 private:
  ApiResponse authorize(const ApiRequest& req, bool& allowed);
  store::Store& store_;
  AdminApiHooks hooks_;
};

}  // namespace causeway::cp
