#include "net/netlink.h"

#include <linux/fib_rules.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

namespace causeway::net {

namespace {

std::string errnoText(int e) { return std::strerror(e); }

// Builds one netlink request: header, fixed part, attributes.
class MessageBuilder {
 public:
  MessageBuilder(std::vector<uint8_t>& out, uint16_t type, uint16_t flags) : out_(out) {
    out_.assign(NLMSG_HDRLEN, 0);
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = static_cast<uint16_t>(flags | NLM_F_REQUEST | NLM_F_ACK);
    std::memcpy(out_.data(), &h, sizeof h);
  }
  template <class T>
  void fixed(const T& value) {
    append(&value, sizeof value);
    out_.resize(NLMSG_ALIGN(out_.size()), 0);
  }
  void attribute(uint16_t type, const void* data, size_t size) {
    rtattr a{};
    a.rta_len = static_cast<uint16_t>(RTA_LENGTH(size));
    a.rta_type = type;
    append(&a, sizeof a);
    append(data, size);
    out_.resize(RTA_ALIGN(out_.size()), 0);
  }
  void attribute32(uint16_t type, uint32_t value) { attribute(type, &value, sizeof value); }
  void attributeString(uint16_t type, std::string_view s) {
    std::string copy(s);
    attribute(type, copy.c_str(), copy.size() + 1);
  }

 private:
  void append(const void* data, size_t size) {
    const uint8_t* p = static_cast<const uint8_t*>(data);
    out_.insert(out_.end(), p, p + size);
  }
  std::vector<uint8_t>& out_;
};

}  // namespace

// ---- Netlink

Result<Netlink> Netlink::open() {
  int fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return Status::ioError("cannot open a netlink socket: " + errnoText(errno));
  int one = 1;
  // Extended acknowledgements carry the kernel's own error text; capped ones skip the echo.
  (void)::setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  (void)::setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  timeval timeout{5, 0};  // the kernel answers at once; never hang on a lost answer
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
    int e = errno;
    ::close(fd);
    return Status::ioError("cannot bind a netlink socket: " + errnoText(e));
  }
  return Netlink(fd);
}

Netlink::Netlink(Netlink&& o) noexcept : fd_(std::exchange(o.fd_, -1)), sequence_(o.sequence_) {}

Netlink& Netlink::operator=(Netlink&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(o.fd_, -1);
    sequence_ = o.sequence_;
  }
  return *this;
}

Netlink::~Netlink() {
  if (fd_ >= 0) ::close(fd_);
}

Status Netlink::request(std::vector<uint8_t>& message, std::string_view what,
                        std::initializer_list<int> tolerated, int* link_index) {
  auto* header = reinterpret_cast<nlmsghdr*>(message.data());
  header->nlmsg_len = static_cast<uint32_t>(message.size());
  header->nlmsg_seq = ++sequence_;
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  if (::sendto(fd_, message.data(), message.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
               sizeof kernel) < 0) {
    return Status::ioError("cannot " + std::string(what) + ": netlink send: " + errnoText(errno));
  }
  alignas(nlmsghdr) uint8_t buffer[16384];
  for (;;) {
    ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Status::ioError("cannot " + std::string(what) +
                             ": netlink receive: " + errnoText(errno));
    }
    size_t left = static_cast<size_t>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buffer); NLMSG_OK(h, left);
         h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_seq != sequence_) continue;  // an answer to an earlier, abandoned request
      if (h->nlmsg_type == RTM_NEWLINK && link_index != nullptr &&
          h->nlmsg_len >= NLMSG_LENGTH(sizeof(ifinfomsg))) {
        *link_index = static_cast<const ifinfomsg*>(NLMSG_DATA(h))->ifi_index;
        continue;
      }
      if (h->nlmsg_type != NLMSG_ERROR) continue;
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(nlmsgerr))) {
        return Status::ioError("cannot " + std::string(what) + ": short netlink answer");
      }
      const auto* error = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
      const int e = -error->error;
      if (e == 0) return Status::ok();
      if (std::find(tolerated.begin(), tolerated.end(), e) != tolerated.end()) {
        return Status::ok();
      }
      std::string text = "cannot " + std::string(what) + ": " + errnoText(e);
      if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
        // The request echo is capped to its header (NETLINK_CAP_ACK), then come attributes.
        size_t offset = NLMSG_LENGTH(sizeof(nlmsgerr));
        if (!(h->nlmsg_flags & NLM_F_CAPPED)) offset += error->msg.nlmsg_len - NLMSG_HDRLEN;
        const uint8_t* base = reinterpret_cast<const uint8_t*>(h);
        while (offset + NLA_HDRLEN <= h->nlmsg_len) {
          nlattr a;
          std::memcpy(&a, base + offset, sizeof a);
          if (a.nla_len < NLA_HDRLEN || offset + a.nla_len > h->nlmsg_len) break;
          if ((a.nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG && a.nla_len > NLA_HDRLEN) {
            const char* s = reinterpret_cast<const char*>(base + offset + NLA_HDRLEN);
            text += " (" + std::string(s, ::strnlen(s, a.nla_len - NLA_HDRLEN)) + ")";
          }
          offset += NLA_ALIGN(a.nla_len);
        }
      }
      if (e == EEXIST) return Status::alreadyExists(text);
      return e == ENODEV || e == ESRCH || e == ENOENT ? Status::notFound(text)
                                                      : Status::ioError(text);
    }
  }
}

