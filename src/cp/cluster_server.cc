#include "cp/cluster_server.h"

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/redirect_error.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <list>
#include <map>
#include <nlohmann/json.hpp>

#include "net/address.h"
#include "net/deadline.h"
#include "sync/protocol.h"
#include "sync/ws_connection.h"

namespace causeway::cp {
namespace {

using Json = nlohmann::json;
constexpr auto kAwait = asio::use_awaitable;

int64_t unixNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

int64_t unixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// What the CP knows of one data plane, connected or not.
struct DataPlane {
  std::string id, hostname, version, ip;
  std::vector<std::string> capabilities;
  int64_t revision = 0;        // acked
  std::string config_hash;     // acked
  int64_t sent_revision = -1;  // the revision the last message we sent brings it to
  std::string sent_hash;       // and the hash there: the next delta starts from them
  int64_t last_seen = 0;
  std::string sync_status = "unknown";  // normal | nacked | version_incompatible | disconnected
  std::string last_error;
  double apply_ms = 0;
  int64_t acked_at_ms = 0;  // wall clock when the last ack arrived (the DP serves it by then)
  size_t last_message_bytes = 0;
  bool connected = false;
  std::shared_ptr<sync::WsConnection> conn;
  ConfigState* config = nullptr;                // what it is served
  std::map<std::string, std::string> labels;    // from its channel's admit
  ClusterServer::OnMessage on_message;          // its channel's, if any
  std::shared_ptr<const nlohmann::json> hello;  // kept for on_message
};

struct Channel {
  std::string capability;
  ConfigState* config;
  ClusterServer::Admit admit;
  ClusterServer::ChannelOptions options;
};

// Whether the TLS peer presented a certificate that verified (the context asks for one without
// requiring it; one that does not verify fails the handshake).
bool hasVerifiedClientCertificate(SSL* ssl) {
  return ssl && SSL_get0_peer_certificate(ssl) != nullptr &&
         SSL_get_verify_result(ssl) == X509_V_OK;
}

}  // namespace

struct ClusterServer::State : std::enable_shared_from_this<ClusterServer::State> {
  asio::io_context& io;
  ConfigState& config;
  asio::ssl::context tls;
  std::list<asio::ip::tcp::acceptor> acceptors;
  std::map<std::string, DataPlane> planes;  // by id
  std::vector<Channel> channels;

  State(asio::io_context& i, ConfigState& c, const net::SslCtxPtr& ctx)
      : io(i), config(c), tls(net::adoptSslContext(ctx.get())) {}

  // Sends `dp` what takes it from its acked state to the current revision.
  void push(DataPlane& dp, bool force_full) {
    if (!dp.conn || !dp.conn->isOpen() || !dp.config) return;
    ConfigState& config = *dp.config;
    if (!force_full && dp.sent_revision == config.revision()) return;
    std::shared_ptr<const std::string> msg;
    if (!force_full && dp.sent_revision >= 0) {
      msg = config.deltaMessage(dp.sent_revision, dp.sent_hash);
    }
    if (!msg) msg = config.snapshotMessage();
    dp.conn->sendBinary(*msg);
    dp.last_message_bytes = msg->size();
    dp.sent_revision = config.revision();
    dp.sent_hash = config.hash();
  }

  // Refuses a data plane at its hello: logged, shown in the registry, and told why.
  static void refuse(DataPlane& dp, sync::WsConnection& c, const char* sync_status,
                     const std::string& reason) {
    spdlog::warn("cluster: refused data plane {} ({}): {}", dp.id, dp.ip, reason);
    dp.sync_status = sync_status;
    dp.last_error = reason;
    dp.connected = false;
    c.close(sync::kCloseRefused, reason);
  }

  asio::awaitable<void> heartbeat(std::shared_ptr<State> self,
                                  std::shared_ptr<sync::WsConnection> c) {
    asio::steady_timer timer(io);
    while (c->isOpen()) {
      timer.expires_after(sync::kHeartbeat);
      std::error_code ec;
      co_await timer.async_wait(asio::redirect_error(kAwait, ec));
      if (ec || !c->isOpen()) co_return;
      c->sendText(R"({"type":"heartbeat"})");
    }
  }

