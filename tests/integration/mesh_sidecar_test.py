"""Sidecars on loopback (file mode): mTLS enforced, traffic permissions, a weighted split, header
A/B, a blue-green flip under load, retries, outlier detection, health checks, timeouts, a TCP
service, and certificate renewal and CA rotation under load. Real processes: `causeway sidecar`,
`causeway demo-app`, Python applications and clients."""
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import threading
import time
import unittest

from harness import BIN, DemoApp, Gateway, TcpServer, free_port, wait_until
from mesh_lab import MESH, MeshLab, SwitchableApp, issue

ALLOW_WEB = """---
type: MeshTrafficPermission
name: allow-web
spec:
  targetRef: {kind: Mesh}
  from:
    - targetRef: {kind: MeshSubset, tags: {kuma.io/service: web}}
      default: {action: Allow}
"""


def route(rules):
    return f"""---
type: MeshHTTPRoute
name: backend-route
spec:
  targetRef: {{kind: MeshService, name: web}}
  to:
    - targetRef: {{kind: MeshService, name: backend}}
      rules:
{rules}"""


def split(v1, v2):
    return route(f"""        - matches: [{{path: {{type: PathPrefix, value: /}}}}]
          default:
            backendRefs:
              - {{kind: MeshServiceSubset, name: backend, tags: {{version: v1}}, weight: {v1}}}
              - {{kind: MeshServiceSubset, name: backend, tags: {{version: v2}}, weight: {v2}}}
""")


def to_subset(version):
    return f"[{{kind: MeshServiceSubset, name: backend, tags: {{version: {version}}}}}]"


class Client:
    """The web application: plaintext HTTP/1.1 keep-alive calls to its sidecar's outbound."""

    def __init__(self, port):
        self.port = port
        self.conn = None

    def get(self, path="/", headers=None, timeout=10):
        for attempt in range(2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
            try:
                self.conn.request("GET", path, headers=headers or {})
                r = self.conn.getresponse()
                body = r.read()
                if r.getheader("connection", "").lower() == "close":
                    self.close()
                return r.status, body
            except (http.client.HTTPException, OSError):
                self.close()
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def app(self, path="/", headers=None):
        status, body = self.get(path, headers)
        if status != 200:
            return f"status {status}: {body[:200]!r}"
        return json.loads(body)["app"]

    def close(self):
        if self.conn:
            self.conn.close()
        self.conn = None


class Load:
    """Threads calling the outbound without pause; every non-200 or error is kept."""

    def __init__(self, port, threads=3):
        self.port = port
        self.stop_flag = threading.Event()
        self.ok = 0
        self.failures = []
        self.apps = []
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(threads)]
        for t in self.threads:
            t.start()

    def run(self):
        c = Client(self.port)
        while not self.stop_flag.is_set():
            try:
                status, body = c.get("/")
                if status == 200:
                    self.ok += 1
                    self.apps.append((time.time(), json.loads(body)["app"]))
                else:
                    self.failures.append((status, body[:200]))
            except Exception as e:  # noqa: BLE001 - every failure counts
                self.failures.append(("error", repr(e)))
        c.close()

    def finish(self):
        self.stop_flag.set()
        for t in self.threads:
            t.join(10)
        return self.failures


class MeshSidecarTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        lab = cls.lab = MeshLab()
        cls.v1 = DemoApp("v1")
        cls.v2 = DemoApp("v2")
        cls.bad = SwitchableApp("v3")
        lab.others += [cls.v1, cls.v2]
        cls.echo = TcpServer(cls._echo)
        cls.o_backend, cls.o_echo = free_port(), free_port()
        cls.web = lab.add_sidecar("web-1", "web", free_port(), free_port(),
                                  {"kuma.io/protocol": "http"},
                                  [(cls.o_backend, "backend"), (cls.o_echo, "echo")])
        cls.b1 = lab.add_sidecar("backend-v1", "backend", free_port(), cls.v1.port,
                                 {"kuma.io/protocol": "http", "version": "v1"})
        cls.b2 = lab.add_sidecar("backend-v2", "backend", free_port(), cls.v2.port,
                                 {"kuma.io/protocol": "http", "version": "v2"})
        cls.b3 = lab.add_sidecar("backend-v3", "backend", free_port(), cls.bad.port,
                                 {"kuma.io/protocol": "http", "version": "v3"})
        cls.e1 = lab.add_sidecar("echo-1", "echo", free_port(), cls.echo.port,
                                 {"kuma.io/protocol": "tcp"})
        cls.healthy = ["web-1", "backend-v1", "backend-v2", "echo-1"]  # v3 only when a test says
        issue(lab.ca, "intruder", lab.certs)
        cls.foreign = os.path.join(lab.dir, "foreign-ca")
        issue(cls.foreign, "web", os.path.join(lab.dir, "foreign-certs"))
        lab.apply([ALLOW_WEB], cls.healthy)
        cls.client = Client(cls.o_backend)

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        codes = cls.lab.stop()
        cls.bad.stop()
        cls.echo.stop()
        for name, code in codes.items():
            assert code == 0, f"{name} exited {code}"

    def setUp(self):
        self.bad.mode = 200
        self.lab.apply([ALLOW_WEB], self.healthy)

    @staticmethod
    def _echo(conn):
        while True:
            data = conn.recv(65536)
            if not data:
                return
            conn.sendall(data)

    def tls_context(self, service, certs=None, ca=None):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False  # workload certificates carry a SPIFFE URI only
        ctx.load_verify_locations(ca or os.path.join(self.lab.ca, "ca.crt"))
        certs = certs or self.lab.certs
        ctx.load_cert_chain(os.path.join(certs, f"{service}.crt"), os.path.join(certs, f"{service}.key"))
        return ctx

    def direct(self, ctx, port, path="/"):
        """A request straight to a sidecar's inbound with a client certificate."""
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with ctx.wrap_socket(raw) as s:
                s.sendall(f"GET {path} HTTP/1.1\r\nHost: backend\r\nConnection: close\r\n\r\n".encode())
                data = b""
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    data += chunk
        return int(data.split(b" ", 2)[1]), data

    def inbound_port(self, sidecar):
        return sidecar.status()["config"]["inbound"][0]["port"]

    # -- mTLS and permissions ------------------------------------------------------------------

    def test_mtls_is_enforced(self):
        port = self.inbound_port(self.b1)
        # Plaintext: no HTTP answer, the connection is closed in the TLS handshake.
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: backend\r\n\r\n")
            try:
                self.assertEqual(s.recv(100), b"")
            except ConnectionResetError:
                pass
        # A certificate from another CA is refused in the handshake.
        foreign = self.tls_context("web", os.path.join(self.lab.dir, "foreign-certs"))
        with self.assertRaises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
            self.direct(foreign, port)
        # No client certificate at all.
        bare = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        bare.check_hostname = False
        bare.load_verify_locations(os.path.join(self.lab.ca, "ca.crt"))
        with self.assertRaises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
            self.direct(bare, port)
        # The mesh's certificate for an allowed service gets through.
        status, _ = self.direct(self.tls_context("web"), port)
        self.assertEqual(status, 200)
        failed = self.b1.status()["counters"]["mtls_handshake_failed"]
        self.assertGreaterEqual(failed, 3)

    def test_permissive_mode_takes_plaintext_too(self):
        permissive = MESH.replace("type: builtin", "type: builtin\n      mode: PERMISSIVE")
        allow_all = ALLOW_WEB.replace("allow-web", "allow-all").replace(
            "{kind: MeshSubset, tags: {kuma.io/service: web}}", "{kind: Mesh}")
        port = self.inbound_port(self.b1)
        plain = lambda: http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        # Plaintext callers have no identity: only a mesh-wide permission lets them in.
        self.lab.apply([ALLOW_WEB], self.healthy, mesh=permissive)
        c = plain()
        c.request("GET", "/")
        r = c.getresponse()
        self.assertEqual(r.status, 403, r.read())
        c.close()
        self.lab.apply([ALLOW_WEB, allow_all], self.healthy, mesh=permissive)
        c = plain()
        c.request("GET", "/")
        self.assertEqual(c.getresponse().status, 200)
        c.close()
        self.assertEqual(self.direct(self.tls_context("web"), port)[0], 200)  # mTLS still works
        self.assertEqual(self.client.get("/")[0], 200)

    def test_permissions_allow_and_deny(self):
        self.assertEqual(self.client.get("/")[0], 200)
        port = self.inbound_port(self.b1)
        status, body = self.direct(self.tls_context("intruder"), port)
        self.assertEqual(status, 403)
        self.assertIn(b"RBAC: access denied", body)
        self.assertIn(b"intruder", body)
        # Without any permission (default deny under mTLS) web is refused too.
        self.lab.apply([], self.healthy)
        status, body = self.client.get("/")
        self.assertEqual(status, 403, body)
        self.assertIn(b"may not call service 'backend'", body)
        # An explicit Deny for web beats nothing; Allow again restores.
        self.lab.apply([ALLOW_WEB], self.healthy)
        self.assertEqual(self.client.get("/")[0], 200)

    # -- routing ----------------------------------------------------------------------------------

    def test_weighted_split_90_10(self):
        self.lab.apply([ALLOW_WEB, split(90, 10)], self.healthy)
        counts = {}
        n = 10000
        for _ in range(n):
            app = self.client.app()
            counts[app] = counts.get(app, 0) + 1
        self.assertEqual(set(counts), {"v1", "v2"}, counts)
        self.assertAlmostEqual(counts["v1"] / n, 0.90, delta=0.03, msg=counts)
        self.assertAlmostEqual(counts["v2"] / n, 0.10, delta=0.03, msg=counts)

    def test_header_based_ab(self):
        rules = f"""        - matches: [{{headers: [{{type: Exact, name: x-group, value: beta}}]}}]
          default:
            backendRefs: {to_subset("v2")}
        - matches: [{{path: {{type: PathPrefix, value: /}}}}]
          default:
            backendRefs: {to_subset("v1")}
"""
        self.lab.apply([ALLOW_WEB, route(rules)], self.healthy)
        for _ in range(50):
            self.assertEqual(self.client.app(headers={"x-group": "beta"}), "v2")
            self.assertEqual(self.client.app(headers={"x-group": "alpha"}), "v1")
            self.assertEqual(self.client.app(), "v1")

    def test_blue_green_flip_under_load(self):
        self.lab.apply([ALLOW_WEB, split(100, 0)], self.healthy)
        load = Load(self.o_backend)
        time.sleep(1.0)
        flip = time.time()
        self.lab.apply([ALLOW_WEB, split(0, 100)], self.healthy)
        flipped = time.time()
        time.sleep(1.0)
        failures = load.finish()
        self.assertEqual(failures, [], failures[:5])
        self.assertGreater(load.ok, 100)
        before = {a for t, a in load.apps if t < flip}
        after = {a for t, a in load.apps if t > flipped + 0.2}
        self.assertEqual(before, {"v1"})
        self.assertEqual(after, {"v2"})

    # -- resilience -------------------------------------------------------------------------------

    def with_bad(self, *policies):
        self.lab.apply([ALLOW_WEB, *policies], self.healthy + ["backend-v3"])

    def test_retries_hide_a_failing_instance(self):
        self.bad.mode = 503
        self.with_bad("""---
type: MeshRetry
name: retry
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      default:
        http: {numRetries: 3, retryOn: [5xx], backOff: {baseInterval: 5ms, maxInterval: 20ms}}
""")
        hits = self.bad.hits
        for _ in range(150):
            status, body = self.client.get("/")
            self.assertEqual(status, 200, body)
        self.assertGreater(self.bad.hits - hits, 20)  # it was tried, and retried away

    def test_outlier_detection_ejects_and_brings_back(self):
        self.bad.mode = 503
        self.with_bad("""---
type: MeshCircuitBreaker
name: cb
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      default:
        outlierDetection:
          baseEjectionTime: 2s
          maxEjectionPercent: 100
          detectors: {totalFailures: {consecutive: 3}}
""")
        statuses = [self.client.get("/")[0] for _ in range(60)]
        failed = sum(1 for s in statuses if s != 200)
        self.assertEqual(failed, 3, statuses)  # three in a row eject it
        self.assertTrue(all(s == 200 for s in statuses[-40:]), statuses)
        hits = self.bad.hits
        for _ in range(30):
            self.assertEqual(self.client.get("/")[0], 200)
        self.assertEqual(self.bad.hits, hits)  # ejected: no traffic
        self.bad.mode = 200
        time.sleep(2.3)
        for _ in range(30):
            self.assertEqual(self.client.get("/")[0], 200)
        self.assertGreater(self.bad.hits, hits)  # back in rotation

    def test_circuit_breaker_connection_limits(self):
        self.lab.apply([ALLOW_WEB, """---
type: MeshCircuitBreaker
name: limits
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      default:
        connectionLimits: {maxRequests: 1}
"""], self.healthy)
        slow = {}
        t = threading.Thread(target=lambda: slow.update(r=Client(self.o_backend).get("/delay/1500")))
        t.start()
        time.sleep(0.4)
        status, body = self.client.get("/")
        self.assertEqual(status, 503, body)
        self.assertIn(b"circuit breaker", body)
        t.join(10)
        self.assertEqual(slow["r"][0], 200)
        self.assertEqual(self.client.get("/")[0], 200)  # the slot is free again

    def test_health_checks(self):
        self.bad.mode = 503
        self.with_bad("""---
type: MeshHealthCheck
name: hc
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      default: {interval: 200ms, timeout: 1s, unhealthyThreshold: 2, healthyThreshold: 1, http: {path: /health}}
""")
        wait_until(lambda: self.bad.hits >= 3, timeout=5, what="health checks of v3")
        time.sleep(0.3)
        hits = self.bad.hits
        for _ in range(40):
            self.assertEqual(self.client.get("/")[0], 200)
        self.assertLessEqual(self.bad.hits - hits, 2)  # only the checks reach it
        self.bad.mode = 200
        time.sleep(0.6)
        seen = set(self.client.app() for _ in range(30))
        self.assertIn("v3", seen)

    def test_timeout(self):
        self.lab.apply([ALLOW_WEB, """---
type: MeshTimeout
name: fast
spec:
  targetRef: {kind: Mesh}
  to:
    - targetRef: {kind: MeshService, name: backend}
      default: {http: {requestTimeout: 500ms}}
"""], self.healthy)
        start = time.time()
        status, _ = self.client.get("/delay/3000")
        elapsed = time.time() - start
        self.assertEqual(status, 504)
        self.assertLess(elapsed, 2.0)
        self.assertEqual(self.client.get("/delay/100")[0], 200)

    def test_tcp_service_and_denial(self):
        with socket.create_connection(("127.0.0.1", self.o_echo), timeout=5) as s:
            payload = os.urandom(200000)
            s.sendall(payload)
            got = b""
            while len(got) < len(payload):
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
            self.assertEqual(got, payload)
        self.lab.apply([], self.healthy)  # no permission: the echo sidecar closes the stream
        with socket.create_connection(("127.0.0.1", self.o_echo), timeout=5) as s:
            s.sendall(b"hello")
            try:
                self.assertEqual(s.recv(100), b"")
            except ConnectionResetError:
                pass
        self.assertGreaterEqual(self.e1.status()["counters"]["tcp_denied"], 1)

    # -- the API gateway as a mesh member ---------------------------------------------------------

    def test_gateway_joins_the_mesh(self):
        lab = self.lab
        issue(lab.ca, "edge", lab.certs)
        edge = os.path.join(lab.dir, "edge.dp.yaml")
        with open(edge, "w") as f:
            f.write("type: Dataplane\nname: edge-1\nnetworking:\n  address: 127.0.0.1\n"
                    "  gateway:\n    type: DELEGATED\n    tags: {kuma.io/service: edge}\n")
        kong = """_format_version: "3.0"
services:
  - name: backend
    host: backend.mesh
    port: 80
    routes: [{name: all, paths: ["/"]}]
  - name: nowhere
    host: nowhere.mesh
    port: 80
    routes: [{name: nowhere, paths: ["/nowhere"]}]
"""
        gw = Gateway(kong, tls=False, extra=[
            "--mesh-dataplane", edge, "--mesh-config", lab.mesh_file,
            "--mesh-cert", os.path.join(lab.certs, "edge.crt"),
            "--mesh-key", os.path.join(lab.certs, "edge.key"),
            "--mesh-ca-cert", lab.trust[0], "--mesh-ca-cert", lab.trust[1]])
        try:
            # Zero trust behind the edge: the sidecars check the gateway's own identity.
            status, _, body = gw.request(path="/x")
            self.assertEqual(status, 403, body)
            self.assertIn(b"service 'edge' may not call service 'backend'", body)
            allow_edge = ALLOW_WEB.replace("allow-web", "allow-edge").replace(
                "kuma.io/service: web", "kuma.io/service: edge")
            lab.apply([ALLOW_WEB, allow_edge], self.healthy)
            gw.reload(kong)
            apps = set()
            for _ in range(20):
                status, _, body = gw.request(path="/x")
                self.assertEqual(status, 200, body)
                apps.add(json.loads(body)["app"])
            self.assertEqual(apps, {"v1", "v2"})  # both instances, over mTLS
            status, _, body = gw.request(path="/nowhere")
            self.assertEqual(status, 503)
            self.assertIn(b"no instance of mesh service 'nowhere'", body)
        finally:
            self.assertEqual(gw.stop(), 0, gw.output()[-2000:])

    # -- certificates -----------------------------------------------------------------------------

    def test_renewal_and_ca_rotation_under_load(self):
        load = Load(self.o_backend)
        time.sleep(0.5)
        lab = self.lab
        before = self.b1.status()["identity"]
        # 1. Renewal: new keys and certificates from the same CA.
        for service in ("web", "backend"):
            issue(lab.ca, service, lab.certs)
        lab.apply_raw()
        time.sleep(0.5)
        renewed = self.b1.status()["identity"]
        self.assertNotEqual(before["not_after"] + str(before), renewed["not_after"] + str(renewed))
        # 2. CA rotation: trust the new CA next to the old one, move every certificate to the
        #    new CA, then drop the old one.
        ca2 = os.path.join(lab.dir, "ca-2")
        issue(ca2, "bootstrap", os.path.join(lab.dir, "ca-2-certs"))
        shutil.copy(os.path.join(ca2, "ca.crt"), lab.trust[1])
        lab.apply_raw()
        time.sleep(0.3)
        for service in ("web", "backend", "echo"):
            issue(ca2, service, lab.certs)
        lab.apply_raw()
        time.sleep(0.3)
        shutil.copy(os.path.join(ca2, "ca.crt"), lab.trust[0])
        lab.apply_raw()
        time.sleep(0.5)
        failures = load.finish()
        self.assertEqual(failures, [], failures[:5])
        self.assertGreater(load.ok, 100)
        # The old CA is no longer trusted: its certificates are refused.
        port = self.inbound_port(self.b1)
        with self.assertRaises((ssl.SSLError, ConnectionResetError, BrokenPipeError)):
            self.direct(self.tls_context("intruder", ca=os.path.join(ca2, "ca.crt")), port)
        status, _ = self.direct(self.tls_context("web", ca=os.path.join(ca2, "ca.crt")), port)
        self.assertEqual(status, 200)


if __name__ == "__main__":
    unittest.main()
