// Worker threads, each running its own io_context (event loop). Connections accepted by a worker
// stay on it for life; nothing on the data path is shared between workers.
// Thread-safety: start/stop from the owning (main) thread; context(i) may be used from anywhere to
// post work to worker i.
#pragma once

#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <memory>
#include <thread>
#include <vector>

namespace causeway::net {

class WorkerPool {
 public:
  explicit WorkerPool(size_t workers);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  size_t size() const { return workers_.size(); }
  asio::io_context& context(size_t i) { return workers_[i]->io; }

  void start();  // one thread per worker
  void stop();   // stops the loops and joins the threads (idempotent)

 private:
  struct Worker {
    asio::io_context io{1};  // concurrency hint 1: one thread per context, cheaper locking
    asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
    std::thread thread;
  };
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace causeway::net
