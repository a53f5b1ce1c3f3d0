#include "net/socket_address.h"

#include <gtest/gtest.h>

#include "wg/endpoint.h"

namespace causeway::net {
namespace {

TEST(SocketAddressTest, ParsesAndPrints) {
  auto v4 = SocketAddress::parse("172.31.0.1:51820");
  ASSERT_TRUE(v4.isOk());
  EXPECT_TRUE(v4->isV4());
  EXPECT_EQ(v4->port(), 51820);
  EXPECT_EQ(v4->size(), sizeof(sockaddr_in));
  EXPECT_EQ(v4->toString(), "172.31.0.1:51820");
  auto v6 = SocketAddress::parse("[fd00::1]:443");
  ASSERT_TRUE(v6.isOk());
  EXPECT_TRUE(v6->isV6());
  EXPECT_EQ(v6->size(), sizeof(sockaddr_in6));
  EXPECT_EQ(v6->toString(), "[fd00::1]:443");
  EXPECT_EQ(v6->ip().size(), 16u);
  for (const char* bad : {"", "1.2.3.4", "1.2.3.4:", "1.2.3.4:65536", "fd00::1:80", "[1.2.3.4]:80",
                          "host:80", "[fd00::1]", "1.2.3:80"}) {
    EXPECT_FALSE(SocketAddress::parse(bad).isOk()) << bad;
  }
}

TEST(SocketAddressTest, BytesRoundTripThroughAnEndpoint) {
  for (const char* text : {"10.0.0.1:1", "[::1]:65535", "[2001:db8::5]:51820"}) {
    auto a = SocketAddress::parse(text);
    ASSERT_TRUE(a.isOk());
    ASSERT_LE(a->size(), wg::Endpoint::kMaxSize);
    wg::Endpoint e(a->bytes());
    auto back = SocketAddress::fromBytes(e.bytes());
    ASSERT_TRUE(back.has_value());
    EXPECT_EQ(*back, *a);
    EXPECT_EQ(back->toString(), text);
  }
  EXPECT_FALSE(SocketAddress::fromBytes({}).has_value());
  std::vector<uint8_t> junk(28, 0x77);
  EXPECT_FALSE(SocketAddress::fromBytes(junk).has_value());
}

TEST(SocketAddressTest, MappedAddressesBecomeIpv4) {
  auto v4 = SocketAddress::parse("192.0.2.7:9");
  ASSERT_TRUE(v4.isOk());
  SocketAddress mapped = v4->toV6Mapped();
  EXPECT_TRUE(mapped.isV6());
  EXPECT_EQ(mapped.toString(), "[::ffff:192.0.2.7]:9");
  auto back = SocketAddress::fromBytes(mapped.bytes());
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, *v4);
  EXPECT_NE(*v4, SocketAddress::parse("192.0.2.7:10").value());
  EXPECT_TRUE(SocketAddress().empty());
  EXPECT_EQ(SocketAddress().toString(), "");
}

}  // namespace
}  // namespace causeway::net
