// Interoperability with the reference userspace implementation: a wireguard-go peer (Debian
// package wireguard-go, configured with `wg`) in a private network namespace, talking to a
// Device over a real UDP socket on loopback. Both directions: our handshake initiation and
// data to it, and its initiation (answered first with a cookie reply, as under load) and data
// to us. Skipped unless running as root with wireguard-go, wg and ip installed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "wg/device.h"
#include "wg/key_encoding.h"
#include "wg/x25519.h"

extern char** environ;

namespace causeway::wg {
namespace {

constexpr int kSkip = 77;

bool have(const char* tool) {
  return std::system(("command -v " + std::string(tool) + " >/dev/null 2>&1").c_str()) == 0;
}

// A failure inside the forked child: printed, and the child's exit code says it.
#define CHILD_CHECK(cond)                                                           \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      return 1;                                                                     \
    }                                                                               \
  } while (0)

int run(const std::string& cmd) { return std::system((cmd + " >/dev/null 2>&1").c_str()); }

uint16_t checksum(const uint8_t* p, size_t n) {
  uint32_t s = 0;
  for (size_t i = 0; i + 1 < n; i += 2) s += uint32_t(p[i]) << 8 | p[i + 1];
  if (n % 2) s += uint32_t(p[n - 1]) << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return uint16_t(~s);
}

// An IPv4 UDP packet (UDP checksum 0: none).
std::vector<uint8_t> udpPacket(const char* src, uint16_t sport, const char* dst, uint16_t dport,
                               const std::string& payload) {
  std::vector<uint8_t> p(28 + payload.size());
  p[0] = 0x45;
  p[2] = uint8_t(p.size() >> 8);
  p[3] = uint8_t(p.size());
  p[8] = 64;
  p[9] = 17;
  inet_pton(AF_INET, src, p.data() + 12);
  inet_pton(AF_INET, dst, p.data() + 16);
  const uint16_t c = checksum(p.data(), 20);
  p[10] = uint8_t(c >> 8);
  p[11] = uint8_t(c);
  p[20] = uint8_t(sport >> 8);
  p[21] = uint8_t(sport);
  p[22] = uint8_t(dport >> 8);
  p[23] = uint8_t(dport);
  p[24] = uint8_t((8 + payload.size()) >> 8);
  p[25] = uint8_t(8 + payload.size());
  std::memcpy(p.data() + 28, payload.data(), payload.size());
  return p;
}

Endpoint toEndpoint(const sockaddr_in& a) {
  return Endpoint(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&a), sizeof(a)));
}

class Tunnel {
 public:
  Tunnel(Device& device, int fd, bool under_load)
      : device(device), fd(fd), under_load(under_load) {}

  Device& device;
  int fd;  // our UDP socket ("the underlay")
  bool under_load;
  std::vector<std::vector<uint8_t>> delivered;
  int cookies_sent = 0;

  void flush(Actions& out) {
    for (Action& a : out) {
      if (a.type == Action::Type::kDeliver) {
        delivered.push_back(std::move(a.bytes));
        continue;
      }
      sockaddr_in to{};
      std::memcpy(&to, a.endpoint.bytes().data(), sizeof(to));
      if (a.bytes[0] == 3) ++cookies_sent;
      sendto(fd, a.bytes.data(), a.bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to));
    }
    out.clear();
  }

  // Runs the device on real time until `done` or the timeout.
  bool runUntil(const std::function<bool()>& done, std::chrono::seconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    Actions out;
    while (!done()) {
      const auto now = std::chrono::steady_clock::now();
      if (now > deadline) return false;
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 20) > 0) {
        uint8_t buf[2048];
        sockaddr_in from{};
        socklen_t len = sizeof(from);
        const ssize_t n =
            recvfrom(fd, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n > 0) {
          (void)device.receive(std::span<const uint8_t>(buf, size_t(n)), toEndpoint(from),
                               std::chrono::steady_clock::now(), under_load, out);
        }
      }
      device.tick(std::chrono::steady_clock::now(), out);
      flush(out);
    }
    return true;
  }
};

