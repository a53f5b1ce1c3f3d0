// Times loadDeclarativeFile on the given declarative config files (see gen_kong_config.py).
// Usage: config_load_bench [--runs N] FILE...   Prints each run and the median, in seconds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "model/kong/loader.h"

int main(int argc, char** argv) {
  int runs = 3;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--runs" && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else {
      files.push_back(arg);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: config_load_bench [--runs N] FILE...\n");
    return 2;
  }
  int status = 0;
  for (const auto& file : files) {
    std::vector<double> seconds;
    for (int r = 0; r < runs; ++r) {
      const auto start = std::chrono::steady_clock::now();
      auto result = causeway::model::kong::loadDeclarativeFile(file);
      const auto stop = std::chrono::steady_clock::now();
      if (!result.isOk()) {
        std::fprintf(stderr, "%s: %s\n", file.c_str(), result.error().message().c_str());
        status = 1;
        break;
      }
      seconds.push_back(std::chrono::duration<double>(stop - start).count());
      std::printf("%s run %d: %.3f s (%zu services, %zu routes)\n", file.c_str(), r + 1,
                  seconds.back(), result.config().services.size(), result.config().routes.size());
    }
    if (seconds.empty()) continue;
    std::sort(seconds.begin(), seconds.end());
    std::printf("%s median of %zu: %.3f s\n", file.c_str(), seconds.size(),
                seconds[seconds.size() / 2]);
  }
  return status;
}
