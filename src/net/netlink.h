// Netlink: interface, address, route and policy-rule setup through rtnetlink (no `ip` command).
// Each call is one request and its acknowledgement on a NETLINK_ROUTE socket that lives in the
// network namespace of the thread that opened it. Adding what exists and deleting what does not
// are not errors, so a gateway can apply its configuration again after a restart. Errors say
// what was attempted, the errno text and the kernel's extended message when it gives one.
// Not thread-safe: one thread uses a Netlink at a time. Blocking (rtnetlink answers at once);
// keep it off the data path.
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip.h"
#include "base/status.h"

namespace causeway::net {

struct Route {
  enum class Type { kUnicast, kBlackhole };
  Cidr destination;
  std::string device;                // the output interface; empty for a blackhole
  std::optional<IpAddress> gateway;  // a next hop on `device`; none: directly on the link
  uint32_t table = 254;              // RT_TABLE_MAIN
  uint32_t metric = 0;               // RTA_PRIORITY
  Type type = Type::kUnicast;
  // Adding replaces a route to the same destination (same table and metric). Off: an existing
  // route is left alone and addRoute says alreadyExists, so a host route is never taken over.
  bool replace = true;
};

// `iif DEVICE lookup TABLE` (ip rule): packets arriving on `input_device` use `table`.
struct Rule {
  sa_family_t family = AF_INET;
  std::string input_device;
  uint32_t table = 0;
  // Fixed, so that adding the same rule again is recognised as a duplicate (with no priority
  // the kernel would give each copy a new one).
  uint32_t priority = 1000;
};

class Netlink {
 public:
  static Result<Netlink> open();

  Netlink(Netlink&& o) noexcept;
  Netlink& operator=(Netlink&& o) noexcept;
  Netlink(const Netlink&) = delete;
  Netlink& operator=(const Netlink&) = delete;
  ~Netlink();

  // The index of interface `name`; notFound when there is none.
  Result<int> interfaceIndex(std::string_view name);
  Status setMtu(std::string_view device, uint32_t mtu);
  Status setUp(std::string_view device, bool up = true);
  // Adds `address` with `prefix_length` (10.0.0.1/24: the connected route to 10.0.0.0/24) to
  // `device`. IPv6 addresses skip duplicate address detection (IFA_F_NODAD): usable at once.
  // Existing: not an error.
  Status addAddress(std::string_view device, const IpAddress& address, int prefix_length);
  Status deleteAddress(std::string_view device, const IpAddress& address,
                       int prefix_length);  // missing: fine
  // Adds or replaces the route to `route.destination` in its table (same destination, table
  // and metric: replaced), so it is idempotent.
  Status addRoute(const Route& route);
  Status deleteRoute(const Route& route);  // missing: fine
  Status addRule(const Rule& rule);        // an identical rule: fine
  Status deleteRule(const Rule& rule);     // missing: fine

 private:
  explicit Netlink(int fd) : fd_(fd) {}
  // Sends `message` (an nlmsghdr and its payload) and waits for its acknowledgement. An errno
  // in `tolerated` counts as success.
  // A link reply (RTM_NEWLINK) on the way stores its index in `link_index`.
  Status request(std::vector<uint8_t>& message, std::string_view what,
                 std::initializer_list<int> tolerated = {}, int* link_index = nullptr);
  Status linkRequest(std::string_view device, std::optional<uint32_t> mtu, std::optional<bool> up);
  Status routeRequest(const Route& route, bool add);
  Status ruleRequest(const Rule& rule, bool add);
  Status addressRequest(std::string_view device, const IpAddress& address, int prefix_length,
                        bool add);

  int fd_ = -1;
  uint32_t sequence_ = 0;
};

}  // namespace causeway::net