Result<int> Netlink::interfaceIndex(std::string_view name) {
  if (name.empty() || name.size() >= IFNAMSIZ) {
    return Status::invalidArgument("bad interface name '" + std::string(name) + "'");
  }
  std::vector<uint8_t> message;
  MessageBuilder b(message, RTM_GETLINK, 0);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  b.fixed(info);
  b.attributeString(IFLA_IFNAME, name);
  int index = 0;
  Status s = request(message, "find interface " + std::string(name), {}, &index);
  if (!s.isOk()) return s;
  if (index <= 0) return Status::notFound("no interface " + std::string(name));
  return index;
}

Status Netlink::linkRequest(std::string_view device, std::optional<uint32_t> mtu,
                            std::optional<bool> up) {
  std::string what = mtu ? "set the MTU of " + std::string(device) + " to " + std::to_string(*mtu)
                         : std::string(*up ? "set up " : "set down ") + std::string(device);
  auto index = interfaceIndex(device);
  if (!index) return index.status();
  std::vector<uint8_t> message;
  MessageBuilder b(message, RTM_NEWLINK, 0);
  ifinfomsg info{};
  info.ifi_family = AF_UNSPEC;
  info.ifi_index = *index;
  if (up) {
    info.ifi_flags = *up ? IFF_UP : 0;
    info.ifi_change = IFF_UP;
  }
  b.fixed(info);
  if (mtu) b.attribute32(IFLA_MTU, *mtu);
  return request(message, what);
}

Status Netlink::setMtu(std::string_view device, uint32_t mtu) {
  return linkRequest(device, mtu, std::nullopt);
}

Status Netlink::setUp(std::string_view device, bool up) {
  return linkRequest(device, std::nullopt, up);
}

