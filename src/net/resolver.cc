#include "net/resolver.h"

#include <algorithm>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>

namespace causeway::net {

asio::awaitable<Result<std::vector<asio::ip::tcp::endpoint>>> Resolver::resolve(
    const std::string& host, uint16_t port) {
  std::vector<asio::ip::tcp::endpoint> out;
  std::error_code ec;
  auto literal = asio::ip::make_address(host, ec);
  if (!ec) {
    out.emplace_back(literal, port);
    co_return out;
  }
  auto now = std::chrono::steady_clock::now();
  auto it = cache_.find(host);
  if (it == cache_.end() || it->second.expires < now) {
    auto results = co_await resolver_.async_resolve(host, "", asio::redirect_error(asio::use_awaitable, ec));
    if (ec || results.empty()) {
      co_return Status::unavailable("name resolution failed for " + host +
                                    (ec ? ": " + ec.message() : ""));
    }
    Entry e;
    for (const auto& r : results) e.addresses.push_back(r.endpoint().address());
    std::stable_sort(e.addresses.begin(), e.addresses.end(),
                     [](const auto& a, const auto& b) { return a.is_v4() && !b.is_v4(); });
    e.expires = now + ttl_;
    it = cache_.insert_or_assign(host, std::move(e)).first;
  }
  for (const auto& a : it->second.addresses) out.emplace_back(a, port);
  co_return out;
}

}  // namespace causeway::net
