// The per-packet decision: every action and cause on the lab's plans, plus the prefix table.
#include <gtest/gtest.h>

#include "model/network/forwarding.h"
#include "model/network/loader.h"

namespace causeway::model::network {
namespace {

IpAddress ip(std::string_view text) { return IpAddress::parse(text).value(); }
Cidr cidr(std::string_view text) { return Cidr::parse(text).value(); }

class LabForwarding : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto n = loadNetworkFile(std::string(CAUSEWAY_TEST_DATA_DIR) + "/network/lab.yml");
    ASSERT_TRUE(n) << n.status().message();
    network_ = new Network(std::move(n).value());
  }
  static void TearDownTestSuite() {
    delete network_;
    network_ = nullptr;
  }

  static Forwarding at(std::string_view gateway) {
    auto plan = planGateway(*network_, gateway);
    EXPECT_TRUE(plan) << plan.status().message();
    return Forwarding(plan.value());
  }
  static size_t peer(const Forwarding& f, std::string_view name) {
    for (size_t i = 0; i < f.plan().peers.size(); ++i) {
      if (f.plan().peers[i].name == name) return i;
    }
    ADD_FAILURE() << "no peer " << name;
    return 0;
  }
  static Decision decide(const Forwarding& f, size_t ingress, std::string_view src,
                         std::string_view dst) {
    return f.decide(ingress, ip(src).bytes(), ip(dst).bytes());
  }

  static Network* network_;
};

Network* LabForwarding::network_ = nullptr;

TEST_F(LabForwarding, SpokeTunnelsRemoteCidrsFromItsVpc) {
  const Forwarding f = at("aws-orders");
  const Decision d = decide(f, Forwarding::kFromTun, "10.1.0.10", "10.12.0.10");
  EXPECT_EQ(d.action, Decision::kTunnel);
  EXPECT_EQ(d.cause, Decision::Cause::kNone);
  ASSERT_NE(d.route, nullptr);
  EXPECT_EQ(d.route->cidr, cidr("10.12.0.0/16"));
  EXPECT_EQ(d.route->next_hops, (std::vector<size_t>{0, 1}));
  ASSERT_TRUE(d.src_domain && d.dst_domain);
  EXPECT_EQ(*d.src_domain, "prod");
  EXPECT_EQ(*d.dst_domain, "shared");
}

TEST_F(LabForwarding, SpokeDeliversWhatArrivesForItsVpc) {
  const Forwarding f = at("gcp-shared");
  const Decision d = decide(f, peer(f, "gcp-transit"), "10.1.0.10", "10.12.0.10");
  EXPECT_EQ(d.action, Decision::kDeliverLocal);
  EXPECT_EQ(d.route->kind, RouteKind::kLocal);
}

TEST_F(LabForwarding, SpoofedSource) {
  const Forwarding f = at("aws-transit");
  const Decision d = decide(f, peer(f, "aws-orders"), "10.2.0.10", "10.12.0.10");
  EXPECT_EQ(d.action, Decision::kDrop);
  EXPECT_EQ(d.cause, Decision::Cause::kSpoofedSource);
  EXPECT_EQ(decide(f, 99, "10.1.0.10", "10.12.0.10").cause, Decision::Cause::kSpoofedSource);
  // A transit peer may not send from what is attached elsewhere either.
  EXPECT_EQ(decide(f, peer(f, "gcp-transit"), "10.21.0.1", "10.1.0.10").cause,
            Decision::Cause::kSpoofedSource);
  EXPECT_EQ(decide(f, peer(f, "gcp-transit"), "10.11.0.1", "10.1.0.10").action, Decision::kTunnel);
}

TEST_F(LabForwarding, NoRoute) {
  const Forwarding f = at("aws-orders");
  const Decision d = decide(f, Forwarding::kFromTun, "10.1.0.10", "172.16.0.1");
  EXPECT_EQ(d.action, Decision::kDrop);
  EXPECT_EQ(d.cause, Decision::Cause::kNoRoute);
  EXPECT_EQ(d.route, nullptr);
  EXPECT_EQ(decide(f, Forwarding::kFromTun, "10.1.0.10", "fd00:99::1").cause,
            Decision::Cause::kNoRoute);
}

