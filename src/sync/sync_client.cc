#include "sync/sync_client.h"

#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/redirect_error.hpp>
#include <asio/ssl/context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "base/strings.h"
#include "model/kong/ids.h"
#include "pki/cert_init.h"
#include "sync/cluster_tls.h"
#include "sync/entity_set.h"
#include "sync/kong_config_builder.h"
#include "sync/protocol.h"
#include "sync/snapshot_file.h"
#include "sync/ws_connection.h"

namespace causeway::sync {
namespace {

using Json = nlohmann::json;
constexpr auto kAwait = asio::use_awaitable;

Result<std::pair<std::string, std::string>> parseUrl(const std::string& url) {
  std::string_view s = url;
  if (startsWith(s, "wss://")) {
    s.remove_prefix(6);
  } else if (s.find("://") != std::string_view::npos) {
    return Status::invalidArgument("--cp must be wss://HOST[:PORT], got '" + url + "'");
  }
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  std::string host(s), port = "8005";
  if (!s.empty() && s.front() == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos) return Status::invalidArgument("bad --cp '" + url + "'");
    host = std::string(s.substr(1, close - 1));
    if (close + 1 < s.size() && s[close + 1] == ':') port = std::string(s.substr(close + 2));
  } else if (size_t colon = s.rfind(':'); colon != std::string_view::npos) {
    host = std::string(s.substr(0, colon));
    port = std::string(s.substr(colon + 1));
  }
  if (host.empty() || !parseDecimal(port, 65535)) {
    return Status::invalidArgument("bad --cp '" + url + "'");
  }
  return std::make_pair(host, port);
}

// The DP's id survives restarts (Kong's node_id file).
Result<std::string> loadNodeId(const std::string& data_dir) {
  ::mkdir(data_dir.c_str(), 0700);
  const std::string path = data_dir + "/node_id";
  std::ifstream in(path);
  std::string id;
  if (in && std::getline(in, id) && id.size() == 36) return id;
  id = model::kong::randomUuid();
  std::ofstream out(path, std::ios::trunc);
  out << id << "\n";
  if (!out) return Status::ioError("cannot write " + path);
  return id;
}

// A gateway's handler: the Kong config, validated whole from a snapshot or patched by a delta.
SyncHandler kongHandler(SyncClient::Apply apply) {
  auto builder = std::make_shared<KongConfigBuilder>();
  SyncHandler h;
  h.snapshot = [builder, apply](const EntitySet&, const Json& doc, const std::string& hash) {
    KongConfigBuilder fresh;
    Status st = fresh.reset(doc);
    if (!st.isOk()) return st;
    std::swap(*builder, fresh);
    st = apply(builder->config(), hash);
    if (!st.isOk()) std::swap(*builder, fresh);
    return st;
  };
  h.delta = [builder, apply](const EntitySet& set, const SyncHandler::Touched& touched,
                             const std::string& hash) {
    Status st = builder->apply(set, touched);
    if (!st.isOk()) return st;
    st = apply(builder->config(), hash);
    if (!st.isOk()) builder->rollback();
    builder->forgetPrevious();
    return st;
  };
  return h;
}

}  // namespace

struct SyncClient::State : std::enable_shared_from_this<SyncClient::State> {
  asio::io_context& io;
  SyncClientOptions options;
  SyncHandler handler;
  std::vector<std::pair<std::string, std::string>> endpoints;  // (host, port), tried in turn
  size_t current = 0;
  std::string host, port, node_id;
  std::unique_ptr<asio::ssl::context> tls;
  EntitySet entities;
  int64_t revision = 0;
  bool connected = false;
  bool session_connected = false;
  bool stopped = false;
  std::string last_error;
  std::shared_ptr<WsConnection> conn;
  bool pending_save = false;
  bool save_scheduled = false;
  std::mt19937 rng{std::random_device{}()};

  State(asio::io_context& i, SyncClientOptions o, SyncHandler h)
      : io(i), options(std::move(o)), handler(std::move(h)) {}

  // Remembers a published set for saving.
  void published(int64_t rev) {
    revision = rev;
    pending_save = true;
  }

