// Optional JSON-lines access log. One write(2) per line on an O_APPEND descriptor, so lines from
// several workers never interleave. Thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace causeway::observe {

class AccessLog {
 public:
  // "-" writes to stdout.
  static Result<std::unique_ptr<AccessLog>> open(const std::string& path);
  ~AccessLog();
  void write(std::string_view line) const;  // `line` ends with '\n'

 private:
  explicit AccessLog(int fd, bool owned) : fd_(fd), owned_(owned) {}
  int fd_;
  bool owned_;
};

}  // namespace causeway::observe
