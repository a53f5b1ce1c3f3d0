// MeshHTTPRoute matches: path kinds (prefix on segment boundaries), method, headers, query.
#include "mesh/http_match.h"

#include <gtest/gtest.h>

#include "http/http1_parser.h"

namespace causeway::mesh {
namespace {

namespace mm = model::mesh;

struct Req {
  std::string raw;
  http::RequestHead head;
  explicit Req(const std::string& text) : raw(text) {
    auto r = http::parseRequestHead(raw, http::Limits{}, head);
    EXPECT_EQ(r.status, http::ParseStatus::kDone) << text;
  }
};

Req get(const std::string& target, const std::string& headers = "",
        const std::string& method = "GET") {
  return Req(method + " " + target + " HTTP/1.1\r\nHost: backend\r\n" + headers + "\r\n");
}

CompiledMatch compile(mm::HttpMatch m) {
  auto c = CompiledMatch::compile(m);
  EXPECT_TRUE(c.isOk()) << c.status().message();
  return std::move(c.value());
}

TEST(HttpMatchTest, PathPrefixMatchesWholeSegments) {
  mm::HttpMatch m;
  m.path = mm::HttpPathMatch{mm::HttpPathMatch::Type::kPathPrefix, "/api"};
  auto c = compile(m);
  EXPECT_TRUE(c.matches(get("/api").head));
  EXPECT_TRUE(c.matches(get("/api/v1?x=1").head));
  EXPECT_FALSE(c.matches(get("/apix").head));
  EXPECT_FALSE(c.matches(get("/").head));
  m.path->value = "/api/";
  EXPECT_TRUE(compile(m).matches(get("/api/v1").head));
  m.path->value = "/";
  EXPECT_TRUE(compile(m).matches(get("/anything").head));
}

TEST(HttpMatchTest, ExactAndRegexPaths) {
  mm::HttpMatch m;
  m.path = mm::HttpPathMatch{mm::HttpPathMatch::Type::kExact, "/login"};
  EXPECT_TRUE(compile(m).matches(get("/login?next=/").head));
  EXPECT_FALSE(compile(m).matches(get("/login/").head));
  m.path = mm::HttpPathMatch{mm::HttpPathMatch::Type::kRegularExpression, "/users/[0-9]+"};
  EXPECT_TRUE(compile(m).matches(get("/users/42").head));
  EXPECT_FALSE(compile(m).matches(get("/users/42/x").head));  // a full match
  m.path->value = "(unclosed";
  EXPECT_FALSE(CompiledMatch::compile(m).isOk());
}

TEST(HttpMatchTest, MethodHeadersAndQuery) {
  mm::HttpMatch m;
  m.method = "POST";
  m.headers.push_back({mm::HttpValueMatch::Type::kExact, "x-version", "v2"});
  m.headers.push_back({mm::HttpValueMatch::Type::kAbsent, "x-debug", ""});
  m.query_params.push_back({mm::HttpValueMatch::Type::kRegularExpression, "user", "a.*"});
  auto c = compile(m);
  EXPECT_TRUE(c.matches(get("/?user=alice", "X-Version: v2\r\n", "POST").head));
  EXPECT_FALSE(c.matches(get("/?user=alice", "X-Version: v2\r\n", "GET").head));
  EXPECT_FALSE(c.matches(get("/?user=bob", "X-Version: v2\r\n", "POST").head));
  EXPECT_FALSE(c.matches(get("/?user=alice", "X-Version: v1\r\n", "POST").head));
  EXPECT_FALSE(c.matches(get("/?user=alice", "X-Version: v2\r\nX-Debug: 1\r\n", "POST").head));
  EXPECT_FALSE(c.matches(get("/", "X-Version: v2\r\n", "POST").head));

  mm::HttpMatch p;
  p.headers.push_back({mm::HttpValueMatch::Type::kPresent, "x-canary", ""});
  p.headers.push_back({mm::HttpValueMatch::Type::kPrefix, "user-agent", "curl/"});
  EXPECT_TRUE(compile(p).matches(get("/", "X-Canary: \r\nUser-Agent: curl/8\r\n").head));
  EXPECT_FALSE(compile(p).matches(get("/", "User-Agent: curl/8\r\n").head));
}

TEST(HttpMatchTest, TargetHelpers) {
  EXPECT_EQ(targetPath("/a/b?c=d#e"), "/a/b");
  EXPECT_EQ(targetPath("http://h:1/x?y"), "/x");
  EXPECT_EQ(queryParam("/p?a=1&b=2&b=3", "b"), "2");
  EXPECT_EQ(queryParam("/p?flag&x=1", "flag"), "");
  EXPECT_FALSE(queryParam("/p?a=1", "b").has_value());
  EXPECT_FALSE(queryParam("/p", "a").has_value());
}

}  // namespace
}  // namespace causeway::mesh
