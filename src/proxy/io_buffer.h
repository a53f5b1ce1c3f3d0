// A contiguous read buffer: bytes [begin, end) are unread data, [end, capacity) is free space.
// Storage comes from per-thread pools of small (1 KiB) and large (16 KiB) blocks, like nginx's
// client_header_buffer_size / large_client_header_buffers: an idle connection holds at most a
// small block (10,000 idle keep-alive connections must stay under 100 MB), bodies stream through
// a large one, and storage goes back to the pool when the buffer is released.
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace causeway::proxy {

class IoBuffer {
 public:
  static constexpr size_t kSmall = 1024;
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
  // Free space after the data, compacting or acquiring storage (a small block) as needed. `len`
  // is 0 only when the buffer is full of unread data: reserve() more.
  char* writable(size_t* len);
  void commit(size_t n) { end_ += n; }
  // Grows storage to hold at least `n` bytes (data kept).
  void reserve(size_t n);
  // Gives storage back to the pool if no unread data remains.
  void release();

 private:
  void freeStorage();
  char* data_ = nullptr;
  size_t cap_ = 0;
  size_t begin_ = 0;
  size_t end_ = 0;
};

}  // namespace causeway::proxy
