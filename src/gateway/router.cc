// Kong's `traditional_compatible` router over a config snapshot.
//
// Precedence (Kong 3.x, kong/router/compat.lua get_priority + split_routes_and_services_by_path,
// and the "Traditional router" / "Proxy reference" pages of the Kong docs):
//
//   A route with several paths is split into one ranked entry per path (Kong splits a route into
//   one sub-route per prefix length and one for all its regexes; entries of equal length rank the
//   same, so per-path entries order identically). Entries are ordered by, in turn:
//     1. match weight, descending: the number of configured fields among snis, methods, hosts,
//        headers, paths (0..5). SNIs count even though they are only checked on https requests.
//     2. plain hosts only, first: the route has hosts and none of them has a '*'.
//     3. number of header names, descending (capped at 255 like Kong).
//     4. regex path before plain path.
//     5. regex_priority, descending (regex entries only; plain entries use 0).
//     6. plain path length in bytes as written, descending (longest prefix; regex entries use 0).
//     7. Route::order, ascending (Kong's created_at; the ATC router itself breaks equal
//        priorities by route UUID, which config order replaces deterministically); then the
//        route index and the path index, for a total order.
//   The first entry in this order whose conditions all hold wins.
//
// Conditions (compat.lua get_expression):
//   - protocols: the request scheme is one of the route's protocols.
//   - methods: exact (upper-case) match.
//   - hosts: "a.com" equal (case-insensitive); "*.a.com" any host ending in ".a.com" (one or
//     more labels); "a.*" any host starting with "a."; "h:port" additionally needs the port.
//   - paths: plain = byte prefix of the normalized path; "~re" = RE2, anchored at the start only,
//     case-sensitive; "(?<name>" is accepted for "(?P<name>".
//   - headers: every header name present with one accepted value; any of the request's
//     headers of that name may match; plain values case-insensitive, "~*" regexes unanchored and
//     case-insensitive.
//   - snis: checked only when the scheme is https (Kong #6425); a trailing dot is ignored.
//   - a route whose service is disabled does not exist for the router (Kong: services.enabled).
//
// Index: entries are ranked once at build. Each route is placed in the host buckets of its
// hosts (a hash map for plain hosts, hash maps of ".suffix" and "prefix." for wildcards, with a
// per-port sub-bucket) or in the host-less bucket. A bucket keeps its path-less entries and its
// regex entries as rank-sorted lists and its plain paths in a hash map probed at each '/'
// boundary of the request path plus the tail lengths present under that boundary. A request
// looks at the few buckets its host selects and keeps the lowest rank that matches, cutting
// every scan at the best rank found so far. Buckets with many regexes run one RE2::Set pass.
#include "gateway/router.h"

#include <re2/re2.h>
#include <re2/set.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <limits>
#include <numeric>
#include <unordered_map>

#include "base/strings.h"

namespace causeway::gateway {
namespace {

using model::kong::Config;
using model::kong::Route;

constexpr uint32_t kNoRank = std::numeric_limits<uint32_t>::max();
constexpr uint8_t kSchemeHttp = 1;
constexpr uint8_t kSchemeHttps = 2;
constexpr size_t kRegexSetThreshold = 8;  // a bucket with this many regexes gets an RE2::Set
constexpr uint8_t kMaxHeaderCount = 255;
constexpr uint32_t kMaxPathLength = 0x7FFFF;  // Kong keeps 19 bits of the prefix length
constexpr size_t kStackHostBytes = 256;
constexpr size_t kLinearPlainMax = 32;  // a bucket with more plain prefixes gets the hash index

uint8_t schemeBit(std::string_view scheme) {
  if (equalsIgnoreCase(scheme, "http")) return kSchemeHttp;
  if (equalsIgnoreCase(scheme, "https")) return kSchemeHttps;
  return 0;
}

// Kong accepts PCRE's "(?<name>" for named groups; RE2 of this vintage wants "(?P<name>".
std::string toRe2Syntax(std::string_view pattern) {
  std::string out;
  out.reserve(pattern.size() + 4);
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\' && i + 1 < pattern.size()) {
      out.push_back(pattern[i]);
      out.push_back(pattern[++i]);
      continue;
    }
    if (pattern.compare(i, 3, "(?<") == 0 && i + 3 < pattern.size() && pattern[i + 3] != '=' &&
        pattern[i + 3] != '!') {
      out.append("(?P<");
      i += 2;
      continue;
    }
    out.push_back(pattern[i]);
  }
  return out;
}