Status Netlink::addressRequest(std::string_view device, const IpAddress& address, int prefix_length,
                               bool add) {
  const std::string text = address.toString() + "/" + std::to_string(prefix_length);
  std::string what = (add ? "add address " : "delete address ") + text + (add ? " to " : " from ") +
                     std::string(device);
  if (prefix_length < 0 || prefix_length > address.bitLength()) {
    return Status::invalidArgument("cannot " + what + ": bad prefix length");
  }
  auto index = interfaceIndex(device);
  if (!index) return index.status();
  std::vector<uint8_t> message;
  MessageBuilder b(message, add ? RTM_NEWADDR : RTM_DELADDR, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
  ifaddrmsg info{};
  info.ifa_family = address.isV6() ? AF_INET6 : AF_INET;
  info.ifa_prefixlen = static_cast<uint8_t>(prefix_length);
  info.ifa_scope = RT_SCOPE_UNIVERSE;
  info.ifa_index = static_cast<uint32_t>(*index);
  if (add && address.isV6()) info.ifa_flags = IFA_F_NODAD;
  b.fixed(info);
  b.attribute(IFA_LOCAL, address.bytes().data(), address.bytes().size());
  b.attribute(IFA_ADDRESS, address.bytes().data(), address.bytes().size());
  if (add && address.isV6()) b.attribute32(IFA_FLAGS, IFA_F_NODAD);
  return add ? request(message, what, {EEXIST}) : request(message, what, {EADDRNOTAVAIL});
}

Status Netlink::addAddress(std::string_view device, const IpAddress& address, int prefix_length) {
  return addressRequest(device, address, prefix_length, true);
}

Status Netlink::deleteAddress(std::string_view device, const IpAddress& address,
                              int prefix_length) {
  return addressRequest(device, address, prefix_length, false);
}

Status Netlink::routeRequest(const Route& route, bool add) {
  const Cidr& dst = route.destination;
  std::string what = std::string(add ? "add route " : "delete route ") + dst.toString();
  if (route.type == Route::Type::kBlackhole) what += " blackhole";
  if (route.gateway) what += " via " + route.gateway->toString();
  if (!route.device.empty()) what += " dev " + route.device;
  if (route.table != RT_TABLE_MAIN) what += " table " + std::to_string(route.table);
  if (route.gateway && route.gateway->isV6() != dst.isV6()) {
    return Status::invalidArgument("cannot " + what + ": the gateway is of another family");
  }
  const bool blackhole = route.type == Route::Type::kBlackhole;
  if (!blackhole && route.device.empty() && !route.gateway) {
    return Status::invalidArgument("cannot " + what + ": no device and no gateway");
  }
  int index = 0;
  if (!route.device.empty()) {
    auto found = interfaceIndex(route.device);
    if (!found) return found.status();
    index = *found;
  }
  std::vector<uint8_t> message;
  MessageBuilder b(message, add ? RTM_NEWROUTE : RTM_DELROUTE,
                   add ? NLM_F_CREATE | (route.replace ? NLM_F_REPLACE : NLM_F_EXCL) : 0);
  rtmsg info{};
  info.rtm_family = dst.isV6() ? AF_INET6 : AF_INET;
  info.rtm_dst_len = static_cast<uint8_t>(dst.prefixLength());
  info.rtm_table = route.table < 256 ? static_cast<uint8_t>(route.table) : uint8_t{RT_TABLE_UNSPEC};
  info.rtm_type = blackhole ? RTN_BLACKHOLE : RTN_UNICAST;
  if (add) {
    info.rtm_protocol = RTPROT_STATIC;
    info.rtm_scope = (blackhole || route.gateway) ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  } else {
    info.rtm_scope = RT_SCOPE_NOWHERE;  // matches a route of any scope
  }
  b.fixed(info);
  if (dst.prefixLength() > 0) {
    b.attribute(RTA_DST, dst.address().bytes().data(), dst.address().bytes().size());
  }
  b.attribute32(RTA_TABLE, route.table);
  if (index != 0) b.attribute32(RTA_OIF, static_cast<uint32_t>(index));
  if (route.gateway) {
    b.attribute(RTA_GATEWAY, route.gateway->bytes().data(), route.gateway->bytes().size());
  }
  if (route.metric != 0) b.attribute32(RTA_PRIORITY, route.metric);
  return add ? request(message, what) : request(message, what, {ESRCH, ENOENT});
}

Status Netlink::addRoute(const Route& route) { return routeRequest(route, true); }
Status Netlink::deleteRoute(const Route& route) { return routeRequest(route, false); }

Status Netlink::ruleRequest(const Rule& rule, bool add) {
  std::string what = std::string(add ? "add rule " : "delete rule ") + "iif " + rule.input_device +
                     " lookup " + std::to_string(rule.table) + " priority " +
                     std::to_string(rule.priority) + (rule.family == AF_INET6 ? " (IPv6)" : "");
  if ((rule.family != AF_INET && rule.family != AF_INET6) || rule.input_device.empty() ||
      rule.input_device.size() >= IFNAMSIZ || rule.table == 0) {
    return Status::invalidArgument("cannot " + what + ": needs a family, a device and a table");
  }
  std::vector<uint8_t> message;
  MessageBuilder b(message, add ? RTM_NEWRULE : RTM_DELRULE, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
  fib_rule_hdr info{};
  info.family = static_cast<uint8_t>(rule.family);
  info.action = FR_ACT_TO_TBL;
  info.table = rule.table < 256 ? static_cast<uint8_t>(rule.table) : uint8_t{RT_TABLE_UNSPEC};
  b.fixed(info);
  b.attributeString(FRA_IIFNAME, rule.input_device);
  b.attribute32(FRA_TABLE, rule.table);
  if (rule.priority != 0) b.attribute32(FRA_PRIORITY, rule.priority);
  return add ? request(message, what, {EEXIST}) : request(message, what, {ENOENT});
}

Status Netlink::addRule(const Rule& rule) { return ruleRequest(rule, true); }
Status Netlink::deleteRule(const Rule& rule) { return ruleRequest(rule, false); }

}  // namespace causeway::net
