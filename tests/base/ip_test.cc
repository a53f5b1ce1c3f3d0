#include "base/ip.h"

#include <gtest/gtest.h>

#include <unordered_set>

namespace causeway {
namespace {

IpAddress ip(std::string_view text) {
  auto a = IpAddress::parse(text);
  EXPECT_TRUE(a) << text;
  return a.value_or(IpAddress());
}

Cidr cidr(std::string_view text) {
  auto c = Cidr::parse(text);
  EXPECT_TRUE(c) << text;
  return c.value_or(Cidr());
}

TEST(IpAddress, ParsesAndFormatsBothFamilies) {
  EXPECT_EQ(ip("10.1.2.3").toString(), "10.1.2.3");
  EXPECT_FALSE(ip("10.1.2.3").isV6());
  EXPECT_EQ(ip("10.1.2.3").bytes().size(), 4u);
  EXPECT_EQ(ip("fd00::1").toString(), "fd00::1");
  EXPECT_TRUE(ip("fd00::1").isV6());
  EXPECT_EQ(ip("FD00:0:0::01").toString(), "fd00::1");  // canonical form
  EXPECT_EQ(ip("::ffff:1.2.3.4").bytes().size(), 16u);  // a mapped address stays IPv6
}

TEST(IpAddress, RefusesWhatIsNotALiteralAddress) {
  for (std::string_view bad :
       {"", "10.1.2", "10.1.2.256", "010.1.2.3", "1.2.3.4 ", " 1.2.3.4", "fe80::1%eth0",
        "fd00::1::2", "host.example", "1.2.3.4/32", "[fd00::1]"}) {
    EXPECT_FALSE(IpAddress::parse(bad)) << bad;
  }
  EXPECT_FALSE(IpAddress::parse(std::string(100, '1')));
}

TEST(IpAddress, FromBytesOrderAndHash) {
  const uint8_t v4[] = {192, 168, 0, 1};
  EXPECT_EQ(IpAddress::fromBytes(v4), ip("192.168.0.1"));
  EXPECT_LT(ip("10.0.0.1"), ip("10.0.0.2"));
  EXPECT_LT(ip("255.255.255.255"), ip("::"));  // IPv4 sorts first
  std::unordered_set<IpAddress> set = {ip("10.0.0.1"), ip("10.0.0.1"), ip("::a00:1")};
  EXPECT_EQ(set.size(), 2u);
}

TEST(Cidr, ParsesBlocksAndBareAddresses) {
  EXPECT_EQ(cidr("10.1.0.0/16").toString(), "10.1.0.0/16");
  EXPECT_EQ(cidr("10.1.0.0/16").prefixLength(), 16);
  EXPECT_EQ(cidr("10.1.2.3").toString(), "10.1.2.3/32");
  EXPECT_TRUE(cidr("10.1.2.3").isHost());
  EXPECT_EQ(cidr("fd00::1").toString(), "fd00::1/128");
  EXPECT_EQ(cidr("fd00:11::/64").toString(), "fd00:11::/64");
  EXPECT_EQ(cidr("0.0.0.0/0").toString(), "0.0.0.0/0");
  EXPECT_EQ(cidr("::/0").prefixLength(), 0);
}

TEST(Cidr, RefusesHostBitsAndMalformedText) {
  EXPECT_FALSE(Cidr::parse("10.1.2.3/16"));
  EXPECT_EQ(Cidr::parseError("10.1.2.3/16"), "host bits set: did you mean 10.1.0.0/16?");
  EXPECT_FALSE(Cidr::parse("fd00::1/64"));
  EXPECT_EQ(Cidr::parseError("fd00::1/64"), "host bits set: did you mean fd00::/64?");
  for (std::string_view bad : {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/-1",
                               "10.0.0.0/016", "10.0.0.0/1a", "/8", "10.0.0/8", "10.0.0.0//8"}) {
    EXPECT_FALSE(Cidr::parse(bad)) << bad;
    EXPECT_TRUE(Cidr::parseError(bad)) << bad;
  }
  EXPECT_EQ(Cidr::parseError("10.1.0.0/16"), std::nullopt);
}

TEST(Cidr, ContainsWithinOneFamilyOnly) {
  const Cidr block = cidr("10.1.0.0/16");
  EXPECT_TRUE(block.contains(ip("10.1.0.0")));
  EXPECT_TRUE(block.contains(ip("10.1.255.255")));
  EXPECT_FALSE(block.contains(ip("10.2.0.0")));
  EXPECT_FALSE(block.contains(ip("::a01:1")));
  EXPECT_TRUE(cidr("10.1.2.0/23").contains(ip("10.1.3.9")));
  EXPECT_FALSE(cidr("10.1.2.0/23").contains(ip("10.1.4.0")));
  EXPECT_TRUE(cidr("0.0.0.0/0").contains(ip("1.2.3.4")));
  EXPECT_FALSE(cidr("0.0.0.0/0").contains(ip("::1")));
  EXPECT_TRUE(cidr("fd00::/8").contains(ip("fdff::1")));
  EXPECT_FALSE(cidr("fd00::/8").contains(ip("fe00::1")));
  EXPECT_TRUE(cidr("fd00::1").contains(ip("fd00::1")));
  EXPECT_FALSE(cidr("fd00::1").contains(ip("fd00::2")));
}

TEST(Cidr, OverlapsWhenOneHoldsTheOther) {
  EXPECT_TRUE(cidr("10.0.0.0/8").overlaps(cidr("10.1.0.0/16")));
  EXPECT_TRUE(cidr("10.1.0.0/16").overlaps(cidr("10.0.0.0/8")));
  EXPECT_TRUE(cidr("10.1.0.0/16").overlaps(cidr("10.1.0.0/16")));
  EXPECT_FALSE(cidr("10.1.0.0/16").overlaps(cidr("10.2.0.0/16")));
  EXPECT_FALSE(cidr("10.1.0.0/17").overlaps(cidr("10.1.128.0/17")));
  EXPECT_FALSE(cidr("0.0.0.0/0").overlaps(cidr("::/0")));
  EXPECT_TRUE(cidr("fd00::/16").overlaps(cidr("fd00:1::/32")));
  EXPECT_FALSE(cidr("fd00::/16").overlaps(cidr("fd01::/16")));
}

TEST(Cidr, MaskedAndNth) {
  EXPECT_EQ(Cidr::masked(ip("10.1.2.3"), 16), cidr("10.1.0.0/16"));
  EXPECT_EQ(Cidr::masked(ip("10.1.2.3"), 99), cidr("10.1.2.3/32"));
  EXPECT_EQ(Cidr::masked(ip("fd00::ffff"), 120), cidr("fd00::ff00/120"));
  EXPECT_EQ(cidr("100.64.0.0/16").nth(1), ip("100.64.0.1"));
  EXPECT_EQ(cidr("100.64.0.0/16").nth(256), ip("100.64.1.0"));
  EXPECT_EQ(cidr("100.64.0.0/16").nth(65535), ip("100.64.255.255"));
  EXPECT_EQ(cidr("100.64.0.0/16").nth(65536), std::nullopt);
  EXPECT_EQ(cidr("10.0.0.0/32").nth(0), ip("10.0.0.0"));
  EXPECT_EQ(cidr("10.0.0.0/32").nth(1), std::nullopt);
  EXPECT_EQ(cidr("fd00::/64").nth(0x10001), ip("fd00::1:1"));
  EXPECT_EQ(cidr("::/0").nth(UINT64_MAX), ip("::ffff:ffff:ffff:ffff"));
}

TEST(Cidr, SamePrefixComparesPartialBytes) {
  const uint8_t a[] = {10, 1, 0b10100000, 0};
  const uint8_t b[] = {10, 1, 0b10111111, 9};
  EXPECT_TRUE(samePrefix(a, b, 19));
  EXPECT_FALSE(samePrefix(a, b, 20));
  EXPECT_TRUE(samePrefix(a, b, 0));
}

}  // namespace
}  // namespace causeway
