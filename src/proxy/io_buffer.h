// A contiguous read buffer: bytes [begin, end) are unread data, [end, capacity) is free space.
// Storage comes from a per-thread pool and goes back to it when the buffer is released, so idle
// connections hold no buffer (10,000 idle keep-alive connections must stay under 100 MB).
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace causeway::proxy {

class IoBuffer {
 public:
  static constexpr size_t kBlock = 16 * 1024;

  IoBuffer() = default;
  ~IoBuffer() {
    begin_ = end_ = 0;
    release();
  }
  IoBuffer(const IoBuffer&) = delete;
  IoBuffer& operator=(const IoBuffer&) = delete;

  std::string_view view() const { return {data_ + begin_, end_ - begin_}; }
  size_t size() const { return end_ - begin_; }
  bool empty() const { return begin_ == end_; }
  size_t capacity() const { return cap_; }

  void consume(size_t n);
  // Free space after the data, compacting or acquiring storage as needed (at least one byte).
  char* writable(size_t* len);
  void commit(size_t n) { end_ += n; }
  // Grows storage to hold at least `n` bytes of data (heads larger than one block).
  void reserve(size_t n);
  // Gives storage back to the pool if no unread data remains.
  void release();

 private:
  char* data_ = nullptr;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace causeway::proxy
