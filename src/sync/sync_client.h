// The data plane's end of the sync stream. Connects to the CP (mutual TLS, WebSocket), says hello,
// applies the snapshot and deltas it receives through the caller's handler (which validates and
// publishes; an error is nacked and the old config kept): a gateway's Kong config (Apply), or any
// entity set (SyncHandler: the transit network), acks, persists the last good snapshot
// in the data directory, and reconnects with jittered backoff when the CP goes away. On start,
// a persisted snapshot is applied before any connection, so the DP serves through CP outages and
// restarts. Runs on the caller's io_context (the main thread); `apply` runs there too.
#pragma once

#include <asio/io_context.hpp>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "model/kong/entities.h"
#include "sync/entity_set.h"

namespace causeway::sync {

struct SyncClientOptions {
  std::string cp_url;    // wss://HOST:PORT (port 8005 when absent)
  std::string cert_dir;  // ca.crt, dp.crt, dp.key
  // Instead of cert_dir: connect without a client certificate, verifying the CP against this CA
  // file only (mesh sidecars, which prove themselves with a token in the hello).
  std::string ca_file;
  std::string data_dir;  // node id and last good snapshot
  std::string hostname;
  std::vector<std::string> capabilities = {"gateway"};
  std::string version;  // defaults to sync::kVersion; tests set a newer one
  // Adds fields to the hello (a transit gateway's name and public key). Called for every
  // connection, so each hello is fresh.
  std::function<void(nlohmann::json& hello)> extend_hello;
  // Messages from the CP other than config and heartbeats ({"type": "certificate", ...}).
  std::function<void(const std::string& type, const nlohmann::json& message)> on_message;
};

// What a data plane does with the entity set it is sent. Each call publishes the new config, or
// returns why not and leaves the previous one serving. Both run on the client's io_context.
struct SyncHandler {
  using Touched = std::vector<std::pair<std::string, std::string>>;  // (kind, id)
  // A whole set (a snapshot, or the saved one at start); `doc` is its declarative document.
  std::function<Status(const EntitySet& set, const nlohmann::json& doc, const std::string& hash)>
      snapshot;
  // The set after a delta that changed `touched`.
  std::function<Status(const EntitySet& set, const Touched& touched, const std::string& hash)>
      delta;
};

class SyncClient {
 public:
  // Publishes a validated config; `hash` is the CP's hash for it. An error is nacked and the
  // previous config kept.
  using Apply = std::function<Status(const model::kong::Config& config, const std::string& hash)>;

  SyncClient(asio::io_context& io, SyncClientOptions options, Apply apply);
  SyncClient(asio::io_context& io, SyncClientOptions options, SyncHandler handler);
  ~SyncClient();
  // Loads the cluster certificate, the node id and the persisted snapshot (applied if present),
  // then starts connecting in the background. Errors: bad options or certificates.
  Status start();
  void stop();
  // Sends a text message (JSON) on the current connection; false when not connected.
  bool send(const std::string& text);
  // For /status: {"connected", "revision", "hash", "last_error", "node_id"}.
  // Safe from the client's io_context only.
  nlohmann::json status() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace causeway::sync