  // `self` keeps the state alive for the coroutine, which may first run after the server is gone.
  asio::awaitable<void> serve(std::shared_ptr<State> self, asio::ip::tcp::socket sock) {
    std::string ip;
    {
      std::error_code e;
      auto ep = sock.remote_endpoint(e);
      if (!e) ip = ep.address().to_string();
    }
    auto stream = std::make_unique<net::TlsStream>(std::move(sock), tls);
    net::TlsStream* t = stream.get();
    auto deadline = std::make_shared<net::Deadline>(io, [t] { t->close(); });
    deadline->expiresAfter(std::chrono::seconds(10));
    std::error_code ec;
    co_await t->handshakeServer(ec);
    if (ec) {
      deadline->cancel();
      spdlog::warn("cluster: refused a data plane from {}: TLS: {}", ip, ec.message());
      co_return;
    }
    const bool has_certificate = hasVerifiedClientCertificate(t->native());
    auto c = std::make_shared<sync::WsConnection>(std::move(stream), http::WebSocketRole::kServer,
                                                  1u << 20);
    Status hs = co_await c->handshakeServer(sync::kPath);
    if (!hs.isOk()) {
      deadline->cancel();
      spdlog::warn("cluster: refused a connection from {}: {}", ip, hs.message());
      c->abort();
      co_return;
    }
    auto first = co_await c->read();
    deadline->cancel();
    if (!first.isOk()) co_return;
    auto hello = std::make_shared<const Json>(Json::parse(first->data, nullptr, false));
    if (hello->is_discarded() || !hello->is_object() || hello->value("type", "") != "hello" ||
        !hello->contains("id") || !(*hello)["id"].is_string()) {
      c->close(http::ws_close::kPolicyViolation, "expected hello");
      co_return;
    }
    const std::string id = (*hello)["id"].get<std::string>();
    std::vector<std::string> capabilities;
    if (auto caps = hello->find("capabilities"); caps != hello->end() && caps->is_array()) {
      for (const auto& cap : *caps) {
        if (cap.is_string()) capabilities.push_back(cap.get<std::string>());
      }
    }
    // Its channel: the first capability with one; none: the gateway config.
    const Channel* channel = nullptr;
    for (const Channel& ch : channels) {
      if (std::find(capabilities.begin(), capabilities.end(), ch.capability) !=
          capabilities.end()) {
        channel = &ch;
        break;
      }
    }
    const std::string version = hello->value("version", "");
    const bool too_new = sync::compareVersions(version, sync::kVersion) > 0;
    const std::string too_new_reason =
        "data plane version " + version + " is newer than control plane version " + sync::kVersion;
    // A data plane without a certificate has proven nothing yet: it is refused without touching
    // the registry (so it cannot replace a registered data plane's stream by naming its id).
    auto refuseUnknown = [&](const std::string& reason) {
      spdlog::warn("cluster: refused data plane {} ({}): {}", id, ip, reason);
      c->close(sync::kCloseRefused, reason);
    };
    if (!has_certificate) {
      if (!channel || !channel->options.client_certificate_optional) {
        refuseUnknown("a client certificate from the cluster CA is required");
        co_return;
      }
      if (too_new) {
        refuseUnknown(too_new_reason);
        co_return;
      }
      if (auto it = planes.find(id);
          it != planes.end() && it->second.connected && it->second.config != channel->config) {
        refuseUnknown("data plane id " + id + " is in use");
        co_return;
      }
    }
    Admission admission;
    std::string refusal;
    if (channel && !too_new) {
      auto admitted = channel->admit(*hello);
      if (admitted.isOk()) {
        admission = std::move(admitted.value());
      } else if (!has_certificate) {
        refuseUnknown(admitted.status().message());
        co_return;
      } else {
        refusal = admitted.status().message();
      }
    }
    DataPlane& dp = planes[id];
    if (dp.conn && dp.conn->isOpen()) dp.conn->abort();  // a reconnect replaces the old stream
    dp.id = id;
    dp.ip = ip;
    dp.hostname = hello->value("hostname", "");
    dp.version = version;
    dp.capabilities = capabilities;
    dp.last_seen = unixNow();
    dp.labels = std::move(admission.labels);
    if (too_new) {
      refuse(dp, *c, "version_incompatible", too_new_reason);
      co_return;
    }
    if (!refusal.empty()) {
      refuse(dp, *c, "refused", refusal);
      co_return;
    }
    ConfigState* served = channel ? channel->config : &config;
    dp.on_message = channel ? channel->options.on_message : nullptr;
    dp.hello = hello;
    dp.config = served;
    ConfigState& config = *served;
    dp.revision = hello->value("revision", int64_t(0));
    dp.config_hash = hello->value("hash", "");
    dp.sent_revision = dp.revision;
    dp.sent_hash = dp.config_hash;
    dp.conn = c;
    dp.connected = true;
    dp.sync_status = "normal";
    spdlog::info("cluster: data plane {} ({}, {}) connected at revision {}", id, dp.hostname, ip,
                 dp.revision);
    asio::co_spawn(io, heartbeat(self, c), asio::detached);
    for (const std::string& m : admission.messages) c->sendText(m);
    // First sync: a delta if its revision and hash are in our history, else a snapshot.
    {
      auto msg = config.deltaMessage(dp.revision, dp.config_hash);
      if (dp.revision == config.revision() && dp.config_hash == config.hash()) {
        // Already current: nothing to send.
      } else {
        if (!msg) msg = config.snapshotMessage();
        c->sendBinary(*msg);
      }
      dp.sent_revision = config.revision();
      dp.sent_hash = config.hash();
    }
    for (;;) {
      auto m = co_await c->read();
      auto it = planes.find(id);
      if (it == planes.end() || it->second.conn != c) co_return;  // replaced by a reconnect
      DataPlane& cur = it->second;
      if (!m.isOk()) {
        cur.connected = false;
        cur.conn.reset();
        if (cur.sync_status == "normal") cur.sync_status = "disconnected";
        spdlog::info("cluster: data plane {} disconnected: {}", id, m.status().message());
        co_return;
      }
      cur.last_seen = unixNow();
      Json msg = Json::parse(m->data, nullptr, false);
      if (msg.is_discarded()) continue;
      const std::string type = msg.value("type", "");
      if (type == "ack") {
        cur.revision = msg.value("revision", cur.revision);
        cur.config_hash = msg.value("hash", cur.config_hash);
        cur.apply_ms = msg.value("apply_ms", 0.0);
        cur.acked_at_ms = unixNowMs();
        cur.sync_status = "normal";
        cur.last_error.clear();
      } else if (type == "nack") {
        cur.sync_status = "nacked";
        cur.last_error = msg.value("error", "");
        spdlog::warn("cluster: data plane {} refused revision {}: {}", id,
                     msg.value("revision", int64_t(0)), cur.last_error);
        // It kept what it had: the next push starts from there.
        cur.sent_revision = cur.revision;
        cur.sent_hash = cur.config_hash;
        if (msg.value("resync", false)) push(cur, true);
      } else if (type != "heartbeat" && !type.empty() && cur.on_message) {
        Reply reply = cur.on_message(*cur.hello, msg);
        for (const std::string& out : reply.messages) c->sendText(out);
        if (!reply.refuse.empty()) refuse(cur, *c, "refused", reply.refuse);
      }
    }
  }

