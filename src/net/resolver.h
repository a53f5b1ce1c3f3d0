// Per-worker name resolution with a small TTL cache. IP literals never touch DNS.
// Not thread-safe: one instance per worker, used from that worker's coroutines only.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"

namespace causeway::net {

class Resolver {
 public:
  explicit Resolver(asio::io_context& io, std::chrono::seconds ttl = std::chrono::seconds(30))
      : resolver_(io), ttl_(ttl) {}

  // Addresses for host:port (IPv4 first), or an error naming the host.
  asio::awaitable<Result<std::vector<asio::ip::tcp::endpoint>>> resolve(const std::string& host,
                                                                          uint16_t port);

 private:
  struct Entry {
    std::vector<asio::ip::address> addresses;
    std::chrono::steady_clock::time_point expires;
  };
  asio::ip::tcp::resolver resolver_;
  std::chrono::seconds ttl_;
  std::unordered_map<std::string, Entry> cache_;
};

}  // namespace causeway::net
