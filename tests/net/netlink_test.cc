#include "net/netlink.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>

#include "net/tun_device.h"
#include "netns.h"
#include "test_packets.h"

namespace causeway::net {
namespace {

#define ASSERT_OK(expr)                                \
  do {                                                 \
    auto status_ = (expr);                             \
    ASSERT_TRUE(status_.isOk()) << status_.toString(); \
  } while (0)

Cidr cidr(const char* text) { return Cidr::parse(text).value(); }
IpAddress address(const char* text) { return IpAddress::parse(text).value(); }
Route route(const char* destination, std::string device, std::optional<IpAddress> gateway = {},
            uint32_t table = 254) {
  Route r;
  r.destination = cidr(destination);
  r.device = std::move(device);
  r.gateway = gateway;
  r.table = table;
  return r;
}
Rule rule(sa_family_t family, std::string device, uint32_t table) {
  Rule r;
  r.family = family;
  r.input_device = std::move(device);
  r.table = table;
  return r;
}

// Sends a UDP datagram to `ip` (from this namespace) and says whether the kernel took it.
int sendUdp(const char* ip, uint16_t port) {
  int s = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  ::inet_pton(AF_INET, ip, &to.sin_addr);
  int result = ::sendto(s, "x", 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to) == 1 ? 0 : errno;
  ::close(s);
  return result;
}

// The next IPv4 packet on `tun` to `destination`, within `wait`.
std::optional<std::vector<uint8_t>> nextTo(
    TunDevice& tun, const char* destination,
    std::chrono::milliseconds wait = std::chrono::seconds(2)) {
  in_addr want{};
  ::inet_pton(AF_INET, destination, &want);
  TunPacket packet;
  auto deadline = std::chrono::steady_clock::now() + wait;
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd p{tun.fd(), POLLIN, 0};
    ::poll(&p, 1, 50);
    auto n = tun.read(packet);
    if (!n.isOk()) return std::nullopt;
    auto b = packet.bytes();
    if (*n >= 20 && (b[0] >> 4) == 4 && std::memcmp(b.data() + 16, &want, 4) == 0) {
      return std::vector<uint8_t>(b.begin(), b.end());
    }
  }
  return std::nullopt;
}

class NetlinkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::haveNetnsPrivileges()) GTEST_SKIP() << "needs root for a network namespace";
    ns_.emplace();
    ASSERT_TRUE(ns_->ok());
    auto nl = Netlink::open();
    ASSERT_TRUE(nl.isOk()) << nl.status().toString();
    nl_.emplace(std::move(*nl));
    auto tun = TunDevice::open("cwrt");
    ASSERT_TRUE(tun.isOk()) << tun.status().toString();
    tun_.emplace(std::move(*tun));
    ASSERT_OK(nl_->addAddress("cwrt", address("10.55.0.1"), 24));
    ASSERT_OK(nl_->setUp("cwrt"));
  }
  void TearDown() override {
    tun_.reset();
    nl_.reset();
    ns_.reset();
  }
  std::optional<testing::ScopedNetns> ns_;
  std::optional<Netlink> nl_;
  std::optional<TunDevice> tun_;
};

TEST_F(NetlinkTest, FindsInterfaces) {
  auto index = nl_->interfaceIndex("cwrt");
  ASSERT_TRUE(index.isOk()) << index.status().toString();
  EXPECT_EQ(*index, tun_->index());
  auto lo = nl_->interfaceIndex("lo");
  ASSERT_TRUE(lo.isOk());
  EXPECT_EQ(*lo, 1);
  auto missing = nl_->interfaceIndex("nope0");
  ASSERT_FALSE(missing.isOk());
  EXPECT_EQ(missing.status().code(), Status::Code::kNotFound);
  EXPECT_NE(missing.status().message().find("nope0"), std::string::npos);
  Status s = nl_->setMtu("nope0", 1400);
  EXPECT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("nope0"), std::string::npos) << s.toString();
}

TEST_F(NetlinkTest, AddsAndDeletesAddressesIdempotently) {
  const IpAddress v6 = address("fd55::1");
  ASSERT_OK(nl_->addAddress("cwrt", v6, 64));
  ASSERT_OK(nl_->addAddress("cwrt", v6, 64));
  ASSERT_OK(nl_->deleteAddress("cwrt", v6, 64));
  ASSERT_OK(nl_->deleteAddress("cwrt", v6, 64));
  const IpAddress v4 = address("10.55.1.1");
  ASSERT_OK(nl_->addAddress("cwrt", v4, 24));
  ASSERT_OK(nl_->deleteAddress("cwrt", v4, 24));
  ASSERT_OK(nl_->deleteAddress("cwrt", v4, 24));
  EXPECT_FALSE(nl_->addAddress("cwrt", v4, 33).isOk());
  ASSERT_OK(nl_->setMtu("cwrt", 1280));
  EXPECT_FALSE(nl_->setMtu("cwrt", 10).isOk());  // below the minimum
}

