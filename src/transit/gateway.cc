#include "transit/gateway.h"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/post.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <cstdio>
#include <fstream>
#include <future>
#include <mutex>

#include "http/status_server.h"
#include "net/address.h"
#include "net/netlink.h"
#include "net/packet_offload.h"
#include "net/socket_address.h"
#include "net/tun_device.h"
#include "net/udp_batch.h"
#include "transit/forwarder.h"
#include "transit/status_pages.h"
#include "wg/env.h"
#include "wg/key_encoding.h"

namespace causeway::transit {
namespace {

namespace network = model::network;
using Clock = std::chrono::steady_clock;

// Events handled per readiness before the loop looks at its other sources: enough to batch,
// few enough that neither direction starves the other or the timers.
constexpr int kReadsPerWake = 16;
// Handshake initiations a second beyond which the device answers with cookies (under load),
// and stays so for the next second too.
constexpr int kLoadThreshold = 128;

bool writeProc(const char* path, const char* value) {
  std::ofstream f(path);
  if (!f) return false;
  f << value;
  return bool(f);
}

class Runner {
 public:
  Runner(network::GatewayPlan plan, const GatewayOptions& options)
      : options_(options),
        plan_(std::move(plan)),
        tun_sd_(io_),
        udp_sd_(io_),
        timer_(io_),
        signals_(io_, SIGTERM, SIGINT),
        reload_signal_(io_, SIGHUP) {}

  int run(const wg::Key& private_key) {
    if (Status s = setUp(private_key); !s.isOk()) {
      spdlog::error("transit {}: {}", plan_.name, s.message());
      tearDown();
      return 1;
    }
    signals_.async_wait([this](const std::error_code& ec, int sig) {
      if (!ec) {
        spdlog::info("transit {}: signal {}, stopping", plan_.name, sig);
        io_.stop();
      }
    });
    armReload();
    startPlanSource();
    armTun();
    armUdp();
    armTimer(Clock::now());
    io_.run();
    stopPlanSource();
    ForwarderOutput out;
    forwarder_->drainFlows(out);
    writeFlows(out);
    tearDown();
    spdlog::info("transit {}: stopped", plan_.name);
    return failed_ ? 1 : 0;
  }

