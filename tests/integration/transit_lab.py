"""A multi-cloud transit network built from Linux network namespaces, for the end-to-end tests of
`causeway transit` (transit_lab_test.py) and for the tunnel benchmark (bench/tunnel_bench.py).
Standard library only, plus the CLI tools ip, sysctl, nft, wg, wireguard-go and iperf3. Root only.

Layout (Lab(full_spec()), the issue's lab):

    underlay namespace: bridge br0, 172.31.0.254/24, MTU 1500, one port per gateway and site
      |-- transit gateways  aws-transit-a .1, aws-transit-b .2 (ha_group aws-hub), gcp-transit .3,
      |                     azure-transit .4: each in its own namespace, ul0 = 172.31.0.N/24
      |-- spoke gateways    aws-prod .11 (10.1/16, prod), aws-shared .12 (10.2/16, shared),
      |                     gcp-prod .13 (10.3/16, prod), gcp-dev .14 (10.4/16, dev),
      |                     azure-prod .15 (10.5/16, prod), azure-shared .16 (10.6/16, shared)
      |                     each with vpc0 = 10.N.0.1/16 to its workload namespace
      |                     "<spoke>-wl" (eth0 = 10.N.0.10/16, default via 10.N.0.1, MTU 1500)
      `-- on-prem site dc1  .50, wireguard-go (wg interface, 192.168.1.1, 10/8 via it; no
                            keepalives unless restarted with some, so causeway initiates)
    firewall fw-aws: a namespace behind aws-transit-a's fw0 (169.254.100.1/30 <-> .2/30), nftables
    table inet causeway_fw with a forward chain and named counters "<from>_to_<to>" per pair of
    domains (and "inspected" for everything), ip_forward on, rp_filter off, routes back to the
    overlay via 169.254.100.1.

Names: every namespace is "cwlab<pid>-<node>" (node = a gateway name, "<spoke>-wl", "underlay",
the firewall or site name). Every interface is created inside those namespaces (`ip -n NS link add
... peer ... netns OTHER`), never in the host namespace, so short fixed names (ul0, vpc0, eth0,
fw0, br0, cw0) cannot collide with anything; the one global name, a wireguard-go interface (its
control socket is /var/run/wireguard/<name>.sock), is "cw<pid%100000>[n<lab#>]<suffix>".
Namespaces left behind by a run that died (its pid gone) are removed by the next Lab.

Sockets: Lab.socket(node, ...) creates a socket inside a node's namespace (setns on the calling
thread around socket(), then back), so tests talk TCP/UDP/ICMP and HTTP to /status from this
process without spawning clients.

Ready means: every gateway answers /status and every tunnel between Causeway gateways is "up"
with a handshake done (last_handshake_s not null); tunnels to sites are not waited for.

Run `python3 transit_lab.py check` (root) to build the full lab without gateways and check its
plumbing; `python3 transit_lab.py emulate` to also run the tests' traffic helpers over a stand-in
overlay (wireguard-go and kernel routes, emulate_gateways()); `python3 transit_lab.py up` to run
the whole lab with causeway until Ctrl-C.
"""
import contextlib
import ctypes
import dataclasses
import hashlib
import http.client
import json
import os
import random
import re
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
WG_PORT = 51820
STATUS_PORT = 9901
TUN = "cw0"
UNDERLAY_CIDR = "172.31.0.0/24"
UNDERLAY_HOST_IP = "172.31.0.254"
OVERLAY_CIDR = "100.64.0.0/16"
MTU = 1420
FW_TRANSIT_IP = "169.254.100.1"
FW_IP = "169.254.100.2"
FW_TABLE = "causeway_fw"
REQUIRED_TOOLS = ("ip", "sysctl", "nft", "wg", "wireguard-go")


def default_bin():
    return (os.environ.get("CAUSEWAY_BIN")
            or os.path.join(REPO, "build", "dev", "src", "cli", "causeway"))


class LabError(RuntimeError):
    """The lab could not be built or a gateway did not come up; the message says why."""


def missing_prerequisites(tools=REQUIRED_TOOLS):
    """Why the lab cannot run here (not root, tools missing), or None."""
    reasons = []
    if os.geteuid() != 0:
        reasons.append("not running as root (network namespaces, TUN devices)")
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        reasons.append("missing tools: " + ", ".join(missing) +
                       " (scripts/install-deps installs them)")
    if not os.path.exists("/dev/net/tun"):
        reasons.append("no /dev/net/tun")
    return "; ".join(reasons) or None


def transit_command_problem(binary):
    """None if `binary transit genkey` prints a key, else a sentence saying what is wrong."""
    if not os.access(binary, os.X_OK):
        return f"no causeway binary at {binary}"
    try:
        r = subprocess.run([binary, "transit", "genkey"], capture_output=True, timeout=20)
    except subprocess.TimeoutExpired:
        return f"`{binary} transit genkey` did not finish in 20 s"
    key = r.stdout.decode(errors="replace").strip()
    if r.returncode != 0 or not re.fullmatch(r"[A-Za-z0-9+/]{43}=", key):
        out = (r.stdout + r.stderr).decode(errors="replace").strip().splitlines()
        return (f"`{binary} transit genkey` exited {r.returncode} without a key: the binary "
                f"has no transit command yet ({' / '.join(out[:2])})")
    return None


# ---------------------------------------------------------------------------------------------
# Commands and namespaces

def sh(args, timeout=20, check=True, input=None):
    """Runs a command; returns CompletedProcess (text). Raises LabError on failure if check."""
    try:
        r = subprocess.run(list(args), capture_output=True, timeout=timeout, text=True,
                           input=input)
    except subprocess.TimeoutExpired as e:
        raise LabError(f"timed out after {timeout}s: {' '.join(args)}") from e
    if check and r.returncode != 0:
        raise LabError(f"failed ({r.returncode}): {' '.join(args)}\n{r.stdout}{r.stderr}")
    return r


_libc = ctypes.CDLL(None, use_errno=True)
_CLONE_NEWNET = 0x40000000


def _setns(fd):
    if _libc.setns(fd, _CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"setns: {os.strerror(err)}")


@contextlib.contextmanager
def in_netns(ns):
    """Runs the body with the calling thread in network namespace `ns` (sockets created there
    stay there)."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(f"/run/netns/{ns}", os.O_RDONLY)
        try:
            _setns(target)
            try:
                yield
            finally:
                _setns(own)
        finally:
            os.close(target)
    finally:
        os.close(own)


def netns_socket(ns, family=socket.AF_INET, type=socket.SOCK_STREAM, proto=0):
    with in_netns(ns):
        return socket.socket(family, type, proto)


def cpu_seconds(pid):
    """user + system CPU seconds of a process (all its threads) so far; 0 if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def remove_stale_namespaces():
    """Deletes cwlab<pid>-* namespaces of runs whose process is gone (killed by a timeout)."""
    r = sh(["ip", "netns", "list"], check=False)
    for line in r.stdout.splitlines():
        name = line.split()[0] if line.split() else ""
        m = re.match(r"^cwlab(\d+)-", name)
        if not m or _pid_alive(int(m.group(1))):
            continue
        pids = sh(["ip", "netns", "pids", name], check=False).stdout.split()
        for p in pids:
            with contextlib.suppress(OSError, ValueError):
                os.kill(int(p), signal.SIGKILL)
        sh(["ip", "netns", "del", name], check=False)


