// Router: Kong traditional_compatible matching and precedence over hand-built configs.
#include "gateway/router.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

namespace causeway::gateway {
namespace {

using model::kong::Config;
using model::kong::Route;
using model::kong::RouteHeader;

struct Req {
  std::string scheme = "http";
  std::string method = "GET";
  std::string host = "example.com";
  uint16_t port = 80;
  std::string path = "/";
  std::string sni;
  std::vector<std::pair<std::string, std::string>> headers;
};

class RouterTest : public ::testing::Test {
 protected:
  // Adds a route in config order; the reference is valid until the next add().
  Route& add(const std::string& name) {
    Route& r = config_.routes.emplace_back();
    r.id = "id-" + name;
    r.name = name;
    r.order = config_.routes.size() - 1;
    return r;
  }

  const Router& router() {
    if (!router_) {
      auto built = Router::build(config_);
      EXPECT_TRUE(built.isOk()) << built.status().message();
      router_ = std::move(built).value();
    }
    return *router_;
  }

  std::optional<RouteMatch> match(const Req& q) {
    std::vector<http::Header> headers;
    for (const auto& [n, v] : q.headers) headers.push_back({n, v});
    RouteRequest rr;
    rr.scheme = q.scheme;
    rr.method = q.method;
    rr.host = q.host;
    rr.port = q.port;
    rr.path = q.path;
    rr.sni = q.sni;
    rr.headers = headers;
    auto m = router().match(rr);
    if (m) {
      EXPECT_EQ(m->route, &config_.routes[m->route_index]);
    }
    return m;
  }

  // The name of the matched route, or "-" for none.
  std::string name(const Req& q) {
    auto m = match(q);
    return m ? m->route->name : "-";
  }
  std::string path(std::string p) {
    Req q;
    q.path = std::move(p);
    return name(q);
  }

  Config config_;
  std::unique_ptr<Router> router_;
};

Req hostPath(std::string host, std::string path, uint16_t port = 80) {
  Req q;
  q.host = std::move(host);
  q.path = std::move(path);
  q.port = port;
  return q;
}

RouteHeader header(std::string name, std::vector<std::string> values,
                   std::vector<std::string> regexes = {}) {
  return RouteHeader{std::move(name), std::move(values), std::move(regexes)};
}

// --- no match ---

TEST_F(RouterTest, EmptyConfigMatchesNothing) { EXPECT_EQ(path("/"), "-"); }

TEST_F(RouterTest, NoRouteMatched) {
  add("a").paths = {"/a"};
  EXPECT_EQ(path("/b"), "-");
  EXPECT_EQ(path("/"), "-");
}

// --- plain paths ---

TEST_F(RouterTest, PlainPathIsBytePrefix) {
  add("foo").paths = {"/foo"};
  EXPECT_EQ(path("/foo"), "foo");
  EXPECT_EQ(path("/foo/bar"), "foo");
  EXPECT_EQ(path("/foobar"), "foo");  // Kong prefixes are not segment-aligned
  EXPECT_EQ(path("/fo"), "-");
  EXPECT_EQ(path("/FOO"), "-");
}

TEST_F(RouterTest, TrailingSlashPathNeedsTheSlash) {
  add("foo").paths = {"/foo/"};
  EXPECT_EQ(path("/foo/"), "foo");
  EXPECT_EQ(path("/foo/x"), "foo");
  EXPECT_EQ(path("/foo"), "-");
}

TEST_F(RouterTest, LongestPrefixWins) {
  add("root").paths = {"/"};
  add("api").paths = {"/api"};
  add("users").paths = {"/api/users"};
  add("user42").paths = {"/api/users/42"};
  EXPECT_EQ(path("/"), "root");
  EXPECT_EQ(path("/other"), "root");
  EXPECT_EQ(path("/api"), "api");
  EXPECT_EQ(path("/api/users"), "users");
  EXPECT_EQ(path("/api/users/4"), "users");
  EXPECT_EQ(path("/api/users/42"), "user42");
  EXPECT_EQ(path("/api/users/421"), "user42");
}

TEST_F(RouterTest, LongestPrefixAmongPathsOfOneRoute) {
  add("a").paths = {"/a", "/abc/d"};
  add("b").paths = {"/abc"};
  EXPECT_EQ(path("/abc/d/e"), "a");  // a's "/abc/d" (6) beats b's "/abc" (4)
  EXPECT_EQ(path("/abc/x"), "b");    // b's "/abc" (4) beats a's "/a" (2)
  EXPECT_EQ(match(hostPath("x", "/abc/d/e"))->matched_path, "/abc/d");
}

TEST_F(RouterTest, PlainMatchedPathIsThePrefix) {
  add("a").paths = {"/api"};
  const Req q = hostPath("x", "/api/v1");
  auto m = match(q);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->matched_path, "/api");
  EXPECT_TRUE(m->captures.empty());
}

TEST_F(RouterTest, RouteWithoutPathsMatchesAnyPath) {
  add("h").hosts = {"example.com"};
  const Req q = hostPath("example.com", "/anything/here");
  auto m = match(q);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->route->name, "h");
  EXPECT_TRUE(m->matched_path.empty());
}

