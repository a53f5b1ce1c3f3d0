#include "net/worker_pool.h"

#include <pthread.h>

#include <string>

namespace causeway::net {

WorkerPool::WorkerPool(size_t workers) {
  for (size_t i = 0; i < workers; ++i) workers_.push_back(std::make_unique<Worker>());
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::start() {
  for (size_t i = 0; i < workers_.size(); ++i) {
    Worker* w = workers_[i].get();
    w->thread = std::thread([w, i] {
      std::string name = "worker-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      w->io.run();
    });
  }
}

void WorkerPool::stop() {
  for (auto& w : workers_) {
    w->guard.reset();
    w->io.stop();
  }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
  }
}

}  // namespace causeway::net