# ---------------------------------------------------------------------------------------------
# The topology

@dataclasses.dataclass
class Transit:
    name: str
    cloud: str
    region: str
    ha_group: str = None


@dataclasses.dataclass
class Spoke:
    name: str
    cloud: str
    region: str
    cidr: str
    domain: str
    transits: list


@dataclasses.dataclass
class Firewall:
    name: str
    transit: str
    inspect: list  # [[domain, domain], ...]: inspection policies naming this firewall


@dataclasses.dataclass
class Site:
    """An on-prem site: a wireguard-go peer attached as an external connection."""
    name: str
    transit: str
    cidr: str
    address: str
    domain: str


@dataclasses.dataclass
class Spec:
    domains: list
    connection_policies: list
    transits: list
    spokes: list
    peerings: list
    firewalls: list = dataclasses.field(default_factory=list)
    sites: list = dataclasses.field(default_factory=list)


def full_spec():
    """The issue's lab: aws (HA transit pair), gcp, azure; two spokes each; domains prod, dev,
    shared with prod-shared and dev-shared; a firewall on aws-transit-a inspecting prod<->shared;
    on-prem dc1 (shared) on aws-transit-a."""
    aws = ["aws-transit-a", "aws-transit-b"]
    return Spec(
        domains=["prod", "dev", "shared"],
        connection_policies=[["prod", "shared"], ["dev", "shared"]],
        transits=[Transit("aws-transit-a", "aws", "us-east-1", "aws-hub"),
                  Transit("aws-transit-b", "aws", "us-east-1", "aws-hub"),
                  Transit("gcp-transit", "gcp", "us-central1"),
                  Transit("azure-transit", "azure", "eastus")],
        spokes=[Spoke("aws-prod", "aws", "us-east-1", "10.1.0.0/16", "prod", aws),
                Spoke("aws-shared", "aws", "us-east-1", "10.2.0.0/16", "shared", aws),
                Spoke("gcp-prod", "gcp", "us-central1", "10.3.0.0/16", "prod", ["gcp-transit"]),
                Spoke("gcp-dev", "gcp", "us-central1", "10.4.0.0/16", "dev", ["gcp-transit"]),
                Spoke("azure-prod", "azure", "eastus", "10.5.0.0/16", "prod", ["azure-transit"]),
                Spoke("azure-shared", "azure", "eastus", "10.6.0.0/16", "shared",
                      ["azure-transit"])],
        # Peering is not transitive, so the clouds are a full mesh; a peering of one member of
        # the HA pair joins the whole pair.
        peerings=[["aws-transit-a", "gcp-transit"], ["gcp-transit", "azure-transit"],
                  ["aws-transit-a", "azure-transit"]],
        firewalls=[Firewall("fw-aws", "aws-transit-a", [["prod", "shared"]])],
        sites=[Site("dc1", "aws-transit-a", "192.168.0.0/16", "192.168.1.1", "shared")],
    )


def bench_spec():
    """One transit ("hub") and two spokes ("left", "right") in one domain, with workloads: the
    benchmark's topology."""
    return Spec(domains=["prod"], connection_policies=[],
                transits=[Transit("hub", "lab", "local")],
                spokes=[Spoke("left", "lab", "local", "10.1.0.0/16", "prod", ["hub"]),
                        Spoke("right", "lab", "local", "10.2.0.0/16", "prod", ["hub"])],
                peerings=[])


# ---------------------------------------------------------------------------------------------
# Processes