// --- regex paths ---

TEST_F(RouterTest, RegexBeforePrefix) {
  // Kong issue #4121: "/api/.*" is tried before the plain "/api/account".
  add("plain").paths = {"/api/account"};
  add("regex").paths = {"~/api/.*"};
  EXPECT_EQ(path("/api/account/getAll"), "regex");
  EXPECT_EQ(path("/api/account"), "regex");
}

TEST_F(RouterTest, RegexBeforeLongerPrefix) {
  add("plain").paths = {"/very/long/plain/prefix"};
  add("regex").paths = {"~/v"};
  EXPECT_EQ(path("/very/long/plain/prefix/x"), "regex");
}

TEST_F(RouterTest, RegexPriorityOrdersRegexes) {
  add("low").paths = {"~/items/\\d+"};
  add("high").paths = {"~/items/.*"};
  config_.routes[1].regex_priority = 10;
  EXPECT_EQ(path("/items/42"), "high");
  EXPECT_EQ(path("/items/abc"), "high");
}

TEST_F(RouterTest, RegexPriorityEqualFallsBackToOrder) {
  add("first").paths = {"~/items/.*"};
  add("second").paths = {"~/items/\\d+"};
  EXPECT_EQ(path("/items/42"), "first");
}

TEST_F(RouterTest, NegativeRegexPriorityGoesLast) {
  add("neg").paths = {"~/a"};
  config_.routes[0].regex_priority = -5;
  add("zero").paths = {"~/a"};
  EXPECT_EQ(path("/a"), "zero");
}

TEST_F(RouterTest, RegexPriorityIgnoredForPlainPaths) {
  // Kong issue #7687: regex_priority does not reorder prefix paths.
  add("root").paths = {"/"};
  config_.routes[0].regex_priority = 1;
  add("v1").paths = {"/v1"};
  add("other-host-regex").paths = {"~/.*"};
  config_.routes[2].hosts = {"bar.com"};
  EXPECT_EQ(name(hostPath("foo.com", "/v1/x")), "v1");
}

TEST_F(RouterTest, RegexIsAnchoredAtStartOnly) {
  add("r").paths = {"~/foo"};
  EXPECT_EQ(path("/foo"), "r");
  EXPECT_EQ(path("/foo/bar/baz"), "r");  // not anchored at the end
  EXPECT_EQ(path("/bar/foo"), "-");      // anchored at the start
}

TEST_F(RouterTest, RegexEndAnchorHonoured) {
  add("r").paths = {"~/foo$"};
  EXPECT_EQ(path("/foo"), "r");
  EXPECT_EQ(path("/foo/"), "-");
}

TEST_F(RouterTest, RegexIsCaseSensitive) {
  add("r").paths = {"~/Foo"};
  EXPECT_EQ(path("/Foo"), "r");
  EXPECT_EQ(path("/foo"), "-");
}

TEST_F(RouterTest, RegexCapturesAndMatchedPath) {
  add("r").paths = {"~/users/(\\d+)/(?<action>[a-z]+)(/x)?"};
  const Req q = hostPath("x", "/users/42/edit/more");
  auto m = match(q);
  ASSERT_TRUE(m);
  EXPECT_EQ(m->matched_path, "/users/42/edit");
  ASSERT_EQ(m->captures.size(), 3u);
  EXPECT_EQ(m->captures[0], "42");    // group 1
  EXPECT_EQ(m->captures[1], "edit");  // group 2
  EXPECT_EQ(m->captures[2], "");      // unset optional group
  ASSERT_EQ(m->named_captures.size(), 1u);
  EXPECT_EQ(m->named_captures[0].first, "action");
  EXPECT_EQ(m->named_captures[0].second, "edit");
}

