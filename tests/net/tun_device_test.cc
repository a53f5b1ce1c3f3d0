#include "net/tun_device.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "net/netlink.h"
#include "netns.h"
#include "test_packets.h"

namespace causeway::net {
namespace {

using testing::checksumsValid;
using testing::get16;
using testing::ipHeaderLength;

#define REQUIRE_NETNS()                                                               \
  do {                                                                                \
    if (!testing::haveNetnsPrivileges()) GTEST_SKIP() << "needs root for namespaces"; \
  } while (0)

#define ASSERT_OK(expr)                                \
  do {                                                 \
    auto status_ = (expr);                             \
    ASSERT_TRUE(status_.isOk()) << status_.toString(); \
  } while (0)

// Reads from `tun` until `match` accepts a packet or 3 s pass.
template <class Match>
std::optional<std::vector<uint8_t>> readUntil(TunDevice& tun, TunPacket& packet, Match match) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{tun.fd(), POLLIN, 0};
    ::poll(&p, 1, 100);
    auto n = tun.read(packet);
    if (!n.isOk()) return std::nullopt;
    if (*n == 0) continue;
    auto bytes = packet.bytes();
    if (match(bytes)) return std::vector<uint8_t>(bytes.begin(), bytes.end());
  }
  return std::nullopt;
}

TEST(TunDeviceTest, OpensWithOffloads) {
  REQUIRE_NETNS();
  testing::ScopedNetns ns;
  ASSERT_TRUE(ns.ok());
  auto tun = TunDevice::open("cw%d");
  ASSERT_TRUE(tun.isOk()) << tun.status().toString();
  EXPECT_EQ(tun->name(), "cw0");
  EXPECT_GT(tun->index(), 0);
  EXPECT_TRUE(tun->tcpOffloads());
  std::printf("TUN offload flags accepted: 0x%x (TCP %s, UDP %s)\n", tun->offloadFlags(),
              tun->tcpOffloads() ? "yes" : "no", tun->udpOffloads() ? "yes" : "no");
  TunOptions no_offloads;
  no_offloads.offloads = false;
  auto plain = TunDevice::open("plain0", no_offloads);
  ASSERT_TRUE(plain.isOk());
  EXPECT_EQ(plain->offloadFlags(), 0u);
  TunPacket packet;
  auto n = plain->read(packet);
  ASSERT_TRUE(n.isOk());
  EXPECT_EQ(*n, 0u);  // nothing yet, and no blocking
  EXPECT_FALSE(TunDevice::open("a-name-far-too-long-for-linux").isOk());
}

uint16_t icmpChecksum(std::span<const uint8_t> bytes) {
  return static_cast<uint16_t>(~testing::referenceFold(testing::referenceSum(bytes)));
}

