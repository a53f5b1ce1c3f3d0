// `ctl network trace` from the model: verdicts, hops, firewall and reason, as JSON.
#include <gtest/gtest.h>

#include "model/network/loader.h"
#include "model/network/trace.h"

namespace causeway::model::network {
namespace {

const Network& lab() {
  static const Network n = [] {
    auto loaded = loadNetworkFile(std::string(CAUSEWAY_TEST_DATA_DIR) + "/network/lab.yml");
    EXPECT_TRUE(loaded) << loaded.status().message();
    return loaded ? loaded.value() : Network{};
  }();
  return n;
}

std::string trace(std::string_view src, std::string_view dst, const Network& n = lab()) {
  return traceJson(traceFlow(n, IpAddress::parse(src).value(), IpAddress::parse(dst).value()));
}

TEST(NetworkTrace, AllowAcrossClouds) {
  EXPECT_EQ(trace("10.1.0.10", "10.11.0.10"),
            R"j({"verdict":"allow","hops":["aws-orders","aws-transit","gcp-transit","gcp-web"],)j"
            R"j("firewall":null,"reason":"allowed: both ends are in domain prod"})j");
}

TEST(NetworkTrace, DenyProdToDev) {
  EXPECT_EQ(trace("10.1.0.10", "10.21.0.10"),
            R"j({"verdict":"deny","hops":["aws-orders"],"firewall":null,)j"
            R"j("reason":"domain prod may not reach dev (no connection policy)"})j");
}

TEST(NetworkTrace, FirewallIsNamed) {
  EXPECT_EQ(
      trace("10.1.0.10", "10.12.0.10"),
      R"j({"verdict":"allow","hops":["aws-orders","aws-transit","gcp-transit","gcp-shared"],)j"
      R"j("firewall":"fw-gcp","reason":"allowed: domain prod may reach shared )j"
      R"j((connection policy); inspected by firewall fw-gcp"})j");
  // And the way back.
  const TraceResult back = traceFlow(lab(), IpAddress::parse("10.12.0.10").value(),
                                     IpAddress::parse("10.1.0.10").value());
  EXPECT_EQ(back.verdict, "allow");
  EXPECT_EQ(back.firewall, "fw-gcp");
  EXPECT_EQ(back.hops,
            (std::vector<std::string>{"gcp-shared", "gcp-transit", "aws-transit", "aws-orders"}));
}

TEST(NetworkTrace, Blackhole) {
  EXPECT_EQ(trace("10.1.0.10", "10.99.0.1"),
            R"j({"verdict":"deny","hops":["aws-orders","aws-transit"],"firewall":null,)j"
            R"j("reason":"blackhole route 10.99.0.0/16 on aws-transit"})j");
  EXPECT_EQ(trace("10.1.0.10", "10.12.99.1"),
            R"j({"verdict":"deny","hops":["aws-orders","aws-transit","gcp-transit"],)j"
            R"j("firewall":null,"reason":"blackhole route 10.12.99.0/24 on gcp-transit"})j");
}

TEST(NetworkTrace, NoRoute) {
  EXPECT_EQ(trace("10.1.0.10", "172.16.0.1"),
            R"j({"verdict":"no-route","hops":["aws-orders"],"firewall":null,)j"
            R"j("reason":"aws-orders has no route to 172.16.0.1 (no spoke, external connection )j"
            R"j(or static route holds it)"})j");
  EXPECT_EQ(trace("172.16.0.1", "10.1.0.10"),
            R"j({"verdict":"no-route","hops":[],"firewall":null,)j"
            R"j("reason":"no spoke or external connection holds 172.16.0.1"})j");
  EXPECT_EQ(
      traceFlow(lab(), IpAddress::parse("fd00:11::1").value(), IpAddress::parse("10.1.0.1").value())
          .verdict,
      "no-route");
}

TEST(NetworkTrace, ExternalConnectionsAtEitherEnd) {
  EXPECT_EQ(trace("192.168.1.1", "10.12.0.1"),
            R"j({"verdict":"allow","hops":["dc1","aws-transit","gcp-transit","gcp-shared"],)j"
            R"j("firewall":null,"reason":"allowed: both ends are in domain shared"})j");
  EXPECT_EQ(trace("10.22.0.1", "192.168.0.1"),
            R"j({"verdict":"allow","hops":["azure-shared","azure-transit","aws-transit","dc1"],)j"
            R"j("firewall":null,"reason":"allowed: both ends are in domain shared"})j");
}

TEST(NetworkTrace, HaSpokeUsesTheTransitItNames) {
  const TraceResult r =
      traceFlow(lab(), IpAddress::parse("10.2.0.1").value(), IpAddress::parse("10.21.0.1").value());
  EXPECT_EQ(r.verdict, "allow");
  EXPECT_EQ(r.hops,
            (std::vector<std::string>{"aws-dev", "aws-transit-ha", "azure-transit", "azure-dev"}));
}

TEST(NetworkTrace, WithinOneVpc) {
  EXPECT_EQ(trace("10.1.0.10", "10.1.0.11"),
            R"j({"verdict":"allow","hops":["aws-orders"],"firewall":null,)j"
            R"j("reason":"both addresses are in aws-orders: the flow stays there"})j");
}

TEST(NetworkTrace, TwoPeeringsAwayIsNoRoute) {
  auto n = loadNetworkFile(std::string(CAUSEWAY_TEST_DATA_DIR) + "/network/chain.yml");

  ASSERT_TRUE(n) << n.status().message();
  EXPECT_EQ(trace("10.1.0.1", "10.3.0.1", *n),
            R"j({"verdict":"no-route","hops":["a"],"firewall":null,"reason":"a has no route to )j"
            R"j(10.3.0.1 (it is in c, not reachable within one transit peering: peering is not )j"
            R"j(transitive)"})j");
  EXPECT_EQ(
      traceFlow(*n, IpAddress::parse("10.1.0.1").value(), IpAddress::parse("10.2.0.1").value())
          .verdict,
      "allow");
  EXPECT_EQ(
      traceFlow(*n, IpAddress::parse("10.3.0.1").value(), IpAddress::parse("10.2.0.1").value())
          .hops,
      (std::vector<std::string>{"c", "t3", "t2", "b"}));
}

TEST(NetworkTrace, JsonEscapes) {
  TraceResult r{"deny", {"a\"b"}, std::string("f\\w"), "line\nbreak"};
  EXPECT_EQ(traceJson(r),
            R"j({"verdict":"deny","hops":["a\"b"],"firewall":"f\\w","reason":"line\nbreak"})j");
}

}  // namespace
}  // namespace causeway::model::network
