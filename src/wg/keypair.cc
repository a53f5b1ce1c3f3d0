#include "wg/keypair.h"

#include <cstring>

#include "wg/constants.h"

namespace causeway::wg {

Keypair::Keypair(SessionKeys&& keys, TimePoint created)
    : send_(keys.send),
      receive_(keys.receive),
      local_index_(keys.local_index),
      remote_index_(keys.remote_index),
      initiator_(keys.initiator),
      created_(created) {
  keys.send.wipe();
  keys.receive.wipe();
}

bool Keypair::expired(TimePoint now) const { return now - created_ >= kRejectAfterTime; }

bool Keypair::canSend(TimePoint now) const {
  return !expired(now) && send_counter_ < kRejectAfterMessages;
}

bool Keypair::seal(std::span<const uint8_t> plain, size_t padded_size, std::vector<uint8_t>& out) {
  if (send_counter_ >= kRejectAfterMessages) return false;
  if (padded_size < plain.size()) padded_size = plain.size();
  out.resize(kTransportHeaderSize + padded_size + kAeadTagSize);
  const uint64_t counter = send_counter_;
  writeTransportHeader({remote_index_, counter},
                       std::span<uint8_t, kTransportHeaderSize>(out.data(), kTransportHeaderSize));
  uint8_t* body = out.data() + kTransportHeaderSize;
  if (!plain.empty()) std::memmove(body, plain.data(), plain.size());
  if (padded_size > plain.size()) std::memset(body + plain.size(), 0, padded_size - plain.size());
  if (!send_.seal(counter, std::span<const uint8_t>(body, padded_size), {},
                  std::span<uint8_t>(body, padded_size + kAeadTagSize))) {
    out.clear();
    return false;
  }
  ++send_counter_;
  return true;
}

Keypair::OpenResult Keypair::open(std::span<const uint8_t> message, std::vector<uint8_t>& plain) {
  const std::optional<TransportHeader> header = parseTransportHeader(message);
  if (!header || header->receiver_index != local_index_) return OpenResult::kMalformed;
  if (!window_.mayAccept(header->counter)) return OpenResult::kReplayed;
  const std::span<const uint8_t> sealed = message.subspan(kTransportHeaderSize);
  plain.resize(sealed.size() - kAeadTagSize);
  if (!receive_.open(header->counter, sealed, {}, plain)) {
    plain.clear();
    return OpenResult::kDecryptFailed;
  }
  if (!window_.accept(header->counter)) {
    plain.clear();
    return OpenResult::kReplayed;
  }
  return OpenResult::kOk;
}

}  // namespace causeway::wg
