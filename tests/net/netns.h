// Test helpers: network namespaces for the tests that create interfaces, so nothing touches the
// host's namespace. A namespace lives as long as something holds it (an fd to it, a socket or
// TUN device opened inside it), after the thread has left it.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <string>

namespace causeway::net::testing {

inline bool haveNetnsPrivileges() { return ::geteuid() == 0; }

inline int openCurrentNetns() { return ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC); }

// Moves the calling thread into a fresh network namespace for the scope.
class ScopedNetns {
 public:
  ScopedNetns() : original_(openCurrentNetns()) {
    ok_ = original_ >= 0 && ::unshare(CLONE_NEWNET) == 0;
    if (ok_) self_ = openCurrentNetns();
  }
  // Moves into an existing namespace (an fd from handle() of another ScopedNetns).
  explicit ScopedNetns(int netns_fd) : original_(openCurrentNetns()) {
    ok_ = original_ >= 0 && ::setns(netns_fd, CLONE_NEWNET) == 0;
    if (ok_) self_ = openCurrentNetns();
  }
  ~ScopedNetns() {
    if (ok_) (void)::setns(original_, CLONE_NEWNET);
    if (original_ >= 0) ::close(original_);
    if (self_ >= 0) ::close(self_);
  }
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;

  bool ok() const { return ok_; }
  int handle() const { return self_; }  // keeps the namespace alive while this lives

 private:
  int original_;
  int self_ = -1;
  bool ok_ = false;
};

// Writes a sysctl of the calling thread's network namespace ("net/ipv4/ip_forward").
inline bool writeSysctl(const std::string& key, const std::string& value) {
  std::string path = "/proc/sys/" + key;
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return false;
  bool ok = std::fputs(value.c_str(), f) >= 0;
  return std::fclose(f) == 0 && ok;
}

}  // namespace causeway::net::testing