TEST(TunDeviceTest, KernelPingsThroughTheTunAndTakesTheReply) {
  REQUIRE_NETNS();
  testing::ScopedNetns ns;
  ASSERT_TRUE(ns.ok());
  auto tun = TunDevice::open("cwping");
  ASSERT_TRUE(tun.isOk()) << tun.status().toString();
  auto nl = Netlink::open();
  ASSERT_TRUE(nl.isOk());
  ASSERT_OK(nl->setMtu("cwping", 1420));
  ASSERT_OK(nl->addAddress("cwping", IpAddress::parse("10.66.0.1").value(), 24));
  ASSERT_OK(nl->addAddress("cwping", IpAddress::parse("10.66.0.1").value(), 24));  // again: fine
  ASSERT_OK(nl->setUp("cwping"));

  int icmp = ::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
  ASSERT_GE(icmp, 0);
  std::vector<uint8_t> request(8 + 56);
  request[0] = 8;                                        // echo request
  request[4] = 0x12, request[5] = 0x34, request[7] = 1;  // id, seq
  for (size_t i = 8; i < request.size(); ++i) request[i] = uint8_t(i);
  uint16_t c = icmpChecksum(request);
  request[2] = uint8_t(c >> 8), request[3] = uint8_t(c);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  ::inet_pton(AF_INET, "10.66.0.2", &to.sin_addr);
  ASSERT_EQ(::sendto(icmp, request.data(), request.size(), 0, reinterpret_cast<sockaddr*>(&to),
                     sizeof to),
            ssize_t(request.size()));

  TunPacket packet;
  auto echo = readUntil(*tun, packet, [](std::span<const uint8_t> p) {
    return p.size() >= 28 && (p[0] >> 4) == 4 && p[9] == 1 && p[20] == 8;
  });
  ASSERT_TRUE(echo.has_value()) << "no echo request on the TUN";
  EXPECT_EQ(packet.header().gso_type, VirtioNetHeader::kGsoNone);
  EXPECT_TRUE(checksumsValid(*echo));
  EXPECT_EQ(echo->size(), 20 + request.size());
  EXPECT_EQ(0, std::memcmp(echo->data() + 16, &to.sin_addr, 4));

  // The reply: addresses swapped, type 0, checksums redone.
  std::vector<uint8_t> reply = *echo;
  std::swap_ranges(reply.begin() + 12, reply.begin() + 16, reply.begin() + 16);
  reply[8] = 64;
  reply[10] = reply[11] = 0;
  uint16_t hc = icmpChecksum(std::span(reply).first(20));
  reply[10] = uint8_t(hc >> 8), reply[11] = uint8_t(hc);
  reply[20] = 0;
  reply[22] = reply[23] = 0;
  uint16_t ic = icmpChecksum(std::span(reply).subspan(20));
  reply[22] = uint8_t(ic >> 8), reply[23] = uint8_t(ic);
  ASSERT_OK(tun->write(reply));

  bool got_reply = false;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (!got_reply && std::chrono::steady_clock::now() < deadline) {
    pollfd p{icmp, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    uint8_t buffer[2048];
    ssize_t n = ::recv(icmp, buffer, sizeof buffer, MSG_DONTWAIT);
    if (n >= 28 && buffer[20] == 0 && buffer[24] == 0x12 && buffer[25] == 0x34) got_reply = true;
  }
  EXPECT_TRUE(got_reply) << "the kernel did not deliver the echo reply";
  EXPECT_EQ(tun->stats().written_packets, 1u);
  ::close(icmp);
}

TEST(TunDeviceTest, KernelUdpGsoArrivesAsOneSuperPacket) {
  REQUIRE_NETNS();
  testing::ScopedNetns ns;
  ASSERT_TRUE(ns.ok());
  auto tun = TunDevice::open("cwuso");
  ASSERT_TRUE(tun.isOk()) << tun.status().toString();
  if (!tun->udpOffloads()) GTEST_SKIP() << "this kernel has no TUN USO";
  auto nl = Netlink::open();
  ASSERT_TRUE(nl.isOk());
  ASSERT_OK(nl->setMtu("cwuso", 1420));
  ASSERT_OK(nl->addAddress("cwuso", IpAddress::parse("10.67.0.1").value(), 24));
  ASSERT_OK(nl->setUp("cwuso"));
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(s, 0);
  int segment = 1000;
  ASSERT_EQ(::setsockopt(s, SOL_UDP, UDP_SEGMENT, &segment, sizeof segment), 0);
  std::vector<uint8_t> payload = testing::payloadBytes(10 * 1000 - 300, 4);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(4242);
  ::inet_pton(AF_INET, "10.67.0.2", &to.sin_addr);
  ASSERT_EQ(
      ::sendto(s, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to),
      ssize_t(payload.size()));
  ::close(s);
  TunPacket packet;
  auto super = readUntil(*tun, packet, [](std::span<const uint8_t> p) {
    return p.size() > 28 && (p[0] >> 4) == 4 && p[9] == 17;
  });
  ASSERT_TRUE(super.has_value());
  EXPECT_EQ(packet.header().gso_type, VirtioNetHeader::kGsoUdpL4);
  EXPECT_EQ(packet.header().gso_size, 1000);
  EXPECT_EQ(super->size(), 28 + payload.size());
  PacketSegments segments;
  ASSERT_OK(segmentPacket(packet.header(), packet.bytes(), segments));
  ASSERT_EQ(segments.size(), 10u);
  size_t offset = 0;
  for (auto seg : segments) {
    EXPECT_TRUE(checksumsValid(seg));
    EXPECT_EQ(get16(seg, 2), seg.size());
    EXPECT_EQ(0, std::memcmp(seg.data() + 28, payload.data() + offset, seg.size() - 28));
    offset += seg.size() - 28;
  }
  EXPECT_EQ(offset, payload.size());
}

// ---- TCP through two namespaces joined by a user-space forwarder

struct ForwardStats {
  uint64_t reads = 0;
  uint64_t gso_reads = 0;       // super-packets
  uint64_t gso_wrong_type = 0;  // super-packets of an unexpected GSO type
  size_t largest_read = 0;
  uint64_t segments = 0;
  size_t largest_segment = 0;
  uint64_t tcp_checked = 0;
  uint64_t bad_checksums = 0;
  uint64_t segment_errors = 0;
  uint64_t writes = 0;
  uint64_t written_packets = 0;
};

// Moves packets between two TUN devices as the transit loop will (read, segment, batch,
// write), checking every TCP segment's checksums on the way.
class Forwarder {
 public:
  Forwarder(TunDevice& a, TunDevice& b, uint8_t expected_gso)
      : a_(a), b_(b), expected_gso_(expected_gso), thread_([this] { run(); }) {}
  ~Forwarder() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  const ForwardStats& aToB() const { return stats_[0]; }
  const ForwardStats& bToA() const { return stats_[1]; }

 private:
  void run() {
    TunPacket packet;
    PacketSegments segments;
    TunWriteBatch batch;
    while (!stop_) {
      pollfd p[2] = {{a_.fd(), POLLIN, 0}, {b_.fd(), POLLIN, 0}};
      ::poll(p, 2, 20);
      move(a_, b_, stats_[0], packet, segments, batch);
      move(b_, a_, stats_[1], packet, segments, batch);
    }
  }
  void move(TunDevice& from, TunDevice& to, ForwardStats& s, TunPacket& packet,
            PacketSegments& segments, TunWriteBatch& batch) {
    for (int i = 0; i < 64; ++i) {
      auto n = from.read(packet);
      if (!n.isOk() || *n == 0) break;
      ++s.reads;
      s.largest_read = std::max(s.largest_read, *n);
      if (packet.header().gso_type != VirtioNetHeader::kGsoNone) {
        ++s.gso_reads;
        if ((packet.header().gso_type & 0x7f) != expected_gso_) ++s.gso_wrong_type;
      }
      if (!segmentPacket(packet.header(), packet.bytes(), segments).isOk()) {
        ++s.segment_errors;
        continue;
      }
      for (auto seg : segments) {
        ++s.segments;
        s.largest_segment = std::max(s.largest_segment, seg.size());
        const bool tcp = (seg[0] >> 4) == 4 ? seg[9] == 6 : seg[6] == 6;
        if (tcp) {
          ++s.tcp_checked;
          if (!checksumsValid(seg)) ++s.bad_checksums;
        }
        if (!batch.append(seg)) {
          flush(to, s, batch);
          (void)batch.append(seg);
        }
      }
    }
    flush(to, s, batch);
  }
  void flush(TunDevice& to, ForwardStats& s, TunWriteBatch& batch) {
    if (batch.empty()) return;
    TunWriteResult r = to.write(batch);
    s.writes += r.writes;
    s.written_packets += r.packets;
  }

  TunDevice& a_;
  TunDevice& b_;
  uint8_t expected_gso_;
  std::atomic<bool> stop_{false};
  ForwardStats stats_[2];
  std::thread thread_;
};

struct TcpCase {
  bool v6;
  bool offloads;
  bool coalesce = true;
};

class TunTcpTest : public ::testing::TestWithParam<TcpCase> {};

TEST_P(TunTcpTest, KernelTcpThroughTwoTunsAndAUserSpaceForwarder) {
  REQUIRE_NETNS();
  const bool v6 = GetParam().v6;
  TunOptions options;
  options.offloads = GetParam().offloads;
  options.coalesce_writes = GetParam().coalesce;
  const IpAddress a_address = IpAddress::parse(v6 ? "fd77::1" : "10.77.0.1").value();
  const IpAddress b_address = IpAddress::parse(v6 ? "fd77::2" : "10.77.0.2").value();
  const int prefix_length = v6 ? 64 : 24;
  const uint32_t mtu = 1420;

  std::optional<TunDevice> tun_a, tun_b;
  const int family = v6 ? AF_INET6 : AF_INET;
  int client = -1, listener = -1;
  // One side: a namespace with a TUN device, its address, and a TCP socket made inside it.
  auto side = [&](const char* name, const IpAddress& address, std::optional<TunDevice>& tun,
                  int& socket_fd) {
    testing::ScopedNetns ns;
    ASSERT_TRUE(ns.ok());
    auto opened = TunDevice::open(name, options);
    ASSERT_TRUE(opened.isOk()) << opened.status().toString();
    tun.emplace(std::move(*opened));
    auto nl = Netlink::open();
    ASSERT_TRUE(nl.isOk());
    ASSERT_OK(nl->setMtu(name, mtu));
    ASSERT_OK(nl->addAddress(name, address, prefix_length));
    ASSERT_OK(nl->setUp(name));
    socket_fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(socket_fd, 0);
  };
  side("cwa", a_address, tun_a, client);
  side("cwb", b_address, tun_b, listener);
  ASSERT_TRUE(tun_a && tun_b && client >= 0 && listener >= 0);
  sockaddr_storage server{};
  socklen_t server_length = 0;
  if (v6) {
    auto* s6 = reinterpret_cast<sockaddr_in6*>(&server);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons(5201);
    std::memcpy(&s6->sin6_addr, b_address.bytes().data(), 16);
    server_length = sizeof(sockaddr_in6);
  } else {
    auto* s4 = reinterpret_cast<sockaddr_in*>(&server);
    s4->sin_family = AF_INET;
    s4->sin_port = htons(5201);
    std::memcpy(&s4->sin_addr, b_address.bytes().data(), 4);
    server_length = sizeof(sockaddr_in);
  }
  // The socket belongs to the namespace it was made in, wherever this thread is now.
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&server), server_length), 0)
      << std::strerror(errno);
  ASSERT_EQ(::listen(listener, 1), 0);
  timeval timeout{10, 0};
  ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);

  const uint8_t gso_type = v6 ? VirtioNetHeader::kGsoTcpV6 : VirtioNetHeader::kGsoTcpV4;
  Forwarder forwarder(*tun_a, *tun_b, gso_type);
  constexpr size_t kBytes = 64 << 20;
  std::atomic<size_t> received{0};
  std::atomic<bool> content_ok{true};
  ::setsockopt(listener, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);  // accept too
  // The stream is byte k = k % 251; `pattern` holds it from any offset below 251 on.
  constexpr size_t kChunk = 1 << 20;
  std::vector<uint8_t> pattern(kChunk + 251);
  for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = uint8_t(i % 251);
  std::jthread receiver([&] {
    int c = ::accept(listener, nullptr, nullptr);
    if (c < 0) return;
    ::setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::vector<uint8_t> buffer(1 << 16);
    size_t total = 0;
    for (;;) {
      ssize_t n = ::recv(c, buffer.data(), buffer.size(), 0);
      if (n <= 0) break;
      if (std::memcmp(buffer.data(), pattern.data() + total % 251, size_t(n)) != 0) {
        content_ok = false;
      }
      total += size_t(n);
    }
    received = total;
    ::close(c);
  });

  auto start = std::chrono::steady_clock::now();
  ASSERT_EQ(::connect(client, reinterpret_cast<sockaddr*>(&server), server_length), 0)
      << std::strerror(errno);
  size_t sent = 0;
  while (sent < kBytes) {
    const uint8_t* chunk = pattern.data() + sent % 251;
    size_t off = 0;
    while (off < kChunk) {
      ssize_t n = ::send(client, chunk + off, kChunk - off, MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << std::strerror(errno);
      off += size_t(n);
    }
    sent += kChunk;
  }
  ::shutdown(client, SHUT_WR);
  receiver.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  forwarder.stop();
  ::close(client);
  ::close(listener);

  EXPECT_EQ(received.load(), kBytes);
  EXPECT_TRUE(content_ok.load());
  const ForwardStats& data = forwarder.aToB();
  const ForwardStats& acks = forwarder.bToA();
  EXPECT_EQ(data.bad_checksums + acks.bad_checksums, 0u);
  EXPECT_EQ(data.segment_errors + acks.segment_errors, 0u);
  EXPECT_EQ(data.gso_wrong_type, 0u);
  EXPECT_LE(data.largest_segment, mtu);
  EXPECT_GT(data.tcp_checked, kBytes / mtu);
  if (GetParam().offloads) {
    EXPECT_GT(data.gso_reads, 0u);
    EXPECT_GT(data.largest_read, 16000u);  // at least ~12 segments in one read
    if (GetParam().coalesce) {
      EXPECT_LT(data.writes, data.written_packets / 4);  // coalesced on the way out
    } else {
      EXPECT_EQ(data.writes, data.written_packets);
    }
  } else {
    EXPECT_EQ(data.gso_reads, 0u);
    EXPECT_LE(data.largest_read, mtu);
    EXPECT_EQ(data.writes, data.written_packets);
  }
  std::printf(
      "%s offloads=%d coalesce=%d: %.1f MB/s; data: %llu reads (%llu GSO, largest %zu) -> %llu "
      "segments "
      "-> %llu writes; acks: %llu reads -> %llu writes\n",
      v6 ? "IPv6" : "IPv4", int(GetParam().offloads), int(GetParam().coalesce),
      kBytes / seconds / 1e6, (unsigned long long)data.reads, (unsigned long long)data.gso_reads,
      data.largest_read, (unsigned long long)data.segments, (unsigned long long)data.writes,
      (unsigned long long)acks.reads, (unsigned long long)acks.writes);
}

INSTANTIATE_TEST_SUITE_P(Families, TunTcpTest,
                         ::testing::Values(TcpCase{false, true}, TcpCase{true, true},
                                           TcpCase{false, true, false}, TcpCase{false, false}),
                         [](const auto& info) {
                           return std::string(info.param.v6 ? "v6" : "v4") +
                                  (!info.param.offloads  ? "_plain"
                                   : info.param.coalesce ? "_offloads"
                                                         : "_offloads_nocoalesce");
                         });

}  // namespace
}  // namespace causeway::net