// The literal text every match of `pattern` (anchored at the start) begins with: a cheap
// filter that spares running most regexes. Conservative: stops at the first metacharacter,
// drops a literal that a quantifier makes optional, and gives up on any alternation.
std::string literalPrefix(std::string_view pattern) {
  if (pattern.find('|') != std::string_view::npos) return {};
  std::string out;
  for (size_t i = 0; i < pattern.size(); ++i) {
    char c = pattern[i];
    size_t next = i + 1;
    if (c == '\\') {
      if (next >= pattern.size()) break;
      char e = pattern[next];
      bool alnum = (e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9');
      if (alnum) break;  // \d, \w, \b, \Q... are not literals
      c = e;
      next = i + 2;
    } else if (std::string_view("^$.|?*+()[]{}").find(c) != std::string_view::npos) {
      break;
    }
    if (next < pattern.size() &&
        std::string_view("?*+{").find(pattern[next]) != std::string_view::npos) {
      break;  // this character may be repeated zero times
    }
    if (static_cast<unsigned char>(c) >= 0x80) break;  // keep to ASCII: no UTF-8 subtleties
    out.push_back(c);
    i = next - 1;
  }
  return out;
}

std::string routeLabel(const Route& route, size_t index) {
  if (!route.name.empty()) return "route '" + route.name + "'";
  if (!route.id.empty()) return "route " + route.id;
  return "route #" + std::to_string(index);
}

struct HeaderCondition {
  std::string name;
  std::vector<std::string> values;
  std::vector<std::unique_ptr<RE2>> regexes;
};

// What a route requires besides its hosts and paths.
struct RouteConditions {
  uint8_t schemes = 0;
  std::vector<std::string_view> methods;  // views into Route::methods
  std::vector<std::string> snis;          // lower-case, without a trailing dot
  std::vector<HeaderCondition> headers;
};

// One ranked unit: a path of a route, or a route without paths.
struct Entry {
  enum class Kind : uint8_t { kNoPath, kPlain, kRegex };
  uint32_t route_index = 0;
  uint32_t path_index = 0;
  Kind kind = Kind::kNoPath;
  std::string_view plain;          // kPlain: the prefix (a view into Route::paths)
  std::unique_ptr<RE2> regex;      // kRegex
  std::string_view regex_literal;  // kRegex: the literal prefix every match starts with
};

struct PriorityKey {
  uint8_t weight = 0;
  bool plain_hosts_only = false;
  uint8_t header_count = 0;
  bool regex = false;
  int64_t regex_priority = 0;
  uint32_t length = 0;
  size_t order = 0;
  uint32_t route_index = 0;
  uint32_t path_index = 0;

  // True when `this` is tried before `o`.
  bool before(const PriorityKey& o) const {
    if (weight != o.weight) return weight > o.weight;
    if (plain_hosts_only != o.plain_hosts_only) return plain_hosts_only;
    if (header_count != o.header_count) return header_count > o.header_count;
    if (regex != o.regex) return regex;
    if (regex_priority != o.regex_priority) return regex_priority > o.regex_priority;
    if (length != o.length) return length > o.length;
    if (order != o.order) return order < o.order;
    if (route_index != o.route_index) return route_index < o.route_index;
    return path_index < o.path_index;
  }
};

struct PlainNode {
  std::vector<uint32_t> ranks;         // entries whose prefix is exactly this key, by rank
  std::vector<uint32_t> tail_lengths;  // lengths of slash-free tails of prefixes under this key
};

// A plain prefix as stored in a small bucket: scanned in rank order, contiguous in memory.
struct PlainRef {
  uint32_t rank;
  uint32_t size;
  const char* data;  // in the router's path arena
};

struct Bucket {
  std::vector<uint32_t> no_path;  // ranks, ascending
  std::vector<uint32_t> regex;    // ranks, ascending
  // Plain prefixes: a small bucket keeps a rank-ordered list (one linear pass beats hashing);
  // a large one moves them into the '/'-boundary hash index.
  std::vector<PlainRef> plain_list;
  std::unordered_map<std::string_view, PlainNode> plain;
  std::unique_ptr<RE2::Set> regex_set;  // pattern i is entry regex[i]
};

struct HostBuckets {
  Bucket any_port;
  std::vector<std::pair<uint16_t, std::unique_ptr<Bucket>>> by_port;

  Bucket& forPort(std::optional<uint16_t> port) {
    if (!port) return any_port;
    for (auto& [p, b] : by_port) {
      if (p == *port) return *b;
    }
    by_port.emplace_back(*port, std::make_unique<Bucket>());
    return *by_port.back().second;
  }
  const Bucket* findPort(uint16_t port) const {
    for (const auto& [p, b] : by_port) {
      if (p == port) return b.get();
    }
    return nullptr;
  }
};

// A lower-cased copy of a short string on the stack (heap only for long ones).
class LowerCopy {
 public:
  explicit LowerCopy(std::string_view s) {
    char* dst = buf_;
    if (s.size() > kStackHostBytes) {
      heap_.resize(s.size());
      dst = heap_.data();
    }
    for (size_t i = 0; i < s.size(); ++i) dst[i] = asciiLower(s[i]);
    view_ = std::string_view(dst, s.size());
  }
  LowerCopy(const LowerCopy&) = delete;
  LowerCopy& operator=(const LowerCopy&) = delete;
  std::string_view view() const { return view_; }

 private:
  char buf_[kStackHostBytes];
  std::string heap_;
  std::string_view view_;
};

struct MatchContext {
  std::string_view path;
  std::string_view method;
  std::string_view sni;  // lower-case
  uint8_t scheme = 0;
  std::span<const http::Header> headers;
  uint32_t best = kNoRank;
};

class TraditionalRouter final : public Router {
 public:
  explicit TraditionalRouter(const Config& config) : config_(config) {}

  Status build();
  std::optional<RouteMatch> match(const RouteRequest& req) const override;

 private:
  Status compileRoute(size_t index, const Route& route, std::vector<PriorityKey>& keys,
                      std::vector<Entry>& entries);
  std::vector<Bucket*> bucketsOf(const Route& route);
  std::string_view intern(std::string_view s) {
    size_t at = arena_.size();
    arena_.append(s);  // capacity reserved by build(): views stay valid
    return std::string_view(arena_).substr(at, s.size());
  }
  void addToBucket(Bucket& bucket, uint32_t rank);
  void finishBucket(Bucket& bucket);

  bool conditionsHold(const Entry& entry, const MatchContext& ctx) const;
  bool regexMatches(const Entry& entry, std::string_view path) const;
  void scanRanks(const std::vector<uint32_t>& ranks, MatchContext& ctx) const;
  void searchBucket(const Bucket& bucket, MatchContext& ctx) const;
  void searchHostBuckets(const HostBuckets& hb, uint16_t port, MatchContext& ctx) const;

  const Config& config_;
  std::vector<RouteConditions> conditions_;  // by route index
  std::vector<Entry> entries_;               // by rank
  std::deque<std::string> host_keys_;        // storage behind the host map keys
  std::unordered_map<std::string_view, HostBuckets> exact_hosts_;
  std::unordered_map<std::string_view, HostBuckets> suffix_hosts_;  // "*.a.com" -> ".a.com"
  std::unordered_map<std::string_view, HostBuckets> prefix_hosts_;  // "a.*" -> "a."
  Bucket hostless_;
  std::string arena_;  // plain prefixes and regex literals, contiguous; never reallocated
};

Status TraditionalRouter::compileRoute(size_t index, const Route& route,
                                       std::vector<PriorityKey>& keys,
                                       std::vector<Entry>& entries) {
  RouteConditions& cond = conditions_[index];
  for (const auto& p : route.protocols) cond.schemes |= schemeBit(p);
  for (const auto& m : route.methods) cond.methods.emplace_back(m);
  for (const auto& s : route.snis) {
    std::string sni = toLower(s);
    if (sni.size() > 1 && sni.back() == '.') sni.pop_back();
    cond.snis.push_back(std::move(sni));
  }
  for (const auto& h : route.headers) {
    HeaderCondition hc;
    hc.name = toLower(h.name);
    hc.values = h.values;
    for (const auto& pattern : h.regexes) {
      RE2::Options options;
      options.set_log_errors(false);
      options.set_case_sensitive(false);
      auto re = std::make_unique<RE2>(toRe2Syntax(pattern), options);
      if (!re->ok()) {
        return Status::invalidArgument(routeLabel(route, index) + ": invalid header regex '~*" +
                                       pattern + "' for " + h.name + ": " + re->error());
      }
      hc.regexes.push_back(std::move(re));
    }
    cond.headers.push_back(std::move(hc));
  }

  PriorityKey key;
  key.weight = uint8_t(!route.snis.empty()) + uint8_t(!route.methods.empty()) +
               uint8_t(!route.hosts.empty()) + uint8_t(!route.headers.empty()) +
               uint8_t(!route.paths.empty());
  key.plain_hosts_only = !route.hosts.empty() &&
                         std::none_of(route.hosts.begin(), route.hosts.end(),
                                      [](auto& h) { return h.find('*') != std::string::npos; });
  key.header_count = uint8_t(std::min<size_t>(route.headers.size(), kMaxHeaderCount));
  key.order = route.order;
  key.route_index = uint32_t(index);

  if (route.paths.empty()) {
    Entry e;
    e.route_index = uint32_t(index);
    entries.push_back(std::move(e));
    keys.push_back(key);
    return Status::ok();
  }
  for (size_t p = 0; p < route.paths.size(); ++p) {
    const std::string& path = route.paths[p];
    Entry e;
    e.route_index = uint32_t(index);
    e.path_index = uint32_t(p);
    PriorityKey k = key;
    k.path_index = uint32_t(p);
    if (!path.empty() && path.front() == '~') {
      RE2::Options options;
      options.set_log_errors(false);
      auto re = std::make_unique<RE2>(toRe2Syntax(std::string_view(path).substr(1)), options);
      if (!re->ok()) {
        return Status::invalidArgument(routeLabel(route, index) + ": invalid regex path '" + path +
                                       "': " + re->error());
      }
      e.kind = Entry::Kind::kRegex;
      e.regex = std::move(re);
      e.regex_literal = intern(literalPrefix(std::string_view(path).substr(1)));
      k.regex = true;
      k.regex_priority = route.regex_priority;
    } else {
      // A plain path not starting with '/' can never prefix a normalized path: never indexed.
      if (path.empty() || path.front() != '/') continue;
      e.kind = Entry::Kind::kPlain;
      e.plain = intern(path);
      k.length = uint32_t(std::min<size_t>(path.size(), kMaxPathLength));
    }
    entries.push_back(std::move(e));
    keys.push_back(k);
  }
  return Status::ok();
}

std::vector<Bucket*> TraditionalRouter::bucketsOf(const Route& route) {
  std::vector<Bucket*> out;
  if (route.hosts.empty()) {
    out.push_back(&hostless_);
    return out;
  }
  for (const auto& h : route.hosts) {
    auto hp = parseHostPort(h);
    if (!hp) continue;  // the loader refuses these; such a host never matches
    std::string host = toLower(hp->host);
    auto* map = &exact_hosts_;
    if (host.size() > 1 && host.front() == '*') {
      host.erase(0, 1);
      map = &suffix_hosts_;
    } else if (host.size() > 1 && host.back() == '*') {
      host.pop_back();
      map = &prefix_hosts_;
    }
    auto it = map->find(host);
    if (it == map->end()) {
      const std::string& stored = host_keys_.emplace_back(std::move(host));
      it = map->try_emplace(stored).first;
    }
    Bucket* b = &it->second.forPort(hp->port);
    if (std::find(out.begin(), out.end(), b) == out.end()) out.push_back(b);
  }
  return out;
}

void TraditionalRouter::addToBucket(Bucket& bucket, uint32_t rank) {
  const Entry& e = entries_[rank];
  switch (e.kind) {
    case Entry::Kind::kNoPath:
      bucket.no_path.push_back(rank);
      break;
    case Entry::Kind::kRegex:
      bucket.regex.push_back(rank);
      break;
    case Entry::Kind::kPlain:
      if (bucket.plain_list.empty() || bucket.plain_list.back().rank != rank) {
        bucket.plain_list.push_back({rank, uint32_t(e.plain.size()), e.plain.data()});
      }
      break;
  }
}

void TraditionalRouter::finishBucket(Bucket& bucket) {
  if (bucket.plain_list.size() > kLinearPlainMax) {
    for (const PlainRef& ref : bucket.plain_list) {
      std::string_view prefix(ref.data, ref.size);
      bucket.plain[prefix].ranks.push_back(ref.rank);
      size_t key_len = prefix.rfind('/') + 1;  // plain paths start with '/'
      if (key_len < prefix.size()) {
        bucket.plain[prefix.substr(0, key_len)].tail_lengths.push_back(
            uint32_t(prefix.size() - key_len));
      }
    }
    bucket.plain_list.clear();
  }
  bucket.plain_list.shrink_to_fit();
  for (auto& [key, node] : bucket.plain) {
    std::sort(node.tail_lengths.begin(), node.tail_lengths.end());
    node.tail_lengths.erase(std::unique(node.tail_lengths.begin(), node.tail_lengths.end()),
                            node.tail_lengths.end());
    node.tail_lengths.shrink_to_fit();
  }
  if (bucket.regex.size() < kRegexSetThreshold) return;
  RE2::Options options;
  options.set_log_errors(false);
  options.set_max_mem(int64_t(64) << 20);
  auto set = std::make_unique<RE2::Set>(options, RE2::ANCHOR_START);
  for (uint32_t rank : bucket.regex) {
    if (set->Add(entries_[rank].regex->pattern(), nullptr) < 0) return;  // compiled alone: ok
  }
  // A set too large for its memory budget is skipped: the bucket then runs each regex.
  if (set->Compile()) bucket.regex_set = std::move(set);
}

Status TraditionalRouter::build() {
  const auto& routes = config_.routes;
  std::unordered_map<std::string_view, bool> service_enabled;
  service_enabled.reserve(config_.services.size());
  for (const auto& s : config_.services) service_enabled.emplace(s.id, s.enabled);

  size_t path_bytes = 0;
  for (const Route& r : routes) {
    for (const auto& p : r.paths) path_bytes += p.size();
  }
  arena_.reserve(path_bytes + 1);
  conditions_.resize(routes.size());
  std::vector<PriorityKey> keys;
  std::vector<Entry> entries;
  keys.reserve(routes.size());
  entries.reserve(routes.size());
  for (size_t i = 0; i < routes.size(); ++i) {
    const Route& route = routes[i];
    if (!route.service_id.empty()) {
      auto it = service_enabled.find(route.service_id);
      if (it != service_enabled.end() && !it->second) continue;
    }
    Status s = compileRoute(i, route, keys, entries);
    if (!s.isOk()) return s;
    if (conditions_[i].schemes == 0) {  // no http/https protocol: not an HTTP route
      while (!entries.empty() && entries.back().route_index == i) {
        entries.pop_back();
        keys.pop_back();
      }
    }
  }

  std::vector<uint32_t> order(entries.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&keys](uint32_t a, uint32_t b) { return keys[a].before(keys[b]); });
  entries_.reserve(entries.size());
  for (uint32_t i : order) entries_.push_back(std::move(entries[i]));

  // Entries are added in rank order, so every bucket list comes out sorted.
  std::vector<std::vector<Bucket*>> route_buckets(routes.size());
  for (uint32_t rank = 0; rank < entries_.size(); ++rank) {
    uint32_t ri = entries_[rank].route_index;
    if (route_buckets[ri].empty()) route_buckets[ri] = bucketsOf(routes[ri]);
    for (Bucket* b : route_buckets[ri]) addToBucket(*b, rank);
  }
  for (auto* map : {&exact_hosts_, &suffix_hosts_, &prefix_hosts_}) {
    for (auto& [host, hb] : *map) {
      finishBucket(hb.any_port);
      for (auto& [port, b] : hb.by_port) finishBucket(*b);
    }
  }
  finishBucket(hostless_);
  return Status::ok();
}

