#include "wg/replay_window.h"

#include "wg/constants.h"

namespace causeway::wg {
namespace {

constexpr size_t kBlockMask = ReplayWindow::kBlocks - 1;
static_assert((ReplayWindow::kBlocks & kBlockMask) == 0, "the ring size must be a power of two");

size_t blockOf(uint64_t counter) { return size_t(counter / ReplayWindow::kBlockBits) & kBlockMask; }
uint64_t bitOf(uint64_t counter) { return uint64_t(1) << (counter % ReplayWindow::kBlockBits); }

}  // namespace

bool ReplayWindow::mayAccept(uint64_t counter) const {
  if (counter >= kRejectAfterMessages) return false;
  if (counter > greatest_) return true;
  if (greatest_ - counter >= kWindowSize) return false;
  return (bitmap_[blockOf(counter)] & bitOf(counter)) == 0;
}

bool ReplayWindow::accept(uint64_t counter) {
  if (!mayAccept(counter)) return false;
  if (counter > greatest_) {
    // Clear the blocks the window slides over: at most the whole ring.
    const uint64_t current = greatest_ / kBlockBits;
    const uint64_t target = counter / kBlockBits;
    uint64_t steps = target - current;
    if (steps > kBlocks) steps = kBlocks;
    for (uint64_t i = 1; i <= steps; ++i) bitmap_[(current + i) & kBlockMask] = 0;
    greatest_ = counter;
  }
  bitmap_[blockOf(counter)] |= bitOf(counter);
  return true;
}

}  // namespace causeway::wg
