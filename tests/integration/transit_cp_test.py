"""Transit gateways that take their network from the control plane (`causeway transit --cp`).

Root only (network namespaces, TUN). A namespace `core` holds a bridge (the underlay) and the
control plane; a transit (`hub`) and two spokes (`s1`, `s2`) each have a namespace with a veth
on that bridge. Shows: a network applied with `ctl apply` and no keys; the gateways register their
keys and bring their tunnels up (ping the transit's tunnel address from a spoke); a spoke added by
`ctl apply` reaches the running gateways as a delta without disturbing the tunnel; a gateway
presenting another key for a registered name is refused; with the CP down the tunnel keeps
working, and a spoke restarts from its saved snapshot."""
import contextlib
import ctypes
import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

from cluster import cert_init
from harness import BIN, wait_until

PREFIX = "cwcp"
CORE = f"{PREFIX}-core"
GATEWAYS = {"hub": "172.30.99.11", "s1": "172.30.99.12", "s2": "172.30.99.13"}
CP_IP = "172.30.99.1"
ADMIN = 18001
CLUSTER = 18005
HUB_TUNNEL = "100.64.0.1"

_libc = ctypes.CDLL(None, use_errno=True)


@contextlib.contextmanager
def in_netns(ns):
    """The calling thread in namespace `ns` for the body (sockets made there stay there)."""
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if _libc.setns(target, 0x40000000) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        try:
            yield
        finally:
            _libc.setns(own, 0x40000000)
    finally:
        os.close(target)
        os.close(own)


def sh(*args, check=True, timeout=20):
    r = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and r.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {r.returncode}\n{r.stdout}{r.stderr}")
    return r


def ns_name(gateway):
    return f"{PREFIX}-{gateway}"