bool TraditionalRouter::conditionsHold(const Entry& entry, const MatchContext& ctx) const {
  const RouteConditions& c = conditions_[entry.route_index];
  if ((c.schemes & ctx.scheme) == 0) return false;
  if (!c.methods.empty() &&
      std::find(c.methods.begin(), c.methods.end(), ctx.method) == c.methods.end()) {
    return false;
  }
  if (!c.snis.empty() && ctx.scheme == kSchemeHttps &&
      std::find(c.snis.begin(), c.snis.end(), ctx.sni) == c.snis.end()) {
    return false;
  }
  for (const HeaderCondition& hc : c.headers) {
    bool found = false;
    for (const http::Header& h : ctx.headers) {
      if (!equalsIgnoreCase(h.name, hc.name)) continue;
      for (const auto& v : hc.values) {
        if (equalsIgnoreCase(h.value, v)) {
          found = true;
          break;
        }
      }
      for (size_t i = 0; !found && i < hc.regexes.size(); ++i) {
        found = RE2::PartialMatch(re2::StringPiece(h.value.data(), h.value.size()), *hc.regexes[i]);
      }
      if (found) break;
    }
    if (!found) return false;
  }
  return true;
}

bool TraditionalRouter::regexMatches(const Entry& entry, std::string_view path) const {
  return entry.regex->Match(re2::StringPiece(path.data(), path.size()), 0, path.size(),
                            RE2::ANCHOR_START, nullptr, 0);
}

