// Refuses a write() started from inside another write() of the same store on the same thread: the
// inner one would wait forever for the lock the outer one holds.
#pragma once

namespace causeway::store {

class NestedWriteGuard {
 public:
  explicit NestedWriteGuard(const void* store) : previous_(current()) {
    nested_ = previous_ == store;
    current() = store;
  }
  ~NestedWriteGuard() { current() = previous_; }
  NestedWriteGuard(const NestedWriteGuard&) = delete;
  NestedWriteGuard& operator=(const NestedWriteGuard&) = delete;

  bool nested() const { return nested_; }

 private:
  static const void*& current() {
    thread_local const void* writing = nullptr;
    return writing;
  }
  const void* previous_;
  bool nested_ = false;
};

}  // namespace causeway::store
