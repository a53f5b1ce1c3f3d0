// The anti-replay window of RFC 6479: a ring of 64-bit blocks that remembers which of the last
// kWindowSize counters were seen, and slides forward in whole blocks without shifting bits.
// Counters beyond kRejectAfterMessages are refused outright. Not thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace causeway::wg {

class ReplayWindow {
 public:
  static constexpr size_t kBlocks = 32;  // 2048 bits
  static constexpr size_t kBlockBits = 64;
  // One block is always the one being slid into, so the usable window is one block short.
  static constexpr uint64_t kWindowSize = (kBlocks - 1) * kBlockBits;

  // Whether `counter` could still be accepted: not too old, not seen, below the reject limit.
  // For a quick refusal before spending a decryption on a packet.
  bool mayAccept(uint64_t counter) const;
  // Records `counter` (after its packet authenticated). False, and nothing changes, when it is
  // too old, already seen or at or above the reject limit.
  [[nodiscard]] bool accept(uint64_t counter);

  // The greatest counter accepted so far (0 when none).
  uint64_t greatest() const { return greatest_; }

 private:
  std::array<uint64_t, kBlocks> bitmap_{};
  uint64_t greatest_ = 0;
};

}  // namespace causeway::wg
