// The transit data path without I/O: Forwarders of a small network exchange datagrams in
// memory on a fake clock. Packets written into one spoke's TUN side must come out of the right
// spoke's, across a transit peering; domains, anti-spoofing and HA failover must hold.
#include "transit/forwarder.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "model/network/loader.h"
#include "model/network/plan.h"
#include "net/socket_address.h"
#include "wg/deterministic_env.h"
#include "wg/key_encoding.h"
#include "wg/x25519.h"

namespace causeway::transit {
namespace {

using namespace std::chrono_literals;

struct Node {
  std::string name;
  std::string endpoint;
  wg::Key private_key;
  std::string public_key;
  std::unique_ptr<Forwarder> forwarder;
  std::vector<std::vector<uint8_t>> tun;  // packets it wrote to its TUN device
  bool dead = false;
};

// A packet: IPv4 UDP from src to dst with a payload, checksum left zero (not checked here).
std::vector<uint8_t> udpPacket(const std::string& src, const std::string& dst, uint8_t ttl = 64) {
  std::vector<uint8_t> p(28 + 8, 0);
  p[0] = 0x45;
  p[3] = uint8_t(p.size());
  p[8] = ttl;
  p[9] = 17;
  auto s = IpAddress::parse(src), d = IpAddress::parse(dst);
  std::copy(s->bytes().begin(), s->bytes().end(), p.begin() + 12);
  std::copy(d->bytes().begin(), d->bytes().end(), p.begin() + 16);
  p[20] = 0x30;
  p[21] = 0x39;  // sport 12345
  p[22] = 0x00;
  p[23] = 0x35;  // dport 53
  p[25] = 16;    // UDP length
  for (size_t i = 28; i < p.size(); ++i) p[i] = uint8_t(i);
  return p;
}

class Lab : public ::testing::Test {
 protected:
  void SetUp() override {
    add("ta1", "172.31.0.1:51820");
    add("ta2", "172.31.0.2:51820");
    add("tb", "172.31.0.3:51820");
    add("s1", "172.31.0.11:51820");
    add("s2", "172.31.0.12:51820");
    add("s3", "172.31.0.13:51820");
    std::string yaml =
        "network:\n  domains: [prod, dev, shared]\n"
        "  connection_policies:\n    - domains: [prod, shared]\n"
        "    - domains: [dev, shared]\n"
        "  transit_gateways:\n";
    for (const char* t : {"ta1", "ta2", "tb"}) {
      const Node& n = nodes_[t];
      yaml += "    - {name: " + n.name + ", cloud: " + (n.name == "tb" ? "gcp" : "aws") +
              ", region: r, endpoint: \"" + n.endpoint + "\", public_key: \"" + n.public_key +
              "\"" + (n.name == "tb" ? "" : ", ha_group: hub-a") + "}\n";
    }
    yaml += "  spoke_gateways:\n";
    auto spoke = [&](const char* name, const char* cidr, const char* transit, const char* domain) {
      const Node& n = nodes_[name];
      yaml += std::string("    - {name: ") + name + ", cloud: c, region: r, endpoint: \"" +
              n.endpoint + "\", public_key: \"" + n.public_key + "\", cidrs: [\"" + cidr +
              "\"], transits: [" + transit + "], domain: " + domain + "}\n";
    };
    spoke("s1", "10.1.0.0/16", "ta1", "prod");
    spoke("s2", "10.2.0.0/16", "tb", "shared");
    spoke("s3", "10.3.0.0/16", "ta1", "dev");
    yaml += "  transit_peerings:\n    - [ta1, tb]\n";
    yaml_ = yaml;
    model::kong::LoadError errors;
    auto network = model::network::loadNetwork(yaml, &errors);
    ASSERT_TRUE(network.isOk()) << errors.message() << network.status().message() << "\n" << yaml;
    for (auto& [name, node] : nodes_) {
      auto plan = model::network::planGateway(network.value(), name);
      ASSERT_TRUE(plan.isOk()) << plan.status().message();
      auto f = Forwarder::create(env_, node.private_key, std::move(plan.value()), {}, now_);
      ASSERT_TRUE(f.isOk()) << f.status().message();
      node.forwarder = std::move(f.value());
      plans_[name] = model::network::planGateway(network.value(), name).value();
      by_endpoint_[node.endpoint] = name;
    }
  }

  void add(const std::string& name, const std::string& endpoint) {
    Node n;
    n.name = name;
    n.endpoint = endpoint;
    n.private_key = wg::generatePrivateKey(env_);
    n.public_key = wg::encodeKey(*wg::publicKeyOf(n.private_key));
    nodes_[name] = std::move(n);
  }

