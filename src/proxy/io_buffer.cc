#include "proxy/io_buffer.h"

#include <cstdlib>
#include <vector>

namespace causeway::proxy {
namespace {

// Fixed-size blocks recycled per thread; other sizes are rare and go to malloc directly.
struct BlockPool {
  explicit BlockPool(size_t size) : size(size) {}
  size_t size;
  std::vector<char*> free;
  ~BlockPool() {
    for (char* b : free) std::free(b);
  }
  char* get() {
    if (free.empty()) return static_cast<char*>(std::malloc(size));
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
thread_local BlockPool t_small(IoBuffer::kSmall);
thread_local BlockPool t_large(IoBuffer::kBlock);

char* allocate(size_t n) {
  if (n == IoBuffer::kSmall) return t_small.get();
  if (n == IoBuffer::kBlock) return t_large.get();
  return static_cast<char*>(std::malloc(n));
}

void deallocate(char* p, size_t n) {
  if (n == IoBuffer::kSmall) {
    t_small.put(p);
  } else if (n == IoBuffer::kBlock) {
    t_large.put(p);
  } else {
    std::free(p);
  }
}

}  // namespace

void IoBuffer::consume(size_t n) {
  begin_ += n;
  if (begin_ >= end_) begin_ = end_ = 0;
}

char* IoBuffer::writable(size_t* len) {
  if (!data_) {
    data_ = allocate(kSmall);
    cap_ = kSmall;
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
  if (n < kBlock) n = kBlock;
  char* bigger = allocate(n);
  if (data_) {
    std::memcpy(bigger, data_ + begin_, end_ - begin_);
    deallocate(data_, cap_);
  }
  end_ -= begin_;
  begin_ = 0;
  data_ = bigger;
  cap_ = n;
}

void IoBuffer::release() {
  if (!data_ || !empty()) return;
  deallocate(data_, cap_);
  data_ = nullptr;
  cap_ = begin_ = end_ = 0;
}

}  // namespace causeway::proxy
