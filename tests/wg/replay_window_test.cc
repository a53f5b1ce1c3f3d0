#include "wg/replay_window.h"

#include <gtest/gtest.h>

#include "wg/constants.h"

namespace causeway::wg {
namespace {

constexpr uint64_t W = ReplayWindow::kWindowSize;

TEST(ReplayWindow, InOrder) {
  ReplayWindow w;
  for (uint64_t c = 0; c < 5000; ++c) ASSERT_TRUE(w.accept(c)) << c;
  EXPECT_EQ(w.greatest(), 4999u);
}

TEST(ReplayWindow, DuplicatesRefused) {
  ReplayWindow w;
  EXPECT_TRUE(w.accept(0));
  EXPECT_FALSE(w.accept(0));
  EXPECT_TRUE(w.accept(1));
  EXPECT_FALSE(w.mayAccept(1));
  EXPECT_FALSE(w.accept(1));
  EXPECT_TRUE(w.accept(100));
  EXPECT_FALSE(w.accept(100));
  EXPECT_FALSE(w.accept(0));
}

TEST(ReplayWindow, OutOfOrderWithinWindow) {
  ReplayWindow w;
  EXPECT_TRUE(w.accept(1000));
  for (uint64_t c = 999; c > 1000 - 500; --c) ASSERT_TRUE(w.accept(c)) << c;
  for (uint64_t c = 999; c > 1000 - 500; --c) ASSERT_FALSE(w.accept(c)) << c;
  EXPECT_TRUE(w.accept(0));  // still inside: 1000 < W
  EXPECT_EQ(w.greatest(), 1000u);
}

TEST(ReplayWindow, TooOldRefused) {
  ReplayWindow w;
  const uint64_t top = 10 * W;
  EXPECT_TRUE(w.accept(top));
  EXPECT_TRUE(w.mayAccept(top - W + 1)) << "the oldest counter still in the window";
  EXPECT_FALSE(w.mayAccept(top - W)) << "just out of the window";
  EXPECT_FALSE(w.accept(top - W));
  EXPECT_FALSE(w.accept(0));
  EXPECT_TRUE(w.accept(top - W + 1));
}

TEST(ReplayWindow, SlideAcrossBigJumpsClearsOldBits) {
  ReplayWindow w;
  for (uint64_t c = 0; c < 64 * 40; ++c) ASSERT_TRUE(w.accept(c));
  // A jump of more than the whole ring: every remembered bit is stale.
  const uint64_t far = 1'000'000;
  EXPECT_TRUE(w.accept(far));
  for (uint64_t c = far - W + 1; c < far; ++c) ASSERT_TRUE(w.mayAccept(c)) << c;
  // Counters that share a ring slot with old ones are not confused with them.
  EXPECT_TRUE(w.accept(far - 64 * ReplayWindow::kBlocks / 2));
  // A jump of exactly one block and of a few blocks.
  EXPECT_TRUE(w.accept(far + 64));
  EXPECT_FALSE(w.accept(far));
  EXPECT_TRUE(w.accept(far + 64 * 5 + 3));
  EXPECT_FALSE(w.accept(far + 64));
  EXPECT_TRUE(w.accept(far + 64 + 1));
}

TEST(ReplayWindow, BitsOfTheSlotBeingReusedAreCleared) {
  ReplayWindow w;
  // Fill the block at counters 0..63, then move exactly a ring forward: the same slot now holds
  // counters 2048..2111 and must start empty.
  for (uint64_t c = 0; c < 64; ++c) ASSERT_TRUE(w.accept(c));
  const uint64_t ring = 64 * ReplayWindow::kBlocks;
  EXPECT_TRUE(w.accept(ring + 63));
  for (uint64_t c = ring; c < ring + 63; ++c) EXPECT_TRUE(w.accept(c)) << c;
}

TEST(ReplayWindow, RejectAfterMessages) {
  ReplayWindow w;
  EXPECT_FALSE(w.accept(kRejectAfterMessages));
  EXPECT_FALSE(w.accept(UINT64_MAX));
  EXPECT_TRUE(w.accept(kRejectAfterMessages - 1));
  EXPECT_FALSE(w.accept(kRejectAfterMessages - 1));
  EXPECT_TRUE(w.accept(kRejectAfterMessages - 2));
}

}  // namespace
}  // namespace causeway::wg
