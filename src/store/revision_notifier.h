// Delivers "revision R was committed" to one callback on a thread of its own, so a writer never
// runs the watcher's code. Posts that arrive while the callback runs coalesce into one call with
// the highest revision. Thread-safe; the destructor stops and joins the thread (it must not be
// destroyed from inside the callback).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "base/status.h"

namespace causeway::store {

class RevisionNotifier {
 public:
  RevisionNotifier() = default;
  ~RevisionNotifier();
  RevisionNotifier(const RevisionNotifier&) = delete;
  RevisionNotifier& operator=(const RevisionNotifier&) = delete;

  // Starts the thread; invalidArgument if a callback is already set.
  Status start(std::function<void(int64_t)> callback);
  // Records that `revision` was committed; a no-op before start().
  void post(int64_t revision);
  // Stops the thread after the call in progress, if any. Idempotent.
  void stop();

 private:
  void run();

  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void(int64_t)> callback_;
  int64_t posted_ = 0;     // highest revision posted
  int64_t delivered_ = 0;  // highest revision handed to the callback
  bool started_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace causeway::store