  asio::awaitable<void> acceptLoop(std::shared_ptr<State> self, asio::ip::tcp::acceptor* acc) {
    for (;;) {
      std::error_code ec;
      asio::ip::tcp::socket sock(io);
      co_await acc->async_accept(sock, asio::redirect_error(kAwait, ec));
      if (ec == asio::error::operation_aborted || !acc->is_open()) co_return;
      if (ec) continue;
      sock.set_option(asio::ip::tcp::no_delay(true), ec);
      asio::co_spawn(io, serve(self, std::move(sock)), asio::detached);
    }
  }
};

ClusterServer::ClusterServer(asio::io_context& io, ConfigState& config, net::SslCtxPtr tls)
    : state_(std::make_shared<State>(io, config, tls)) {}

ClusterServer::~ClusterServer() {
  for (auto& a : state_->acceptors) {
    std::error_code ignored;
    a.close(ignored);
  }
  for (auto& [id, dp] : state_->planes) {
    if (dp.conn) dp.conn->abort();
  }
}

Status ClusterServer::listen(const asio::ip::tcp::endpoint& ep) {
  auto acc = net::listenTcp(state_->io, ep, false, 1024);
  if (!acc.isOk()) return acc.status();
  state_->acceptors.push_back(std::move(acc.value()));
  asio::co_spawn(state_->io, state_->acceptLoop(state_, &state_->acceptors.back()), asio::detached);
  return Status::ok();
}

void ClusterServer::addChannel(std::string capability, ConfigState& config, Admit admit) {
  addChannel(std::move(capability), config, std::move(admit), ChannelOptions{});
}

void ClusterServer::addChannel(std::string capability, ConfigState& config, Admit admit,
                               ChannelOptions options) {
  state_->channels.push_back(
      {std::move(capability), &config, std::move(admit), std::move(options)});
}

asio::ip::tcp::endpoint ClusterServer::localEndpoint() const {
  std::error_code ec;
  if (state_->acceptors.empty()) return {};
  auto ep = state_->acceptors.front().local_endpoint(ec);
  return ec ? asio::ip::tcp::endpoint() : ep;
}

void ClusterServer::configChanged() {
  for (auto& [id, dp] : state_->planes) state_->push(dp, false);
}

size_t ClusterServer::connectedCount() const {
  size_t n = 0;
  for (const auto& [id, dp] : state_->planes) n += dp.connected;
  return n;
}

Json ClusterServer::dataPlanes() const {
  Json out = Json::array();
  for (const auto& [id, dp] : state_->planes) {
    Json& entry = out.emplace_back();
    for (const auto& [key, value] : dp.labels) entry[key] = value;
    entry.update(Json{{"id", dp.id},
                      {"ip", dp.ip},
                      {"hostname", dp.hostname},
                      {"version", dp.version},
                      {"capabilities", dp.capabilities},
                      {"config_hash", dp.config_hash},
                      {"revision", dp.revision},
                      {"last_seen", dp.last_seen},
                      {"sync_status", dp.sync_status},
                      {"connected", dp.connected},
                      {"apply_ms", dp.apply_ms},
                      {"acked_at_ms", dp.acked_at_ms},
                      {"last_message_bytes", dp.last_message_bytes},
                      {"last_error", dp.last_error}});
  }
  return out;
}

}  // namespace causeway::cp
