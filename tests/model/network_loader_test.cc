// Loading the network file: the lab fixture in full, defaults, assigned tunnel addresses, JSON
// and files shared with a Kong config.
#include <gtest/gtest.h>

#include "model/network/loader.h"
#include "wg/key_encoding.h"

namespace causeway::model::network {
namespace {

const std::string kLabFile = std::string(CAUSEWAY_TEST_DATA_DIR) + "/network/lab.yml";

Network loadOk(std::string_view text) {
  kong::LoadError errors;
  auto n = loadNetwork(text, &errors);
  EXPECT_TRUE(n) << n.status().message();
  return n ? n.value() : Network{};
}

Cidr cidr(std::string_view text) { return Cidr::parse(text).value(); }

TEST(NetworkLoader, LoadsTheLabInFull) {
  auto loaded = loadNetworkFile(kLabFile);
  ASSERT_TRUE(loaded) << loaded.status().message();
  const Network& n = *loaded;
  EXPECT_EQ(n.domains, (std::vector<std::string>{"prod", "dev", "shared"}));
  ASSERT_EQ(n.connection_policies.size(), 2u);
  EXPECT_EQ(n.connection_policies[1], std::make_pair(std::string("dev"), std::string("shared")));

  ASSERT_EQ(n.transit_gateways.size(), 4u);
  const TransitGateway& aws = n.transit_gateways[0];
  EXPECT_EQ(aws.name, "aws-transit");
  EXPECT_EQ(aws.cloud, "aws");
  EXPECT_EQ(aws.region, "us-east-1");
  EXPECT_EQ(aws.endpoint.text, "172.31.0.1:51820");
  EXPECT_EQ(aws.endpoint.address.toString(), "172.31.0.1");
  EXPECT_EQ(aws.endpoint.port, 51820);
  EXPECT_EQ(wg::encodeKey(aws.public_key), "xCqqZIXlnrUUQbTzQ+4zmcesBlobhLkm9ZU81L6ieEk=");
  EXPECT_EQ(aws.ha_group, "aws-hub");
  EXPECT_EQ(n.transit_gateways[3].ha_group, "");

  ASSERT_EQ(n.spoke_gateways.size(), 6u);
  const SpokeGateway& web = n.spoke_gateways[2];
  EXPECT_EQ(web.name, "gcp-web");
  EXPECT_EQ(web.cidrs, (std::vector<Cidr>{cidr("10.11.0.0/16"), cidr("fd00:11::/64")}));
  EXPECT_EQ(web.transits, (std::vector<std::string>{"gcp-transit"}));
  EXPECT_EQ(web.domain, "prod");

  ASSERT_EQ(n.transit_peerings.size(), 3u);
  ASSERT_EQ(n.firewalls.size(), 1u);
  EXPECT_EQ(n.firewalls[0].interface, "fw0");
  EXPECT_EQ(n.firewalls[0].next_hop, IpAddress::parse("10.255.0.2"));
  ASSERT_EQ(n.inspection_policies.size(), 1u);
  EXPECT_EQ(n.inspection_policies[0].firewall, "fw-gcp");
  ASSERT_EQ(n.external_connections.size(), 1u);
  EXPECT_EQ(n.external_connections[0].transit, "aws-transit");
  ASSERT_TRUE(n.external_connections[0].endpoint);
  EXPECT_EQ(n.external_connections[0].endpoint->port, 51820);
  ASSERT_EQ(n.static_routes.size(), 3u);
  EXPECT_FALSE(n.static_routes[0].blackhole);
  EXPECT_EQ(n.static_routes[0].next_hop, "aws-transit");
  EXPECT_TRUE(n.static_routes[1].blackhole);

  EXPECT_EQ(n.mtu, 1420);
  EXPECT_EQ(n.overlay_cidr, cidr("100.64.0.0/16"));
}

TEST(NetworkLoader, AssignsTunnelAddressesTransitsFirstThenSpokes) {
  auto n = loadNetworkFile(kLabFile);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->transit_gateways[0].tunnel_address, cidr("100.64.0.1/32"));
  EXPECT_EQ(n->transit_gateways[1].tunnel_address, cidr("100.64.0.2/32"));
  EXPECT_EQ(n->transit_gateways[2].tunnel_address, cidr("100.64.1.1/32"));  // given
  EXPECT_EQ(n->transit_gateways[3].tunnel_address, cidr("100.64.0.4/32"));
  EXPECT_EQ(n->spoke_gateways[0].tunnel_address, cidr("100.64.0.5/32"));
  EXPECT_EQ(n->spoke_gateways[5].tunnel_address, cidr("100.64.0.10/32"));
}

constexpr const char* kSmall = R"(
_format_version: "3.0"
services: [{name: s, url: "http://example.com"}]
network:
  mtu: 1380
  overlay_cidr: "fd64::/64"
  domains: [prod]
  transit_gateways:
    - {name: t1, endpoint: "[2001:db8::1]:51820",
       public_key: "s9B2MmnJiNcFoBSXP6MYb+cn5qpC1UjIdOvvkc++32c="}
  spoke_gateways:
    - {name: s1, endpoint: "192.0.2.11:4500", public_key: "8TxlBBwE08O8reUzXSC5XtFEtCX2iCr5OK+dh4rdZng=",
       cidrs: ["10.1.0.0/16"], transits: [t1], domain: prod, tunnel_address: "fd64::99"}
  external_connections:
    - {name: site, transit: t1, public_key: "mLI6Ti52K7LcrfJVUPD9Xoe50AgUghz2dS/CvGK1pn8=",
       cidrs: ["192.168.0.0/16"], domain: prod}
)";

TEST(NetworkLoader, IgnoresOtherTopLevelKeysAndReadsSettings) {
  Network n = loadOk(kSmall);
  EXPECT_EQ(n.mtu, 1380);
  EXPECT_EQ(n.overlay_cidr, cidr("fd64::/64"));
  EXPECT_EQ(n.transit_gateways[0].endpoint.address.toString(), "2001:db8::1");
  EXPECT_EQ(n.transit_gateways[0].tunnel_address, cidr("fd64::1/128"));
  EXPECT_EQ(n.spoke_gateways[0].tunnel_address, cidr("fd64::99/128"));
  EXPECT_EQ(n.spoke_gateways[0].endpoint.port, 4500);
  EXPECT_FALSE(n.external_connections[0].endpoint);  // a site behind NAT dials in
}

TEST(NetworkLoader, ReadsJsonToo) {
  Network n = loadOk(R"({"network": {"domains": ["a"], "transit_gateways": [
      {"name": "t1", "endpoint": "192.0.2.1:51820",
       "public_key": "s9B2MmnJiNcFoBSXP6MYb+cn5qpC1UjIdOvvkc++32c="}]}})");
  ASSERT_EQ(n.transit_gateways.size(), 1u);
  EXPECT_EQ(n.transit_gateways[0].tunnel_address, cidr("100.64.0.1/32"));
}

TEST(NetworkLoader, TheUsersExampleIsValid) {
  auto n = loadNetworkFile(std::string(CAUSEWAY_TEST_DATA_DIR) + "/../../examples/network.yml");
  ASSERT_TRUE(n) << n.status().message();
  EXPECT_EQ(n->spoke_gateways.size(), 3u);
}

TEST(NetworkLoader, AnEmptyNetworkIsValid) {
  Network n = loadOk("network: {}\n");
  EXPECT_TRUE(n.transit_gateways.empty());
  EXPECT_EQ(n.mtu, kDefaultMtu);
}

}  // namespace
}  // namespace causeway::model::network
