#include "net/udp_batch.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <chrono>
#include <cstring>
#include <map>
#include <vector>

#include "net/netlink.h"
#include "netns.h"

namespace causeway::net {
namespace {

// A datagram's content: its index in the first 4 bytes, then a pattern.
void fill(std::span<uint8_t> d, uint32_t index) {
  for (size_t i = 0; i < d.size(); ++i) d[i] = uint8_t(index * 7 + i);
  if (d.size() >= 4) std::memcpy(d.data(), &index, 4);
}

struct Received {
  std::vector<uint8_t> bytes;
  SocketAddress source;
};

// Receives until `count` datagrams arrived or 3 s passed.
std::vector<Received> receiveAll(UdpSocket& socket, size_t count) {
  std::vector<Received> got;
  RecvBatch batch(8);  // few slots: several calls
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  while (got.size() < count && std::chrono::steady_clock::now() < deadline) {
    pollfd p{socket.fd(), POLLIN, 0};
    ::poll(&p, 1, 100);
    auto n = socket.receive(batch);
    EXPECT_TRUE(n.isOk()) << n.status().toString();
    if (!n) break;
    EXPECT_EQ(*n, batch.size());
    for (const auto& d : batch) got.push_back({{d.bytes.begin(), d.bytes.end()}, *d.source});
  }
  return got;
}

// `got` holds `count` datagrams filled by fill() with indexes 0, 1, 2...
void expectInOrder(const std::vector<Received>& got, uint32_t count) {
  ASSERT_EQ(got.size(), count);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t index;
    ASSERT_GE(got[i].bytes.size(), 4u);
    std::memcpy(&index, got[i].bytes.data(), 4);
    EXPECT_EQ(index, i);
  }
}

SocketAddress loopback(const char* text = "127.0.0.1:0") {
  return SocketAddress::parse(text).value();
}

struct Case {
  bool gso;
  bool gro;
};

class UdpBatchTest : public ::testing::TestWithParam<Case> {};

TEST_P(UdpBatchTest, SendsAndReceivesManyDatagramsToTwoDestinations) {
  UdpOptions send_options, receive_options;
  send_options.gso = GetParam().gso;
  receive_options.gro = GetParam().gro;
  auto sender = UdpSocket::bind(loopback(), send_options);
  auto r1 = UdpSocket::bind(loopback(), receive_options);
  auto r2 = UdpSocket::bind(loopback(), receive_options);
  ASSERT_TRUE(sender.isOk()) << sender.status().toString();
  ASSERT_TRUE(r1.isOk() && r2.isOk());
  EXPECT_NE(r1->localAddress().port(), 0);
  if (!GetParam().gso) {
    EXPECT_FALSE(sender->gsoEnabled());
  }
  if (!GetParam().gro) {
    EXPECT_FALSE(r1->groEnabled());
  }

  // Runs of equal sizes with a shorter last one, a longer one that breaks a run, a switch of
  // destination, and more than 64 in a row.
  struct Plan {
    int destination;
    size_t size;
  };
  std::vector<Plan> plan;
  for (int i = 0; i < 40; ++i) plan.push_back({1, 1200});
  plan.push_back({1, 500});
  plan.push_back({1, 1300});
  for (int i = 0; i < 100; ++i) plan.push_back({2, 1000});
  for (int i = 0; i < 5; ++i) plan.push_back({1, 1000});
  plan.push_back({2, 1});
  for (int i = 0; i < 30; ++i) plan.push_back({1, 60});

  SendBatch batch;
  std::map<int, std::vector<std::vector<uint8_t>>> expected;
  for (uint32_t i = 0; i < plan.size(); ++i) {
    UdpSocket& to = plan[i].destination == 1 ? *r1 : *r2;
    auto room = batch.append(to.localAddress(), plan[i].size);
    ASSERT_EQ(room.size(), plan[i].size);
    fill(room, i);
    expected[plan[i].destination].emplace_back(room.begin(), room.end());
  }
  EXPECT_EQ(batch.size(), plan.size());
  FlushResult result = batch.flush(*sender);
  EXPECT_EQ(result.sent, plan.size());
  EXPECT_EQ(result.dropped, 0u);
  EXPECT_FALSE(result.would_block);
  EXPECT_TRUE(batch.empty());
  const UdpStats& stats = sender->stats();
  EXPECT_EQ(stats.sent_datagrams, plan.size());
  if (sender->gsoEnabled()) {
    // 40+500 | 1300 | 64 | 36 | 5 | 1 | 30
    EXPECT_EQ(stats.sent_messages, 7u);
  } else {
    EXPECT_EQ(stats.sent_messages, plan.size());
  }

  for (int destination : {1, 2}) {
    UdpSocket& r = destination == 1 ? *r1 : *r2;
    auto got = receiveAll(r, expected[destination].size());
    ASSERT_EQ(got.size(), expected[destination].size());
    for (size_t i = 0; i < got.size(); ++i) {
      EXPECT_EQ(got[i].bytes, expected[destination][i]) << "datagram " << i;
      EXPECT_EQ(got[i].source, sender->localAddress());
    }
    if (sender->gsoEnabled() && r.groEnabled()) {
      // GSO messages stay whole on loopback and arrive coalesced.
      EXPECT_LT(r.stats().received_messages, r.stats().received_datagrams);
    }
    RecvBatch empty;
    auto n = r.receive(empty);
    ASSERT_TRUE(n.isOk());
    EXPECT_EQ(*n, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Offloads, UdpBatchTest,
                         ::testing::Values(Case{true, true}, Case{true, false}, Case{false, true},
                                           Case{false, false}),
                         [](const auto& info) {
                           return std::string(info.param.gso ? "gso" : "nogso") + "_" +
                                  (info.param.gro ? "gro" : "nogro");
                         });

TEST(UdpSocketTest, DualStackSocketSpeaksIpv4WithPlainAddresses) {
  auto dual = UdpSocket::bind(loopback("[::]:0"));
  auto v4 = UdpSocket::bind(loopback());
  ASSERT_TRUE(dual.isOk() && v4.isOk());
  SocketAddress dual_at =
      SocketAddress::fromIp(std::vector<uint8_t>{127, 0, 0, 1}, dual->localAddress().port());
  SendBatch batch;
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(batch.append(dual_at, std::vector<uint8_t>(700, 1)));
  EXPECT_EQ(batch.flush(*v4).sent, 3u);
  auto got = receiveAll(*dual, 3);
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(got[0].source.isV4());  // not ::ffff:127.0.0.1
  EXPECT_EQ(got[0].source, v4->localAddress());
  // And back, to that IPv4 address from the IPv6 socket.
  for (int i = 0; i < 3; ++i)
    ASSERT_TRUE(batch.append(got[0].source, std::vector<uint8_t>(700, 2)));
  EXPECT_EQ(batch.flush(*dual).sent, 3u);
  EXPECT_EQ(receiveAll(*v4, 3).size(), 3u);
}

TEST(UdpSocketTest, Ipv6Loopback) {
  auto a = UdpSocket::bind(loopback("[::1]:0"));
  auto b = UdpSocket::bind(loopback("[::1]:0"));
  if (!a.isOk()) GTEST_SKIP() << "no IPv6 loopback: " << a.status().toString();
  ASSERT_TRUE(b.isOk());
  SendBatch batch;
  for (uint32_t i = 0; i < 50; ++i) fill(batch.append(b->localAddress(), 1400), i);
  EXPECT_EQ(batch.flush(*a).sent, 50u);
  auto got = receiveAll(*b, 50);
  expectInOrder(got, 50);
  EXPECT_EQ(got[0].source.toString(), a->localAddress().toString());
}

TEST(SendBatchTest, FullBatchShrinkAndClear) {
  SendBatch batch(4, 3000);
  SocketAddress to = loopback("127.0.0.1:9");
  EXPECT_TRUE(batch.append(to, 0).empty());
  EXPECT_EQ(batch.append(to, 1000).size(), 1000u);
  EXPECT_EQ(batch.append(to, 1000).size(), 1000u);
  EXPECT_TRUE(batch.append(to, 1001).empty());  // bytes
  batch.shrinkLast(500);
  EXPECT_EQ(batch.append(to, 1001).size(), 1001u);
  EXPECT_EQ(batch.append(to, 1).size(), 1u);
  EXPECT_TRUE(batch.append(to, 1).empty());  // datagrams
  batch.shrinkLast(0);
  EXPECT_EQ(batch.size(), 3u);
  batch.clear();
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(batch.append(to, 3000).size(), 3000u);
}

TEST(SendBatchTest, RefusedDatagramsAreDroppedAndCounted) {
  auto v4 = UdpSocket::bind(loopback());
  auto sink = UdpSocket::bind(loopback());
  ASSERT_TRUE(v4.isOk() && sink.isOk());
  SendBatch batch;
  // An IPv6 destination on an IPv4 socket is refused; the datagrams around it still go.
  ASSERT_TRUE(batch.append(sink->localAddress(), std::vector<uint8_t>(10, 1)));
  ASSERT_TRUE(batch.append(loopback("[::1]:9"), std::vector<uint8_t>(10, 2)));
  ASSERT_TRUE(batch.append(loopback("[::1]:9"), std::vector<uint8_t>(10, 2)));
  ASSERT_TRUE(batch.append(sink->localAddress(), std::vector<uint8_t>(10, 3)));
  FlushResult r = batch.flush(*v4);
  EXPECT_EQ(r.sent, 2u);
  EXPECT_EQ(r.dropped, 2u);
  EXPECT_NE(r.error, 0);
  EXPECT_TRUE(batch.empty());
  EXPECT_EQ(v4->stats().send_dropped, 2u);
  EXPECT_EQ(receiveAll(*sink, 2).size(), 2u);
}

TEST(SendBatchTest, LongRunsSplitAt64Kilobytes) {
  auto a = UdpSocket::bind(loopback());
  auto b = UdpSocket::bind(loopback());
  ASSERT_TRUE(a.isOk() && b.isOk());
  SendBatch batch;
  for (uint32_t i = 0; i < 10; ++i) fill(batch.append(b->localAddress(), 9000), i);
  EXPECT_EQ(batch.flush(*a).sent, 10u);
  if (a->gsoEnabled()) {
    EXPECT_EQ(a->stats().sent_messages, 2u);  // 7 x 9000, then 3 x 9000
  }
  auto got = receiveAll(*b, 10);
  expectInOrder(got, 10);
  for (const Received& r : got) EXPECT_EQ(r.bytes.size(), 9000u);
}

TEST(SendBatchTest, GsoSegmentsOverThePathMtuGoOutOneByOne) {
  if (!testing::haveNetnsPrivileges()) GTEST_SKIP() << "needs root for a network namespace";
  testing::ScopedNetns ns;
  ASSERT_TRUE(ns.ok());
  auto netlink = Netlink::open();
  ASSERT_TRUE(netlink.isOk());
  ASSERT_TRUE(netlink->setMtu("lo", 1500).isOk());
  ASSERT_TRUE(netlink->setUp("lo").isOk());
  auto a = UdpSocket::bind(loopback());
  auto b = UdpSocket::bind(loopback());
  ASSERT_TRUE(a.isOk() && b.isOk());
  if (!a->gsoEnabled()) GTEST_SKIP() << "no UDP GSO here";
  SendBatch batch;
  // A GSO segment must fit the MTU: the kernel refuses these (EINVAL); sent one by one they
  // are fragmented like any large datagram.
  for (uint32_t i = 0; i < 6; ++i) fill(batch.append(b->localAddress(), 2000), i);
  for (uint32_t i = 6; i < 12; ++i) fill(batch.append(b->localAddress(), 1000), i);
  FlushResult r = batch.flush(*a);
  EXPECT_EQ(r.sent, 12u);
  EXPECT_EQ(r.dropped, 0u);
  EXPECT_TRUE(a->gsoEnabled());  // EINVAL does not turn it off; EIO would
  // The refused message was 6 x 2000 + 1000 (a shorter last segment joins a run): 7 single
  // datagrams, then the other 5 x 1000 as one GSO message.
  EXPECT_EQ(a->stats().sent_messages, 8u);
  expectInOrder(receiveAll(*b, 12), 12);
}

}  // namespace
}  // namespace causeway::net
