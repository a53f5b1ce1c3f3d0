// A transport session: the two keys one handshake derived, the send counter and the replay
// window of the receive direction (whitepaper section 5.4.6). Seals and opens type 4 messages.
// Used by one thread at a time.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "wg/chacha20poly1305.h"
#include "wg/env.h"
#include "wg/messages.h"
#include "wg/noise.h"
#include "wg/replay_window.h"

namespace causeway::wg {

class Keypair {
 public:
  // Takes the keys (they live on only inside OpenSSL's cipher contexts).
  Keypair(SessionKeys&& keys, TimePoint created);

  uint32_t localIndex() const { return local_index_; }
  uint32_t remoteIndex() const { return remote_index_; }
  bool initiator() const { return initiator_; }
  TimePoint created() const { return created_; }
  // The counter the next sealed message will carry.
  uint64_t sendCounter() const { return send_counter_; }

  // Whether the session is past REJECT_AFTER_TIME at `now`.
  bool expired(TimePoint now) const;
  // Whether another message may be sent: not expired and the counter below the reject limit.
  bool canSend(TimePoint now) const;

  // Writes a transport message carrying `plain` zero-padded to `padded_size` bytes (at least
  // plain.size()) into `out` (resized). False when the counter is exhausted.
  [[nodiscard]] bool seal(std::span<const uint8_t> plain, size_t padded_size,
                          std::vector<uint8_t>& out);

  enum class OpenResult { kOk, kMalformed, kReplayed, kDecryptFailed };
  // Opens a whole transport message addressed to this session into `plain` (resized, padding
  // included). The replay window only moves for messages that authenticate.
  OpenResult open(std::span<const uint8_t> message, std::vector<uint8_t>& plain);

  // Moves the send counter, for tests of counter exhaustion.
  void setSendCounter(uint64_t counter) { send_counter_ = counter; }

 private:
  AeadKey send_;
  AeadKey receive_;
  uint32_t local_index_;
  uint32_t remote_index_;
  bool initiator_;
  TimePoint created_;
  uint64_t send_counter_ = 0;
  ReplayWindow window_;
};

}  // namespace causeway::wg
