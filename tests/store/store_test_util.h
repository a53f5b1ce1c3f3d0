// Small helpers shared by the store tests.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "store/store.h"

namespace causeway::store::testing {

inline Record makeRecord(std::string kind, std::string id, std::string body,
                         std::vector<std::string> keys = {}, std::vector<std::string> refs = {}) {
  Record r;
  r.kind = std::move(kind);
  r.id = std::move(id);
  r.body = std::move(body);
  r.unique_keys = std::move(keys);
  r.refs = std::move(refs);
  return r;
}

// Commits one put; the new revision.
inline Result<int64_t> putOne(Store& store, const Record& record) {
  return store.write([&](WriteTxn& txn) { return txn.put(record); });
}

inline std::vector<std::string> idsOf(const std::vector<Record>& records) {
  std::vector<std::string> ids;
  for (const auto& r : records) ids.push_back(r.id);
  return ids;
}

// Collects watch() calls and lets a test wait (bounded) for one.
class RevisionWaiter {
 public:
  std::function<void(int64_t)> callback() {
    return [this](int64_t revision) {
      std::lock_guard lock(mu_);
      calls_.push_back(revision);
      cv_.notify_all();
    };
  }
  // Waits until some call reported `revision` or later.
  bool waitForRevision(int64_t revision,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] {
      for (int64_t r : calls_) {
        if (r >= revision) return true;
      }
      return false;
    });
  }
  // Waits until there were more than `count` calls.
  bool waitForCallsAbove(size_t count,
                         std::chrono::milliseconds timeout = std::chrono::seconds(15)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return calls_.size() > count; });
  }
  std::vector<int64_t> calls() {
    std::lock_guard lock(mu_);
    return calls_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<int64_t> calls_;
};

}  // namespace causeway::store::testing
