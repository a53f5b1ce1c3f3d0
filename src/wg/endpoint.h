// Endpoint: the address a peer's packets come from and go to, as opaque bytes (the I/O layer
// encodes a socket address into them; a sockaddr_in6 fits). The core only compares them, keys
// cookies with them and hands them back in send actions. A plain value.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace causeway::wg {

class Endpoint {
 public:
  static constexpr size_t kMaxSize = 28;

  Endpoint() = default;
  // Bytes beyond kMaxSize are ignored.
  explicit Endpoint(std::span<const uint8_t> bytes)
      : size_(static_cast<uint8_t>(std::min(bytes.size(), kMaxSize))) {
    std::copy_n(bytes.begin(), size_, bytes_.begin());
  }

  std::span<const uint8_t> bytes() const { return {bytes_.data(), size_}; }
  bool empty() const { return size_ == 0; }
  bool operator==(const Endpoint& o) const {
    return size_ == o.size_ && std::equal(bytes_.begin(), bytes_.begin() + size_, o.bytes_.begin());
  }

 private:
  std::array<uint8_t, kMaxSize> bytes_{};
  uint8_t size_ = 0;
};

}  // namespace causeway::wg