 private:
  Status setUp(const wg::Key& private_key) {
    auto nl = net::Netlink::open();
    if (!nl.isOk()) return nl.status();
    netlink_ = std::make_unique<net::Netlink>(std::move(nl.value()));

    auto tun = net::TunDevice::open(options_.tun_name);
    if (!tun.isOk())
      return Status::ioError("TUN device " + options_.tun_name + ": " + tun.status().message());
    tun_ = std::make_unique<net::TunDevice>(std::move(tun.value()));
    const std::string& dev = tun_->name();
    if (Status s = netlink_->setMtu(dev, uint32_t(plan_.mtu)); !s.isOk()) return s;
    if (Status s = netlink_->addAddress(dev, plan_.tunnel_address.address(),
                                        plan_.tunnel_address.prefixLength());
        !s.isOk())
      return s;
    if (Status s = netlink_->setUp(dev); !s.isOk()) return s;

    // A gateway forwards between its VPC (or firewall) and the TUN device: the namespace must
    // route, as on any router. Aviatrix gateways set the same.
    if (!writeProc("/proc/sys/net/ipv4/ip_forward", "1")) {
      spdlog::warn("transit {}: cannot enable net.ipv4.ip_forward", plan_.name);
    }
    writeProc("/proc/sys/net/ipv6/conf/all/forwarding", "1");
    writeProc(("/proc/sys/net/ipv4/conf/" + dev + "/rp_filter").c_str(), "0");
    // The kernel applies the stricter of "all" and the device's setting: strict reverse-path
    // filtering on "all" would drop what comes back from a firewall. Loose keeps the check.
    {
      std::ifstream all("/proc/sys/net/ipv4/conf/all/rp_filter");
      int value = 0;
      if (all >> value && value == 1 && writeProc("/proc/sys/net/ipv4/conf/all/rp_filter", "2")) {
        spdlog::info("transit {}: net.ipv4.conf.all.rp_filter 1 -> 2 (loose)", plan_.name);
      }
    }

    // Both families by default ([::] also takes IPv4), IPv4 alone where IPv6 is off.
    std::vector<std::string> listens;
    if (options_.listen.empty()) {
      listens = {"[::]:" + std::to_string(plan_.listen_port),
                 "0.0.0.0:" + std::to_string(plan_.listen_port)};
    } else {
      listens = {options_.listen};
    }
    Result<net::UdpSocket> udp = Status::internal("no address to listen on");
    for (const std::string& listen : listens) {
      auto local = net::SocketAddress::parse(listen);
      if (!local.isOk()) {
        return Status::invalidArgument("--listen " + listen + ": " + local.status().message());
      }
      udp = net::UdpSocket::bind(local.value());
      if (udp.isOk()) break;
      udp = Status::ioError("UDP " + listen + ": " + udp.status().message());
    }
    if (!udp.isOk()) return udp.status();
    udp_ = std::make_unique<net::UdpSocket>(std::move(udp.value()));

    ForwarderOptions fo;
    fo.flows = !options_.flow_log.empty();
    fo.flow_options = options_.flows;
    auto forwarder = Forwarder::create(env_, private_key, plan_, fo, Clock::now());
    if (!forwarder.isOk()) return forwarder.status();
    forwarder_ = std::move(forwarder.value());

    if (Status s = syncKernel(); !s.isOk()) return s;

    if (!options_.flow_log.empty()) {
      flow_log_ = options_.flow_log == "-" ? stdout : std::fopen(options_.flow_log.c_str(), "a");
      if (!flow_log_) return Status::ioError("cannot open flow log " + options_.flow_log);
      std::setvbuf(flow_log_, nullptr, _IOLBF, 0);
    }
    if (!options_.status_listen.empty() && options_.status_listen != "off") {
      auto ep = net::parseEndpoint(options_.status_listen);
      if (!ep.isOk()) return Status::invalidArgument("--status-listen: " + ep.status().message());
      status_ = std::make_unique<http::StatusServer>(io_, [this](std::string_view path) {
        return statusPage(*forwarder_, path, Clock::now());
      });
      if (Status s = status_->listen(ep.value()); !s.isOk()) {
        return Status::ioError("status listener " + options_.status_listen + ": " + s.message());
      }
    }
    tun_sd_.assign(tun_->fd());
    udp_sd_.assign(udp_->fd());
    spdlog::info(
        "transit {} ({}): public key {}, TUN {} {} mtu {}, UDP {} (GSO {}, GRO {}, TUN offloads "
        "{}), {} tunnels, {} routes",
        plan_.name, plan_.is_transit ? "transit" : "spoke", wg::encodeKey(forwarder_->publicKey()),
        dev, plan_.tunnel_address.toString(), plan_.mtu, udp_->localAddress().toString(),
        udp_->gsoEnabled() ? "on" : "off", udp_->groEnabled() ? "on" : "off",
        tun_->tcpOffloads() ? "on" : "off", plan_.peers.size(), plan_.routes.size());
    return Status::ok();
  }

