// The PostgreSQL change feed: a dedicated connection that LISTENs on causeway_changes and a thread
// that waits on its socket (and on a wake-up pipe for shutdown), turning notifications into calls
// of one callback with the highest revision seen. When the connection is lost it reconnects with
// backoff (100 ms doubling to 2 s), then calls the callback with the current revision so the
// caller re-reads whatever was committed meanwhile. The destructor stops and joins the thread; it
// must not run inside the callback.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>

#include "base/status.h"
#include "store/postgres_connection.h"

namespace causeway::store {

class PgListener {
 public:
  // Connects and LISTENs before returning, so every revision committed after start() returns is
  // reported.
  static Result<std::unique_ptr<PgListener>> start(const PgTarget& target,
                                                   std::function<void(int64_t)> callback);
  ~PgListener();
  PgListener(const PgListener&) = delete;
  PgListener& operator=(const PgListener&) = delete;

 private:
  PgListener(const PgTarget& target, std::function<void(int64_t)> callback)
      : target_(target), callback_(std::move(callback)) {}
  Status connectAndListen();
  // Opens a new connection after waiting `backoff_ms` (which it updates) and reports the current
  // revision; false if that failed or shutdown began.
  bool reconnect(int& backoff_ms);
  // Hands the highest revision among the notifications libpq holds to the callback.
  void deliverPending();
  void run();
  // Waits up to `timeout_ms` for the shutdown signal; true if it came.
  bool waitForShutdown(int timeout_ms);
  void deliver(int64_t revision);

  const PgTarget& target_;
  std::function<void(int64_t)> callback_;
  std::unique_ptr<PgConnection> conn_;  // owned by the thread once it runs
  int wake_[2] = {-1, -1};
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace causeway::store
