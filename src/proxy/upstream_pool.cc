#include "proxy/upstream_pool.h"

namespace causeway::proxy {

std::unique_ptr<Stream> UpstreamPool::take(const std::string& key) {
  auto it = idle_by_key_.find(key);
  if (it == idle_by_key_.end()) return nullptr;
  auto now = std::chrono::steady_clock::now();
  auto& list = it->second;
  while (!list.empty()) {
    Idle idle = std::move(list.back());  // most recently used: warmest, least likely closed
    list.pop_back();
    --idle_;
    std::error_code ignored;
    idle.conn->socket().cancel(ignored);  // stop watching; the watch handler sees it gone
    if (now - idle.since < options_.idle_timeout && idle.conn->isOpen()) return std::move(idle.conn);
  }
  return nullptr;
}

void UpstreamPool::put(const std::string& key, std::unique_ptr<Stream> conn) {
  auto& list = idle_by_key_[key];
  if (list.size() >= options_.max_idle_per_key) return;  // dropped: closes the connection
  uint64_t id = next_id_++;
  Stream* raw = conn.get();
  list.push_back(Idle{std::move(conn), std::chrono::steady_clock::now(), id});
  ++idle_;
  watch(key, id, raw);
}

void UpstreamPool::watch(const std::string& key, uint64_t id, Stream* conn) {
  conn->socket().async_wait(asio::ip::tcp::socket::wait_read, [this, key, id](std::error_code ec) {
    if (ec == asio::error::operation_aborted) return;  // taken from the pool
    // Readable while idle: closed by the peer or a protocol violation. Drop it if still pooled.
    auto it = idle_by_key_.find(key);
    if (it == idle_by_key_.end()) return;
    for (auto i = it->second.begin(); i != it->second.end(); ++i) {
      if (i->id == id) {
        it->second.erase(i);
        --idle_;
        break;
      }
    }
  });
}

}  // namespace causeway::proxy