TEST_F(RouterTest, Re2NamedGroupSyntaxAccepted) {
  add("r").paths = {"~/v(?P<ver>\\d)/"};
  const Req q = hostPath("x", "/v2/a");
  auto m = match(q);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->named_captures.size(), 1u);
  EXPECT_EQ(m->named_captures[0].second, "2");
}

TEST_F(RouterTest, RegexLiteralPrefilterIsConservative) {
  add("escaped").paths = {"~/a\\.b"};
  add("optional").paths = {"~/ob?c"};
  add("alternation").paths = {"~/x|/y"};
  add("flags").paths = {"~(?i)/case"};
  add("repeat").paths = {"~/r{0,1}s"};
  EXPECT_EQ(path("/a.b"), "escaped");
  EXPECT_EQ(path("/axb"), "-");
  EXPECT_EQ(path("/oc"), "optional");
  EXPECT_EQ(path("/y"), "alternation");
  EXPECT_EQ(path("/CASE"), "flags");
  EXPECT_EQ(path("/s"), "repeat");
}

TEST_F(RouterTest, MixedRegexAndPlainPathsOnOneRoute) {
  add("mixed").paths = {"/plain", "~/re/\\d+"};
  add("longer").paths = {"/plain/longer"};
  EXPECT_EQ(path("/re/1"), "mixed");
  EXPECT_EQ(path("/plain/x"), "mixed");
  EXPECT_EQ(path("/plain/longer"), "longer");  // mixed's regex does not apply here
}

TEST_F(RouterTest, ManyRegexesInOneBucketUseTheSetCorrectly) {
  for (int i = 0; i < 40; ++i) {
    Route& r = add("r" + std::to_string(i));
    r.paths = {"~/svc" + std::to_string(i) + "/(\\d+)$"};
    r.regex_priority = i % 3;
  }
  add("catch").paths = {"~/svc"};  // regex_priority 0, last in order
  add("get-only").paths = {"~/svc7/"};
  config_.routes.back().regex_priority = 5;
  config_.routes.back().methods = {"POST"};  // the set hits it, the conditions then refuse
  EXPECT_EQ(path("/svc7/12"), "r7");
  EXPECT_EQ(path("/svc39/1"), "r39");
  EXPECT_EQ(path("/svc39/x"), "catch");
  EXPECT_EQ(path("/other"), "-");
  const Req q = hostPath("x", "/svc13/77");
  auto m = match(q);
  ASSERT_TRUE(m);
  ASSERT_EQ(m->captures.size(), 1u);
  EXPECT_EQ(m->captures[0], "77");
  Req post = hostPath("x", "/svc7/12");
  post.method = "POST";
  EXPECT_EQ(name(post), "get-only");  // methods add weight
}

// --- methods ---

TEST_F(RouterTest, MethodFilter) {
  Route& r = add("get");
  r.methods = {"GET", "HEAD"};
  r.paths = {"/x"};
  Req q = hostPath("h", "/x");
  EXPECT_EQ(name(q), "get");
  q.method = "HEAD";
  EXPECT_EQ(name(q), "get");
  q.method = "POST";
  EXPECT_EQ(name(q), "-");
}

TEST_F(RouterTest, MethodAddsWeightOverLongerPath) {
  add("long").paths = {"/a/very/long/path"};
  Route& m = add("method");
  m.methods = {"GET"};
  m.paths = {"/a"};
  EXPECT_EQ(path("/a/very/long/path"), "method");
}

// --- hosts ---

TEST_F(RouterTest, HostExactAndCaseInsensitive) {
  add("h").hosts = {"Example.COM"};
  EXPECT_EQ(name(hostPath("example.com", "/")), "h");
  EXPECT_EQ(name(hostPath("EXAMPLE.com", "/")), "h");
  EXPECT_EQ(name(hostPath("www.example.com", "/")), "-");
  EXPECT_EQ(name(hostPath("example.co", "/")), "-");
}

TEST_F(RouterTest, HostRouteBeatsHostlessRoute) {
  Route& a = add("hostless");
  a.paths = {"/api/long/path"};
  Route& b = add("host");
  b.hosts = {"example.com"};
  b.paths = {"/"};
  EXPECT_EQ(name(hostPath("example.com", "/api/long/path")), "host");
  EXPECT_EQ(name(hostPath("other.com", "/api/long/path")), "hostless");
}