class Proc:
    """A process started inside a namespace, its output in a log file."""

    def __init__(self, ns, args, log_path, env=None):
        self.args = list(args)
        self.log_path = log_path
        full_env = dict(os.environ)
        full_env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        full_env.update(env or {})
        # `ip netns exec` execs the command, so self.pid is the command's pid.
        with open(log_path, "ab") as log:
            self.proc = subprocess.Popen(["ip", "netns", "exec", ns] + self.args, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=full_env)
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def output(self, tail=6000):
        try:
            with open(self.log_path, "r", errors="replace") as f:
                return f.read()[-tail:]
        except OSError:
            return ""

    def kill(self, sig=signal.SIGKILL):
        if self.alive():
            self.proc.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=10)

    def stop(self, timeout=10):
        """SIGTERM, then SIGKILL after `timeout`; returns the exit code (-9 if killed)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        return self.proc.returncode


def wg_keypair():
    priv = sh(["wg", "genkey"]).stdout.strip()
    pub = sh(["wg", "pubkey"], input=priv + "\n").stdout.strip()
    return priv, pub


def icmp_checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def echo_request(ident, seq, payload):
    head = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
    return struct.pack("!BBHHH", 8, 0, icmp_checksum(head + payload), ident, seq) + payload


class Pinger:
    """ICMP echo from a node (raw socket in its namespace) to `dst` every `interval` seconds (at
    most `count` requests if given), in threads, until stopped. Records when each reply
    arrived, to measure gaps."""

    def __init__(self, lab, node, dst, interval=0.05, src=None, count=None):
        self.sock = lab.socket(node, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        if src:
            self.sock.bind((src, 0))
        self.dst = dst
        self.interval = interval
        self.count = count
        self.ident = random.randrange(1, 0xFFFF)
        self.sent = 0
        self.replies = []  # (monotonic time, seq)
        self._seen = set()
        self._stop = threading.Event()
        self._sending_done = threading.Event()
        self._threads = [threading.Thread(target=self._send, daemon=True),
                         threading.Thread(target=self._receive, daemon=True)]

    def start(self):
        for t in self._threads:
            t.start()
        return self

    def _send(self):
        next_at = time.monotonic()
        while not self._stop.is_set() and (self.count is None or self.sent < self.count):
            seq = (self.sent + 1) & 0xFFFF
            with contextlib.suppress(OSError):
                self.sock.sendto(echo_request(self.ident, seq, b"causeway-lab-ping" * 3),
                                 (self.dst, 0))
            self.sent += 1
            next_at += self.interval
            self._stop.wait(max(0.0, next_at - time.monotonic()))
        self._sending_done.set()

    def _receive(self):
        while not self._stop.is_set():
            r, _, _ = select.select([self.sock], [], [], 0.05)
            if not r:
                continue
            try:
                data, (addr, _) = self.sock.recvfrom(65535)
            except OSError:
                continue
            ihl = (data[0] & 0x0F) * 4
            if len(data) < ihl + 8 or addr != self.dst:
                continue
            kind, _, _, ident, seq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if kind == 0 and ident == self.ident and seq not in self._seen:
                self._seen.add(seq)
                self.replies.append((time.monotonic(), seq))

    def wait_sent(self, timeout):
        return self._sending_done.wait(timeout)

    def stop(self):
        self._stop.set()
        for t in self._threads:
            t.join(5)
        self.sock.close()
        return self

    def received(self):
        return len(self.replies)

    def replies_since(self, t):
        return sum(1 for at, _ in self.replies if at >= t)

    def max_gap(self, start, end):
        """Longest time within [start, end] between two replies (the window's edges count as
        replies)."""
        times = [at for at, _ in self.replies if start <= at <= end]
        points = [start] + times + [end]
        return max(b - a for a, b in zip(points, points[1:]))


# ---------------------------------------------------------------------------------------------
# The lab

class Lab:
    """Builds the namespaces of a Spec, writes the network file, starts one `causeway transit`
    per gateway and the sites' wireguard-go, and tears everything down in stop()."""

    _instances = 0  # labs made by this process: the second and later get their own names

    def __init__(self, spec=None, binary=None, workdir=None, flow_logs=True, flow_idle_timeout=2,
                 flow_active_timeout=10, extra_gateway_args=()):
        self.spec = spec or full_spec()
        self.bin = binary or default_bin()
        k = Lab._instances
        Lab._instances += 1
        self.tag = f"cwlab{os.getpid()}" + (f"n{k}" if k else "")
        # For the interface names that are global (wireguard-go's control sockets).
        self.short = f"cw{os.getpid() % 100000}" + (f"n{k}" if k else "")
        self.workdir = workdir or tempfile.mkdtemp(prefix=f"{self.tag}-")
        self.flow_logs = flow_logs
        self.flow_idle_timeout = flow_idle_timeout
        self.flow_active_timeout = flow_active_timeout
        self.extra_gateway_args = list(extra_gateway_args)
        self.namespaces = []
        self.gateways = {}      # name -> Proc
        self.procs = []         # other processes (wireguard-go, iperf3, ...)
        self.keys = {}          # node -> (private, public)
        self.underlay_ip = {}   # node -> 172.31.0.N
        self.tunnel_address = {}
        self.workload_ip = {}   # spoke -> 10.N.0.10
        self.vpc_ip = {}        # spoke -> 10.N.0.1
        self.domain_of = {}     # cidr -> domain
        self.killed = set()     # gateways stopped on purpose (not checked at stop)
        self.site_ifname = {}
        self.underlay_port = {}  # node -> its port on the underlay bridge (in "underlay")
        self.site_procs = {}     # site -> its wireguard-go
        self.stopped = False
        self.keep_files = bool(os.environ.get("KEEP_LAB"))
        self.config_path = os.path.join(self.workdir, "transit.yaml")
        self._assign_addresses()

    # -- naming and addresses

    def ns(self, node):
        return f"{self.tag}-{node}"

    def workload(self, spoke):
        return f"{spoke}-wl"

    def gateway_names(self):
        return [t.name for t in self.spec.transits] + [s.name for s in self.spec.spokes]

    def spoke(self, name):
        return next(s for s in self.spec.spokes if s.name == name)

    def _assign_addresses(self):
        for i, t in enumerate(self.spec.transits):
            self.underlay_ip[t.name] = f"172.31.0.{1 + i}"
            self.tunnel_address[t.name] = f"100.64.0.{1 + i}"
        for i, s in enumerate(self.spec.spokes):
            self.underlay_ip[s.name] = f"172.31.0.{11 + i}"
            self.tunnel_address[s.name] = f"100.64.0.{11 + i}"
            base = s.cidr.split("/")[0].rsplit(".", 2)[0]  # "10.1"
            self.vpc_ip[s.name] = f"{base}.0.1"
            self.workload_ip[s.name] = f"{base}.0.10"
            self.domain_of[s.cidr] = s.domain
        for i, site in enumerate(self.spec.sites):
            self.underlay_ip[site.name] = f"172.31.0.{50 + i}"
            self.domain_of[site.cidr] = site.domain
            self.site_ifname[site.name] = f"{self.short}s{i}"

    # -- building

    def _add_ns(self, node):
        name = self.ns(node)
        sh(["ip", "netns", "add", name])
        self.namespaces.append(name)
        sh(["ip", "-n", name, "link", "set", "lo", "up"])
        return name

    def ip(self, node, *args, check=True):
        return sh(["ip", "-n", self.ns(node)] + list(args), check=check)

    def sysctl(self, node, *settings):
        sh(["ip", "netns", "exec", self.ns(node), "sysctl", "-q", "-w"] + list(settings))

    def _veth(self, node_a, name_a, node_b, name_b, mtu=1500):
        self.ip(node_a, "link", "add", name_a, "mtu", str(mtu), "type", "veth", "peer", "name",
                name_b, "mtu", str(mtu), "netns", self.ns(node_b))

    def build(self):
        """Creates every namespace, link, address and route (no gateway runs yet)."""
        remove_stale_namespaces()
        os.makedirs(self.workdir, exist_ok=True)
        self._add_ns("underlay")
        self.ip("underlay", "link", "add", "br0", "mtu", "1500", "type", "bridge")
        self.ip("underlay", "addr", "add", f"{UNDERLAY_HOST_IP}/24", "dev", "br0")
        self.ip("underlay", "link", "set", "br0", "up")
        nodes = self.gateway_names() + [site.name for site in self.spec.sites]
        for i, node in enumerate(nodes):
            self._add_ns(node)
            port = f"u{i}"
            self.underlay_port[node] = port
            self._veth(node, "ul0", "underlay", port)
            self.ip("underlay", "link", "set", port, "master", "br0", "up")
            self.ip(node, "addr", "add", f"{self.underlay_ip[node]}/24", "dev", "ul0")
            self.ip(node, "link", "set", "ul0", "up")
        for t in self.spec.transits:
            # The firewall's packets come back from fw0 with overlay sources routed via the TUN.
            self.sysctl(t.name, "net.ipv4.conf.all.rp_filter=0",
                        "net.ipv4.conf.default.rp_filter=0")
        for s in self.spec.spokes:
            wl = self.workload(s.name)
            self._add_ns(wl)
            self._veth(s.name, "vpc0", wl, "eth0")
            prefix = s.cidr.split("/")[1]
            self.ip(s.name, "addr", "add", f"{self.vpc_ip[s.name]}/{prefix}", "dev", "vpc0")
            self.ip(s.name, "link", "set", "vpc0", "up")
            self.ip(wl, "addr", "add", f"{self.workload_ip[s.name]}/{prefix}", "dev", "eth0")
            self.ip(wl, "link", "set", "eth0", "up")
            self.ip(wl, "route", "add", "default", "via", self.vpc_ip[s.name])
        for fw in self.spec.firewalls:
            self._build_firewall(fw)
        for node in nodes:
            self.keys[node] = wg_keypair()
            path = os.path.join(self.workdir, f"{node}.key")
            with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
                f.write(self.keys[node][0] + "\n")
        with open(self.config_path, "w") as f:
            json.dump(self.config(), f, indent=2)  # JSON is YAML
            f.write("\n")

    def _build_firewall(self, fw):
        self._add_ns(fw.name)
        self._veth(fw.transit, "fw0", fw.name, "eth0")
        self.ip(fw.transit, "addr", "add", f"{FW_TRANSIT_IP}/30", "dev", "fw0")
        self.ip(fw.transit, "link", "set", "fw0", "up")
        self.sysctl(fw.transit, "net.ipv4.conf.fw0.rp_filter=0")
        self.ip(fw.name, "addr", "add", f"{FW_IP}/30", "dev", "eth0")
        self.ip(fw.name, "link", "set", "eth0", "up")
        self.sysctl(fw.name, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0",
                    "net.ipv4.conf.default.rp_filter=0", "net.ipv4.conf.eth0.rp_filter=0",
                    "net.ipv4.conf.all.send_redirects=0", "net.ipv4.conf.eth0.send_redirects=0")
        for cidr in ["10.0.0.0/8", "192.168.0.0/16", OVERLAY_CIDR]:
            self.ip(fw.name, "route", "add", cidr, "via", FW_TRANSIT_IP, "dev", "eth0")
        sh(["ip", "netns", "exec", self.ns(fw.name), "nft", "-f", "-"], input=self.nft_ruleset())

    def nft_ruleset(self):
        """A table with one set of CIDRs per domain and named counters per direction."""
        lines = [f"table inet {FW_TABLE} {{"]
        for d in self.spec.domains:
            cidrs = [c for c, dom in self.domain_of.items() if dom == d]
            lines.append(f"  set {d} {{ type ipv4_addr; flags interval;")
            if cidrs:
                lines.append(f"    elements = {{ {', '.join(cidrs)} }}")
            lines.append("  }")
        lines.append("  counter inspected { }")
        pairs = [(a, b) for a in self.spec.domains for b in self.spec.domains if a != b]
        for a, b in pairs:
            lines.append(f"  counter {a}_to_{b} {{ }}")
        lines.append("  chain forward {")
        lines.append("    type filter hook forward priority filter; policy accept;")
        lines.append('    counter name "inspected"')
        for a, b in pairs:
            lines.append(f'    ip saddr @{a} ip daddr @{b} counter name "{a}_to_{b}"')
        lines.append("  }")
        lines.append("}")
        return "\n".join(lines) + "\n"

    def config(self):
        """The declarative network file of the lab."""
        net = {
            "domains": self.spec.domains,
            "connection_policies": [{"domains": p} for p in self.spec.connection_policies],
            "mtu": MTU,
            "overlay_cidr": OVERLAY_CIDR,
            "transit_gateways": [],
            "spoke_gateways": [],
            "transit_peerings": self.spec.peerings,
        }
        for t in self.spec.transits:
            g = {"name": t.name, "cloud": t.cloud, "region": t.region,
                 "endpoint": f"{self.underlay_ip[t.name]}:{WG_PORT}",
                 "public_key": self.keys[t.name][1],
                 "tunnel_address": self.tunnel_address[t.name]}
            if t.ha_group:
                g["ha_group"] = t.ha_group
            net["transit_gateways"].append(g)
        for s in self.spec.spokes:
            net["spoke_gateways"].append({
                "name": s.name, "cloud": s.cloud, "region": s.region,
                "endpoint": f"{self.underlay_ip[s.name]}:{WG_PORT}",
                "public_key": self.keys[s.name][1], "cidrs": [s.cidr], "transits": s.transits,
                "domain": s.domain, "tunnel_address": self.tunnel_address[s.name]})
        if self.spec.firewalls:
            net["firewalls"] = [{"name": fw.name, "transit": fw.transit, "interface": "fw0",
                                 "next_hop": FW_IP} for fw in self.spec.firewalls]
            net["inspection_policies"] = [{"domains": d, "firewall": fw.name}
                                          for fw in self.spec.firewalls for d in fw.inspect]
        if self.spec.sites:
            net["external_connections"] = [
                {"name": site.name, "transit": site.transit,
                 "endpoint": f"{self.underlay_ip[site.name]}:{WG_PORT}",
                 "public_key": self.keys[site.name][1], "cidrs": [site.cidr],
                 "domain": site.domain} for site in self.spec.sites]
        return {"network": net}

    # -- running

    def start(self, gateways=True, timeout=40):
        """build(), then the sites' wireguard-go and (if `gateways`) every gateway; returns when
        the lab is ready (see the module's doc). On any failure everything is torn down and
        LabError raised."""
        if gateways:
            problem = transit_command_problem(self.bin)
            if problem:
                raise LabError(problem)
        try:
            self.build()
            for site in self.spec.sites:
                self.start_site(site)
            if gateways:
                for name in self.gateway_names():
                    self.start_gateway(name, wait=False)
                for name in self.gateway_names():
                    self.wait_status(name)
                self.wait_tunnels_up(timeout=timeout)
            return self
        except BaseException:
            self.stop()
            raise

    def gateway_args(self, name):
        args = [self.bin, "transit", "--config", self.config_path, "--name", name,
                "--private-key", os.path.join(self.workdir, f"{name}.key")]
        if self.flow_logs:
            args += ["--flow-log", self.flow_log_path(name),
                     "--flow-idle-timeout", str(self.flow_idle_timeout),
                     "--flow-active-timeout", str(self.flow_active_timeout)]
        return args + self.extra_gateway_args

    def flow_log_path(self, name):
        return os.path.join(self.workdir, f"{name}.flows.jsonl")

    def start_gateway(self, name, wait=True):
        old = self.gateways.get(name)
        if old is not None and old.alive():
            raise LabError(f"{name} is already running")
        self.gateways[name] = Proc(self.ns(name), self.gateway_args(name),
                                   os.path.join(self.workdir, f"{name}.log"))
        self.killed.discard(name)
        if wait:
            self.wait_status(name)
        return self.gateways[name]

    def kill_gateway(self, name, sig=signal.SIGKILL):
        self.killed.add(name)
        self.gateways[name].kill(sig)

    def wait_status(self, name, timeout=20):
        deadline = time.monotonic() + timeout
        proc = self.gateways[name]
        while time.monotonic() < deadline:
            if not proc.alive():
                raise LabError(f"gateway {name} exited with {proc.proc.returncode}:\n"
                               f"{proc.output()}")
            try:
                return self.status(name)
            except (OSError, ValueError, http.client.HTTPException):
                time.sleep(0.1)
        raise LabError(f"gateway {name}: no /status on 127.0.0.1:{STATUS_PORT} after "
                       f"{timeout}s\n{proc.output()}")

    def down_tunnels(self, names=None, externals=False):
        """[(gateway, peer)] of tunnels not up, or up but without a handshake yet (a gateway that
        does not answer counts). Tunnels to external connections count only with `externals`: a
        stock WireGuard site without keepalives has its tunnel up only once traffic made one
        side initiate."""
        down = []
        for name in names or self.gateway_names():
            try:
                st = self.status(name)
            except (OSError, ValueError, http.client.HTTPException) as e:
                down.append((name, f"/status: {e}"))
                continue
            if not st.get("tunnels"):
                down.append((name, "no tunnels"))
            down += [(name, t.get("peer")) for t in st.get("tunnels", [])
                     if (not t.get("up") or t.get("last_handshake_s") is None)
                     and (externals or t.get("kind") != "external")]
        return down

    def wait_tunnels_up(self, names=None, timeout=40, externals=False):
        deadline = time.monotonic() + timeout
        while True:
            down = self.down_tunnels(names, externals)
            if not down:
                return
            for name in names or self.gateway_names():
                proc = self.gateways.get(name)
                if proc is not None and not proc.alive() and name not in self.killed:
                    raise LabError(f"gateway {name} exited with {proc.proc.returncode}:\n"
                                   f"{proc.output()}")
            if time.monotonic() >= deadline:
                raise LabError(f"tunnels still down after {timeout}s: {down}")
            time.sleep(0.2)

    def start_site(self, site, keepalive=None):
        """wireguard-go in the site's namespace, configured with `wg` to peer with its transit.
        Without `keepalive` the site sends nothing by itself, so its tunnel comes up only if the
        transit initiates the handshake."""
        ifname = self.site_ifname[site.name]
        transit = site.transit
        self.keys.setdefault(site.name, wg_keypair())
        self.site_procs[site.name] = self.start_wireguard_go(
            site.name, ifname, self.keys[site.name][0], WG_PORT, f"{site.address}/32",
            [(self.keys[transit][1] if transit in self.keys else None,
              "10.0.0.0/8," + OVERLAY_CIDR, f"{self.underlay_ip[transit]}:{WG_PORT}")],
            keepalive=keepalive)
        self.ip(site.name, "route", "add", "10.0.0.0/8", "dev", ifname, "src", site.address)
        self.ip(site.name, "route", "add", OVERLAY_CIDR, "dev", ifname, "src", site.address)

    def restart_site(self, name, keepalive=None):
        """Stops the site's wireguard-go (its interface goes with it) and starts a fresh one."""
        proc = self.site_procs.pop(name)
        proc.stop(timeout=5)
        self.procs.remove(proc)
        ifname = self.site_ifname[name]
        deadline = time.monotonic() + 5
        while self.ip(name, "link", "show", ifname, check=False).returncode == 0:
            if time.monotonic() > deadline:
                raise LabError(f"{ifname} still exists after wireguard-go stopped")
            time.sleep(0.05)
        self.start_site(next(x for x in self.spec.sites if x.name == name), keepalive)

    def start_wireguard_go(self, node, ifname, private_key, port, address, peers, keepalive=5):
        """Runs wireguard-go in `node`'s namespace with interface `ifname` at `address` (CIDR),
        peers = [(public_key, allowed_ips, endpoint)], each with `keepalive` seconds of
        persistent keepalive (None: none); returns its Proc."""
        key_path = os.path.join(self.workdir, f"{ifname}.key")
        with open(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
            f.write(private_key + "\n")
        proc = Proc(self.ns(node), ["wireguard-go", "-f", ifname],
                    os.path.join(self.workdir, f"wireguard-go-{ifname}.log"),
                    env={"WG_PROCESS_FOREGROUND": "1", "LOG_LEVEL": "error"})
        self.procs.append(proc)
        args = ["wg", "set", ifname, "private-key", key_path, "listen-port", str(port)]
        for pub, allowed, endpoint in peers:
            if pub is None:
                raise LabError(f"no key for the peer of {node} yet")
            args += ["peer", pub, "allowed-ips", allowed, "endpoint", endpoint]
            if keepalive:
                args += ["persistent-keepalive", str(keepalive)]
        deadline = time.monotonic() + 10
        while True:  # until its control socket answers
            r = sh(["ip", "netns", "exec", self.ns(node)] + args, check=False)
            if r.returncode == 0:
                break
            if not proc.alive() or time.monotonic() > deadline:
                raise LabError(f"wireguard-go in {node} did not start: {r.stderr}\n"
                               f"{proc.output()}")
            time.sleep(0.05)
        self.ip(node, "addr", "add", address, "dev", ifname)
        self.ip(node, "link", "set", ifname, "up")
        return proc

    def popen(self, node, args, name):
        """Any process in a node's namespace, stopped by stop()."""
        proc = Proc(self.ns(node), args, os.path.join(self.workdir, f"{name}.log"))
        self.procs.append(proc)
        return proc

    def stop(self):
        """Stops everything and deletes the namespaces. Returns the problems found: gateways that
        did not exit with 0 on SIGTERM (with their log's end), or kept their TUN."""
        if self.stopped:
            return []
        self.stopped = True
        problems = []
        for name, proc in self.gateways.items():
            code = proc.stop()
            if name in self.killed:
                continue
            if code != 0:
                problems.append(f"gateway {name} exited with {code} on SIGTERM (log "
                                f"{proc.log_path}):\n{proc.output(4000)}")
            elif self.ip(name, "link", "show", TUN, check=False).returncode == 0:
                problems.append(f"gateway {name} exited but left its TUN {TUN}")
        for proc in self.procs:
            proc.stop(timeout=5)
        for ns in reversed(self.namespaces):
            for p in sh(["ip", "netns", "pids", ns], check=False).stdout.split():
                with contextlib.suppress(OSError, ValueError):
                    os.kill(int(p), signal.SIGKILL)
            sh(["ip", "netns", "del", ns], check=False)
        self.namespaces = []
        if problems:
            self.keep_files = True
        if not self.keep_files:
            shutil.rmtree(self.workdir, ignore_errors=True)
        return problems

    # -- in a namespace

    def run(self, node, args, timeout=20, check=True, input=None):
        return sh(["ip", "netns", "exec", self.ns(node)] + list(args), timeout=timeout,
                  check=check, input=input)

    def socket(self, node, family=socket.AF_INET, type=socket.SOCK_STREAM, proto=0):
        return netns_socket(self.ns(node), family, type, proto)

    def http_get(self, node, path, port=STATUS_PORT, timeout=3):
        """(status, body bytes) of GET http://127.0.0.1:port/path inside node's namespace."""
        s = self.socket(node)
        s.settimeout(timeout)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            s.connect(("127.0.0.1", port))
            conn.sock = s
            conn.request("GET", path)
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()
            s.close()

    def _json(self, node, path):
        code, body = self.http_get(node, path)
        if code != 200:
            raise ValueError(f"GET {path} on {node}: {code} {body[:200]!r}")
        return json.loads(body)

    def status(self, gateway):
        return self._json(gateway, "/status")

    def routes(self, gateway):
        return self._json(gateway, "/routes")

    def route(self, gateway, cidr):
        return next((r for r in self.routes(gateway) if r.get("cidr") == cidr), None)

    def metrics(self, gateway):
        code, body = self.http_get(gateway, "/metrics")
        if code != 200:
            raise ValueError(f"GET /metrics on {gateway}: {code}")
        return body.decode()

    def tunnel(self, gateway, peer):
        return next((t for t in self.status(gateway).get("tunnels", [])
                     if t.get("peer") == peer), None)

    def drops(self, gateway):
        """{reason: count}: the gateway's drops plus those of all its tunnels."""
        st = self.status(gateway)
        total = dict(st.get("drops") or {})
        for t in st.get("tunnels", []):
            for reason, n in (t.get("drops") or {}).items():
                total[reason] = total.get(reason, 0) + n
        return total

    def flow_records(self, gateway):
        try:
            with open(self.flow_log_path(gateway)) as f:
                lines = f.read().splitlines()
        except FileNotFoundError:
            return []
        out = []
        for line in lines:
            with contextlib.suppress(ValueError):
                out.append(json.loads(line))
        return out

    def trace(self, src_ip, dst_ip):
        """(exit code, parsed JSON or None, output) of `causeway ctl network trace --json`."""
        r = sh([self.bin, "ctl", "network", "trace", "--config", self.config_path, src_ip,
                dst_ip, "--json"], check=False, timeout=30)
        try:
            doc = json.loads(r.stdout)
        except ValueError:
            doc = None
        return r.returncode, doc, r.stdout + r.stderr

    # -- firewall

    def nft_counters(self, fw="fw-aws"):
        """{counter name: (packets, bytes)} of the firewall's table."""
        r = self.run(fw, ["nft", "-j", "list", "counters", "table", "inet", FW_TABLE])
        out = {}
        for item in json.loads(r.stdout).get("nftables", []):
            c = item.get("counter")
            if c:
                out[c["name"]] = (c["packets"], c["bytes"])
        return out

    def nft_block(self, src_domain, dst_domain, fw="fw-aws"):
        """Appends a drop rule for src_domain -> dst_domain (after the counters); returns its
        handle for nft_unblock."""
        r = self.run(fw, ["nft", "-e", "-a", "add", "rule", "inet", FW_TABLE, "forward", "ip",
                          "saddr", f"@{src_domain}", "ip", "daddr", f"@{dst_domain}", "drop"])
        m = re.search(r"# handle (\d+)", r.stdout)
        if not m:
            raise LabError(f"no handle in nft's echo: {r.stdout!r}")
        return int(m.group(1))

    def nft_unblock(self, handle, fw="fw-aws"):
        self.run(fw, ["nft", "delete", "rule", "inet", FW_TABLE, "forward", "handle",
                      str(handle)])

    # -- traffic

    def ping(self, node, dst, count=5, interval=0.2, wait=1.0, src=None):
        """Number of echo replies to `count` requests sent every `interval` (waiting `wait`
        after the last)."""
        p = Pinger(self, node, dst, interval=interval, src=src, count=count).start()
        try:
            p.wait_sent(count * interval + 5)
            end = time.monotonic() + wait
            while time.monotonic() < end and p.received() < count:
                time.sleep(0.02)
            return p.received()
        finally:
            p.stop()

    def ping_ok(self, node, dst, src=None, attempts=10):
        """True once a ping is answered (up to `attempts` requests 0.2 s apart)."""
        p = Pinger(self, node, dst, interval=0.2, src=src).start()
        try:
            deadline = time.monotonic() + attempts * 0.2 + 1.5
            while time.monotonic() < deadline:
                if p.received():
                    return True
                time.sleep(0.02)
            return False
        finally:
            p.stop()

    def tcp_listener(self, node, ip, port=0):
        s = self.socket(node)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((ip, port))
        s.listen(16)
        return s

    def tcp_transfer(self, src_node, dst_node, dst_ip, nbytes, src_ip=None, port=0,
                     timeout=90, min_seconds=0.0):
        """Sends `nbytes` of random data over TCP from src_node to dst_ip (inside dst_node),
        spread over at least `min_seconds`; the receiver hashes what it got and sends its SHA-256
        back. Returns a dict: sent_sha, received_sha (the receiver's), reported_sha (what the
        sender got back), received_bytes, seconds, error."""
        listener = self.tcp_listener(dst_node, dst_ip, port)
        port = listener.getsockname()[1]
        listener.settimeout(timeout)
        result = {"received_bytes": 0, "received_sha": None, "error": None}

        def serve():
            try:
                conn, _ = listener.accept()
            except OSError as e:
                result["error"] = f"accept: {e}"
                return
            with conn:
                conn.settimeout(timeout)
                h = hashlib.sha256()
                try:
                    while True:
                        b = conn.recv(1 << 18)
                        if not b:
                            break
                        h.update(b)
                        result["received_bytes"] += len(b)
                    result["received_sha"] = h.hexdigest()
                    conn.sendall(h.hexdigest().encode())
                except OSError as e:
                    result["error"] = f"receiver: {e}"

        server = threading.Thread(target=serve, daemon=True)
        server.start()
        data = os.urandom(nbytes)
        sent_sha = hashlib.sha256(data).hexdigest()
        started = time.monotonic()
        reported = None
        c = self.socket(src_node)
        try:
            c.settimeout(timeout)
            if src_ip:
                c.bind((src_ip, 0))
            c.connect((dst_ip, port))
            view = memoryview(data)
            for off in range(0, nbytes, 1 << 18):
                c.sendall(view[off:off + (1 << 18)])
                ahead = started + min_seconds * (off + (1 << 18)) / nbytes - time.monotonic()
                if ahead > 0:
                    time.sleep(ahead)
            c.shutdown(socket.SHUT_WR)
            reported = b""
            while True:
                b = c.recv(128)
                if not b:
                    break
                reported += b
            reported = reported.decode()
        except OSError as e:
            result["error"] = result["error"] or f"sender: {e}"
        finally:
            c.close()
            server.join(timeout)
            listener.close()
        return {"sent_sha": sent_sha, "reported_sha": reported,
                "received_sha": result["received_sha"],
                "received_bytes": result["received_bytes"],
                "seconds": time.monotonic() - started, "error": result["error"]}

    def tcp_ok(self, src_node, dst_node, dst_ip, src_ip=None, port=0, timeout=3.0,
               src_port=0):
        """True if a TCP connection from src_node to dst_ip:port is established and a line is
        echoed back within `timeout`."""
        listener = self.tcp_listener(dst_node, dst_ip, port)
        port = listener.getsockname()[1]
        listener.settimeout(timeout + 1)

        def serve():
            with contextlib.suppress(OSError):
                conn, _ = listener.accept()
                with conn:
                    conn.settimeout(timeout)
                    conn.sendall(conn.recv(100))

        t = threading.Thread(target=serve, daemon=True)
        t.start()
        c = self.socket(src_node)
        try:
            c.settimeout(timeout)
            if src_ip or src_port:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                c.bind((src_ip or "0.0.0.0", src_port))
            c.connect((dst_ip, port))
            c.sendall(b"hello transit\n")
            return c.recv(100) == b"hello transit\n"
        except OSError:
            return False
        finally:
            c.close()
            listener.close()
            t.join(timeout + 2)


# ---------------------------------------------------------------------------------------------
# Garbage on the underlay

def sniff_receiver_indices(lab, node, duration=2.0, want=8):
    """Receiver indices (4 raw bytes each) of WireGuard transport messages (type 4) sent to
    `node`'s tunnel port, captured on its underlay bridge port for up to `duration` seconds."""
    # ETH_P_ALL: frames the port transmits (those to `node`) reach only "all protocols" taps.
    s = lab.socket("underlay", socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
    s.bind((lab.underlay_port[node], 0x0003))
    s.settimeout(0.1)
    target = socket.inet_aton(lab.underlay_ip[node])
    found = set()
    deadline = time.monotonic() + duration
    try:
        while time.monotonic() < deadline and len(found) < want:
            try:
                frame = s.recv(2048)
            except socket.timeout:
                continue
            ip = frame[14:]
            if frame[12:14] != b"\x08\x00" or len(ip) < 20 or ip[9] != 17 or ip[16:20] != target:
                continue
            udp = ip[(ip[0] & 0x0F) * 4:]
            if len(udp) < 8 + 32 or struct.unpack("!H", udp[2:4])[0] != WG_PORT:
                continue
            payload = udp[8:]
            if payload[0] == 4 and payload[1:4] == b"\0\0\0":
                found.add(bytes(payload[4:8]))
    finally:
        s.close()
    return sorted(found)


def garbage_datagrams(count, indices=(), rng=None):
    """`count` hostile datagrams: random bytes of random sizes, and messages that start like
    WireGuard's (types 1..4, the right sizes, random contents); transport messages carry real
    receiver indices from `indices` when given, with fresh counters (so they reach decryption).
    Returns [(kind, bytes)]."""
    rng = rng or random.Random()
    sizes = {1: 148, 2: 92, 3: 64}
    out = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.3:
            out.append(("random", rng.randbytes(rng.randint(1, 1500))))
        elif roll < 0.4:
            kind = bytes([rng.randint(1, 4)])
            out.append(("short", kind + rng.randbytes(rng.randint(0, 30))))
        elif roll < 0.6:
            t = rng.randint(1, 3)
            out.append((f"type{t}", bytes([t, 0, 0, 0]) + rng.randbytes(sizes[t] - 4)))
        elif roll < 0.75 or not indices:
            out.append(("type4-unknown-index",
                        b"\x04\0\0\0" + rng.randbytes(4) + rng.randbytes(rng.randint(24, 1400))))
        else:
            counter = rng.randint(1 << 40, 1 << 48)
            out.append(("type4-forged", b"\x04\0\0\0" + rng.choice(indices) +
                        struct.pack("<Q", counter) + rng.randbytes(rng.randint(16, 1400))))
    return out


def blast(lab, node, datagrams, src_node="underlay", pause_every=200):
    """Sends the datagrams to `node`'s tunnel port from `src_node` (default: the underlay host);
    returns how many were sent."""
    s = lab.socket(src_node, socket.AF_INET, socket.SOCK_DGRAM)
    sent = 0
    try:
        for i, (_, data) in enumerate(datagrams):
            try:
                s.sendto(data, (lab.underlay_ip[node], WG_PORT))
                sent += 1
            except OSError:  # ENOBUFS under a burst: wait a little and go on
                time.sleep(0.001)
            if pause_every and i % pause_every == pause_every - 1:
                time.sleep(0.002)
    finally:
        s.close()
    return sent


# ---------------------------------------------------------------------------------------------
# A stand-in for the gateways (to check the lab itself)

def emulate_gateways(lab):
    """Stands in for `causeway transit` with wireguard-go and kernel routes, to check the lab and
    its helpers: a hub-and-spoke WireGuard overlay where each spoke uses its first transit only
    (no HA: aws-transit-b stays idle), no domains (everything routes), and the firewall inserted
    for all traffic its transit receives from its tunnel, with the same policy rule the gateway
    uses (`iif <tun> lookup <table>`, default via the firewall's next hop)."""
    spec = lab.spec
    primary = {s.name: s.transits[0] for s in spec.spokes}
    transits = [t.name for t in spec.transits
                if t.name in primary.values() or any(x.transit == t.name for x in spec.sites)]
    behind = {t: [s.cidr for s in spec.spokes if primary[s.name] == t] +
              [x.cidr for x in spec.sites if x.transit == t] for t in transits}
    peers = {name: [] for name in transits + list(primary)}  # name -> [(peer, [cidrs])]
    for s in spec.spokes:
        t = primary[s.name]
        peers[s.name].append((t, ["0.0.0.0/0"]))
        peers[t].append((s.name, [s.cidr, lab.tunnel_address[s.name] + "/32"]))
    for x in spec.sites:
        peers[x.transit].append((x.name, [x.cidr]))
    for a, b in spec.peerings:
        if a in transits and b in transits:
            peers[a].append((b, behind[b] + [lab.tunnel_address[b] + "/32"]))
            peers[b].append((a, behind[a] + [lab.tunnel_address[a] + "/32"]))
    remote = {s.name: [x.cidr for x in spec.spokes if x.name != s.name] +
              [x.cidr for x in spec.sites] + [OVERLAY_CIDR] for s in spec.spokes}
    ifnames = {}
    for i, name in enumerate(transits + list(primary)):
        ifname = ifnames[name] = f"{lab.short}g{i}"
        lab.start_wireguard_go(
            name, ifname, lab.keys[name][0], WG_PORT, lab.tunnel_address[name] + "/32",
            [(lab.keys[p][1], ",".join(c), f"{lab.underlay_ip[p]}:{WG_PORT}")
             for p, c in peers[name]])
        lab.sysctl(name, "net.ipv4.ip_forward=1")
        cidrs = remote.get(name) or [c for _, cs in peers[name] for c in cs]
        for cidr in cidrs:
            lab.ip(name, "route", "replace", cidr, "dev", ifname)
    for fw in spec.firewalls:
        lab.ip(fw.transit, "rule", "add", "iif", ifnames[fw.transit], "lookup", "100", "pref",
               "1000")
        lab.ip(fw.transit, "route", "add", "default", "via", FW_IP, "dev", "fw0", "table", "100")
    return ifnames


def check_emulated(lab):
    """Runs the traffic helpers of the tests over emulate_gateways(); raises on a failure."""
    def expect(cond, what):
        if not cond:
            raise LabError("emulated lab: " + what)
        print("  ok:", what)

    wl = lab.workload
    ip = lab.workload_ip
    deadline = time.monotonic() + 20
    while not lab.ping_ok(wl("aws-prod"), ip["gcp-prod"]) and time.monotonic() < deadline:
        pass
    expect(lab.ping(wl("aws-prod"), ip["gcp-prod"], count=5) == 5, "ICMP aws-prod -> gcp-prod")
    expect(lab.ping(wl("gcp-dev"), ip["azure-shared"], count=5) == 5,
           "ICMP gcp-dev -> azure-shared")
    res = lab.tcp_transfer(wl("aws-shared"), wl("gcp-prod"), ip["gcp-prod"], 20 << 20)
    expect(not res["error"] and res["sent_sha"] == res["reported_sha"] == res["received_sha"],
           f"20 MiB aws-shared -> gcp-prod, sha256 equal at both ends, "
           f"{res['received_bytes'] * 8 / res['seconds'] / 1e6:.0f} Mbit/s ({res['error']})")
    before = lab.nft_counters()
    expect(lab.tcp_ok(wl("aws-prod"), wl("aws-shared"), ip["aws-shared"]),
           "TCP aws-prod -> aws-shared")
    after = lab.nft_counters()
    expect(after["prod_to_shared"][0] > before["prod_to_shared"][0] and
           after["shared_to_prod"][0] > before["shared_to_prod"][0],
           f"firewall counters rise both ways: {before} -> {after}")
    handle = lab.nft_block("prod", "shared")
    expect(not lab.tcp_ok(wl("aws-prod"), wl("aws-shared"), ip["aws-shared"]),
           "a drop rule in the firewall blocks prod -> shared")
    lab.nft_unblock(handle)
    expect(lab.tcp_ok(wl("aws-prod"), wl("aws-shared"), ip["aws-shared"]),
           "removing it restores prod -> shared")
    for site in lab.spec.sites:
        expect(lab.ping(site.name, ip["aws-shared"], src=site.address, count=3) == 3,
               f"ICMP {site.name} -> aws-shared")
        expect(lab.ping(wl("aws-shared"), site.address, count=3) == 3,
               f"ICMP aws-shared -> {site.name}")
        expect(lab.tcp_ok(site.name, wl("aws-shared"), ip["aws-shared"], src_ip=site.address),
               f"TCP {site.name} -> aws-shared")
        expect(lab.tcp_ok(wl("aws-shared"), site.name, site.address),
               f"TCP aws-shared -> {site.name}")
    p = Pinger(lab, wl("aws-prod"), ip["gcp-prod"], interval=0.05).start()
    t0 = time.monotonic()
    time.sleep(1.5)
    p.stop()
    gap = p.max_gap(t0 + 0.2, time.monotonic())
    expect(gap < 0.3, f"50 ms pings: {p.received()} of {p.sent} answered, max gap {gap:.3f}s")
    # Garbage at a transit during a transfer.
    out = {}
    worker = threading.Thread(target=lambda: out.update(lab.tcp_transfer(
        wl("gcp-dev"), wl("azure-shared"), ip["azure-shared"], 32 << 20, min_seconds=6)),
        daemon=True)
    worker.start()
    indices = sniff_receiver_indices(lab, "gcp-transit", duration=3, want=2)
    expect(indices, f"sniffed {len(indices)} receiver indices of gcp-transit")
    sent = blast(lab, "gcp-transit", garbage_datagrams(4000) + garbage_datagrams(1000, indices))
    expect(worker.is_alive(), "the transfer outlasts the garbage")
    worker.join(120)
    expect(not out.get("error") and out.get("sent_sha") == out.get("reported_sha"),
           f"a transfer survives {sent} garbage datagrams at gcp-transit "
           f"({out.get('seconds', 0):.1f}s, {out.get('error')})")
    expect(lab.ping(wl("gcp-dev"), ip["azure-shared"], count=3) == 3, "tunnels still work")


# ---------------------------------------------------------------------------------------------
# Self-check and interactive use

def check_plumbing(lab):
    """Checks what does not need a gateway: underlay reachability, workloads to their spoke,
    the firewall's link and nftables, the site's wireguard-go; raises on the first failure."""
    for node in lab.gateway_names() + [s.name for s in lab.spec.sites]:
        if lab.ping(node, UNDERLAY_HOST_IP, count=1, wait=2) != 1:
            raise LabError(f"{node} cannot reach the underlay host")
    first = lab.gateway_names()[0]
    for node in lab.gateway_names()[1:] + [s.name for s in lab.spec.sites]:
        if lab.ping(first, lab.underlay_ip[node], count=1, wait=2) != 1:
            raise LabError(f"{first} cannot reach {node} over the underlay")
    for s in lab.spec.spokes:
        if lab.ping(lab.workload(s.name), lab.vpc_ip[s.name], count=1, wait=2) != 1:
            raise LabError(f"{s.name}'s workload cannot reach its spoke")
        if not lab.tcp_ok(lab.workload(s.name), s.name, lab.vpc_ip[s.name]):
            raise LabError(f"no TCP between {s.name}'s workload and the spoke")
    for fw in lab.spec.firewalls:
        if lab.ping(fw.transit, FW_IP, count=1, wait=2) != 1:
            raise LabError(f"{fw.transit} cannot reach its firewall")
        counters = lab.nft_counters(fw.name)
        if "inspected" not in counters or "prod_to_shared" not in counters:
            raise LabError(f"nftables counters missing: {counters}")
        handle = lab.nft_block("prod", "shared", fw.name)
        lab.nft_unblock(handle, fw.name)
    for site in lab.spec.sites:
        r = lab.run(site.name, ["wg", "show", lab.site_ifname[site.name], "dump"])
        if lab.keys[site.transit][1] not in r.stdout:
            raise LabError(f"wireguard-go of {site.name} lacks its peer: {r.stdout}")
    # A 2 MB transfer over the underlay with the same helper the tests use.
    res = lab.tcp_transfer(lab.gateway_names()[1], first, lab.underlay_ip[first], 2 << 20)
    if res["error"] or res["reported_sha"] != res["sent_sha"]:
        raise LabError(f"underlay transfer failed: {res}")


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["check", "emulate", "up"],
                    help="check: plumbing only; emulate: plumbing and traffic over wireguard-go "
                    "standing in for the gateways; up: the whole lab with causeway until Ctrl-C")
    ap.add_argument("--bin", default=None)
    args = ap.parse_args(argv)
    problem = missing_prerequisites()
    if problem:
        print(f"cannot build the lab: {problem}", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    lab = Lab(full_spec(), binary=args.bin)
    try:
        if args.mode == "check":
            lab.start(gateways=False)
            check_plumbing(lab)
            print(f"plumbing ok: {len(lab.namespaces)} namespaces ({lab.tag}-*)")
        elif args.mode == "emulate":
            lab.start(gateways=False)
            check_plumbing(lab)
            emulate_gateways(lab)
            check_emulated(lab)
            print("emulated lab ok")
        else:
            lab.start()
            print(f"lab up: namespaces {lab.tag}-*, config {lab.config_path}; Ctrl-C stops it")
            while True:
                time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for p in lab.stop():
            print(p, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
