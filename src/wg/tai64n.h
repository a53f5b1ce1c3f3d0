// TAI64N timestamps, the 12-byte clock value of a handshake initiation: 8 bytes big-endian of
// 2^62 + 10 + unix seconds (the TAI64 label WireGuard uses), then 4 bytes big-endian of
// nanoseconds. Byte order makes them compare like their time. Pure functions.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>

namespace causeway::wg {

using Tai64n = std::array<uint8_t, 12>;

// The timestamp of `wall`, with the nanoseconds rounded down to a multiple of 2^24 (about
// 16.8 ms), so that an initiation does not reveal the sender's clock precisely; a peer refuses
// initiations more frequent than that anyway.
Tai64n tai64nFrom(std::chrono::system_clock::time_point wall);

// Whether `a` is strictly later than `b`.
bool tai64nAfter(const Tai64n& a, const Tai64n& b);

}  // namespace causeway::wg