void TraditionalRouter::scanRanks(const std::vector<uint32_t>& ranks, MatchContext& ctx) const {
  for (uint32_t rank : ranks) {
    if (rank >= ctx.best) return;
    if (conditionsHold(entries_[rank], ctx)) {
      ctx.best = rank;
      return;
    }
  }
}

void TraditionalRouter::searchBucket(const Bucket& bucket, MatchContext& ctx) const {
  scanRanks(bucket.no_path, ctx);

  for (const PlainRef& ref : bucket.plain_list) {
    if (ref.rank >= ctx.best) break;
    if (ref.size <= ctx.path.size() && std::memcmp(ref.data, ctx.path.data(), ref.size) == 0 &&
        conditionsHold(entries_[ref.rank], ctx)) {
      ctx.best = ref.rank;
      break;
    }
  }

  if (!bucket.plain.empty()) {
    const std::string_view path = ctx.path;
    size_t key_end = path.find('/');
    while (key_end != std::string_view::npos) {
      const size_t key_len = key_end + 1;
      const size_t next_slash = path.find('/', key_len);
      auto it = bucket.plain.find(path.substr(0, key_len));
      if (it != bucket.plain.end()) {
        scanRanks(it->second.ranks, ctx);
        const size_t segment_end = next_slash == std::string_view::npos ? path.size() : next_slash;
        for (uint32_t tail : it->second.tail_lengths) {
          if (key_len + tail > segment_end) break;
          auto leaf = bucket.plain.find(path.substr(0, key_len + tail));
          if (leaf != bucket.plain.end()) scanRanks(leaf->second.ranks, ctx);
        }
      }
      key_end = next_slash;
    }
  }

  if (bucket.regex.empty() || bucket.regex.front() >= ctx.best) return;
  if (bucket.regex_set) {
    thread_local std::vector<int> hits;
    hits.clear();
    RE2::Set::ErrorInfo error{};
    if (bucket.regex_set->Match(re2::StringPiece(ctx.path.data(), ctx.path.size()), &hits,
                                &error)) {
      std::sort(hits.begin(), hits.end());
      for (int i : hits) {
        uint32_t rank = bucket.regex[size_t(i)];
        if (rank >= ctx.best) return;
        if (conditionsHold(entries_[rank], ctx)) {
          ctx.best = rank;
          return;
        }
      }
      return;
    }
    if (error.kind == RE2::Set::kNoError) return;  // nothing matched
    // The set ran out of memory on this input: fall back to one regex at a time.
  }
  for (uint32_t rank : bucket.regex) {
    if (rank >= ctx.best) return;
    const Entry& e = entries_[rank];
    if (!startsWith(ctx.path, e.regex_literal)) continue;
    if (conditionsHold(e, ctx) && regexMatches(e, ctx.path)) {
      ctx.best = rank;
      return;
    }
  }
}

