// The constants of the WireGuard protocol (whitepaper section 6.1 and 5.4) and the labels of its
// Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s handshake.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace causeway::wg {

using namespace std::chrono_literals;

inline constexpr std::string_view kConstruction = "Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s";
inline constexpr std::string_view kIdentifier = "WireGuard v1 zx2c4 Jason@zx2c4.com";
inline constexpr std::string_view kLabelMac1 = "mac1----";
inline constexpr std::string_view kLabelCookie = "cookie--";

inline constexpr uint64_t kRekeyAfterMessages = uint64_t(1) << 60;
// 2^64 - 2^13 - 1: a counter at or above it is never sent nor accepted.
inline constexpr uint64_t kRejectAfterMessages = UINT64_MAX - (uint64_t(1) << 13);
inline constexpr std::chrono::seconds kRekeyAfterTime = 120s;
inline constexpr std::chrono::seconds kRejectAfterTime = 180s;
inline constexpr std::chrono::seconds kRekeyAttemptTime = 90s;
inline constexpr std::chrono::seconds kRekeyTimeout = 5s;
inline constexpr std::chrono::seconds kKeepaliveTimeout = 10s;
// Retransmissions and new handshakes wait up to this much more, at random, so that peers do not
// keep colliding.
inline constexpr std::chrono::milliseconds kRekeyTimeoutJitterMax = 333ms;
// Both the responder's cookie secret and an initiator's cookie live this long.
inline constexpr std::chrono::seconds kCookieLifetime = 120s;
// A responder accepts at most one initiation per peer in this interval (50 a second).
inline constexpr std::chrono::milliseconds kMinInitiationInterval = 20ms;
// Packets waiting for a session, per peer; the oldest is dropped beyond this.
inline constexpr size_t kMaxStagedPackets = 128;

}  // namespace causeway::wg