  // Called after the ack was queued, so the ack goes out first. Saves are coalesced: at most one
  // per second, of the newest set.
  void schedulePersist() {
    if (!pending_save || save_scheduled) return;
    save_scheduled = true;
    auto timer = std::make_shared<asio::steady_timer>(io, std::chrono::seconds(1));
    timer->async_wait([self = shared_from_this(), timer](std::error_code) {
      self->save_scheduled = false;
      self->persistNow();
    });
  }

  void persistNow() {
    if (!pending_save) return;
    pending_save = false;
    SavedSnapshot snap;
    snap.revision = revision;
    snap.hash = entities.hash();
    snap.config_text = entities.declarativeText();
    Status saved = saveSnapshot(options.data_dir, snap);
    if (!saved.isOk()) spdlog::warn("sync: cannot persist the snapshot: {}", saved.message());
  }

  void sendJson(const Json& j) {
    if (conn) conn->sendText(j.dump());
  }

  Status onSnapshot(const Json& msg) {
    const int64_t rev = msg.value("revision", int64_t(0));
    const std::string hash = msg.value("hash", "");
    EntitySet previous = entities;
    if (!msg.contains("config") || !entities.assign(msg["config"])) {
      entities = std::move(previous);
      return Status::invalidArgument("malformed snapshot");
    }
    if (entities.hash() != hash) {
      entities = std::move(previous);
      return Status::invalidArgument("snapshot hash mismatch");
    }
    Status st = handler.snapshot(entities, msg["config"], hash);
    if (st.isOk()) {
      published(rev);
    } else {
      entities = std::move(previous);
    }
    return st;
  }

  // Applies a delta with an undo log, so a refused delta leaves the set as it was.
  Status onDelta(const Json& msg, bool& resync) {
    const int64_t from = msg.value("from", int64_t(-1));
    const int64_t rev = msg.value("revision", int64_t(0));
    const std::string hash = msg.value("hash", "");
    if (from != revision) {
      resync = true;
      return Status::invalidArgument("delta from revision " + std::to_string(from) +
                                     " but this data plane is at " + std::to_string(revision));
    }
    struct Undo {
      std::string kind, id;
      std::optional<Json> before;
    };
    std::vector<Undo> undo;
    SyncHandler::Touched touched;
    auto remember = [&](const std::string& kind, const std::string& id) {
      const std::string* cur = entities.find(kind, id);
      undo.push_back({kind, id, cur ? std::optional<Json>(Json::parse(*cur)) : std::nullopt});
      touched.emplace_back(kind, id);
    };
    auto rollback = [&] {
      for (auto it = undo.rbegin(); it != undo.rend(); ++it) {
        if (it->before) {
          entities.upsert(it->kind, it->id, std::move(*it->before));
        } else {
          entities.erase(it->kind, it->id);
        }
      }
    };
    for (const auto& d : msg.value("deletes", Json::array())) {
      const std::string kind = d.value("kind", ""), id = d.value("id", "");
      remember(kind, id);
      entities.erase(kind, id);
    }
    for (const auto& u : msg.value("upserts", Json::array())) {
      const std::string kind = u.value("kind", "");
      if (!u.contains("body") || !u["body"].is_object() || !u["body"].contains("id") ||
          !u["body"]["id"].is_string()) {
        rollback();
        return Status::invalidArgument("malformed delta");
      }
      const std::string id = u["body"]["id"].get<std::string>();
      remember(kind, id);
      entities.upsert(kind, id, u["body"]);
    }
    if (entities.hash() != hash) {
      rollback();
      resync = true;
      return Status::invalidArgument("hash mismatch after delta");
    }
    Status st = handler.delta(entities, touched, hash);
    if (st.isOk()) {
      published(rev);
    } else {
      rollback();
    }
    return st;
  }

  asio::awaitable<void> heartbeat(std::shared_ptr<WsConnection> c,
                                  std::shared_ptr<std::chrono::steady_clock::time_point> last_rx) {
    asio::steady_timer timer(io);
    while (c->isOpen()) {
      timer.expires_after(kHeartbeat);
      std::error_code ec;
      co_await timer.async_wait(asio::redirect_error(kAwait, ec));
      if (ec || !c->isOpen()) co_return;
      if (std::chrono::steady_clock::now() - *last_rx > 3 * kHeartbeat) {
        spdlog::warn("sync: no word from the control plane for {}s; reconnecting",
                     3 * kHeartbeat.count());
        c->abort();
        co_return;
      }
      c->sendText(R"({"type":"heartbeat"})");
    }
  }

