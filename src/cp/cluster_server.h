// The control plane's end of the sync stream: a mutual-TLS listener (data planes present a
// certificate from the cluster CA or are refused in the handshake), the WebSocket upgrade, hello
// (a data plane newer than this CP is refused with the reason), then the first snapshot or delta,
// and a delta to every data plane after each change. Keeps the registry that
// /clustering/data-planes shows. Runs on the CP's main thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "base/status.h"
#include "cp/config_state.h"
#include "net/tls.h"

namespace causeway::cp {

class ClusterServer {
 public:
  ClusterServer(asio::io_context& io, ConfigState& config, net::SslCtxPtr tls);
  ~ClusterServer();
  Status listen(const asio::ip::tcp::endpoint& ep);
  // Data planes whose hello lists `capability` are served `config` (instead of the gateway
  // config) once `admit` accepted their hello; it returns the name they serve as (shown as
  // "transit_gateway" in dataPlanes()), or an error that refuses them with its message.
  using Admit = std::function<Result<std::string>(const nlohmann::json& hello)>;
  void addChannel(std::string capability, ConfigState& config, Admit admit);
  // The config moved to a new revision: send each data plane what it is missing.
  void configChanged();
  // /clustering/data-planes entries.
  nlohmann::json dataPlanes() const;
  size_t connectedCount() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace causeway::cp
