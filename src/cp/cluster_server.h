// The control plane's end of the sync stream: a TLS listener that asks data planes for a
// certificate from the cluster CA (a wrong one fails the handshake), the WebSocket upgrade, hello
// (a data plane newer than this CP is refused with the reason), then the first snapshot or delta,
// and a delta to every data plane after each change. A data plane without a client certificate is
// refused at its hello (close code sync::kCloseRefused and the reason), unless it asks for a
// channel that admits data planes by another credential (mesh sidecars: a dataplane token).
// Keeps the registry that /clustering/data-planes shows; a data plane stays in it after it
// disconnects (as Kong's does), marked disconnected. Runs on the CP's main thread.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "cp/config_state.h"
#include "net/tls.h"

namespace causeway::cp {

// What a channel's admit says of an accepted data plane.
struct ChannelAdmission {
  // Extra fields of its dataPlanes() entry: {"transit_gateway": name}, {"dataplane", "mesh"}.
  std::map<std::string, std::string> labels;
  // Text messages sent to it right after admission, before its first config.
  std::vector<std::string> messages;
};

// The answer to a message of another type than ack/nack/heartbeat from an admitted data plane.
struct ChannelReply {
  std::vector<std::string> messages;  // text messages sent back
  std::string refuse;                 // when set: close the stream with kCloseRefused and this
};

class ClusterServer {
 public:
  ClusterServer(asio::io_context& io, ConfigState& config, net::SslCtxPtr tls);
  ~ClusterServer();
  Status listen(const asio::ip::tcp::endpoint& ep);
  // Where the first listen() listens (its port when it asked for port 0).
  asio::ip::tcp::endpoint localEndpoint() const;
  using Admission = ChannelAdmission;
  using Reply = ChannelReply;
  using Admit = std::function<Result<Admission>(const nlohmann::json& hello)>;
  using OnMessage =
      std::function<Reply(const nlohmann::json& hello, const nlohmann::json& message)>;
  struct ChannelOptions {
    // Data planes without a client certificate may ask for this channel (its admit checks
    // another credential).
    bool client_certificate_optional = false;
    OnMessage on_message;  // optional
  };
  // Data planes whose hello lists `capability` are served `config` (instead of the gateway
  // config) once `admit` accepted their hello, or refused with the error's message.
  void addChannel(std::string capability, ConfigState& config, Admit admit);
  void addChannel(std::string capability, ConfigState& config, Admit admit, ChannelOptions options);
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
