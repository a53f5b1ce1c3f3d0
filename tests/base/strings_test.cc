#include "base/strings.h"

#include <gtest/gtest.h>

#include "base/status.h"

namespace causeway {
namespace {

TEST(ParseDecimal, AcceptsDigitsOnlyWithinMax) {
  EXPECT_EQ(parseDecimal("0"), 0u);
  EXPECT_EQ(parseDecimal("65535", 65535), 65535u);
  EXPECT_EQ(parseDecimal("65536", 65535), std::nullopt);
  EXPECT_EQ(parseDecimal("18446744073709551615"), UINT64_MAX);
  EXPECT_EQ(parseDecimal("18446744073709551616"), std::nullopt);
  EXPECT_EQ(parseDecimal(""), std::nullopt);
  EXPECT_EQ(parseDecimal("+1"), std::nullopt);
  EXPECT_EQ(parseDecimal(" 1"), std::nullopt);
  EXPECT_EQ(parseDecimal("1a"), std::nullopt);
}

TEST(ParseHostPort, NamesAddressesAndPorts) {
  auto a = parseHostPort("example.com:8080");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->host, "example.com");
  EXPECT_EQ(a->port, 8080);
  auto b = parseHostPort("example.com");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->port, std::nullopt);
  auto c = parseHostPort("[::1]:443");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 443);
  auto d = parseHostPort("[::1]");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, std::nullopt);
}

TEST(ParseHostPort, RefusesMalformed) {
  EXPECT_FALSE(parseHostPort(""));
  EXPECT_FALSE(parseHostPort(":80"));
  EXPECT_FALSE(parseHostPort("host:"));
  EXPECT_FALSE(parseHostPort("host:65536"));
  EXPECT_FALSE(parseHostPort("::1"));  // IPv6 needs brackets
  EXPECT_FALSE(parseHostPort("[::1"));
  EXPECT_FALSE(parseHostPort("[::1]x"));
}

TEST(Strings, CaseAndWhitespace) {
  EXPECT_TRUE(equalsIgnoreCase("Content-Length", "content-length"));
  EXPECT_FALSE(equalsIgnoreCase("abc", "abd"));
  EXPECT_FALSE(equalsIgnoreCase("abc", "ab"));
  EXPECT_EQ(toLower("MiXeD"), "mixed");
  EXPECT_EQ(trimOws(" \t value \t"), "value");
  EXPECT_TRUE(startsWith("/api/v1", "/api"));
  EXPECT_TRUE(endsWith("a.example.com", ".example.com"));
  EXPECT_FALSE(endsWith("com", ".example.com"));
}

TEST(JsonEscape, EscapesQuotesBackslashesAndControls) {
  EXPECT_EQ(jsonEscape("a\"b\\c"), "a\\\"b\\\\c");
  EXPECT_EQ(jsonEscape("\n\t\x01"), "\\n\\t\\u0001");
  EXPECT_EQ(jsonEscape("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 passes through
}

TEST(Status, ValuesAndResults) {
  Status ok = Status::ok();
  EXPECT_TRUE(ok.isOk());
  Status bad = Status::invalidArgument("port out of range");
  EXPECT_FALSE(bad.isOk());
  EXPECT_EQ(bad.toString(), "invalid argument: port out of range");
  Result<int> r = 42;
  ASSERT_TRUE(r.isOk());
  EXPECT_EQ(r.value(), 42);
  Result<int> e = Status::notFound("no such route");
  EXPECT_FALSE(e.isOk());
  EXPECT_EQ(e.status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace causeway