  void restart(const std::string& name) {
    Node& n = nodes_[name];
    n.forwarder = std::move(Forwarder::create(env_, n.private_key, plans_[name], {}, now_).value());
    n.dead = false;
  }

  // Delivers every datagram in `out` (sent by `from`) and whatever those cause, until quiet.
  void deliver(const std::string& from, ForwarderOutput& out) {
    struct InFlight {
      std::string from;
      wg::Action action;
    };
    std::vector<InFlight> queue;
    auto take = [&](const std::string& node, ForwarderOutput& o) {
      for (auto& a : o.sends) queue.push_back({node, std::move(a)});
      for (auto& p : o.to_tun) nodes_[node].tun.push_back(std::move(p));
      o.clear();
    };
    take(from, out);
    for (size_t i = 0; i < queue.size() && i < 10000; ++i) {
      auto dest = net::SocketAddress::fromBytes(queue[i].action.endpoint.bytes());
      ASSERT_TRUE(dest.has_value());
      auto it = by_endpoint_.find(dest->toString());
      ASSERT_NE(it, by_endpoint_.end()) << dest->toString();
      Node& to = nodes_[it->second];
      if (to.dead) continue;
      const Node& sender = nodes_[queue[i].from];
      auto source = net::SocketAddress::parse(sender.endpoint);
      ForwarderOutput o;
      to.forwarder->fromNetwork(queue[i].action.bytes, wg::Endpoint(source->bytes()), now_, false,
                                o);
      take(to.name, o);
    }
  }

  void send(const std::string& spoke, std::vector<uint8_t> packet) {
    ForwarderOutput out;
    nodes_[spoke].forwarder->fromTun(packet, now_, out);
    deliver(spoke, out);
  }

  // Advances the clock in steps, running every live node's timers.
  void advance(std::chrono::milliseconds total) {
    for (auto t = 0ms; t < total; t += 100ms) {
      now_ += 100ms;
      env_.advanceWallClock(100ms);
      for (auto& [name, node] : nodes_) {
        if (node.dead) continue;
        ForwarderOutput out;
        node.forwarder->tick(now_, out);
        deliver(name, out);
      }
    }
  }

  uint64_t drops(const std::string& node, model::network::Decision::Cause c) {
    return nodes_[node].forwarder->decisionDrops()[size_t(c)];
  }

  std::string activeFor(const std::string& node, const std::string& cidr) {
    const Forwarder& f = *nodes_[node].forwarder;
    for (const auto& r : f.plan().routes) {
      if (r.cidr.toString() == cidr) {
        auto hop = f.activeNextHop(r);
        return hop ? f.plan().peers[*hop].name : "";
      }
    }
    return "?";
  }

