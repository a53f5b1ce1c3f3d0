#include "wg/device.h"

#include "wg/blake2s.h"
#include "wg/key_encoding.h"
#include "wg/messages.h"

namespace causeway::wg {

Result<std::unique_ptr<Device>> Device::create(Env& env, const Key& private_key,
                                               DeviceOptions options) {
  if (Status s = cryptoSelfTest(); !s.isOk()) return s;
  std::optional<LocalIdentity> local = LocalIdentity::fromPrivateKey(private_key);
  if (!local) return Status::internal("cannot derive the public key of the private key");
  if (options.mtu < 16) return Status::invalidArgument("mtu: must be at least 16");
  return std::unique_ptr<Device>(new Device(env, std::move(*local), options));
}

Device::Device(Env& env, LocalIdentity local, DeviceOptions options)
    : env_(env),
      local_(std::move(local)),
      options_(options),
      context_{env_, local_, indices_, options_.mtu},
      cookies_(local_.public_key) {}

Result<PeerId> Device::addPeer(const PeerConfig& config, TimePoint now) {
  if (config.public_key == local_.public_key) {
    return Status::invalidArgument("public_key: is the device's own key");
  }
  if (by_key_.count(config.public_key) != 0) {
    return Status::alreadyExists("public_key: a peer with key " + encodeKey(config.public_key) +
                                 " exists");
  }
  const PeerId id = next_id_++;
  auto peer = std::make_unique<Peer>(id, config, context_, now);
  if (!peer->valid()) {
    return Status::invalidArgument("public_key: " + encodeKey(config.public_key) +
                                   " is not a usable Curve25519 key");
  }
  by_key_.emplace(config.public_key, id);
  peers_.emplace(id, std::move(peer));
  return id;
}

bool Device::removePeer(PeerId id) {
  const auto it = peers_.find(id);
  if (it == peers_.end()) return false;
  by_key_.erase(it->second->publicKey());
  peers_.erase(it);  // ~Peer wipes its keys and releases its indices
  return true;
}

std::optional<PeerId> Device::findPeer(const PublicKey& key) const {
  const auto it = by_key_.find(key);
  if (it == by_key_.end()) return std::nullopt;
  return it->second;
}

Peer* Device::peer(PeerId id) {
  const auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

const Peer* Device::peer(PeerId id) const {
  const auto it = peers_.find(id);
  return it == peers_.end() ? nullptr : it->second.get();
}

Peer* Device::peerForIndex(uint32_t index) {
  const std::optional<PeerId> id = indices_.find(index);
  return id ? peer(*id) : nullptr;
}

DropReason Device::send(PeerId id, std::span<const uint8_t> packet, TimePoint now, Actions& out) {
  Peer* p = peer(id);
  if (p == nullptr) return DropReason::kUnknownPeer;
  return p->send(packet, now, out);
}

void Device::tick(TimePoint now, Actions& out) {
  for (auto& [id, p] : peers_) p->tick(now, out);
}

std::optional<TimePoint> Device::nextDeadline() const {
  std::optional<TimePoint> next;
  for (const auto& [id, p] : peers_) {
    const std::optional<TimePoint> t = p->nextDeadline();
    if (t && (!next || *t < *next)) next = t;
  }
  return next;
}

DropReason Device::receive(std::span<const uint8_t> datagram, const Endpoint& source, TimePoint now,
                           bool under_load, Actions& out) {
  const DropReason r = dispatch(datagram, source, now, under_load, out);
  ++counts_[size_t(r)];
  return r;
}

DropReason Device::checkMacs(std::span<const uint8_t> datagram, uint32_t sender_index,
                             const Endpoint& source, TimePoint now, bool under_load, Actions& out) {
  if (!cookies_.checkMac1(datagram)) return DropReason::kBadMac1;
  if (!under_load || cookies_.checkMac2(datagram, source.bytes(), now)) return DropReason::kNone;
  const CookieReply reply = cookies_.makeReply(datagram, sender_index, source.bytes(), now, env_);
  const std::array<uint8_t, kCookieReplySize> bytes = serialize(reply);
  Action a;
  a.type = Action::Type::kSend;
  a.peer = kNoPeer;
  a.endpoint = source;
  a.bytes.assign(bytes.begin(), bytes.end());
  out.push_back(std::move(a));
  return DropReason::kCookieSent;
}

DropReason Device::dispatch(std::span<const uint8_t> datagram, const Endpoint& source,
                            TimePoint now, bool under_load, Actions& out) {
  const std::optional<MessageType> type = messageType(datagram);
  if (!type) return DropReason::kMalformed;
  switch (*type) {
    case MessageType::kInitiation: {
      const std::optional<Initiation> msg = parseInitiation(datagram);
      if (!msg) return DropReason::kMalformed;
      if (DropReason r = checkMacs(datagram, msg->sender_index, source, now, under_load, out);
          r != DropReason::kNone) {
        return r;
      }
      Peer* from = nullptr;
      bool static_opened = false;
      std::optional<OpenedInitiation> opened =
          openInitiation(local_, *msg, [&](const PublicKey& key) -> const Key* {
            static_opened = true;
            const std::optional<PeerId> id = findPeer(key);
            from = id ? peer(*id) : nullptr;
            return from ? &from->staticStatic() : nullptr;
          });
      if (!opened) {
        if (static_opened && from == nullptr) return DropReason::kUnknownPeer;
        if (from != nullptr) from->countDrop(DropReason::kDecryptFailed);
        return DropReason::kDecryptFailed;
      }
      return from->receiveInitiation(*opened, source, now, out);
    }
    case MessageType::kResponse: {
      const std::optional<Response> msg = parseResponse(datagram);
      if (!msg) return DropReason::kMalformed;
      if (DropReason r = checkMacs(datagram, msg->sender_index, source, now, under_load, out);
          r != DropReason::kNone) {
        return r;
      }
      Peer* to = peerForIndex(msg->receiver_index);
      if (to == nullptr) return DropReason::kUnknownIndex;
      return to->receiveResponse(*msg, source, now, out);
    }
    case MessageType::kCookieReply: {
      const std::optional<CookieReply> msg = parseCookieReply(datagram);
      if (!msg) return DropReason::kMalformed;
      Peer* to = peerForIndex(msg->receiver_index);
      if (to == nullptr) return DropReason::kUnknownIndex;
      return to->receiveCookieReply(*msg, now);
    }
    case MessageType::kTransportData: {
      const std::optional<TransportHeader> header = parseTransportHeader(datagram);
      if (!header) return DropReason::kMalformed;
      Peer* to = peerForIndex(header->receiver_index);
      if (to == nullptr) return DropReason::kUnknownIndex;
      return to->receiveData(datagram, header->receiver_index, source, now, out);
    }
  }
  return DropReason::kMalformed;
}

}  // namespace causeway::wg