TEST_F(LabForwarding, Blackhole) {
  const Forwarding f = at("aws-transit");
  const Decision d = decide(f, peer(f, "aws-orders"), "10.1.0.10", "10.99.3.4");
  EXPECT_EQ(d.cause, Decision::Cause::kBlackhole);
  EXPECT_EQ(d.route->cidr, cidr("10.99.0.0/16"));
  // A more specific blackhole inside a learned route wins only for its own addresses.
  const Forwarding g = at("gcp-transit");
  EXPECT_EQ(decide(g, peer(g, "aws-transit"), "10.1.0.1", "10.12.99.1").cause,
            Decision::Cause::kBlackhole);
  EXPECT_NE(decide(g, peer(g, "aws-transit"), "10.1.0.1", "10.12.98.1").cause,
            Decision::Cause::kBlackhole);
}

TEST_F(LabForwarding, DomainsWithoutAPolicyAreDropped) {
  const Forwarding f = at("aws-orders");
  const Decision d = decide(f, Forwarding::kFromTun, "10.1.0.10", "10.21.0.10");
  EXPECT_EQ(d.action, Decision::kDrop);
  EXPECT_EQ(d.cause, Decision::Cause::kDomain);
  EXPECT_EQ(*d.src_domain, "prod");
  EXPECT_EQ(*d.dst_domain, "dev");
  ASSERT_NE(d.route, nullptr);  // the route exists: the packet is seen, dropped and counted
  // The transits enforce it too, whichever way the packet came.
  const Forwarding t = at("azure-transit");
  EXPECT_EQ(decide(t, peer(t, "azure-dev"), "10.21.0.1", "10.11.0.1").cause,
            Decision::Cause::kDomain);
  // prod-shared and dev-shared are connected, both ways; same domain always is.
  EXPECT_EQ(decide(f, Forwarding::kFromTun, "10.1.0.10", "192.168.1.1").action, Decision::kTunnel);
  EXPECT_EQ(decide(t, peer(t, "azure-dev"), "10.21.0.1", "10.22.0.1").action, Decision::kTunnel);
  EXPECT_EQ(decide(f, Forwarding::kFromTun, "10.1.0.10", "10.11.0.1").action, Decision::kTunnel);
  // A source in no domain (the gateway's own tunnel address) is not restricted.
  EXPECT_EQ(decide(f, Forwarding::kFromTun, "100.64.0.5", "10.21.0.10").action, Decision::kTunnel);
}

TEST_F(LabForwarding, NotLocal) {
  const Forwarding f = at("aws-orders");
  EXPECT_EQ(decide(f, Forwarding::kFromTun, "10.1.0.10", "10.1.0.11").cause,
            Decision::Cause::kNotLocal);
  // A spoke relays nothing between its tunnels.
  EXPECT_EQ(decide(f, peer(f, "aws-transit"), "10.12.0.1", "10.11.0.1").cause,
            Decision::Cause::kNotLocal);
}

TEST_F(LabForwarding, PeeringNotTransitive) {
  const Forwarding g = at("gcp-transit");
  // aws -> gcp -> azure would cross two peerings (azure peers with aws directly).
  const Decision d = decide(g, peer(g, "aws-transit"), "10.1.0.10", "10.22.0.10");
  EXPECT_EQ(d.action, Decision::kDrop);
  EXPECT_EQ(d.cause, Decision::Cause::kPeeringNotTransitive);
  // The same packet back from the firewall (from the TUN device) may not either.
  EXPECT_EQ(decide(g, Forwarding::kFromTun, "10.1.0.10", "10.22.0.10").cause,
            Decision::Cause::kPeeringNotTransitive);
  // From gcp's own attachments it may.
  EXPECT_EQ(decide(g, peer(g, "gcp-shared"), "10.12.0.10", "10.22.0.10").action, Decision::kTunnel);
  EXPECT_EQ(decide(g, Forwarding::kFromTun, "10.12.0.10", "10.22.0.10").action, Decision::kTunnel);
}

TEST_F(LabForwarding, InspectedPairsGoToTheFirewallOnce) {
  const Forwarding g = at("gcp-transit");
  Decision d = decide(g, peer(g, "aws-transit"), "10.1.0.10", "10.12.0.10");
  EXPECT_EQ(d.action, Decision::kFirewall);
  EXPECT_EQ(d.route->cidr, cidr("10.12.0.0/16"));
  // Both directions; back from the firewall it is tunnelled to the attachment.
  EXPECT_EQ(decide(g, peer(g, "gcp-shared"), "10.12.0.10", "10.1.0.10").action,
            Decision::kFirewall);
  d = decide(g, Forwarding::kFromTun, "10.1.0.10", "10.12.0.10");
  EXPECT_EQ(d.action, Decision::kTunnel);
  EXPECT_EQ(g.plan().peers[d.route->next_hops[0]].name, "gcp-shared");
  // prod-prod and dev-shared are not inspected.
  EXPECT_EQ(decide(g, peer(g, "aws-transit"), "10.1.0.10", "10.11.0.10").action, Decision::kTunnel);
  // A transit without a firewall never inspects.
  const Forwarding a = at("aws-transit");
  EXPECT_EQ(decide(a, peer(a, "aws-orders"), "10.1.0.10", "10.12.0.10").action, Decision::kTunnel);
}

