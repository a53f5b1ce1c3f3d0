// The data plane's end of the sync stream. Connects to the CP (mutual TLS, WebSocket), says hello,
// applies the snapshot and deltas it receives through the caller's `apply` (which validates and
// publishes; an error is nacked and the old config kept), acks, persists the last good snapshot
// in the data directory, and reconnects with jittered backoff when the CP goes away. On start,
// a persisted snapshot is applied before any connection, so the DP serves through CP outages and
// restarts. Runs on the caller's io_context (the main thread); `apply` runs there too.
#pragma once

#include <asio/io_context.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/kong/entities.h"

namespace causeway::sync {

struct SyncClientOptions {
  std::string cp_url;    // wss://HOST:PORT (port 8005 when absent)
  std::string cert_dir;  // ca.crt, dp.crt, dp.key
  std::string data_dir;  // node id and last good snapshot
  std::string hostname;
  std::vector<std::string> capabilities = {"gateway"};
  std::string version;  // defaults to sync::kVersion; tests set a newer one
};

class SyncClient {
 public:
  // Publishes a validated config; `hash` is the CP's hash for it. An error is nacked and the
  // previous config kept.
  using Apply = std::function<Status(const model::kong::Config& config, const std::string& hash)>;

  SyncClient(asio::io_context& io, SyncClientOptions options, Apply apply);
  ~SyncClient();
  // Loads the cluster certificate, the node id and the persisted snapshot (applied if present),
  // then starts connecting in the background. Errors: bad options or certificates.
  Status start();
  void stop();
  // For /status: {"connected", "revision", "hash", "last_error", "node_id"}.
  nlohmann::json status() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace causeway::sync