TEST_F(RouterTest, HostWithoutPortMatchesAnyPort) {
  add("h").hosts = {"example.com"};
  EXPECT_EQ(name(hostPath("example.com", "/", 80)), "h");
  EXPECT_EQ(name(hostPath("example.com", "/", 8443)), "h");
}

TEST_F(RouterTest, HostWithPortMatchesThatPortOnly) {
  add("p").hosts = {"example.com:8080"};
  EXPECT_EQ(name(hostPath("example.com", "/", 8080)), "p");
  EXPECT_EQ(name(hostPath("example.com", "/", 80)), "-");
  EXPECT_EQ(name(hostPath("other.com", "/", 8080)), "-");
}

TEST_F(RouterTest, PortedAndPortlessHostsOnSeparateRoutes) {
  Route& a = add("any");
  a.hosts = {"example.com"};
  a.paths = {"/api"};
  Route& b = add("ported");
  b.hosts = {"example.com:9000"};
  b.paths = {"/"};
  EXPECT_EQ(name(hostPath("example.com", "/api", 9000)), "any");  // longer path, same weight
  EXPECT_EQ(name(hostPath("example.com", "/x", 9000)), "ported");
  EXPECT_EQ(name(hostPath("example.com", "/x", 80)), "-");
}

TEST_F(RouterTest, LeftmostWildcardMatchesAnySubdomain) {
  add("w").hosts = {"*.example.com"};
  EXPECT_EQ(name(hostPath("a.example.com", "/")), "w");
  EXPECT_EQ(name(hostPath("a.b.example.com", "/")), "w");
  EXPECT_EQ(name(hostPath("A.Example.Com", "/")), "w");
  EXPECT_EQ(name(hostPath("example.com", "/")), "-");
  EXPECT_EQ(name(hostPath("aexample.com", "/")), "-");
  EXPECT_EQ(name(hostPath("a.example.org", "/")), "-");
}

TEST_F(RouterTest, RightmostWildcardMatchesAnySuffix) {
  add("w").hosts = {"example.*"};
  EXPECT_EQ(name(hostPath("example.com", "/")), "w");
  EXPECT_EQ(name(hostPath("example.co.uk", "/")), "w");
  EXPECT_EQ(name(hostPath("www.example.com", "/")), "-");
  EXPECT_EQ(name(hostPath("examples.com", "/")), "-");
}

TEST_F(RouterTest, WildcardHostWithPort) {
  add("w").hosts = {"*.example.com:8000"};
  EXPECT_EQ(name(hostPath("a.example.com", "/", 8000)), "w");
  EXPECT_EQ(name(hostPath("a.example.com", "/", 8001)), "-");
}

TEST_F(RouterTest, PlainHostBeatsWildcardHost) {
  add("wild").hosts = {"*.example.com"};
  add("plain").hosts = {"api.example.com"};
  EXPECT_EQ(name(hostPath("api.example.com", "/")), "plain");
  EXPECT_EQ(name(hostPath("www.example.com", "/")), "wild");
}

TEST_F(RouterTest, MixedPlainAndWildcardHostsCountAsWildcard) {
  Route& a = add("mixed");
  a.hosts = {"api.example.com", "*.example.org"};
  add("plain").hosts = {"api.example.com"};
  EXPECT_EQ(name(hostPath("api.example.com", "/")), "plain");
}

TEST_F(RouterTest, PlainHostBitOutranksHeaderCount) {
  Route& a = add("headers");
  a.headers = {header("x-a", {"1"})};
  a.paths = {"/"};
  Route& b = add("host");
  b.hosts = {"example.com"};
  b.paths = {"/"};
  Req q = hostPath("example.com", "/");
  q.headers = {{"x-a", "1"}};
  EXPECT_EQ(name(q), "host");  // same weight (2); the plain-host bit is above header count
}

// --- protocols ---

TEST_F(RouterTest, HttpsOnlyRouteDoesNotMatchHttp) {
  Route& r = add("tls");
  r.protocols = {"https"};
  r.paths = {"/"};
  Req q = hostPath("h", "/");
  EXPECT_EQ(name(q), "-");
  q.scheme = "https";
  EXPECT_EQ(name(q), "tls");
}

TEST_F(RouterTest, HttpOnlyRouteDoesNotMatchHttps) {
  Route& r = add("plain");
  r.protocols = {"http"};
  Req q = hostPath("h", "/");
  q.scheme = "https";
  EXPECT_EQ(name(q), "-");
}

