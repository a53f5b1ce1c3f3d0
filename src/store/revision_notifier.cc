#include "store/revision_notifier.h"

#include <spdlog/spdlog.h>

namespace causeway::store {

RevisionNotifier::~RevisionNotifier() { stop(); }

Status RevisionNotifier::start(std::function<void(int64_t)> callback) {
  if (!callback) return Status::invalidArgument("watch: the callback is empty");
  std::lock_guard lock(mu_);
  if (started_) return Status::invalidArgument("watch: this store already has a watcher");
  if (stopping_) return Status::invalidArgument("watch: the store is closing");
  callback_ = std::move(callback);
  started_ = true;
  delivered_ = posted_;  // report commits from now on
  thread_ = std::thread([this] { run(); });
  return Status::ok();
}

void RevisionNotifier::post(int64_t revision) {
  {
    std::lock_guard lock(mu_);
    if (!started_ || revision <= posted_) return;
    posted_ = revision;
  }
  cv_.notify_one();
}

void RevisionNotifier::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void RevisionNotifier::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || posted_ > delivered_; });
    if (stopping_) return;
    int64_t revision = posted_;
    delivered_ = revision;
    lock.unlock();
    try {
      callback_(revision);
    } catch (const std::exception& e) {
      spdlog::error("store: the watch callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("store: the watch callback threw");
    }
    lock.lock();
  }
}

}  // namespace causeway::store
