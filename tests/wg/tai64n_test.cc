#include "wg/tai64n.h"

#include <gtest/gtest.h>

namespace causeway::wg {
namespace {

using namespace std::chrono;

TEST(Tai64n, Layout) {
  const system_clock::time_point t{seconds(1) + nanoseconds(0x12345678)};
  const Tai64n ts = tai64nFrom(t);
  // 2^62 + 10 + 1 seconds, big-endian.
  const Tai64n expected = {0x40, 0, 0, 0, 0, 0, 0, 0x0b,
                           // 0x12345678 ns rounded down to a multiple of 2^24
                           0x12, 0x00, 0x00, 0x00};
  EXPECT_EQ(ts, expected);
}

TEST(Tai64n, OrdersLikeTime) {
  const system_clock::time_point t{seconds(1700000000)};
  EXPECT_TRUE(tai64nAfter(tai64nFrom(t + seconds(1)), tai64nFrom(t)));
  EXPECT_TRUE(tai64nAfter(tai64nFrom(t + milliseconds(20)), tai64nFrom(t)));
  EXPECT_FALSE(tai64nAfter(tai64nFrom(t), tai64nFrom(t)));
  EXPECT_FALSE(tai64nAfter(tai64nFrom(t), tai64nFrom(t + seconds(1))));
  // Within one 2^24 ns step the timestamps are equal: not "after".
  EXPECT_FALSE(tai64nAfter(tai64nFrom(t + nanoseconds(1000)), tai64nFrom(t)));
}

}  // namespace
}  // namespace causeway::wg