TEST_F(NetlinkTest, RoutesACidrIntoTheDeviceAndWithdrawsIt) {
  Route direct = route("10.56.0.0/16", "cwrt");
  EXPECT_EQ(sendUdp("10.56.1.1", 9), ENETUNREACH);
  ASSERT_OK(nl_->addRoute(direct));
  ASSERT_OK(nl_->addRoute(direct));  // again: replaced, not an error
  EXPECT_EQ(sendUdp("10.56.1.1", 9), 0);
  EXPECT_TRUE(nextTo(*tun_, "10.56.1.1").has_value());
  ASSERT_OK(nl_->deleteRoute(direct));
  ASSERT_OK(nl_->deleteRoute(direct));  // gone already: fine
  EXPECT_EQ(sendUdp("10.56.1.1", 9), ENETUNREACH);

  // Via a gateway on the link, with a metric; IPv6 too.
  Route via = route("10.57.0.0/16", "cwrt", address("10.55.0.9"));
  via.metric = 50;
  ASSERT_OK(nl_->addRoute(via));
  EXPECT_EQ(sendUdp("10.57.0.1", 9), 0);
  ASSERT_OK(nl_->deleteRoute(via));
  Route v6 = route("fd56::/48", "cwrt");
  ASSERT_OK(nl_->addRoute(v6));
  ASSERT_OK(nl_->addRoute(v6));
  ASSERT_OK(nl_->deleteRoute(v6));
  ASSERT_OK(nl_->deleteRoute(v6));

  // A blackhole.
  Route hole = route("10.99.0.0/16", "");
  hole.type = Route::Type::kBlackhole;
  ASSERT_OK(nl_->addRoute(hole));
  EXPECT_EQ(sendUdp("10.99.0.1", 9), EINVAL);  // what the kernel says for a blackhole
  ASSERT_OK(nl_->deleteRoute(hole));

  // Clear errors.
  Status s = nl_->addRoute(route("10.58.0.0/16", "cwrt", address("192.0.2.1")));
  ASSERT_FALSE(s.isOk());
  EXPECT_NE(s.message().find("add route 10.58.0.0/16 via 192.0.2.1 dev cwrt"), std::string::npos)
      << s.message();
  std::printf("unreachable gateway: %s\n", s.toString().c_str());
  s = nl_->addRoute(route("10.58.0.0/16", "nope0"));
  EXPECT_EQ(s.code(), Status::Code::kNotFound);
  EXPECT_FALSE(nl_->addRoute(route("10.58.0.0/16", "")).isOk());
  EXPECT_FALSE(nl_->addRoute(route("10.58.0.0/16", "cwrt", address("fd00::1"))).isOk());
}

TEST_F(NetlinkTest, PolicyRuleSendsWhatArrivesOnTheTunToAFirewallInterface) {
  // Packets that come in on cwrt look up table 100, whose default route goes to a next hop
  // on cwfw: a firewall inserted in the path.
  auto fw = TunDevice::open("cwfw");
  ASSERT_TRUE(fw.isOk());
  ASSERT_OK(nl_->addAddress("cwfw", address("10.59.0.1"), 24));
  ASSERT_OK(nl_->setUp("cwfw"));
  ASSERT_TRUE(testing::writeSysctl("net/ipv4/ip_forward", "1"));
  ASSERT_TRUE(testing::writeSysctl("net/ipv4/conf/all/rp_filter", "0"));
  ASSERT_TRUE(testing::writeSysctl("net/ipv4/conf/cwrt/rp_filter", "0"));
  Route to_firewall = route("0.0.0.0/0", "cwfw", address("10.59.0.2"), 100);
  ASSERT_OK(nl_->addRoute(to_firewall));
  ASSERT_OK(nl_->addRoute(to_firewall));
  Rule from_tunnel = rule(AF_INET, "cwrt", 100);

  // A packet from a remote workload arrives through the tunnel, for 198.51.100.7.
  testing::FlowSpec flow;
  auto packet = testing::udpPacket(flow, testing::payloadBytes(32, 1));
  const uint8_t addresses[8] = {10, 55, 0, 7, 198, 51, 100, 7};
  std::memcpy(packet.data() + 12, addresses, 8);
  testing::refreshChecksums(packet);
  auto forwarded = [&](std::chrono::milliseconds wait) {
    EXPECT_TRUE(tun_->write(packet).isOk());
    return nextTo(*fw, "198.51.100.7", wait);
  };

  ASSERT_OK(nl_->addRule(from_tunnel));
  ASSERT_OK(nl_->addRule(from_tunnel));  // the same rule again: fine, and not a second copy...
  ASSERT_OK(nl_->deleteRule(from_tunnel));
  EXPECT_FALSE(forwarded(std::chrono::milliseconds(300)).has_value());  // ...so one delete does
  ASSERT_OK(nl_->deleteRule(from_tunnel));                              // missing: fine
  ASSERT_OK(nl_->addRule(from_tunnel));
  auto out = forwarded(std::chrono::seconds(2));
  ASSERT_TRUE(out.has_value()) << "not forwarded to the firewall interface";
  EXPECT_EQ((*out)[8], 63);  // TTL decremented: routed
  EXPECT_TRUE(testing::checksumsValid(*out));

  // Without the rule, table main has no route for it: nothing comes out of cwfw.
  ASSERT_OK(nl_->deleteRule(from_tunnel));
  EXPECT_FALSE(forwarded(std::chrono::milliseconds(300)).has_value());
  ASSERT_OK(nl_->deleteRoute(to_firewall));
  ASSERT_OK(nl_->deleteRoute(to_firewall));

  Rule v6 = rule(AF_INET6, "cwrt", 100);
  v6.priority = 2000;
  ASSERT_OK(nl_->addRule(v6));
  ASSERT_OK(nl_->addRule(v6));
  ASSERT_OK(nl_->deleteRule(v6));
  ASSERT_OK(nl_->deleteRule(v6));
  EXPECT_FALSE(nl_->addRule(rule(AF_INET, "cwrt", 0)).isOk());
}

}  // namespace
}  // namespace causeway::net