  wg::DeterministicEnv env_{7};
  wg::TimePoint now_{std::chrono::hours(1000)};
  std::map<std::string, Node> nodes_;
  std::map<std::string, std::string> by_endpoint_;
  std::map<std::string, model::network::GatewayPlan> plans_;
  std::string yaml_;
};

TEST_F(Lab, PacketCrossesSpokeTransitPeeringTransitSpoke) {
  advance(1500ms);  // handshakes through keepalives
  std::vector<uint8_t> p = udpPacket("10.1.0.10", "10.2.0.10");
  send("s1", p);
  ASSERT_EQ(nodes_["s2"].tun.size(), 1u);
  std::vector<uint8_t> got = nodes_["s2"].tun[0];
  EXPECT_EQ(got[8], 62) << "two transits each decrement the TTL";
  got[8] = p[8];
  got[10] = p[10];
  got[11] = p[11];
  EXPECT_EQ(got, p);
  // And the reply comes back.
  send("s2", udpPacket("10.2.0.10", "10.1.0.10"));
  EXPECT_EQ(nodes_["s1"].tun.size(), 1u);
}

TEST_F(Lab, DomainsWithoutPolicyAreDroppedAndCounted) {
  advance(1500ms);
  send("s1", udpPacket("10.1.0.10", "10.3.0.10"));  // prod -> dev
  EXPECT_TRUE(nodes_["s3"].tun.empty());
  EXPECT_EQ(drops("s1", model::network::Decision::Cause::kDomain), 1u);
  send("s3", udpPacket("10.3.0.10", "10.2.0.10"));  // dev -> shared: connected
  EXPECT_EQ(nodes_["s2"].tun.size(), 1u);
}

TEST_F(Lab, SpoofedSourceIsDroppedByTheTransit) {
  advance(1500ms);
  // s3 (dev, 10.3/16) sends a packet claiming to come from s1's prod range.
  send("s3", udpPacket("10.1.0.99", "10.2.0.10"));
  EXPECT_TRUE(nodes_["s2"].tun.empty());
  EXPECT_EQ(drops("ta1", model::network::Decision::Cause::kSpoofedSource), 1u);
}

TEST_F(Lab, HaPairFailsOverAndBack) {
  advance(1500ms);
  EXPECT_EQ(activeFor("s1", "10.2.0.0/16"), "ta1");
  nodes_["ta1"].dead = true;
  advance(2500ms);
  EXPECT_EQ(activeFor("s1", "10.2.0.0/16"), "ta2") << "ta1 silent for more than kDeadAfter";
  EXPECT_EQ(activeFor("tb", "10.1.0.0/16"), "ta2");
  send("s1", udpPacket("10.1.0.10", "10.2.0.10"));
  ASSERT_EQ(nodes_["s2"].tun.size(), 1u);
  send("s2", udpPacket("10.2.0.10", "10.1.0.10"));
  ASSERT_EQ(nodes_["s1"].tun.size(), 1u);
  // ta1 returns with its sessions gone, as after a restart: its keepalives start handshakes
  // and the spokes and the peered transit move back to it.
  restart("ta1");
  advance(2500ms);
  EXPECT_EQ(activeFor("s1", "10.2.0.0/16"), "ta1");
  EXPECT_EQ(activeFor("tb", "10.1.0.0/16"), "ta1");
  const uint64_t before = nodes_["ta1"].forwarder->tunnels()[0].wg.rx_packets;
  send("s1", udpPacket("10.1.0.10", "10.2.0.10"));
  ASSERT_EQ(nodes_["s2"].tun.size(), 2u);
  uint64_t after = 0;
  for (const auto& t : nodes_["ta1"].forwarder->tunnels()) after += t.wg.rx_packets;
  EXPECT_GT(after, before);
}

TEST_F(Lab, UpdateKeepsSessionsOfPeersThatStay) {
  advance(1500ms);
  send("s1", udpPacket("10.1.0.10", "10.2.0.10"));
  ASSERT_EQ(nodes_["s2"].tun.size(), 1u);
  const uint64_t handshakes = nodes_["s1"].forwarder->tunnels()[0].wg.handshakes;
  // A new spoke behind ta1 (with a key no gateway has seen) joins the network.
  wg::Key key = wg::generatePrivateKey(env_);
  std::string yaml = yaml_;
  yaml.insert(yaml.find("  transit_peerings:"),
              "    - {name: s4, cloud: c, region: r, endpoint: \"172.31.0.14:51820\", "
              "public_key: \"" +
                  wg::encodeKey(*wg::publicKeyOf(key)) +
                  "\", cidrs: [\"10.4.0.0/16\"], transits: [ta1], domain: shared}\n");
  auto network = model::network::loadNetwork(yaml);
  ASSERT_TRUE(network.isOk()) << network.status().message();
  for (const char* name : {"s1", "ta1", "ta2"}) {
    ASSERT_TRUE(nodes_[name]
                    .forwarder->update(model::network::planGateway(*network, name).value(), now_)
                    .isOk());
  }
  // The tunnel to ta1 kept its session: no new handshake, traffic flows at once.
  send("s1", udpPacket("10.1.0.10", "10.2.0.10"));
  EXPECT_EQ(nodes_["s2"].tun.size(), 2u);
  EXPECT_EQ(nodes_["s1"].forwarder->tunnels()[0].wg.handshakes, handshakes);
  EXPECT_EQ(activeFor("s1", "10.4.0.0/16"), "ta1");
  EXPECT_EQ(nodes_["ta1"].forwarder->tunnels().size(), 4u);  // s1, s3, s4 and the peered tb
  // A plan naming our own key as a peer is refused and changes nothing.
  auto bad = model::network::planGateway(*network, "s1").value();
  bad.peers[0].public_key = *wg::publicKeyOf(nodes_["s1"].private_key);
  EXPECT_FALSE(nodes_["s1"].forwarder->update(bad, now_).isOk());
  send("s1", udpPacket("10.1.0.10", "10.2.0.10"));
  EXPECT_EQ(nodes_["s2"].tun.size(), 3u);
}

}  // namespace
}  // namespace causeway::transit
