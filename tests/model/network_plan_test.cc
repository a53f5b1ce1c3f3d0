// Route computation: exact plans for a spoke and a transit of the lab, HA next-hop order,
// non-transitive peering, static routes.
#include <gtest/gtest.h>

#include "model/network/loader.h"
#include "model/network/plan.h"
#include "wg/key_encoding.h"

namespace causeway::model::network {
namespace {

Network lab() {
  auto n = loadNetworkFile(std::string(CAUSEWAY_TEST_DATA_DIR) + "/network/lab.yml");
  EXPECT_TRUE(n) << n.status().message();
  return n ? n.value() : Network{};
}

GatewayPlan plan(const Network& n, std::string_view name) {
  auto p = planGateway(n, name);
  EXPECT_TRUE(p) << p.status().message();
  return p ? p.value() : GatewayPlan{};
}

std::vector<Cidr> cidrs(std::initializer_list<std::string_view> texts) {
  std::vector<Cidr> out;
  for (auto t : texts) out.push_back(Cidr::parse(t).value());
  return out;
}

// A route as one readable line: "10.2.0.0/16 tunnel [aws-transit,aws-transit-ha] dev aws-dev".
std::string show(const GatewayPlan& p, const RouteEntry& r) {
  static const char* kKinds[] = {"local", "tunnel", "blackhole"};
  std::string hops;
  for (size_t h : r.next_hops) hops += (hops.empty() ? "" : ",") + p.peers.at(h).name;
  return r.cidr.toString() + " " + kKinds[int(r.kind)] + " [" + hops + "] " + r.domain + " " +
         r.origin;
}

std::vector<std::string> routes(const GatewayPlan& p) {
  std::vector<std::string> out;
  for (const auto& r : p.routes) out.push_back(show(p, r));
  return out;
}

std::vector<std::string> peerNames(const GatewayPlan& p) {
  std::vector<std::string> out;
  for (const auto& peer : p.peers) out.push_back(peer.name);
  return out;
}

TEST(NetworkPlan, SpokeOfAnHaPair) {
  const Network n = lab();
  const GatewayPlan p = plan(n, "aws-orders");
  EXPECT_EQ(p.name, "aws-orders");
  EXPECT_FALSE(p.is_transit);
  EXPECT_EQ(p.domain, "prod");
  EXPECT_EQ(p.listen_port, 51820);
  EXPECT_EQ(p.mtu, 1420);
  EXPECT_EQ(p.tunnel_address, Cidr::parse("100.64.0.5/32").value());
  EXPECT_EQ(p.local_cidrs, cidrs({"10.1.0.0/16"}));
  EXPECT_FALSE(p.firewall);

  // Named transit first, then its HA partner.
  ASSERT_EQ(peerNames(p), (std::vector<std::string>{"aws-transit", "aws-transit-ha"}));
  const PeerPlan& t = p.peers[0];
  EXPECT_EQ(t.kind, PeerKind::kTransit);
  EXPECT_EQ(wg::encodeKey(t.public_key), "xCqqZIXlnrUUQbTzQ+4zmcesBlobhLkm9ZU81L6ieEk=");
  EXPECT_EQ(t.endpoint, "172.31.0.1:51820");
  EXPECT_TRUE(t.liveness);
  EXPECT_EQ(t.allowed_sources,
            cidrs({"10.2.0.0/16", "10.11.0.0/16", "fd00:11::/64", "10.12.0.0/16", "10.21.0.0/16",
                   "10.22.0.0/16", "192.168.0.0/16", "100.64.0.1/32", "10.99.0.0/16"}));
  // dc1 hangs off aws-transit only: the partner cannot send from it.
  EXPECT_EQ(p.peers[1].allowed_sources,
            cidrs({"10.2.0.0/16", "10.11.0.0/16", "fd00:11::/64", "10.12.0.0/16", "10.21.0.0/16",
                   "10.22.0.0/16", "100.64.0.2/32"}));

  EXPECT_EQ(routes(p), (std::vector<std::string>{
                           "10.1.0.0/16 local [] prod aws-orders",
                           "10.2.0.0/16 tunnel [aws-transit,aws-transit-ha] dev aws-dev",
                           "10.11.0.0/16 tunnel [aws-transit,aws-transit-ha] prod gcp-web",
                           "fd00:11::/64 tunnel [aws-transit,aws-transit-ha] prod gcp-web",
                           "10.12.0.0/16 tunnel [aws-transit,aws-transit-ha] shared gcp-shared",
                           "10.21.0.0/16 tunnel [aws-transit,aws-transit-ha] dev azure-dev",
                           "10.22.0.0/16 tunnel [aws-transit,aws-transit-ha] shared azure-shared",
                           "192.168.0.0/16 tunnel [aws-transit] shared dc1",
                           "100.64.0.5/32 local []  aws-orders",
                           "100.64.0.1/32 tunnel [aws-transit]  aws-transit",
                           "100.64.0.2/32 tunnel [aws-transit-ha]  aws-transit-ha",
                           "10.99.0.0/16 tunnel [aws-transit]  static",
                       }));

  ASSERT_EQ(p.domain_of.size(), 8u);
  EXPECT_EQ(p.domain_of[0],
            std::make_pair(Cidr::parse("10.1.0.0/16").value(), std::string("prod")));
  EXPECT_EQ(p.domain_of[7],
            std::make_pair(Cidr::parse("192.168.0.0/16").value(), std::string("shared")));
  EXPECT_EQ(p.connected, n.connection_policies);
}

TEST(NetworkPlan, TransitWithAttachmentsPeersAndAnExternal) {
  const Network n = lab();
  const GatewayPlan p = plan(n, "aws-transit");
  EXPECT_TRUE(p.is_transit);
  EXPECT_EQ(p.domain, "");
  EXPECT_TRUE(p.local_cidrs.empty());
  EXPECT_EQ(p.tunnel_address, Cidr::parse("100.64.0.1/32").value());
  EXPECT_FALSE(p.firewall);
  ASSERT_EQ(peerNames(p), (std::vector<std::string>{"aws-orders", "aws-dev", "dc1", "gcp-transit",
                                                    "azure-transit"}));
  EXPECT_EQ(p.peers[0].kind, PeerKind::kSpoke);
  EXPECT_EQ(p.peers[0].allowed_sources, cidrs({"10.1.0.0/16", "100.64.0.5/32"}));
  EXPECT_EQ(p.peers[2].kind, PeerKind::kExternal);
  EXPECT_FALSE(p.peers[2].liveness);
  EXPECT_EQ(p.peers[2].endpoint, "172.31.0.50:51820");
  EXPECT_EQ(p.peers[2].allowed_sources, cidrs({"192.168.0.0/16"}));
  // A peered transit speaks for its own attachments, not for what it learned over peerings.
  EXPECT_EQ(p.peers[3].allowed_sources,
            cidrs({"10.11.0.0/16", "fd00:11::/64", "10.12.0.0/16", "100.64.1.1/32"}));
  EXPECT_EQ(p.peers[4].allowed_sources, cidrs({"10.21.0.0/16", "10.22.0.0/16", "100.64.0.4/32"}));

  EXPECT_EQ(routes(p), (std::vector<std::string>{
                           "10.1.0.0/16 tunnel [aws-orders] prod aws-orders",
                           "10.2.0.0/16 tunnel [aws-dev] dev aws-dev",
                           "10.11.0.0/16 tunnel [gcp-transit] prod gcp-web",
                           "fd00:11::/64 tunnel [gcp-transit] prod gcp-web",
                           "10.12.0.0/16 tunnel [gcp-transit] shared gcp-shared",
                           "10.21.0.0/16 tunnel [azure-transit] dev azure-dev",
                           "10.22.0.0/16 tunnel [azure-transit] shared azure-shared",
                           "192.168.0.0/16 tunnel [dc1] shared dc1",
                           "100.64.0.1/32 local []  aws-transit",
                           "100.64.0.5/32 tunnel [aws-orders]  aws-orders",
                           "100.64.0.6/32 tunnel [aws-dev]  aws-dev",
                           "100.64.1.1/32 tunnel [gcp-transit]  gcp-transit",
                           "100.64.0.4/32 tunnel [azure-transit]  azure-transit",
                           "10.99.0.0/16 blackhole []  static",
                       }));
}

TEST(NetworkPlan, PeeredTransitListsHaMembersInTheAttachmentsOrder) {
  const Network n = lab();
  const GatewayPlan p = plan(n, "gcp-transit");
  ASSERT_TRUE(p.firewall);
  EXPECT_EQ(p.firewall->name, "fw-gcp");
  EXPECT_EQ(p.firewall->interface, "fw0");
  EXPECT_EQ(p.firewall->next_hop, IpAddress::parse("10.255.0.2"));
  EXPECT_EQ(p.firewall->inspected,
            (std::vector<std::pair<std::string, std::string>>{{"prod", "shared"}}));
  EXPECT_EQ(p.tunnel_address, Cidr::parse("100.64.1.1/32").value());
  // aws-orders names aws-transit, aws-dev names aws-transit-ha: each is tried first for its own.
  const auto r = routes(p);
  EXPECT_EQ(r[0], "10.1.0.0/16 tunnel [aws-transit,aws-transit-ha] prod aws-orders");
  EXPECT_EQ(r[1], "10.2.0.0/16 tunnel [aws-transit-ha,aws-transit] dev aws-dev");
  EXPECT_EQ(r.back(), "10.12.99.0/24 blackhole []  static");
  // The two members of aws-hub both speak for the hub's attachments, dc1 included.
  for (auto [member, address] :
       {std::pair{"aws-transit", "100.64.0.1/32"}, std::pair{"aws-transit-ha", "100.64.0.2/32"}}) {
    auto it = std::find_if(p.peers.begin(), p.peers.end(),
                           [&](const PeerPlan& peer) { return peer.name == member; });
    ASSERT_NE(it, p.peers.end());
    EXPECT_EQ(it->allowed_sources,
              cidrs({"10.1.0.0/16", "10.2.0.0/16", "192.168.0.0/16", address}));
  }

  const GatewayPlan dev = plan(n, "aws-dev");
  EXPECT_EQ(peerNames(dev), (std::vector<std::string>{"aws-transit-ha", "aws-transit"}));
  EXPECT_EQ(routes(dev)[1], "10.1.0.0/16 tunnel [aws-transit-ha,aws-transit] prod aws-orders");
  EXPECT_EQ(routes(dev)[7], "192.168.0.0/16 tunnel [aws-transit] shared dc1");
}

TEST(NetworkPlan, PeeringIsNotTransitive) {
  auto loaded = loadNetworkFile(std::string(CAUSEWAY_TEST_DATA_DIR) + "/network/chain.yml");
  ASSERT_TRUE(loaded) << loaded.status().message();
  const Network& n = *loaded;
  // Tunnel addresses (100.64/16) only reach direct peers; the CIDRs are what this is about.
  EXPECT_EQ(
      routes(plan(n, "a")),
      (std::vector<std::string>{"10.1.0.0/16 local [] d a", "10.2.0.0/16 tunnel [t1] d b",
                                "100.64.0.4/32 local []  a", "100.64.0.1/32 tunnel [t1]  t1"}));
  EXPECT_EQ(plan(n, "a").peers[0].allowed_sources, cidrs({"10.2.0.0/16", "100.64.0.1/32"}));
  EXPECT_EQ(routes(plan(n, "t1")),
            (std::vector<std::string>{"10.1.0.0/16 tunnel [a] d a", "10.2.0.0/16 tunnel [t2] d b",
                                      "100.64.0.1/32 local []  t1", "100.64.0.4/32 tunnel [a]  a",
                                      "100.64.0.2/32 tunnel [t2]  t2"}));
  // t2 reaches both ends; its static blackhole replaces the learned route to c.
  EXPECT_EQ(
      routes(plan(n, "t2")),
      (std::vector<std::string>{"10.1.0.0/16 tunnel [t1] d a", "10.2.0.0/16 tunnel [b] d b",
                                "10.3.0.0/16 blackhole []  static", "100.64.0.2/32 local []  t2",
                                "100.64.0.5/32 tunnel [b]  b", "100.64.0.1/32 tunnel [t1]  t1",
                                "100.64.0.3/32 tunnel [t3]  t3"}));
}

TEST(NetworkPlan, UnknownNamesAndExternalsHaveNoPlan) {
  const Network n = lab();
  EXPECT_EQ(planGateway(n, "nope").status().code(), Status::Code::kNotFound);
  EXPECT_EQ(planGateway(n, "dc1").status().code(), Status::Code::kNotFound);
}

}  // namespace
}  // namespace causeway::model::network