  // Every prefix the gateway tunnels (or blackholes) goes to the TUN device; a spoke's own VPC
  // stays with the kernel. With a firewall, packets coming out of the TUN device (to be
  // inspected) are routed by a table of their own to the firewall: a rule per family and a
  // default route for each family the firewall's next hop serves (both without a next hop).
  // Brings the kernel from what was installed to what the current plan wants: what stays is
  // not touched, what fails is reported and the rest still applied; a route someone else
  // already has is left to them (never taken over, never deleted by us).
  Status syncKernel() {
    const network::GatewayPlan& plan = forwarder_->plan();
    const std::string& dev = tun_->name();
    std::vector<net::Route> wanted;
    for (const network::RouteEntry& r : plan.routes) {
      if (r.kind == network::RouteKind::kLocal) continue;
      net::Route route;
      route.destination = r.cidr;
      route.device = dev;
      route.replace = false;
      wanted.push_back(route);
    }
    std::vector<net::Rule> wanted_rules;
    if (plan.firewall) {
      const network::FirewallPlan& fw = *plan.firewall;
      for (const bool v6 : {false, true}) {
        if (fw.next_hop && fw.next_hop->isV6() != v6) continue;
        net::Rule rule;
        rule.family = v6 ? AF_INET6 : AF_INET;
        rule.input_device = dev;
        rule.table = uint32_t(options_.policy_table);
        wanted_rules.push_back(rule);
        net::Route route;
        route.destination = *Cidr::parse(v6 ? "::/0" : "0.0.0.0/0");
        route.device = fw.interface;
        route.gateway = fw.next_hop;
        route.table = rule.table;
        wanted.push_back(route);
      }
      // Packets come back from the firewall with sources routed through the TUN device.
      writeProc(("/proc/sys/net/ipv4/conf/" + fw.interface + "/rp_filter").c_str(), "0");
    }
    auto sameRoute = [](const net::Route& a, const net::Route& b) {
      return a.destination == b.destination && a.device == b.device && a.gateway == b.gateway &&
             a.table == b.table;
    };
    auto sameRule = [](const net::Rule& a, const net::Rule& b) {
      return a.family == b.family && a.input_device == b.input_device && a.table == b.table;
    };
    auto has = [](const auto& list, const auto& x, auto same) {
      return std::any_of(list.begin(), list.end(), [&](const auto& y) { return same(x, y); });
    };
    Status first_error;
    auto note = [&](const Status& s) {
      if (s.isOk()) return;
      spdlog::error("transit {}: {}", plan.name, s.message());
      if (first_error.isOk()) first_error = s;
    };
    std::vector<net::Route> kept;
    for (const net::Route& r : routes_) {
      if (has(wanted, r, sameRoute)) {
        kept.push_back(r);
      } else {
        note(netlink_->deleteRoute(r));
      }
    }
    std::vector<net::Rule> kept_rules;
    for (const net::Rule& r : rules_) {
      if (has(wanted_rules, r, sameRule)) {
        kept_rules.push_back(r);
      } else {
        note(netlink_->deleteRule(r));
      }
    }
    for (const net::Rule& r : wanted_rules) {
      if (has(kept_rules, r, sameRule)) continue;
      Status st = netlink_->addRule(r);
      note(st);
      if (st.isOk()) kept_rules.push_back(r);
    }
    for (const net::Route& r : wanted) {
      if (has(kept, r, sameRoute)) continue;
      Status st = netlink_->addRoute(r);
      if (st.code() == Status::Code::kAlreadyExists) {
        spdlog::warn(
            "transit {}: a route to {} exists already (not ours): left as it is, so "
            "that traffic does not enter the overlay here",
            plan.name, r.destination.toString());
        continue;
      }
      note(st);
      if (st.isOk()) kept.push_back(r);
    }
    routes_ = std::move(kept);
    rules_ = std::move(kept_rules);
    return first_error;
  }

  void armReload() {
    reload_signal_.async_wait([this](const std::error_code& ec, int) {
      if (ec) return;
      reload();
      armReload();
    });
  }

  void reload() {
    if (!options_.reload) return;
    auto plan = options_.reload();
    if (!plan.isOk()) {
      spdlog::error("transit {}: reload refused, the running plan stays: {}", plan_.name,
                    plan.status().message());
      return;
    }
    (void)applyPlan(std::move(plan.value()));
  }

  // Moves the forwarder and the kernel to `plan`; on error the running plan stays.
  Status applyPlan(network::GatewayPlan plan) {
    const size_t peers = plan.peers.size(), routes = plan.routes.size();
    if (Status s = forwarder_->update(std::move(plan), Clock::now()); !s.isOk()) {
      spdlog::error("transit {}: reload refused, the running plan stays: {}", plan_.name,
                    s.message());
      return s;
    }
    if (Status s = syncKernel(); !s.isOk()) {
      spdlog::error("transit {}: reload: kernel routes: {}", plan_.name, s.message());
    }
    spdlog::info("transit {}: reloaded: {} tunnels, {} routes", plan_.name, peers, routes);
    return Status::ok();
  }

