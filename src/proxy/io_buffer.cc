#include "proxy/io_buffer.h"

#include <cstdlib>
#include <vector>

namespace causeway::proxy {
namespace {

// Blocks of kBlock bytes are recycled per thread; larger buffers are rare and freed directly.
struct BlockPool {
  std::vector<char*> free;
  ~BlockPool() {
    for (char* b : free) std::free(b);
  }
  char* get() {
    if (free.empty()) return static_cast<char*>(std::malloc(IoBuffer::kBlock));
    char* b = free.back();
    free.pop_back();
    return b;
  }
  void put(char* b) {
    if (free.size() < 1024) {
      free.push_back(b);
    } else {
      std::free(b);
    }
  }
};
thread_local BlockPool t_pool;

}  // namespace

void IoBuffer::consume(size_t n) {
  begin_ += n;
  if (begin_ >= end_) begin_ = end_ = 0;
}

char* IoBuffer::writable(size_t* len) {
  if (!data_) {
    data_ = t_pool.get();
    cap_ = kBlock;
  }
  if (end_ == cap_ && begin_ > 0) {
    std::memmove(data_, data_ + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  *len = cap_ - end_;
  return data_ + end_;
}

void IoBuffer::reserve(size_t n) {
  if (n <= cap_) return;
  char* bigger = static_cast<char*>(std::malloc(n));
  if (data_) {
    std::memcpy(bigger, data_ + begin_, end_ - begin_);
    if (cap_ == kBlock) {
      t_pool.put(data_);
    } else {
      std::free(data_);
    }
  }
  end_ -= begin_;
  begin_ = 0;
  data_ = bigger;
  cap_ = n;
}

void IoBuffer::release() {
  if (!data_ || !empty()) return;
  if (cap_ == kBlock) {
    t_pool.put(data_);
  } else {
    std::free(data_);
  }
  data_ = nullptr;
  cap_ = begin_ = end_ = 0;
}

}  // namespace causeway::proxy