void TraditionalRouter::searchHostBuckets(const HostBuckets& hb, uint16_t port,
                                          MatchContext& ctx) const {
  if (const Bucket* b = hb.findPort(port)) searchBucket(*b, ctx);
  searchBucket(hb.any_port, ctx);
}

std::optional<RouteMatch> TraditionalRouter::match(const RouteRequest& req) const {
  MatchContext ctx;
  ctx.path = req.path;
  ctx.method = req.method;
  ctx.scheme = schemeBit(req.scheme);
  ctx.headers = req.headers;
  if (ctx.scheme == 0) return std::nullopt;
  LowerCopy sni(req.sni);
  ctx.sni = sni.view();
  if (ctx.sni.size() > 1 && ctx.sni.back() == '.') ctx.sni.remove_suffix(1);

  if (!exact_hosts_.empty() || !suffix_hosts_.empty() || !prefix_hosts_.empty()) {
    LowerCopy lower_host(req.host);
    const std::string_view host = lower_host.view();
    if (!exact_hosts_.empty()) {
      auto it = exact_hosts_.find(host);
      if (it != exact_hosts_.end()) searchHostBuckets(it->second, req.port, ctx);
    }
    if (!suffix_hosts_.empty() || !prefix_hosts_.empty()) {
      for (size_t dot = host.find('.'); dot != std::string_view::npos;
           dot = host.find('.', dot + 1)) {
        if (!suffix_hosts_.empty()) {
          auto it = suffix_hosts_.find(host.substr(dot));
          if (it != suffix_hosts_.end()) searchHostBuckets(it->second, req.port, ctx);
        }
        if (!prefix_hosts_.empty()) {
          auto it = prefix_hosts_.find(host.substr(0, dot + 1));
          if (it != prefix_hosts_.end()) searchHostBuckets(it->second, req.port, ctx);
        }
      }
    }
  }
  searchBucket(hostless_, ctx);

  if (ctx.best == kNoRank) return std::nullopt;
  const Entry& e = entries_[ctx.best];
  RouteMatch m;
  m.route = &config_.routes[e.route_index];
  m.route_index = e.route_index;
  if (e.kind == Entry::Kind::kPlain) {
    m.matched_path = req.path.substr(0, e.plain.size());
  } else if (e.kind == Entry::Kind::kRegex) {
    const int groups = e.regex->NumberOfCapturingGroups() + 1;
    std::vector<re2::StringPiece> spans(static_cast<size_t>(groups));
    if (e.regex->Match(re2::StringPiece(req.path.data(), req.path.size()), 0, req.path.size(),
                       RE2::ANCHOR_START, spans.data(), groups)) {
      m.matched_path = std::string_view(spans[0].data(), spans[0].size());
      m.captures.reserve(spans.size() - 1);
      for (size_t g = 1; g < spans.size(); ++g) {
        m.captures.emplace_back(spans[g].data() == nullptr
                                    ? std::string()
                                    : std::string(spans[g].data(), spans[g].size()));
      }
      for (const auto& [group, name] : e.regex->CapturingGroupNames()) {
        m.named_captures.emplace_back(name, m.captures[size_t(group) - 1]);
      }
    }
  }
  return m;
}

}  // namespace

Result<std::unique_ptr<Router>> Router::build(const model::kong::Config& config) {
  auto router = std::make_unique<TraditionalRouter>(config);
  Status s = router->build();
  if (!s.isOk()) return s;
  return std::unique_ptr<Router>(std::move(router));
}

}  // namespace causeway::gateway
