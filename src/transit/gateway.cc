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
    return 0;
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

    std::string listen =
        options_.listen.empty() ? "0.0.0.0:" + std::to_string(plan_.listen_port) : options_.listen;
    auto local = net::SocketAddress::parse(listen);
    if (!local.isOk())
      return Status::invalidArgument("--listen " + listen + ": " + local.status().message());
    auto udp = net::UdpSocket::bind(local.value());
    if (!udp.isOk()) return Status::ioError("UDP " + listen + ": " + udp.status().message());
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
  // inspected) are routed by a table of their own to the firewall. Brings the kernel from what
  // was installed to what the current plan wants: routes that stay are not touched.
  Status syncKernel() {
    const network::GatewayPlan& plan = forwarder_->plan();
    const std::string& dev = tun_->name();
    std::vector<net::Route> wanted;
    for (const network::RouteEntry& r : plan.routes) {
      if (r.kind == network::RouteKind::kLocal) continue;
      net::Route route;
      route.destination = r.cidr;
      route.device = dev;
      wanted.push_back(route);
    }
    std::optional<net::Rule> wanted_rule;
    if (plan.firewall) {
      const network::FirewallPlan& fw = *plan.firewall;
      net::Rule rule;
      rule.input_device = dev;
      rule.table = uint32_t(options_.policy_table);
      wanted_rule = rule;
      net::Route route;
      route.destination = *Cidr::parse("0.0.0.0/0");
      route.device = fw.interface;
      route.gateway = fw.next_hop;
      route.table = rule.table;
      wanted.push_back(route);
    }
    auto same = [](const net::Route& a, const net::Route& b) {
      return a.destination == b.destination && a.device == b.device && a.gateway == b.gateway &&
             a.table == b.table;
    };
    auto contains = [&](const std::vector<net::Route>& list, const net::Route& r) {
      return std::any_of(list.begin(), list.end(), [&](const net::Route& x) { return same(x, r); });
    };
    for (const net::Route& r : routes_) {
      if (!contains(wanted, r)) (void)netlink_->deleteRoute(r);
    }
    if (rule_ && !wanted_rule) (void)netlink_->deleteRule(*rule_);
    rule_.reset();
    routes_.clear();
    if (wanted_rule) {
      if (Status s = netlink_->addRule(*wanted_rule); !s.isOk()) return s;
      rule_ = wanted_rule;
    }
    for (const net::Route& r : wanted) {
      if (Status s = netlink_->addRoute(r); !s.isOk()) {
        if (r.table != 254) {
          return Status::ioError("firewall " + plan.firewall->name + " on " +
                                 plan.firewall->interface + ": " + s.message());
        }
        return s;
      }
      routes_.push_back(r);
    }
    return Status::ok();
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
      if (rule_) (void)netlink_->deleteRule(*rule_);
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
        io_.stop();
        return;
      }
      if (n.value() == 0) break;
      if (Status s = net::segmentPacket(packet_.header(), packet_.bytes(), segments_); !s.isOk()) {
        ++bad_tun_reads_;
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
      udp_dropped_ += send_.size();
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
  std::optional<net::Rule> rule_;
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
  uint64_t bad_tun_reads_ = 0;
  uint64_t udp_dropped_ = 0;
  std::shared_ptr<PlanInbox> inbox_;
};

}  // namespace

int runGateway(model::network::GatewayPlan plan, const wg::Key& private_key,
               const GatewayOptions& options) {
  Runner runner(std::move(plan), options);
  return runner.run(private_key);
}

}  // namespace causeway::transit
