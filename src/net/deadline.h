// A connection watchdog: one timer per connection that closes the connection's socket when the
// current deadline passes. Moving the deadline is a store, not a timer syscall, so per-operation
// timeouts (header read, body read, upstream read) cost nothing on the hot path.
// Not thread-safe: owned by one connection on one worker.
#pragma once

#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

namespace causeway::net {

class Deadline : public std::enable_shared_from_this<Deadline> {
 public:
  using Clock = std::chrono::steady_clock;

  // `on_expire` runs once when a set deadline passes (it typically closes the sockets).
  Deadline(asio::io_context& io, std::function<void()> on_expire)
      : timer_(io), on_expire_(std::move(on_expire)) {}

  void expiresAfter(Clock::duration d) { arm(Clock::now() + d); }
  void disarm() { deadline_ = Clock::time_point::max(); }
  bool expired() const { return expired_; }
  void cancel() {
    disarm();
    ++generation_;
    waiting_ = false;
    timer_.cancel();
  }

 private:
  void arm(Clock::time_point t) {
    deadline_ = t;
    expired_ = false;
    if (!waiting_ || t < scheduled_) schedule(t);
  }
  void schedule(Clock::time_point t) {
    scheduled_ = t;
    waiting_ = true;
    uint64_t gen = ++generation_;
    timer_.expires_at(t);  // cancels a pending wait; its handler sees a stale generation
    timer_.async_wait([self = weak_from_this(), gen](std::error_code ec) {
      auto d = self.lock();
      if (!d || gen != d->generation_) return;
      d->waiting_ = false;
      if (ec || d->deadline_ == Clock::time_point::max()) return;
      if (d->deadline_ > Clock::now()) {
        d->schedule(d->deadline_);
        return;
      }
      d->expired_ = true;
      d->on_expire_();
    });
  }

  asio::steady_timer timer_;
  std::function<void()> on_expire_;
  Clock::time_point deadline_ = Clock::time_point::max();
  Clock::time_point scheduled_{};
  bool waiting_ = false;
  bool expired_ = false;
  uint64_t generation_ = 0;
};

}  // namespace causeway::net
