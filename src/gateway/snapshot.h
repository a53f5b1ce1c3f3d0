// A gateway configuration compiled for the data path: the validated Kong config, its router, one
// cluster per service, and the TLS certificates by server name. Immutable after build(); shared by
// every worker through shared_ptr<const GatewaySnapshot>. Private keys are wiped when it goes.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "gateway/router.h"
#include "model/kong/entities.h"
#include "net/tls.h"
#include "proxy/dispatch.h"

namespace causeway::gateway {

// The gateway as a member of a service mesh: the mesh's cluster for a service (its instances,
// the mTLS context with the gateway's own identity, the peer identity to expect), or null when
// the gateway is in no mesh or the service is unknown. A Kong service whose host is
// "<service>.mesh" is proxied to that cluster's instances with its mTLS, outlier detection and
// health checks; the Kong service's own retries, timeouts and balancing apply (Kong owns them).
using MeshClusters = std::function<const proxy::Cluster*(std::string_view service)>;
inline constexpr std::string_view kMeshHostSuffix = ".mesh";

class GatewaySnapshot final : public proxy::ProxyConfig {
 public:
  // `default_cert` serves TLS clients whose server name no certificate covers.
  static Result<std::shared_ptr<const GatewaySnapshot>> build(model::kong::Config config,
                                                              net::SslCtxPtr default_cert,
                                                              const MeshClusters& mesh = nullptr);
  ~GatewaySnapshot() override;

  proxy::Decision dispatch(const http::RequestHead& head,
                           const proxy::ConnectionInfo& conn) const override;
  SSL_CTX* certificateFor(std::string_view sni) const override;
  size_t clusterCount() const override { return clusters_.size(); }
  const proxy::Cluster& cluster(size_t i) const override { return clusters_[i]; }
  const std::string& hash() const override { return config_->hash; }
  const model::kong::Config& config() const { return *config_; }

 private:
  GatewaySnapshot() = default;
  std::unique_ptr<model::kong::Config> config_;
  std::unique_ptr<Router> router_;
  std::vector<proxy::Cluster> clusters_;                        // one per service
  std::unordered_map<std::string, size_t> cluster_of_service_;  // service id -> cluster
  std::unordered_map<std::string, const model::kong::Upstream*> upstream_of_service_;
  std::unordered_map<std::string, net::SslCtxPtr> certs_exact_;
  std::vector<std::pair<std::string, net::SslCtxPtr>> certs_wildcard_;  // "*.x" / "x.*" as written
  net::SslCtxPtr default_cert_;
};

}  // namespace causeway::gateway