  asio::awaitable<Status> session() {
    host = endpoints[current].first;
    port = endpoints[current].second;
    const std::string url = "wss://" + host + ":" + port;
    asio::ip::tcp::resolver resolver(io);
    std::error_code ec;
    auto results = co_await resolver.async_resolve(host, port, asio::redirect_error(kAwait, ec));
    if (ec) co_return Status::unavailable("cannot resolve " + host + ": " + ec.message());
    asio::ip::tcp::socket sock(io);
    co_await asio::async_connect(sock, results, asio::redirect_error(kAwait, ec));
    if (ec) co_return Status::unavailable("cannot connect to " + url + ": " + ec.message());
    sock.set_option(asio::ip::tcp::no_delay(true), ec);
    auto stream = std::make_unique<net::TlsStream>(std::move(sock), *tls);
    net::TlsStream* t = stream.get();
    co_await t->handshakeClient(pki::kClusterServerName, true, ec);
    if (ec) co_return Status::unavailable("TLS handshake with " + url + ": " + ec.message());
    auto c = std::make_shared<WsConnection>(std::move(stream), http::WebSocketRole::kClient,
                                            kMaxMessageBytes);
    Status hs = co_await c->handshakeClient(host, kPath);
    if (!hs.isOk()) co_return hs;
    conn = c;
    connected = true;
    session_connected = true;
    spdlog::info("sync: connected to {}", url);
    Json hello = {{"type", "hello"},
                  {"id", node_id},
                  {"hostname", options.hostname},
                  {"version", options.version.empty() ? kVersion : options.version},
                  {"capabilities", options.capabilities},
                  {"revision", revision},
                  {"hash", entities.hash()}};
    if (options.extend_hello) options.extend_hello(hello);
    sendJson(hello);
    auto last_rx =
        std::make_shared<std::chrono::steady_clock::time_point>(std::chrono::steady_clock::now());
    asio::co_spawn(io, heartbeat(c, last_rx), asio::detached);
    for (;;) {
      auto m = co_await c->read();
      if (!m.isOk()) {
        conn.reset();
        connected = false;
        co_return m.status();
      }
      *last_rx = std::chrono::steady_clock::now();
      std::string text;
      if (m->text) {
        text = std::move(m->data);
      } else {
        auto inflated = inflateBytes(m->data, kMaxMessageBytes);
        if (!inflated.isOk()) {
          c->close(http::ws_close::kInvalidPayload, "bad compressed message");
          conn.reset();
          co_return inflated.status();
        }
        text = std::move(inflated.value());
      }
      Json msg = Json::parse(text, nullptr, false);
      if (msg.is_discarded() || !msg.is_object()) {
        c->close(http::ws_close::kInvalidPayload, "bad message");
        conn.reset();
        co_return Status::invalidArgument("control plane sent a malformed message");
      }
      const std::string type = msg.value("type", "");
      if (type == "heartbeat") continue;
      if (type == "snapshot" || type == "delta") {
        bool resync = false;
        const auto t0 = std::chrono::steady_clock::now();
        Status st = type == "snapshot" ? onSnapshot(msg) : onDelta(msg, resync);
        const auto ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        const int64_t rev = msg.value("revision", int64_t(0));
        if (st.isOk()) {
          spdlog::info("sync: applied {} revision {} ({} entities) in {:.1f} ms", type, rev,
                       entities.size(), ms);
          last_error.clear();
          sendJson(
              {{"type", "ack"}, {"revision", rev}, {"hash", entities.hash()}, {"apply_ms", ms}});
          schedulePersist();
        } else {
          spdlog::warn("sync: refused {} revision {}: {}", type, rev, st.message());
          last_error = st.message();
          sendJson(
              {{"type", "nack"}, {"revision", rev}, {"error", st.message()}, {"resync", resync}});
        }
        continue;
      }
      if (options.on_message) {
        options.on_message(type, msg);
        continue;
      }
      spdlog::debug("sync: ignoring message type '{}'", type);
    }
  }

