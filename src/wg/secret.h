// Key material for the WireGuard core: SecretBytes<N> is a fixed-size byte array that is
// overwritten with OPENSSL_cleanse when it is destroyed or reassigned, so keys do not linger in
// freed memory. Plain values: distinct objects may be used from different threads.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace causeway::wg {

// Overwrites `size` bytes at `p` in a way the compiler cannot optimise away.
void secureWipe(void* p, size_t size);

// Compares two equally long byte strings in time that does not depend on their content.
bool constantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b);

template <size_t N>
class SecretBytes {
 public:
  static constexpr size_t kSize = N;

  SecretBytes() { bytes_.fill(0); }
  explicit SecretBytes(std::span<const uint8_t, N> from) { assign(from); }
  SecretBytes(const SecretBytes& other) : bytes_(other.bytes_) {}
  SecretBytes& operator=(const SecretBytes& other) {
    bytes_ = other.bytes_;
    return *this;
  }
  // A move copies and wipes the source: the bytes live inline, there is nothing to steal.
  SecretBytes(SecretBytes&& other) noexcept : bytes_(other.bytes_) { other.wipe(); }
  SecretBytes& operator=(SecretBytes&& other) noexcept {
    if (this != &other) {
      bytes_ = other.bytes_;
      other.wipe();
    }
    return *this;
  }
  ~SecretBytes() { wipe(); }

  void assign(std::span<const uint8_t, N> from) {
    for (size_t i = 0; i < N; ++i) bytes_[i] = from[i];
  }
  void wipe() { secureWipe(bytes_.data(), N); }
  bool isZero() const {
    uint8_t acc = 0;
    for (uint8_t b : bytes_) acc |= b;
    return acc == 0;
  }

  uint8_t* data() { return bytes_.data(); }
  const uint8_t* data() const { return bytes_.data(); }
  static constexpr size_t size() { return N; }
  std::span<uint8_t, N> span() { return std::span<uint8_t, N>(bytes_); }
  std::span<const uint8_t, N> span() const { return std::span<const uint8_t, N>(bytes_); }
  uint8_t& operator[](size_t i) { return bytes_[i]; }
  uint8_t operator[](size_t i) const { return bytes_[i]; }

 private:
  std::array<uint8_t, N> bytes_;
};

// A 32-byte secret: Curve25519 private keys, symmetric keys, chaining keys, preshared keys.
using Key = SecretBytes<32>;
// A Curve25519 public key: not secret.
using PublicKey = std::array<uint8_t, 32>;

}  // namespace causeway::wg
