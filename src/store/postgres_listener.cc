#include "store/postgres_listener.h"

#include <fcntl.h>
#include <poll.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace causeway::store {

Result<std::unique_ptr<PgListener>> PgListener::start(const PgTarget& target,
                                                      std::function<void(int64_t)> callback) {
  if (!callback) return Status::invalidArgument("watch: the callback is empty");
  std::unique_ptr<PgListener> listener(new PgListener(target, std::move(callback)));
  if (pipe2(listener->wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return Status::internal("watch: cannot create a pipe");
  }
  Status s = listener->connectAndListen();
  if (!s.isOk()) return s;
  listener->thread_ = std::thread([l = listener.get()] { l->run(); });
  return listener;
}

PgListener::~PgListener() {
  stopping_ = true;
  if (wake_[1] >= 0) {
    char byte = 1;
    (void)::write(wake_[1], &byte, 1);
  }
  if (thread_.joinable()) thread_.join();
  conn_.reset();
  for (int fd : wake_) {
    if (fd >= 0) ::close(fd);
  }
}

Status PgListener::connectAndListen() {
  auto conn = PgConnection::connect(target_);
  if (!conn.isOk()) return conn.status();
  auto listened = (*conn)->exec("LISTEN causeway_changes");
  if (!listened.isOk()) return listened.status();
  conn_ = std::move(conn).value();
  return Status::ok();
}

bool PgListener::waitForShutdown(int timeout_ms) {
  if (stopping_) return true;
  pollfd fd{wake_[0], POLLIN, 0};
  int n = ::poll(&fd, 1, timeout_ms);
  return stopping_ || n > 0;
}

void PgListener::deliver(int64_t revision) {
  try {
    callback_(revision);
  } catch (const std::exception& e) {
    spdlog::error("store: the watch callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("store: the watch callback threw");
  }
}

bool PgListener::reconnect(int& backoff_ms) {
  if (backoff_ms > 0 && waitForShutdown(backoff_ms)) return false;
  if (stopping_) return false;
  Status s = connectAndListen();
  if (!s.isOk()) {
    backoff_ms = std::clamp(backoff_ms * 2, 100, 2000);
    spdlog::debug("store: change feed: {}", s.message());
    return false;
  }
  // Whatever was committed while we were away: the caller re-reads from what it applied.
  auto current = conn_->exec("SELECT revision FROM meta");
  if (!current.isOk()) {
    spdlog::warn("store: change feed reconnected to {} but cannot read the revision: {}",
                 target_.display, current.status().message());
    conn_.reset();
    backoff_ms = std::clamp(backoff_ms * 2, 100, 2000);
    return false;
  }
  spdlog::info("store: change feed reconnected to {}", target_.display);
  backoff_ms = 0;
  if (current->rows() == 1) deliver(current->integer(0, 0));
  return true;
}

void PgListener::deliverPending() {
  int64_t highest = 0;
  while (PGnotify* note = pq().PQnotifies(conn_->raw())) {
    std::string_view payload = note->extra != nullptr ? note->extra : "";
    int64_t revision = 0;
    auto [end, ec] = std::from_chars(payload.data(), payload.data() + payload.size(), revision);
    if (ec == std::errc() && end == payload.data() + payload.size()) {
      highest = std::max(highest, revision);
    }
    pq().PQfreemem(note);
  }
  if (highest > 0) deliver(highest);
}

void PgListener::run() {
  int backoff_ms = 0;
  while (!stopping_) {
    if (!conn_ && !reconnect(backoff_ms)) continue;
    // Notifications libpq already absorbed (with a query's response, say) wake no poll().
    deliverPending();
    int fd = pq().PQsocket(conn_->raw());
    if (conn_->broken() || fd < 0) {
      conn_.reset();
      continue;
    }
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    int n = ::poll(fds, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      spdlog::error("store: change feed: poll failed (errno {})", errno);
      if (waitForShutdown(1000)) return;
      continue;
    }
    if (fds[1].revents != 0 || stopping_) return;
    if (fds[0].revents != 0 && pq().PQconsumeInput(conn_->raw()) == 0) {
      spdlog::warn("store: change feed lost: {}",
                   conn_->connectionError("connection lost").message());
      conn_.reset();
      backoff_ms = 0;
    }
  }
}

}  // namespace causeway::store