TEST_F(LabForwarding, SurvivesAMove) {
  Forwarding f = at("gcp-transit");
  Forwarding moved = std::move(f);
  const Decision d = decide(moved, Forwarding::kFromTun, "10.12.0.1", "10.11.0.1");
  ASSERT_NE(d.route, nullptr);
  EXPECT_EQ(d.route->origin, "gcp-web");
  EXPECT_EQ(*d.dst_domain, "prod");
}

// Inspection within one domain, on a hand-made plan.
TEST(Forwarding, InspectionOfOneDomainNeedsDD) {
  GatewayPlan p;
  p.name = "t";
  p.is_transit = true;
  p.peers = {{"a", PeerKind::kSpoke, {}, "", {cidr("10.1.0.0/16")}, true},
             {"b", PeerKind::kSpoke, {}, "", {cidr("10.2.0.0/16")}, true}};
  p.routes = {{cidr("10.1.0.0/16"), RouteKind::kTunnel, {0}, "d", "a"},
              {cidr("10.2.0.0/16"), RouteKind::kTunnel, {1}, "d", "b"}};
  p.domain_of = {{cidr("10.1.0.0/16"), "d"}, {cidr("10.2.0.0/16"), "d"}};
  const Forwarding plain(p);
  EXPECT_EQ(plain.decide(0, ip("10.1.0.1").bytes(), ip("10.2.0.1").bytes()).action,
            Decision::kTunnel);
  p.firewall = FirewallPlan{"fw", "fw0", std::nullopt, {{"d", "d"}}};
  const Forwarding inspecting(p);
  EXPECT_EQ(inspecting.decide(0, ip("10.1.0.1").bytes(), ip("10.2.0.1").bytes()).action,
            Decision::kFirewall);
}

TEST(Forwarding, CauseNames) {
  EXPECT_EQ(causeName(Decision::Cause::kNoRoute), "no_route");
  EXPECT_EQ(causeName(Decision::Cause::kBlackhole), "blackhole");
  EXPECT_EQ(causeName(Decision::Cause::kDomain), "domain");
  EXPECT_EQ(causeName(Decision::Cause::kSpoofedSource), "spoofed_source");
  EXPECT_EQ(causeName(Decision::Cause::kPeeringNotTransitive), "peering_not_transitive");
  EXPECT_EQ(causeName(Decision::Cause::kNotLocal), "not_local");
}

TEST(PrefixTable, LongestMatchPerFamily) {
  PrefixTable<int> t;
  EXPECT_EQ(t.longestMatch(ip("10.0.0.1")), nullptr);
  t.insert(cidr("0.0.0.0/0"), 0);
  t.insert(cidr("10.0.0.0/8"), 8);
  t.insert(cidr("10.1.0.0/16"), 16);
  t.insert(cidr("10.1.2.3/32"), 32);
  t.insert(cidr("10.1.2.0/23"), 23);
  t.insert(cidr("fd00::/8"), 108);
  t.insert(cidr("fd00:1::/127"), 227);
  auto at = [&](std::string_view a) {
    const int* v = t.longestMatch(ip(a));
    return v ? *v : -1;
  };
  EXPECT_EQ(at("10.1.2.3"), 32);
  EXPECT_EQ(at("10.1.3.3"), 23);
  EXPECT_EQ(at("10.1.4.3"), 16);
  EXPECT_EQ(at("10.2.0.0"), 8);
  EXPECT_EQ(at("11.0.0.0"), 0);
  EXPECT_EQ(at("fd00:1::1"), 227);
  EXPECT_EQ(at("fd00:1::2"), 108);
  EXPECT_EQ(at("fe00::"), -1);        // no ::/0
  t.insert(cidr("10.1.0.0/16"), 99);  // replaces
  EXPECT_EQ(at("10.1.4.3"), 99);
  const uint8_t odd[] = {10, 1, 2};
  EXPECT_EQ(t.longestMatch(std::span<const uint8_t>(odd)), nullptr);
}

}  // namespace
}  // namespace causeway::model::network