class NsProc:
    """A process in a namespace, output to a log file."""

    def __init__(self, ns, args, log):
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(["ip", "netns", "exec", ns] + list(args), stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def output(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


def network_file(spokes):
    net = {
        "domains": ["prod"],
        "transit_gateways": [{"name": "hub", "endpoint": f"{GATEWAYS['hub']}:51820"}],
        "spoke_gateways": [
            {"name": s, "endpoint": f"{GATEWAYS[s]}:51820", "cidrs": [f"10.{i + 1}.0.0/16"],
             "transits": ["hub"], "domain": "prod"} for i, s in enumerate(spokes)],
    }
    return {"network": net}


def problem():
    if os.geteuid() != 0:
        return "not root (network namespaces, TUN devices)"
    if not os.path.exists("/dev/net/tun"):
        return "no /dev/net/tun"
    if not os.access(BIN, os.X_OK):
        return f"no causeway binary at {BIN}"
    return None


@unittest.skipIf(problem(), problem() or "")
class TransitFromControlPlane(unittest.TestCase):
    """One scenario, in order: each step builds on the one before."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cw-transit-cp-")
        cls.procs = {}
        cls.cleanup_netns()
        sh("ip", "netns", "add", CORE)
        sh("ip", "-n", CORE, "link", "set", "lo", "up")
        sh("ip", "-n", CORE, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", CORE, "addr", "add", f"{CP_IP}/24", "dev", "br0")
        sh("ip", "-n", CORE, "link", "set", "br0", "up")
        for i, (gw, ip) in enumerate(GATEWAYS.items()):
            ns = ns_name(gw)
            sh("ip", "netns", "add", ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "link", "add", f"{PREFIX}{i}a", "netns", ns, "type", "veth", "peer",
               "name", f"{PREFIX}{i}b", "netns", CORE)
            sh("ip", "-n", ns, "link", "set", f"{PREFIX}{i}a", "name", "eth0")
            sh("ip", "-n", ns, "addr", "add", f"{ip}/24", "dev", "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "-n", CORE, "link", "set", f"{PREFIX}{i}b", "master", "br0")
            sh("ip", "-n", CORE, "link", "set", f"{PREFIX}{i}b", "up")
        cls.certs = cert_init(os.path.join(cls.dir, "certs"))
        cls.start_cp()

    @classmethod
    def tearDownClass(cls):
        for p in cls.procs.values():
            p.stop()
        cls.cleanup_netns()
        if os.environ.get("CW_KEEP_LOGS"):
            print("logs in", cls.dir)
        else:
            shutil.rmtree(cls.dir, ignore_errors=True)

    @staticmethod
    def cleanup_netns():
        for ns in [CORE] + [ns_name(g) for g in GATEWAYS]:
            sh("ip", "netns", "del", ns, check=False)

    @classmethod
    def start_cp(cls):
        cls.procs["cp"] = NsProc(CORE, [
            BIN, "cp", "--data-dir", os.path.join(cls.dir, "cp"),
            "--admin-listen", f"127.0.0.1:{ADMIN}", "--admin-ssl-listen", "off",
            "--cluster-listen", f"{CP_IP}:{CLUSTER}", "--cluster-cert-dir", cls.certs],
            os.path.join(cls.dir, "cp.log"))
        wait_until(lambda: cls.admin("GET", "/status")[0] == 200, timeout=30,
                   what="the control plane's Admin API")

    @classmethod
    def admin(cls, method, path):
        with in_netns(CORE):
            conn = http.client.HTTPConnection("127.0.0.1", ADMIN, timeout=10)
            try:
                conn.request(method, path)
                r = conn.getresponse()
                body = r.read()
                return r.status, (json.loads(body) if body else None)
            except OSError:
                return 0, None
            finally:
                conn.close()

    def ctl_apply(self, doc):
        path = os.path.join(self.dir, f"network-{time.monotonic_ns()}.json")
        with open(path, "w") as f:
            json.dump(doc, f)
        return sh("ip", "netns", "exec", CORE, BIN, "ctl", "--admin-url",
                  f"http://127.0.0.1:{ADMIN}", "apply", "-f", path, check=False)

    def start_gateway(self, gw, data_dir=None, ns=None, label=None):
        label = label or gw
        args = [BIN, "transit", "--cp", f"wss://{CP_IP}:{CLUSTER}", "--cluster-cert-dir",
                self.certs, "--data-dir", data_dir or os.path.join(self.dir, gw), "--name", gw,
                "--status-listen", "127.0.0.1:9901"]
        self.procs[label] = NsProc(ns or ns_name(gw), args, os.path.join(self.dir, label + ".log"))
        return self.procs[label]

    def gateways(self):
        status, body = self.admin("GET", "/network/gateways")
        self.assertEqual(status, 200, body)
        return {g["name"]: g for g in body["data"]}

    def ping(self, gw, dst, count=1):
        return sh("ip", "netns", "exec", ns_name(gw), "ping", "-c", str(count), "-W", "1", dst,
                  check=False, timeout=30).returncode == 0

    def wait_ping(self, gw, dst, timeout=30):
        wait_until(lambda: self.ping(gw, dst), timeout=timeout, interval=0.5,
                   what=f"{dst} answering {gw} through the tunnel")

    def test_1_apply_register_and_tunnel_up(self):
        r = self.ctl_apply(network_file(["s1"]))
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("creating network_spoke_gateway s1", r.stdout)
        gws = self.gateways()
        self.assertIsNone(gws["hub"]["public_key"])  # nothing registered yet
        self.start_gateway("hub")
        self.start_gateway("s1")
        wait_until(lambda: all(g["connected"] and g["public_key"]
                               for g in self.gateways().values()),
                   timeout=30, interval=0.2, what="hub and s1 registered and connected")
        self.assertTrue(all(g["key_source"] == "registered" for g in self.gateways().values()))
        key_file = os.path.join(self.dir, "hub", "transit.key")
        self.assertEqual(os.stat(key_file).st_mode & 0o777, 0o600)
        self.wait_ping("s1", HUB_TUNNEL)
        # GET /network: the network with the registered keys filled in.
        _, net = self.admin("GET", "/network")
        self.assertEqual(net["network"]["transit_gateways"][0]["public_key"],
                         self.gateways()["hub"]["public_key"])

    def test_2_a_new_spoke_arrives_as_a_delta(self):
        stop = threading.Event()
        results = []

        def pinger():  # s1 -> hub all along: the established tunnel must not drop
            while not stop.is_set():
                results.append(self.ping("s1", HUB_TUNNEL))
                time.sleep(0.1)

        t = threading.Thread(target=pinger)
        t.start()
        try:
            r = self.ctl_apply(network_file(["s1", "s2"]))
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.start_gateway("s2")
            wait_until(lambda: self.gateways()["s2"]["connected"], timeout=30,
                       what="s2 connected")
            self.wait_ping("s2", HUB_TUNNEL)
        finally:
            stop.set()
            t.join()
        self.assertGreaterEqual(len(results), 3)
        self.assertEqual(results.count(False), 0, results)
        hub_log = self.procs["hub"].output()
        self.assertIn("applied delta", hub_log)
        self.assertIn("reloaded: 2 tunnels", hub_log)

    def test_3_another_key_for_a_registered_name_is_refused(self):
        impostor = self.start_gateway("s1", data_dir=os.path.join(self.dir, "impostor"),
                                      ns=CORE, label="impostor")
        wait_until(lambda: "another key is registered for s1" in impostor.output(),
                   timeout=30, interval=0.2, what="the impostor refused")
        impostor.stop()
        _, dps = self.admin("GET", "/clustering/data-planes")
        refused = [d for d in dps["data"] if d["sync_status"] == "refused"]
        self.assertEqual(len(refused), 1, dps)
        self.assertIn("DELETE /network/gateways/s1/key", refused[0]["last_error"])
        self.assertTrue(self.ping("s1", HUB_TUNNEL))  # the real s1 is undisturbed

    def test_4_cp_down_tunnels_keep_working(self):
        self.procs["cp"].stop()
        time.sleep(2)
        self.assertTrue(self.ping("s1", HUB_TUNNEL, count=3))
        # A spoke restarted while the CP is away comes back from its saved snapshot.
        self.procs["s2"].stop()
        self.start_gateway("s2", label="s2-again")
        self.wait_ping("s2", HUB_TUNNEL)
        self.assertIn("serving the saved snapshot", self.procs["s2-again"].output())


if __name__ == "__main__":
    unittest.main()