TEST_F(RouterTest, ProtocolMismatchFallsToNextRoute) {
  Route& a = add("tls-long");
  a.protocols = {"https"};
  a.paths = {"/api"};
  add("any").paths = {"/"};
  EXPECT_EQ(path("/api"), "any");
}

TEST_F(RouterTest, NonHttpRoutesAreIgnored) {
  Route& r = add("grpc");
  r.protocols = {"grpc"};
  r.paths = {"/"};
  EXPECT_EQ(path("/"), "-");
}

// --- snis ---

TEST_F(RouterTest, SniMustMatchOnHttps) {
  Route& r = add("sni");
  r.protocols = {"https"};
  r.snis = {"api.example.com"};
  Req q = hostPath("api.example.com", "/");
  q.scheme = "https";
  q.sni = "api.example.com";
  EXPECT_EQ(name(q), "sni");
  q.sni = "API.example.com.";
  EXPECT_EQ(name(q), "sni");
  q.sni = "other.example.com";
  EXPECT_EQ(name(q), "-");
  q.sni = "";
  EXPECT_EQ(name(q), "-");
}

TEST_F(RouterTest, SniIgnoredOnPlainHttp) {
  // Kong #6425: the SNI condition only applies to https.
  Route& r = add("sni");
  r.snis = {"api.example.com"};
  EXPECT_EQ(name(hostPath("whatever", "/")), "sni");
}

TEST_F(RouterTest, SniAddsWeight) {
  Route& a = add("path");
  a.paths = {"/long/path"};
  Route& b = add("sni");
  b.snis = {"a.com"};
  Req q = hostPath("a.com", "/long/path");
  q.scheme = "https";
  q.sni = "a.com";
  EXPECT_EQ(name(q), "path");  // both weight 1; path length decides... sni has none
  Route& c = add("sni-path");
  c.snis = {"a.com"};
  c.paths = {"/"};
  router_.reset();
  EXPECT_EQ(name(q), "sni-path");  // weight 2
}

// --- headers ---

TEST_F(RouterTest, HeaderPlainValueCaseInsensitive) {
  add("h").headers = {header("x-version", {"v1", "v2"})};
  Req q = hostPath("h", "/");
  q.headers = {{"X-Version", "V2"}};
  EXPECT_EQ(name(q), "h");
  q.headers = {{"x-version", "v3"}};
  EXPECT_EQ(name(q), "-");
  q.headers = {};
  EXPECT_EQ(name(q), "-");
}

TEST_F(RouterTest, AllConfiguredHeadersRequired) {
  add("h").headers = {header("x-a", {"1"}), header("x-b", {"2"})};
  Req q = hostPath("h", "/");
  q.headers = {{"x-a", "1"}};
  EXPECT_EQ(name(q), "-");
  q.headers = {{"x-a", "1"}, {"x-b", "2"}};
  EXPECT_EQ(name(q), "h");
}

TEST_F(RouterTest, HeaderRegexCaseInsensitiveUnanchored) {
  add("h").headers = {header("user-agent", {}, {"mobile|android"})};
  Req q = hostPath("h", "/");
  q.headers = {{"User-Agent", "Mozilla/5.0 (Linux; ANDROID 14)"}};
  EXPECT_EQ(name(q), "h");
  q.headers = {{"User-Agent", "Mozilla/5.0 (X11)"}};
  EXPECT_EQ(name(q), "-");
}

TEST_F(RouterTest, RepeatedRequestHeaderAnyValueMatches) {
  add("h").headers = {header("x-tag", {"blue"})};
  Req q = hostPath("h", "/");
  q.headers = {{"x-tag", "red"}, {"X-Tag", "blue"}};
  EXPECT_EQ(name(q), "h");
}

TEST_F(RouterTest, HeaderCountBeatsPathLength) {
  Route& a = add("one-header");
  a.headers = {header("x-a", {"1"})};
  a.paths = {"/a/very/long/path"};
  Route& b = add("two-headers");
  b.headers = {header("x-a", {"1"}), header("x-b", {"2"})};
  b.paths = {"/"};
  Req q = hostPath("h", "/a/very/long/path");
  q.headers = {{"x-a", "1"}, {"x-b", "2"}};
  EXPECT_EQ(name(q), "two-headers");
  q.headers = {{"x-a", "1"}};
  EXPECT_EQ(name(q), "one-header");
}