  // ---- plan source: plans pushed from another thread (GatewayOptions::plan_source) ----
  // The inbox outlives the Runner in the source's PlanApply; `runner` is null once stopped.
  struct PlanInbox {
    std::mutex mu;
    Runner* runner = nullptr;
  };

  void startPlanSource() {
    if (!options_.plan_source) return;
    inbox_ = std::make_shared<PlanInbox>();
    inbox_->runner = this;
    options_.plan_source([inbox = inbox_](network::GatewayPlan plan) -> Status {
      std::future<Status> done;
      {
        std::lock_guard<std::mutex> lock(inbox->mu);
        if (!inbox->runner) return Status::unavailable("the gateway has stopped");
        auto promise = std::make_shared<std::promise<Status>>();
        done = promise->get_future();
        // Runs inside io_.run(), while `runner` is set.
        asio::post(inbox->runner->io_, [inbox, promise, plan = std::move(plan)]() mutable {
          promise->set_value(inbox->runner->applyPlan(std::move(plan)));
        });
      }
      try {
        return done.get();
      } catch (const std::future_error&) {  // the gateway stopped before applying it
        return Status::unavailable("the gateway has stopped");
      }
    });
  }

  void stopPlanSource() {
    if (!inbox_) return;
    std::lock_guard<std::mutex> lock(inbox_->mu);
    inbox_->runner = nullptr;
  }

  void tearDown() {
    if (netlink_) {
      for (const net::Route& r : routes_) {
        if (Status s = netlink_->deleteRoute(r); !s.isOk()) {
          spdlog::warn("transit {}: {}", plan_.name, s.message());
        }
      }
      for (const net::Rule& r : rules_) (void)netlink_->deleteRule(r);
    }
    routes_.clear();
    std::error_code ignored;
    tun_sd_.release();
    udp_sd_.release();
    tun_.reset();  // closing the fd deletes the device
    udp_.reset();
    if (flow_log_ && flow_log_ != stdout) std::fclose(flow_log_);
    flow_log_ = nullptr;
  }

  void armTun() {
    tun_sd_.async_wait(asio::posix::stream_descriptor::wait_read, [this](std::error_code ec) {
      if (ec) return;
      onTunReadable();
      armTun();
    });
  }

  void armUdp() {
    udp_sd_.async_wait(asio::posix::stream_descriptor::wait_read, [this](std::error_code ec) {
      if (ec) return;
      onUdpReadable();
      armUdp();
    });
  }

  void armTimer(Clock::time_point now) {
    const Clock::time_point at = forwarder_->nextDeadline(now);
    if (timer_armed_ && at >= timer_at_) return;
    timer_at_ = at;
    timer_armed_ = true;
    timer_.expires_at(at);
    timer_.async_wait([this](std::error_code ec) {
      if (ec) return;  // replaced by an earlier deadline, or stopping
      timer_armed_ = false;
      const Clock::time_point now = Clock::now();
      forwarder_->tick(now, out_);
      emit();
      armTimer(now);
    });
  }

  void onTunReadable() {
    const Clock::time_point now = Clock::now();
    for (int i = 0; i < kReadsPerWake; ++i) {
      auto n = tun_->read(packet_);
      if (!n.isOk()) {
        spdlog::error("transit {}: TUN read: {}", plan_.name, n.status().message());
        failed_ = true;
        io_.stop();
        return;
      }
      if (n.value() == 0) break;
      if (Status s = net::segmentPacket(packet_.header(), packet_.bytes(), segments_); !s.isOk()) {
        forwarder_->countDrop(ForwardDrop::kBadTunRead, 1);
        continue;
      }
      for (std::span<uint8_t> p : segments_) forwarder_->fromTun(p, now, out_);
      stage();
    }
    emit();
    armTimer(now);
  }

