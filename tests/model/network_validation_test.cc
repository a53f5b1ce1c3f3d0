// Refusals of the network loader: each check, at its exact field path.
#include <gtest/gtest.h>

#include <string>

#include "model/network/loader.h"

namespace causeway::model::network {
namespace {

// Valid public keys (wg genkey | wg pubkey).
constexpr const char* kKey1 = "s9B2MmnJiNcFoBSXP6MYb+cn5qpC1UjIdOvvkc++32c=";
constexpr const char* kKey2 = "8TxlBBwE08O8reUzXSC5XtFEtCX2iCr5OK+dh4rdZng=";
constexpr const char* kKey3 = "mLI6Ti52K7LcrfJVUPD9Xoe50AgUghz2dS/CvGK1pn8=";
constexpr const char* kKey4 = "RbN5668XLszTt+glRLhCzf+IzNDvS9RFTL3rqsPNGEk=";

// A transit listening on 192.0.2.HOST:51820.
std::string transit(const std::string& name, const char* key, int host,
                    const std::string& extra = "") {
  return "    - {name: " + name + ", endpoint: \"192.0.2." + std::to_string(host) +
         ":51820\", public_key: \"" + key + "\"" + extra + "}\n";
}

// A spoke listening on 198.51.100.HOST:51820.
std::string spoke(const std::string& name, const char* key, int host, const std::string& cidrs,
                  const std::string& extra = ", transits: [t1], domain: prod") {
  return "    - {name: " + name + ", endpoint: \"198.51.100." + std::to_string(host) +
         ":51820\", public_key: \"" + key + "\", cidrs: [" + cidrs + "]" + extra + "}\n";
}

// A valid network of one transit t1 and one spoke s1 (10.1.0.0/16, prod), plus `more`.
std::string base(const std::string& more = "", const std::string& spokes = "") {
  return "network:\n  domains: [prod, dev]\n  transit_gateways:\n" + transit("t1", kKey1, 1) +
         "  spoke_gateways:\n" + spoke("s1", kKey2, 1, "\"10.1.0.0/16\"") + spokes + more;
}

// The message of the error at exactly `path`, or "<none>" and every error.
std::string errorAt(const std::string& yaml, const std::string& path) {
  kong::LoadError errors;
  auto n = loadNetwork(yaml, &errors);
  if (n) return "<accepted>";
  EXPECT_EQ(n.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(n.status().message(), errors.message());
  for (const auto& e : errors.errors) {
    if (e.path == path) return e.message;
  }
  return "<none> in: " + errors.message();
}

#define EXPECT_ERROR(yaml, path, text) \
  EXPECT_NE(errorAt(yaml, path).find(text), std::string::npos) << errorAt(yaml, path)

TEST(NetworkValidation, TheBaseIsValid) {
  auto n = loadNetwork(base());
  EXPECT_TRUE(n) << n.status().message();
}

TEST(NetworkValidation, DocumentLevel) {
  EXPECT_ERROR("_format_version: \"3.0\"\n", "network", "required field missing");
  EXPECT_ERROR("network: [1]\n", "network", "expected a record");
  EXPECT_ERROR("- 1\n", "", "expected a record at the top");
  EXPECT_ERROR("network: {domains: [a\n", "", "line");
  kong::LoadError errors;
  EXPECT_FALSE(loadNetworkFile("/nonexistent/network.yml", &errors));
  ASSERT_EQ(errors.errors.size(), 1u);
  EXPECT_EQ(errors.errors[0].path, "");
}

TEST(NetworkValidation, UnknownFields) {
  EXPECT_ERROR(base("  colour: blue\n"), "network.colour", "unknown field");
  EXPECT_ERROR("network:\n  transit_gateways:\n" + transit("t1", kKey1, 1, ", colour: blue"),
               "network.transit_gateways[0].colour", "unknown field");
}

TEST(NetworkValidation, NamesAreRequiredWellFormedAndUnique) {
  EXPECT_ERROR("network:\n  transit_gateways:\n    - {endpoint: \"192.0.2.1:1\", public_key: \"" +
                   std::string(kKey1) + "\"}\n",
               "network.transit_gateways[0].name", "required field missing");
  EXPECT_ERROR("network:\n  transit_gateways:\n" + transit("\"bad name\"", kKey1, 1),
               "network.transit_gateways[0].name", "invalid name 'bad name'");
  EXPECT_ERROR(base("", spoke("t1", kKey3, 2, "\"10.2.0.0/16\"")), "network.spoke_gateways[1].name",
               "duplicate name 't1' (also at network.transit_gateways[0].name)");
  EXPECT_ERROR(base("  external_connections:\n    - {name: s1, transit: t1, public_key: \"" +
                    std::string(kKey3) + "\", cidrs: [\"10.9.0.0/16\"], domain: prod}\n"),
               "network.external_connections[0].name", "duplicate name 's1'");
  EXPECT_ERROR("network:\n  domains: [prod, dev, prod]\n", "network.domains[2]",
               "duplicate domain 'prod'");
}

TEST(NetworkValidation, Keys) {
  EXPECT_ERROR(base("", spoke("s2", "not-a-key", 2, "\"10.2.0.0/16\"")),
               "network.spoke_gateways[1].public_key", "expected a WireGuard public key");
  EXPECT_ERROR(
      base("", spoke("s2", "s9B2MmnJiNcFoBSXP6MYb+cn5qpC1UjIdOvvkc++32c", 2, "\"10.2.0.0/16\"")),
      "network.spoke_gateways[1].public_key", "expected a WireGuard public key");
  // All zero and the order-8 point: low-order keys.
  EXPECT_ERROR(
      base("", spoke("s2", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", 2, "\"10.2.0.0/16\"")),
      "network.spoke_gateways[1].public_key", "low-order");
  EXPECT_ERROR(
      base("", spoke("s2", "4Ot6fDtBuK4WVuP68Z/EatoJjeucMrH9hmIFFl9JuAA=", 2, "\"10.2.0.0/16\"")),
      "network.spoke_gateways[1].public_key", "low-order");
  EXPECT_ERROR(base("", spoke("s2", kKey1, 2, "\"10.2.0.0/16\"")),
               "network.spoke_gateways[1].public_key",
               "duplicate public key (also at network.transit_gateways[0].public_key)");
  EXPECT_ERROR("network:\n  transit_gateways:\n    - {name: t1, endpoint: \"192.0.2.1:1\"}\n",
               "network.transit_gateways[0].public_key", "required field missing");
}

TEST(NetworkValidation, Endpoints) {
  auto withEndpoint = [](const std::string& endpoint) {
    return "network:\n  transit_gateways:\n    - {name: t1, endpoint: \"" + endpoint +
           "\", public_key: \"" + kKey1 + "\"}\n";
  };
  for (const char* bad : {"192.0.2.1", "gw.example:51820", "192.0.2.1:0", "192.0.2.1:65536",
                          "fd00::1:51820", "0.0.0.0:51820", "[::]:51820", ""}) {
    EXPECT_NE(errorAt(withEndpoint(bad), "network.transit_gateways[0].endpoint").front(), '<')
        << bad << ": " << errorAt(withEndpoint(bad), "network.transit_gateways[0].endpoint");
  }
  EXPECT_EQ(errorAt(withEndpoint("[fd00::1]:51820"), "x"), "<accepted>");
  EXPECT_ERROR("network:\n  transit_gateways:\n    - {name: t1, public_key: \"" +
                   std::string(kKey1) + "\"}\n",
               "network.transit_gateways[0].endpoint", "required field missing");
  EXPECT_ERROR(base("", spoke("s2", kKey3, 1, "\"10.2.0.0/16\"")),
               "network.spoke_gateways[1].endpoint", "duplicate endpoint 198.51.100.1 port 51820");
}

TEST(NetworkValidation, Cidrs) {
  EXPECT_ERROR(base("", spoke("s2", kKey3, 2, "\"10.2.0.0/16\", \"10.3.2.1/16\"")),
               "network.spoke_gateways[1].cidrs[1]",
               "invalid CIDR: host bits set: did you mean 10.3.0.0/16?");
  EXPECT_ERROR(base("", spoke("s2", kKey3, 2, "\"10.2.0.0/33\"")),
               "network.spoke_gateways[1].cidrs[0]", "invalid CIDR");
  EXPECT_ERROR(base("", spoke("s2", kKey3, 2, "")), "network.spoke_gateways[1].cidrs",
               "must not be empty");
  EXPECT_ERROR(base("", spoke("s2", kKey3, 2, "\"10.2.0.0/16\", \"10.1.128.0/17\"")),
               "network.spoke_gateways[1].cidrs[1]",
               "10.1.128.0/17 overlaps 10.1.0.0/16 at network.spoke_gateways[0].cidrs[0]");
  // Reported at the later of the two in the file, even when it sorts first.
  EXPECT_ERROR(base("", spoke("s2", kKey3, 2, "\"10.0.0.0/8\"")),
               "network.spoke_gateways[1].cidrs[0]",
               "10.0.0.0/8 overlaps 10.1.0.0/16 at network.spoke_gateways[0].cidrs[0]");
  // Externals share the rule, even when no one could reach both.
  EXPECT_ERROR(base("  external_connections:\n    - {name: dc1, transit: t1, public_key: \"" +
                    std::string(kKey3) + "\", cidrs: [\"10.1.2.0/24\"], domain: dev}\n"),
               "network.external_connections[0].cidrs[0]", "overlaps 10.1.0.0/16");
  EXPECT_ERROR(base("  overlay_cidr: \"10.0.0.0/8\"\n"), "network.spoke_gateways[0].cidrs[0]",
               "overlaps overlay_cidr 10.0.0.0/8");
}

TEST(NetworkValidation, Attachments) {
  EXPECT_ERROR(base("", spoke("s2", kKey3, 2, "\"10.2.0.0/16\"", ", transits: [t9], domain: prod")),
               "network.spoke_gateways[1].transits[0]", "no transit gateway named 't9'");
  EXPECT_ERROR(base("", spoke("s2", kKey3, 2, "\"10.2.0.0/16\"", ", transits: [s1], domain: prod")),
               "network.spoke_gateways[1].transits[0]", "'s1' is not a transit gateway");
  EXPECT_ERROR(base("", spoke("s2", kKey3, 2, "\"10.2.0.0/16\"", ", domain: prod")),
               "network.spoke_gateways[1].transits", "required field missing");
  EXPECT_ERROR(base("", spoke("s2", kKey3, 2, "\"10.2.0.0/16\"", ", transits: [t1]")),
               "network.spoke_gateways[1].domain", "required field missing");
  EXPECT_ERROR(base("", spoke("s2", kKey3, 2, "\"10.2.0.0/16\"", ", transits: [t1], domain: qa")),
               "network.spoke_gateways[1].domain", "unknown domain 'qa'");
  EXPECT_ERROR(base("  external_connections:\n    - {name: dc1, transit: t7, public_key: \"" +
                    std::string(kKey3) + "\", cidrs: [\"10.9.0.0/16\"], domain: qa}\n"),
               "network.external_connections[0].transit", "no transit gateway named 't7'");
  EXPECT_ERROR(base("  external_connections:\n    - {name: dc1, transit: t1, public_key: \"" +
                    std::string(kKey3) + "\", cidrs: [\"10.9.0.0/16\"], domain: qa}\n"),
               "network.external_connections[0].domain", "unknown domain 'qa'");
}

TEST(NetworkValidation, Policies) {
  EXPECT_ERROR(base("  connection_policies:\n    - {domains: [prod, qa]}\n"),
               "network.connection_policies[0].domains[1]", "unknown domain 'qa'");
  EXPECT_ERROR(base("  connection_policies:\n    - {domains: [prod]}\n"),
               "network.connection_policies[0].domains", "expected exactly two domains");
  EXPECT_ERROR(base("  firewalls:\n    - {name: fw, transit: t1, interface: fw0}\n"
                    "  inspection_policies:\n    - {domains: [qa, prod], firewall: fw}\n"),
               "network.inspection_policies[0].domains[0]", "unknown domain 'qa'");
  EXPECT_ERROR(base("  inspection_policies:\n    - {domains: [dev, prod], firewall: fw9}\n"),
               "network.inspection_policies[0].firewall", "no firewall named 'fw9'");
}

TEST(NetworkValidation, Peerings) {
  const std::string two = "network:\n  transit_gateways:\n" + transit("t1", kKey1, 1) +
                          transit("t2", kKey2, 2, ", ha_group: g") +
                          transit("t3", kKey3, 3, ", ha_group: g");
  EXPECT_ERROR(two + "  transit_peerings: [[t1, t9]]\n", "network.transit_peerings[0][1]",
               "no transit gateway named 't9'");
  EXPECT_ERROR(two + "  transit_peerings: [[t1, t1]]\n", "network.transit_peerings[0]",
               "cannot peer with itself");
  EXPECT_ERROR(two + "  transit_peerings: [[t2, t3]]\n", "network.transit_peerings[0]",
               "one HA group");
  EXPECT_ERROR(two + "  transit_peerings: [[t1]]\n", "network.transit_peerings[0]",
               "expected two transit gateway names");
  EXPECT_EQ(errorAt(two + "  transit_peerings: [[t1, t2], [t3, t1]]\n", "x"), "<accepted>");
}

TEST(NetworkValidation, Firewalls) {
  EXPECT_ERROR(base("  firewalls:\n    - {name: fw, transit: t9, interface: fw0}\n"),
               "network.firewalls[0].transit", "no transit gateway named 't9'");
  EXPECT_ERROR(base("  firewalls:\n    - {name: fw, transit: s1, interface: fw0}\n"),
               "network.firewalls[0].transit", "'s1' is not a transit gateway");
  EXPECT_ERROR(base("  firewalls:\n    - {name: fw, transit: t1}\n"),
               "network.firewalls[0].interface", "required field missing");
  EXPECT_ERROR(
      base("  firewalls:\n    - {name: fw, transit: t1, interface: a-very-long-interface}\n"),
      "network.firewalls[0].interface", "network interface name");
  EXPECT_ERROR(base("  firewalls:\n    - {name: fw, transit: t1, interface: fw0, next_hop: x}\n"),
               "network.firewalls[0].next_hop", "not an IP address");
  EXPECT_ERROR(base("  firewalls:\n    - {name: fw, transit: t1, interface: fw0}\n"
                    "    - {name: fw2, transit: t1, interface: fw1}\n"),
               "network.firewalls[1].transit", "has a firewall already");
  EXPECT_ERROR(base("  firewalls:\n    - {name: fw, transit: t1, interface: fw0}\n"
                    "    - {name: fw, transit: t1, interface: fw1}\n"),
               "network.firewalls[1].name", "duplicate firewall name 'fw'");
}

TEST(NetworkValidation, StaticRoutes) {
  EXPECT_ERROR(
      base("  static_routes:\n    - {gateway: t9, cidr: \"10.9.0.0/16\", blackhole: true}\n"),
      "network.static_routes[0].gateway", "no gateway named 't9'");
  EXPECT_ERROR(base("  static_routes:\n    - {gateway: s1, cidr: \"10.9.0.0/16\", next_hop: s1}\n"),
               "network.static_routes[0].next_hop", "'s1' is not a peer of 's1'");
  EXPECT_ERROR(base("  static_routes:\n    - {gateway: s1, cidr: \"10.9.0.0/16\"}\n"),
               "network.static_routes[0].blackhole", "expected blackhole: true or a next_hop");
  EXPECT_ERROR(base("  static_routes:\n"
                    "    - {gateway: s1, cidr: \"10.9.0.0/16\", blackhole: true, next_hop: t1}\n"),
               "network.static_routes[0].next_hop", "a blackhole route has no next_hop");
  EXPECT_ERROR(
      base("  static_routes:\n    - {gateway: s1, cidr: \"10.9.1.1/16\", blackhole: true}\n"),
      "network.static_routes[0].cidr", "host bits set");
  EXPECT_ERROR(
      base("  static_routes:\n    - {gateway: t1, cidr: \"10.9.0.0/16\", blackhole: true}\n"
           "    - {gateway: t1, cidr: \"10.9.0.0/16\", next_hop: s1}\n"),
      "network.static_routes[1].cidr", "duplicate static route 10.9.0.0/16 on 't1'");
  EXPECT_ERROR(
      base("  external_connections:\n    - {name: dc1, transit: t1, public_key: \"" +
           std::string(kKey3) + "\", cidrs: [\"10.9.0.0/16\"], domain: prod}\n" +
           "  static_routes:\n    - {gateway: dc1, cidr: \"0.0.0.0/0\", blackhole: true}\n"),
      "network.static_routes[0].gateway", "not a Causeway gateway");
  EXPECT_EQ(
      errorAt(base("  static_routes:\n    - {gateway: t1, cidr: \"0.0.0.0/0\", next_hop: s1}\n"),
              "x"),
      "<accepted>");
}

TEST(NetworkValidation, SettingsAndTunnelAddresses) {
  EXPECT_ERROR(base("  mtu: 1200\n"), "network.mtu", "between 1280 and 9000");
  EXPECT_ERROR(base("  mtu: \"1400\"\n"), "network.mtu", "expected an integer");
  EXPECT_ERROR(
      base("  overlay_cidr: \"100.64.0.0/31\"\n", spoke("s2", kKey3, 2, "\"10.2.0.0/16\"")),
      "network.overlay_cidr", "too few addresses for 3 gateways");
  // s1 would get 100.64.0.2, which s2 was given.
  EXPECT_ERROR(base("", spoke("s2", kKey3, 2, "\"10.2.0.0/16\"",
                              ", transits: [t1], domain: prod, tunnel_address: \"100.64.0.2\"")),
               "network.spoke_gateways[1].tunnel_address",
               "tunnel address 100.64.0.2/32 is also that of "
               "network.spoke_gateways[0].tunnel_address (assigned from overlay_cidr)");
  EXPECT_ERROR(base("", spoke("s2", kKey3, 2, "\"10.2.0.0/16\"",
                              ", transits: [t1], domain: prod, tunnel_address: \"10.1.0.9\"")),
               "network.spoke_gateways[1].tunnel_address", "inside 10.1.0.0/16 of 's1'");
  EXPECT_ERROR(base("", spoke("s2", kKey3, 2, "\"10.2.0.0/16\"",
                              ", transits: [t1], domain: prod, tunnel_address: \"100.65.0.0/24\"")),
               "network.spoke_gateways[1].tunnel_address", "expected one address");
}

TEST(NetworkValidation, CollectsEveryErrorAtOnce) {
  kong::LoadError errors;
  auto n = loadNetwork(base("  mtu: 1\n  colour: blue\n",
                            spoke("s2", kKey4, 2, "\"10.2.0.0/40\"", ", transits: [t1]")),
                       &errors);
  ASSERT_FALSE(n);
  EXPECT_EQ(errors.errors.size(), 4u) << errors.message();
}

}  // namespace
}  // namespace causeway::model::network
