// Field validators and the document reader.
#include "model/kong/validate.h"

#include <gtest/gtest.h>

#include "model/kong/document.h"
#include "model/kong/ids.h"

namespace causeway::model::kong {
namespace {

TEST(ValidateTest, Hostnames) {
  EXPECT_TRUE(isHostname("example.com"));
  EXPECT_TRUE(isHostname("a-b_c.example"));
  EXPECT_FALSE(isHostname("a..b"));
  EXPECT_FALSE(isHostname(""));
  EXPECT_FALSE(isHostname(std::string(64, 'a')));
  EXPECT_FALSE(checkHost("::1").has_value());
  EXPECT_FALSE(checkHost("[::1]").has_value());
  EXPECT_TRUE(checkHost("a b").has_value());
}

TEST(ValidateTest, RouteHostsAndSnis) {
  EXPECT_FALSE(checkRouteHost("*.example.com").has_value());
  EXPECT_FALSE(checkRouteHost("example.*").has_value());
  EXPECT_FALSE(checkRouteHost("example.com:8080").has_value());
  EXPECT_FALSE(checkRouteHost("*.example.com:8080").has_value());
  EXPECT_TRUE(checkRouteHost("*").has_value());
  EXPECT_TRUE(checkRouteHost("ex*ample.com").has_value());
  EXPECT_TRUE(checkRouteHost("a:b:c").has_value());
  EXPECT_FALSE(checkSni("*.example.com").has_value());
  EXPECT_TRUE(checkSni("::1").has_value());
}

TEST(ValidateTest, RoutePaths) {
  EXPECT_FALSE(checkRoutePath("/").has_value());
  EXPECT_FALSE(checkRoutePath("/a/b%2F").has_value());
  EXPECT_FALSE(checkRoutePath("~/users/(?<id>\\d+)$").has_value());
  EXPECT_FALSE(checkRoutePath("~/v[12]/.*").has_value());
  EXPECT_EQ(checkRoutePath("/%7euser"), "non-normalized path, consider use '/~user' instead");
  EXPECT_EQ(checkRoutePath("/a/./b/"), "non-normalized path, consider use '/a/b/' instead");
  EXPECT_TRUE(checkRoutePath("/%4").has_value());
  EXPECT_TRUE(checkRoutePath("~/a(?=b)").has_value());  // RE2 has no lookahead
}

TEST(ValidateTest, NamedGroupsAreTranslatedForRe2) {
  EXPECT_EQ(kongRegexToRe2("/(?<id>\\d+)"), "/(?P<id>\\d+)");
  EXPECT_EQ(kongRegexToRe2("\\(?<x>"), "\\(?<x>");
  EXPECT_EQ(kongRegexToRe2("(?<=a)"), "(?<=a)");
}

TEST(ValidateTest, NamesTagsUuids) {
  EXPECT_FALSE(checkName("my-service_1.v2~x").has_value());
  EXPECT_FALSE(checkName("s\xc3\xa9rvice").has_value());  // UTF-8 letters
  EXPECT_TRUE(checkName("a/b").has_value());
  EXPECT_TRUE(checkName("\xff").has_value());
  EXPECT_FALSE(checkTag("team:a").has_value());
  EXPECT_TRUE(checkTag("a,b").has_value());
  EXPECT_TRUE(isUuid("5f3c1a20-1111-4222-8333-444455556666"));
  EXPECT_FALSE(isUuid("5f3c1a20-1111-4222-8333-44445555666"));
}

TEST(ValidateTest, DeterministicUuid) {
  const std::string a = deterministicUuid("services:name:a");
  EXPECT_EQ(a, deterministicUuid("services:name:a"));
  EXPECT_NE(a, deterministicUuid("services:name:b"));
  EXPECT_TRUE(isUuid(a));
  EXPECT_EQ(a[14], '5');
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');
}

TEST(DocumentTest, ScalarResolution) {
  nlohmann::json j;
  std::string error;
  ASSERT_TRUE(parseDocument("a: 1\nb: \"1\"\nc: true\nd: ~\ne: 1.5\nf: -3\ng: 0x10\nh: text\n"
                            "i: !!str 5\nj: 1e3\nk: 'yes'\n",
                            j, error))
      << error;
  EXPECT_TRUE(j["a"].is_number_integer());
  EXPECT_TRUE(j["b"].is_string());
  EXPECT_EQ(j["c"], true);
  EXPECT_TRUE(j["d"].is_null());
  EXPECT_TRUE(j["e"].is_number_float());
  EXPECT_EQ(j["f"], -3);
  EXPECT_EQ(j["g"], 16);
  EXPECT_EQ(j["h"], "text");
  EXPECT_EQ(j["i"], "5");
  EXPECT_TRUE(j["j"].is_number_float());
  EXPECT_EQ(j["k"], "yes");
}

TEST(DocumentTest, NestingEstimate) {
  EXPECT_LE(estimateNesting("a:\n  b:\n    c: [1, {d: 2}]\n"), 6);
  EXPECT_GT(estimateNesting(std::string(100, '[')), kMaxNesting);
  // Brackets in quoted strings, comments and block scalars do not count.
  EXPECT_LE(estimateNesting("a: \"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"\n"
                            "# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n"),
            4);
  std::string block = "cert: |\n";
  for (int i = 0; i < 100; ++i) block += std::string(size_t(2 + i), ' ') + "line\n";
  EXPECT_LE(estimateNesting(block), 4);
}

}  // namespace
}  // namespace causeway::model::kong