  asio::awaitable<void> run() {
    auto self = shared_from_this();
    std::chrono::milliseconds backoff(500);
    asio::steady_timer timer(io);
    while (!stopped) {
      session_connected = false;
      Status st = co_await session();
      // A stream that was up and broke: retry soon (maybe another replica); else back off more.
      if (session_connected) backoff = std::chrono::milliseconds(250);
      connected = false;
      conn.reset();
      if (stopped) break;
      last_error = st.message();
      spdlog::warn("sync: {}; retrying", st.message());
      current = (current + 1) % endpoints.size();  // the next replica, if there are several
      std::uniform_real_distribution<double> jitter(0.5, 1.5);
      timer.expires_after(std::chrono::milliseconds(long(backoff.count() * jitter(rng))));
      std::error_code ec;
      co_await timer.async_wait(asio::redirect_error(kAwait, ec));
      backoff = std::min(backoff * 2, std::chrono::milliseconds(30000));
      if (st.code() != Status::Code::kUnavailable) backoff = std::chrono::milliseconds(5000);
    }
  }
};

SyncClient::SyncClient(asio::io_context& io, SyncClientOptions options, Apply apply)
    : SyncClient(io, std::move(options), kongHandler(std::move(apply))) {}

SyncClient::SyncClient(asio::io_context& io, SyncClientOptions options, SyncHandler handler)
    : state_(std::make_shared<State>(io, std::move(options), std::move(handler))) {}

SyncClient::~SyncClient() { stop(); }

Status SyncClient::start() {
  auto& s = *state_;
  std::string_view urls = s.options.cp_url;
  while (!urls.empty()) {
    size_t comma = urls.find(',');
    std::string one(trimOws(urls.substr(0, comma)));
    urls = comma == std::string_view::npos ? std::string_view() : urls.substr(comma + 1);
    if (one.empty()) continue;
    auto hp = parseUrl(one);
    if (!hp.isOk()) return hp.status();
    s.endpoints.push_back(hp.value());
  }
  if (s.endpoints.empty()) return Status::invalidArgument("--cp is empty");
  if (s.options.data_dir.empty())
    return Status::invalidArgument("--data-dir is required with --cp");
  auto id = loadNodeId(s.options.data_dir);
  if (!id.isOk()) return id.status();
  s.node_id = id.value();
  auto ctx = s.options.cert_dir.empty() && !s.options.ca_file.empty()
                 ? makeClusterCaOnlyClientContext(s.options.ca_file)
                 : makeClusterClientContext(s.options.cert_dir);
  if (!ctx.isOk()) return ctx.status();
  s.tls = std::make_unique<asio::ssl::context>(net::adoptSslContext(ctx->get()));
  auto saved = loadSnapshot(s.options.data_dir);
  if (saved.isOk()) {
    if (s.entities.assign(saved->config) && s.entities.hash() == saved->hash) {
      Status st = s.handler.snapshot(s.entities, saved->config, saved->hash);
      if (st.isOk()) {
        s.revision = saved->revision;
        spdlog::info(
            "sync: serving the saved snapshot (revision {}) until the control plane "
            "answers",
            saved->revision);
      } else {
        spdlog::warn("sync: the saved snapshot is not valid: {}", st.message());
        s.entities.clear();
      }
    } else {
      spdlog::warn("sync: the saved snapshot is corrupt; ignoring it");
      s.entities.clear();
    }
  } else if (saved.status().code() != Status::Code::kNotFound) {
    spdlog::warn("sync: {}", saved.status().message());
  }
  asio::co_spawn(s.io, s.run(), asio::detached);
  return Status::ok();
}

void SyncClient::stop() {
  state_->persistNow();  // a save still waiting for its timer
  state_->stopped = true;
  if (state_->conn) state_->conn->abort();
}

bool SyncClient::send(const std::string& text) {
  auto& conn = state_->conn;
  if (!state_->connected || !conn || !conn->isOpen()) return false;
  conn->sendText(text);
  return true;
}

nlohmann::json SyncClient::status() const {
  const auto& s = *state_;
  return Json{{"connected", s.connected},
              {"revision", s.revision},
              {"hash", s.entities.hash()},
              {"node_id", s.node_id},
              {"last_error", s.last_error}};
}

}  // namespace causeway::sync