TEST_F(RouterTest, HeaderCountBeatsRegex) {
  Route& a = add("regex");
  a.headers = {header("x-a", {"1"})};
  a.paths = {"~/a"};
  Route& b = add("two-headers");
  b.headers = {header("x-a", {"1"}), header("x-b", {"2"})};
  b.paths = {"/"};
  Req q = hostPath("h", "/a");
  q.headers = {{"x-a", "1"}, {"x-b", "2"}};
  EXPECT_EQ(name(q), "two-headers");
}

// --- ties and config ---

TEST_F(RouterTest, TieBrokenByConfigOrder) {
  add("first").paths = {"/same"};
  add("second").paths = {"/same"};
  EXPECT_EQ(path("/same"), "first");
}

TEST_F(RouterTest, TieBrokenByOrderFieldNotIndex) {
  add("a").paths = {"/same"};
  add("b").paths = {"/same"};
  config_.routes[0].order = 7;
  config_.routes[1].order = 3;
  EXPECT_EQ(path("/same"), "b");
}

TEST_F(RouterTest, RouteOfDisabledServiceDoesNotExist) {
  auto& s = config_.services.emplace_back();
  s.id = "svc-off";
  s.enabled = false;
  Route& a = add("off");
  a.service_id = "svc-off";
  a.paths = {"/api"};
  add("on").paths = {"/"};
  EXPECT_EQ(path("/api"), "on");
}

TEST_F(RouterTest, InvalidRegexPathFailsNamingTheRoute) {
  add("broken").paths = {"~/a(b"};
  auto r = Router::build(config_);
  ASSERT_FALSE(r.isOk());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("broken"), std::string::npos) << r.status().message();
}

TEST_F(RouterTest, InvalidHeaderRegexFails) {
  add("bad-header").headers = {header("x", {}, {"[a-"})};
  auto r = Router::build(config_);
  ASSERT_FALSE(r.isOk());
  EXPECT_NE(r.status().message().find("bad-header"), std::string::npos);
}

TEST_F(RouterTest, UnknownSchemeMatchesNothing) {
  add("any").paths = {"/"};
  Req q = hostPath("h", "/");
  q.scheme = "ftp";
  EXPECT_EQ(name(q), "-");
}

TEST_F(RouterTest, DuplicateHostsInOneRoute) {
  Route& r = add("dup");
  r.hosts = {"a.com", "A.com", "a.com"};
  r.paths = {"/x"};
  EXPECT_EQ(name(hostPath("a.com", "/x/y")), "dup");
}

TEST_F(RouterTest, ManyRoutesEachReachable) {
  for (int i = 0; i < 2000; ++i) {
    Route& r = add("r" + std::to_string(i));
    r.hosts = {"svc" + std::to_string(i % 50) + ".example.com"};
    if (i % 10 == 0) {
      r.paths = {"~/items/" + std::to_string(i) + "/(\\d+)$"};
    } else {
      r.paths = {"/api/v" + std::to_string(i)};
    }
  }
  for (int i = 0; i < 2000; ++i) {
    std::string host = "svc" + std::to_string(i % 50) + ".example.com";
    std::string p =
        i % 10 == 0 ? "/items/" + std::to_string(i) + "/5" : "/api/v" + std::to_string(i) + "/x";
    ASSERT_EQ(name(hostPath(host, p)), "r" + std::to_string(i)) << p;
  }
  EXPECT_EQ(name(hostPath("svc1.example.com", "/api/v2/x")), "-");  // r2 is on svc2
}

TEST_F(RouterTest, ConcurrentMatchesAgree) {
  for (int i = 0; i < 200; ++i) {
    Route& r = add("r" + std::to_string(i));
    r.paths = {i % 4 == 0 ? "~/re" + std::to_string(i) + "/(.*)" : "/p" + std::to_string(i)};
  }
  const Router& rt = router();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&rt, &failures, t] {
      for (int n = 0; n < 2000; ++n) {
        int i = (n * 7 + t) % 200;
        std::string p = i % 4 == 0 ? "/re" + std::to_string(i) + "/x" : "/p" + std::to_string(i);
        RouteRequest rr;
        rr.method = "GET";
        rr.host = "h";
        rr.path = p;
        auto m = rt.match(rr);
        if (!m || m->route_index != size_t(i)) failures++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace causeway::gateway
