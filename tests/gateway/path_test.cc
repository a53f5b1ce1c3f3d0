// normalizePath (RFC 3986 6.2.2 + Kong) and upstreamPath (Kong's strip_path / path_handling).
#include <gtest/gtest.h>

#include "gateway/router.h"

namespace causeway::gateway {
namespace {

using model::kong::PathHandling;

std::string norm(std::string_view p) { return normalizePath(p).value_or("<invalid>"); }

TEST(NormalizePathTest, KeepsPlainPaths) {
  EXPECT_EQ(norm("/"), "/");
  EXPECT_EQ(norm("/a/b"), "/a/b");
  EXPECT_EQ(norm("/a/b/"), "/a/b/");
  EXPECT_EQ(norm("/a:b@c!$&'()*+,;="), "/a:b@c!$&'()*+,;=");
}

TEST(NormalizePathTest, MergesDuplicateSlashes) {
  EXPECT_EQ(norm("//"), "/");
  EXPECT_EQ(norm("//a"), "/a");
  EXPECT_EQ(norm("/a//b///c"), "/a/b/c");
  EXPECT_EQ(norm("/a//"), "/a/");
}

TEST(NormalizePathTest, RemovesDotSegments) {
  EXPECT_EQ(norm("/a/./b"), "/a/b");
  EXPECT_EQ(norm("/a/../b"), "/b");
  EXPECT_EQ(norm("/a/b/c/./../../g"), "/a/g");  // RFC 3986 5.2.4 example
  EXPECT_EQ(norm("/../a"), "/a");
  EXPECT_EQ(norm("/.."), "/");
  EXPECT_EQ(norm("/."), "/");
  EXPECT_EQ(norm("/a/."), "/a/");
  EXPECT_EQ(norm("/a/b/.."), "/a/");
  EXPECT_EQ(norm("/a//../b"), "/b");  // slashes merged before ".." climbs
  EXPECT_EQ(norm("/a/..b/c"), "/a/..b/c");
  EXPECT_EQ(norm("/a/.b"), "/a/.b");
}

TEST(NormalizePathTest, DecodesUnreservedOnly) {
  EXPECT_EQ(norm("/%41%62%7E%2D%2E%5F%30"), "/Ab~-._0");
  EXPECT_EQ(norm("/a%2fb"), "/a%2Fb");  // reserved stays encoded, hex upper-cased
  EXPECT_EQ(norm("/a%2Fb"), "/a%2Fb");
  EXPECT_EQ(norm("/%e2%82%ac"), "/%E2%82%AC");
  EXPECT_EQ(norm("/a%20b"), "/a%20b");
  EXPECT_EQ(norm("/%25"), "/%25");
}

TEST(NormalizePathTest, DecodedDotsAreDotSegments) {
  EXPECT_EQ(norm("/a/%2E%2E/b"), "/b");
  EXPECT_EQ(norm("/a/%2e/b"), "/a/b");
}

TEST(NormalizePathTest, RejectsInvalidPaths) {
  EXPECT_FALSE(normalizePath(""));
  EXPECT_FALSE(normalizePath("a/b"));
  EXPECT_FALSE(normalizePath("*"));
  EXPECT_FALSE(normalizePath("/%"));
  EXPECT_FALSE(normalizePath("/%4"));
  EXPECT_FALSE(normalizePath("/%G1"));
  EXPECT_FALSE(normalizePath("/a%zzb"));
}

struct UpstreamCase {
  const char* service_path;  // "" = the service has no path
  const char* route_path;    // informational; matched_path is what counts
  const char* matched_path;  // "" = the route has no paths
  bool strip_path;
  PathHandling handling;
  const char* request_path;
  const char* expected;
};

constexpr auto kV0 = PathHandling::kV0;
constexpr auto kV1 = PathHandling::kV1;

// Rows 0-7: the table of the Kong Admin API reference (Route object, "Path handling
// algorithms"). The rest follow Kong's path construction (router/utils.lua get_upstream_uri_v0 and
// the v1 branch of the router), covering the trailing-slash cases the table does not show.
const UpstreamCase kUpstreamCases[] = {
    {"/s", "/fv0", "/fv0", false, kV0, "/fv0req", "/s/fv0req"},
    {"/s", "/fv1", "/fv1", false, kV1, "/fv1req", "/sfv1req"},
    {"/s", "/tv0", "/tv0", true, kV0, "/tv0req", "/s/req"},
    {"/s", "/tv1", "/tv1", true, kV1, "/tv1req", "/sreq"},
    {"/s", "/fv0/", "/fv0/", false, kV0, "/fv0/req", "/s/fv0/req"},
    {"/s", "/fv1/", "/fv1/", false, kV1, "/fv1/req", "/sfv1/req"},
    {"/s", "/tv0/", "/tv0/", true, kV0, "/tv0/req", "/s/req"},
    {"/s", "/tv1/", "/tv1/", true, kV1, "/tv1/req", "/sreq"},
    // Service without a path ("/").
    {"", "/foo", "/foo", true, kV0, "/foo", "/"},
    {"", "/foo", "/foo", true, kV0, "/foo/", "/"},
    {"", "/foo", "/foo", true, kV0, "/foo/bar", "/bar"},
    {"", "/foo", "/foo", false, kV0, "/foo/bar", "/foo/bar"},
    {"", "/foo", "/foo", true, kV1, "/foo/bar", "/bar"},
    {"", "/foo", "/foo", true, kV1, "/foo", "/"},
    {"", "/foo", "/foo", false, kV1, "/foo/bar", "/foo/bar"},
    {"", "(none)", "", true, kV0, "/foo/bar", "/foo/bar"},
    {"", "(none)", "", true, kV1, "/foo/bar", "/foo/bar"},
    {"", "/foo", "/foo", true, kV0, "/foo../x", "/x"},  // ".." postfix sanitized
    // Service path ending in a slash.
    {"/s/", "/foo", "/foo", true, kV0, "/foo", "/s"},
    {"/s/", "/foo", "/foo", true, kV0, "/foo/", "/s/"},
    {"/s/", "/foo/", "/foo/", true, kV0, "/foo/", "/s/"},
    {"/s/", "/foo", "/foo", true, kV0, "/foo/bar", "/s/bar"},
    {"/s/", "/foo", "/foo", true, kV0, "/foobar", "/s/bar"},
    {"/s/", "/foo", "/foo", false, kV0, "/foo/bar", "/s/foo/bar"},
    {"/s/", "/foo", "/foo", true, kV1, "/foo/bar", "/s/bar"},
    {"/s/", "/foo", "/foo", true, kV1, "/foobar", "/s/bar"},
    {"/s/", "/foo", "/foo", true, kV1, "/foo", "/s/"},
    {"/s/", "/foo", "/foo", false, kV1, "/foo", "/s/foo"},
    // Service path without a trailing slash.
    {"/s", "/foo", "/foo", true, kV0, "/foo", "/s"},
    {"/s", "/foo/", "/foo/", true, kV0, "/foo/", "/s/"},
    {"/s", "/foo", "/foo", true, kV0, "/foo/", "/s/"},
    {"/s", "/", "/", false, kV0, "/", "/s"},
    {"/s", "/", "/", false, kV1, "/", "/s"},
    {"/s", "/foo", "/foo", true, kV1, "/foo", "/s"},
    {"/s", "/foo", "/foo", true, kV1, "/foo/", "/s/"},
    // A regex route strips its whole match.
    {"/s", "~/items/\\d+", "/items/42", true, kV0, "/items/42/detail", "/s/detail"},
    {"/s", "~/items/\\d+", "/items/42", true, kV1, "/items/42/detail", "/s/detail"},
};

TEST(UpstreamPathTest, KongTables) {
  for (const auto& c : kUpstreamCases) {
    EXPECT_EQ(
        upstreamPath(c.service_path, c.request_path, c.matched_path, c.strip_path, c.handling),
        c.expected)
        << "service.path=" << c.service_path << " route.path=" << c.route_path
        << " strip_path=" << c.strip_path << " handling=v" << (c.handling == kV1 ? 1 : 0)
        << " request=" << c.request_path;
  }
}

}  // namespace
}  // namespace causeway::gateway