// The whole exchange, in a child process inside its own network namespace.
int interopInNamespace() {
  if (unshare(CLONE_NEWNET) != 0) return kSkip;
  if (run("ip link set lo up") != 0) return kSkip;
  const std::string ifname = "cwtest" + std::to_string(getpid() % 100000);
  char dir_template[] = "/tmp/cw-wg-interop-XXXXXX";
  CHILD_CHECK(mkdtemp(dir_template) != nullptr);
  const std::string dir = dir_template;

  SystemEnv env;
  const KeyPair ours = generateKeyPair(env);
  const KeyPair theirs = generateKeyPair(env);
  {
    std::ofstream(dir + "/go.key") << encodeKey(theirs.private_key) << "\n";
    chmod((dir + "/go.key").c_str(), 0600);
  }

  // wireguard-go in the foreground, as a child we can stop.
  pid_t go_pid = 0;
  {
    std::vector<std::string> env_strings = {"WG_PROCESS_FOREGROUND=1", "LOG_LEVEL=error"};
    for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
    std::vector<char*> envp;
    for (std::string& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string arg0 = "wireguard-go", arg1 = "-f";
    std::string arg2 = ifname;
    char* argv[] = {arg0.data(), arg1.data(), arg2.data(), nullptr};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawnp(&go_pid, "wireguard-go", &fa, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&fa);
    CHILD_CHECK(rc == 0);
  }
  struct Cleanup {
    pid_t pid;
    std::string dir;
    ~Cleanup() {
      kill(pid, SIGTERM);
      waitpid(pid, nullptr, 0);
      run("rm -rf " + dir);
    }
  } cleanup{go_pid, dir};

  // Our UDP socket, on an ephemeral port.
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  CHILD_CHECK(fd >= 0);
  sockaddr_in me{};
  me.sin_family = AF_INET;
  inet_pton(AF_INET, "127.0.0.1", &me.sin_addr);
  CHILD_CHECK(bind(fd, reinterpret_cast<sockaddr*>(&me), sizeof(me)) == 0);
  socklen_t me_len = sizeof(me);
  CHILD_CHECK(getsockname(fd, reinterpret_cast<sockaddr*>(&me), &me_len) == 0);
  const std::string our_port = std::to_string(ntohs(me.sin_port));

  // Configure wireguard-go once its control socket answers.
  const std::string peer_args = " peer " + encodeKey(ours.public_key) +
                                " allowed-ips 10.9.0.2/32 endpoint 127.0.0.1:" + our_port;
  bool configured = false;
  for (int i = 0; i < 100 && !configured; ++i) {
    configured = run("wg set " + ifname + " private-key " + dir + "/go.key listen-port 51820" +
                     peer_args) == 0;
    if (!configured) usleep(50 * 1000);
  }
  CHILD_CHECK(configured);
  CHILD_CHECK(run("ip addr add 10.9.0.1/24 dev " + ifname) == 0);
  CHILD_CHECK(run("ip link set " + ifname + " up") == 0);

  sockaddr_in go_addr{};
  go_addr.sin_family = AF_INET;
  go_addr.sin_port = htons(51820);
  inet_pton(AF_INET, "127.0.0.1", &go_addr.sin_addr);

  // An ordinary UDP socket on the wireguard-go side of the tunnel.
  const int app = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in app_addr{};
  app_addr.sin_family = AF_INET;
  app_addr.sin_port = htons(7000);
  inet_pton(AF_INET, "10.9.0.1", &app_addr.sin_addr);
  CHILD_CHECK(bind(app, reinterpret_cast<sockaddr*>(&app_addr), sizeof(app_addr)) == 0);
  auto appReceived = [&](const std::string& want) {
    char buf[2048];
    const ssize_t n = recv(app, buf, sizeof(buf), MSG_DONTWAIT);
    return n > 0 && std::string(buf, size_t(n)) == want;
  };

  // 1. We initiate; our packet reaches the application behind wireguard-go.
  {
    Result<std::unique_ptr<Device>> dev = Device::create(env, ours.private_key);
    CHILD_CHECK(dev.isOk());
    PeerConfig pc;
    pc.public_key = theirs.public_key;
    pc.endpoint = toEndpoint(go_addr);
    const PeerId id = dev.value()->addPeer(pc, std::chrono::steady_clock::now()).value();
    Tunnel t(*dev.value(), fd, /*under_load=*/false);
    Actions out;
    const std::vector<uint8_t> hello = udpPacket("10.9.0.2", 5000, "10.9.0.1", 7000, "hello go");
    (void)t.device.send(id, hello, std::chrono::steady_clock::now(), out);
    t.flush(out);
    bool got = false;
    CHILD_CHECK(t.runUntil([&] { return got || (got = appReceived("hello go")); },
                           std::chrono::seconds(10)));
    // And its answer comes back through the tunnel.
    sockaddr_in back{};
    back.sin_family = AF_INET;
    back.sin_port = htons(5000);
    inet_pton(AF_INET, "10.9.0.2", &back.sin_addr);
    const std::string reply = "hello causeway";
    sendto(app, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&back), sizeof(back));
    CHILD_CHECK(t.runUntil([&] { return !t.delivered.empty(); }, std::chrono::seconds(10)));
    const std::vector<uint8_t>& p = t.delivered.back();
    CHILD_CHECK(p.size() == 28 + reply.size());
    CHILD_CHECK(std::string(p.begin() + 28, p.end()) == reply);
  }

  // 2. wireguard-go initiates (a fresh peer entry, so it has no session), while we are "under
  // load": it must take our cookie reply and retry with a valid mac2.
  CHILD_CHECK(run("wg set " + ifname + " peer " + encodeKey(ours.public_key) + " remove") == 0);
  CHILD_CHECK(run("wg set " + ifname + peer_args) == 0);
  {
    Result<std::unique_ptr<Device>> dev = Device::create(env, ours.private_key);
    CHILD_CHECK(dev.isOk());
    PeerConfig pc;
    pc.public_key = theirs.public_key;  // no endpoint: learnt from its initiation
    const PeerId id = dev.value()->addPeer(pc, std::chrono::steady_clock::now()).value();
    Tunnel t(*dev.value(), fd, /*under_load=*/true);
    sockaddr_in to_us{};
    to_us.sin_family = AF_INET;
    to_us.sin_port = htons(6000);
    inet_pton(AF_INET, "10.9.0.2", &to_us.sin_addr);
    const std::string ping = "ping from go";
    sendto(app, ping.data(), ping.size(), 0, reinterpret_cast<sockaddr*>(&to_us), sizeof(to_us));
    CHILD_CHECK(t.runUntil([&] { return !t.delivered.empty(); }, std::chrono::seconds(15)));
    CHILD_CHECK(t.cookies_sent >= 1);
    const std::vector<uint8_t>& p = t.delivered.back();
    CHILD_CHECK(p.size() == 28 + ping.size());
    CHILD_CHECK(std::string(p.begin() + 28, p.end()) == ping);
    // Our answer, on the session it initiated.
    Actions out;
    (void)t.device.send(id, udpPacket("10.9.0.2", 6000, "10.9.0.1", 7000, "pong"),
                        std::chrono::steady_clock::now(), out);
    t.flush(out);
    bool got = false;
    CHILD_CHECK(
        t.runUntil([&] { return got || (got = appReceived("pong")); }, std::chrono::seconds(10)));
  }
  close(app);
  close(fd);
  return 0;
}

TEST(WireguardGo, InteropBothDirections) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root for a network namespace and a TUN device";
  if (!have("wireguard-go") || !have("wg") || !have("ip")) {
    GTEST_SKIP() << "wireguard-go, wg (wireguard-tools) or ip not installed";
  }
  std::fflush(nullptr);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(interopInNamespace());
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == kSkip) GTEST_SKIP() << "cannot create a network namespace here";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "see the check that failed above";
}

}  // namespace
}  // namespace causeway::wg