  void onUdpReadable() {
    const Clock::time_point now = Clock::now();
    for (int i = 0; i < kReadsPerWake; ++i) {
      auto n = udp_->receive(received_);
      if (!n.isOk()) {
        spdlog::warn("transit {}: UDP receive: {}", plan_.name, n.status().message());
        break;
      }
      if (n.value() == 0) break;
      for (const net::ReceivedDatagram& d : received_) {
        const bool load = underLoad(d.bytes, now);
        forwarder_->fromNetwork(d.bytes, wg::Endpoint(d.source->bytes()), now, load, out_);
      }
      stage();
    }
    emit();
    armTimer(now);
  }

  // Counts handshake initiations per second (message type 1).
  bool underLoad(std::span<const uint8_t> datagram, Clock::time_point now) {
    if (now - load_window_start_ >= std::chrono::seconds(1)) {
      previous_window_initiations_ = window_initiations_;
      window_initiations_ = 0;
      load_window_start_ = now;
    }
    if (!datagram.empty() && datagram[0] == 1) ++window_initiations_;
    return window_initiations_ > kLoadThreshold || previous_window_initiations_ > kLoadThreshold;
  }

  // Moves the forwarder's output into the send and TUN batches (flushing them when full).
  void stage() {
    for (wg::Action& a : out_.sends) {
      auto dest = net::SocketAddress::fromBytes(a.endpoint.bytes());
      if (!dest) continue;
      if (!send_.append(*dest, a.bytes)) {
        flushUdp();
        (void)send_.append(*dest, a.bytes);
      }
    }
    for (const std::vector<uint8_t>& p : out_.to_tun) {
      if (!tun_batch_.append(p)) {
        tun_->write(tun_batch_);
        (void)tun_batch_.append(p);
      }
    }
    writeFlows(out_);
    out_.clear();
  }

  void emit() {
    stage();
    flushUdp();
    if (!tun_batch_.empty()) tun_->write(tun_batch_);
  }

  void flushUdp() {
    for (int attempt = 0; !send_.empty() && attempt < 4; ++attempt) {
      const net::FlushResult r = send_.flush(*udp_);
      if (!r.would_block) break;
      // The socket buffer is full: wait briefly for room rather than drop a burst.
      pollfd p{udp_->fd(), POLLOUT, 0};
      ::poll(&p, 1, 5);
    }
    if (!send_.empty()) {
      forwarder_->countDrop(ForwardDrop::kUdpSend, send_.size());
      send_.clear();
    }
  }

  void writeFlows(ForwarderOutput& out) {
    if (!flow_log_ || out.flows.empty()) return;
    const double unix_now =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const Clock::time_point now = Clock::now();
    for (const FlowRecord& r : out.flows) {
      const std::string line = flowJson(r, plan_.name, unix_now, now);
      std::fprintf(flow_log_, "%s\n", line.c_str());
    }
    out.flows.clear();
  }

  GatewayOptions options_;
  network::GatewayPlan plan_;
  asio::io_context io_{1};
  asio::posix::stream_descriptor tun_sd_;
  asio::posix::stream_descriptor udp_sd_;
  asio::steady_timer timer_;
  asio::signal_set signals_;
  asio::signal_set reload_signal_;
  Clock::time_point timer_at_{};
  bool timer_armed_ = false;

  wg::SystemEnv env_;
  std::unique_ptr<net::Netlink> netlink_;
  std::unique_ptr<net::TunDevice> tun_;
  std::unique_ptr<net::UdpSocket> udp_;
  std::unique_ptr<Forwarder> forwarder_;
  std::unique_ptr<http::StatusServer> status_;
  std::vector<net::Route> routes_;
  std::vector<net::Rule> rules_;
  FILE* flow_log_ = nullptr;

  net::TunPacket packet_;
  net::PacketSegments segments_;
  net::RecvBatch received_;
  net::SendBatch send_;
  net::TunWriteBatch tun_batch_;
  ForwarderOutput out_;

  Clock::time_point load_window_start_{};
  int window_initiations_ = 0;
  int previous_window_initiations_ = 0;
  bool failed_ = false;
  std::shared_ptr<PlanInbox> inbox_;
};

}  // namespace

int runGateway(model::network::GatewayPlan plan, const wg::Key& private_key,
               const GatewayOptions& options) {
  Runner runner(std::move(plan), options);
  return runner.run(private_key);
}

}  // namespace causeway::transit
