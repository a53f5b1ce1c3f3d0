#include "proxy/upstream_pool.h"

#include <sys/socket.h>

#include <cerrno>

namespace causeway::proxy {
namespace {

// An idle HTTP/1.1 connection has nothing to read: EOF or bytes mean it cannot be reused.
bool stillUsable(net::Stream& conn) {
  if (!conn.isOpen()) return false;
  char byte;
  ssize_t n = ::recv(conn.socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

}  // namespace

void UpstreamPool::sweep(IdleList& list, std::chrono::steady_clock::time_point now) {
  size_t expired = 0;  // oldest first
  while (expired < list.size() && now - list[expired].since >= options_.idle_timeout) ++expired;
  if (expired == 0) return;
  list.erase(list.begin(), list.begin() + std::ptrdiff_t(expired));
  idle_ -= expired;
}

std::unique_ptr<net::Stream> UpstreamPool::take(const std::string& key, bool always_check) {
  auto it = idle_by_key_.find(key);
  if (it == idle_by_key_.end()) return nullptr;
  auto& list = it->second;
  auto now = std::chrono::steady_clock::now();
  sweep(list, now);
  while (!list.empty()) {
    Idle idle = std::move(list.back());  // most recently used: warmest, least likely closed
    list.pop_back();
    --idle_;
    bool check = always_check || now - idle.since >= options_.check_after;
    if (check ? stillUsable(*idle.conn) : idle.conn->isOpen()) return std::move(idle.conn);
  }
  return nullptr;
}

void UpstreamPool::put(const std::string& key, std::unique_ptr<net::Stream> conn) {
  auto& list = idle_by_key_[key];
  auto now = std::chrono::steady_clock::now();
  sweep(list, now);
  if (list.size() >= options_.max_idle_per_key) return;  // dropped: closes the connection
  list.push_back(Idle{std::move(conn), now});
  ++idle_;
}

}  // namespace causeway::proxy
