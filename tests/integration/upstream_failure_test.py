"""Upstream failures and load balancing through the real binary: refused connections (502 after
retries over the targets), timeouts (504), backends that reset or hang, upstreams without usable
targets (503), and the distributions of round-robin, weighted round-robin and consistent
hashing."""
import collections
import http.client
import json
import socket
import struct
import time
import unittest

from harness import (DemoApp, Gateway, GatewayCase, TcpServer, free_port, metric_value,
                     read_request_head)

MSG_502 = {"message": "An invalid response was received from the upstream server"}
MSG_503_RING = {"message": "failure to get a peer from the ring-balancer"}
MSG_504 = {"message": "The upstream server is timed out"}


def reset_mid_response(conn):
    """Sends a response head promising 100000 bytes, 1000 of them, then resets (RST)."""
    if not read_request_head(conn):
        return
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"r" * 1000)
    time.sleep(0.05)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def reset_before_response(conn):
    if not read_request_head(conn):
        return
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


def hang(conn):
    """Reads the request and never answers (until the test stops the server)."""
    conn.settimeout(30)
    read_request_head(conn)
    try:
        conn.recv(1)
    except OSError:
        pass


class UpstreamFailureTest(GatewayCase):
    @classmethod
    def setUpClass(cls):
        cls.a = cls.start(DemoApp("a"))
        cls.b = cls.start(DemoApp("b"))
        cls.resetter = TcpServer(reset_mid_response)
        cls.addClassCleanup(cls.resetter.stop)
        cls.early_resetter = TcpServer(reset_before_response)
        cls.addClassCleanup(cls.early_resetter.stop)
        cls.hanger = TcpServer(hang)
        cls.addClassCleanup(cls.hanger.stop)
        # A listener whose accept queue is full: SYNs to it are dropped, so connects time out
        # (the loopback stand-in for an unreachable host).
        cls.blackhole = socket.socket()
        cls.addClassCleanup(cls.blackhole.close)
        cls.blackhole.bind(("127.0.0.1", 0))
        cls.blackhole.listen(0)
        for _ in range(3):
            filler = socket.socket()
            cls.addClassCleanup(filler.close)
            filler.settimeout(0.3)
            try:
                filler.connect(cls.blackhole.getsockname())
            except OSError:
                pass
        cls.dead1 = free_port()
        cls.dead2 = free_port()
        a, b = cls.a.port, cls.b.port
        cls.gw = cls.start(Gateway(f"""
_format_version: "3.0"
services:
- name: refused
  url: http://127.0.0.1:{cls.dead1}
  retries: 2
  routes: [{{name: refused, paths: ["/refused"]}}]
- name: refused-pool
  host: deadpool
  retries: 3
  routes: [{{name: refused-pool, paths: ["/refused-pool"]}}]
- name: half-dead
  host: halfdead
  routes: [{{name: half-dead, paths: ["/half-dead"]}}]
- name: slow
  url: http://127.0.0.1:{a}
  read_timeout: 300
  routes: [{{name: slow, paths: ["/slow"]}}]
- name: blackhole
  url: http://127.0.0.1:{cls.blackhole.getsockname()[1]}
  connect_timeout: 300
  retries: 0
  routes: [{{name: blackhole, paths: ["/blackhole"]}}]
- name: reset
  url: http://127.0.0.1:{cls.resetter.port}
  routes: [{{name: reset, paths: ["/reset"]}}]
- name: early-reset
  url: http://127.0.0.1:{cls.early_resetter.port}
  retries: 0
  routes: [{{name: early-reset, paths: ["/early-reset"]}}]
- name: hang
  url: http://127.0.0.1:{cls.hanger.port}
  read_timeout: 500
  routes: [{{name: hang, paths: ["/hang"]}}]
- name: empty
  host: empty-upstream
  routes: [{{name: empty, paths: ["/empty"]}}]
- name: zero
  host: zero-upstream
  routes: [{{name: zero, paths: ["/zero"]}}]
- name: rr
  host: rr-upstream
  routes: [{{name: rr, paths: ["/rr"]}}]
- name: weighted
  host: weighted-upstream
  routes: [{{name: weighted, paths: ["/weighted"]}}]
- name: hashed
  host: hashed-upstream
  routes: [{{name: hashed, paths: ["/hashed"]}}]
- name: leastconn
  host: lc-upstream
  routes: [{{name: leastconn, paths: ["/lc"]}}]
upstreams:
- name: deadpool
  targets: [{{target: "127.0.0.1:{cls.dead1}"}}, {{target: "127.0.0.1:{cls.dead2}"}}]
- name: halfdead
  targets: [{{target: "127.0.0.1:{cls.dead1}"}}, {{target: "127.0.0.1:{a}"}}]
- name: empty-upstream
- name: zero-upstream
  targets: [{{target: "127.0.0.1:{a}", weight: 0}}, {{target: "127.0.0.1:{b}", weight: 0}}]
- name: rr-upstream
  targets: [{{target: "127.0.0.1:{a}"}}, {{target: "127.0.0.1:{b}"}}]
- name: weighted-upstream
  targets: [{{target: "127.0.0.1:{a}", weight: 300}}, {{target: "127.0.0.1:{b}", weight: 100}}]
- name: hashed-upstream
  hash_on: header
  hash_on_header: x-user
  targets: [{{target: "127.0.0.1:{a}"}}, {{target: "127.0.0.1:{b}"}}]
- name: lc-upstream
  algorithm: least-connections
  targets: [{{target: "127.0.0.1:{a}"}}, {{target: "127.0.0.1:{b}"}}]
""", workers=2))

    def get(self, path, headers=None):
        status, hdrs, data = self.gw.request("GET", path, headers, timeout=20)
        try:
            return status, json.loads(data)
        except ValueError:
            return status, data

    def errors(self, service, kind):
        return metric_value(self.gw.metrics(), "causeway_upstream_errors_total", service=service,
                            kind=kind)

    # ---- refused and retries
    def test_refused_is_502_after_retries(self):
        before = self.errors("refused", "connect_refused")
        status, body = self.get("/refused")
        self.assertEqual(status, 502)
        self.assertEqual(body, MSG_502)
        self.assertEqual(self.errors("refused", "connect_refused") - before, 3,
                         "expected 1 try + 2 retries (service.retries = 2)")

    def test_all_targets_refused_is_502(self):
        before = self.errors("refused-pool", "connect_refused")
        status, body = self.get("/refused-pool")
        self.assertEqual(status, 502)
        self.assertEqual(body, MSG_502)
        self.assertEqual(self.errors("refused-pool", "connect_refused") - before, 4,
                         "expected 1 try + 3 retries over the 2 targets (service.retries = 3)")

    def test_retries_to_next_target(self):
        before = self.errors("half-dead", "connect_refused")
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=10)
        self.addCleanup(conn.close)
        for i in range(20):
            conn.request("GET", f"/half-dead/{i}")
            r = conn.getresponse()
            body = json.loads(r.read())
            self.assertEqual(r.status, 200, f"request {i}: {body}")
            self.assertEqual(body["app"], "a")
        refused = self.errors("half-dead", "connect_refused") - before
        self.assertGreaterEqual(refused, 1, "the dead target was never tried")
        self.assertLessEqual(refused, 20)

    # ---- timeouts, resets, hangs
    def test_read_timeout_is_504(self):
        before = self.errors("slow", "read_timeout")
        t0 = time.time()
        status, body = self.get("/slow/delay/3000")
        elapsed = time.time() - t0
        self.assertEqual(status, 504)
        self.assertEqual(body, MSG_504)
        self.assertLess(elapsed, 2.0, "504 came long after read_timeout (300 ms)")
        self.assertEqual(self.errors("slow", "read_timeout") - before, 1)
        status, body = self.get("/slow/delay/10")  # under the timeout: fine
        self.assertEqual(status, 200)

    def test_connect_timeout_is_504(self):
        before = self.errors("blackhole", "connect_timeout")
        t0 = time.time()
        status, body = self.get("/blackhole")
        self.assertEqual(status, 504)
        self.assertEqual(body, MSG_504)
        self.assertLess(time.time() - t0, 2.0, "504 came long after connect_timeout (300 ms)")
        self.assertEqual(self.errors("blackhole", "connect_timeout") - before, 1)

    def test_backend_hangs_is_504(self):
        t0 = time.time()
        status, body = self.get("/hang")
        self.assertEqual(status, 504)
        self.assertEqual(body, MSG_504)
        self.assertLess(time.time() - t0, 3.0)

    def test_backend_resets_mid_response(self):
        before = self.errors("reset", "reset")
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=10)
        self.addCleanup(conn.close)
        conn.request("GET", "/reset")
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        with self.assertRaises((http.client.IncompleteRead, ConnectionError)):
            r.read()  # the client must see a truncated body, never a "complete" short one
        deadline = time.time() + 5
        while self.errors("reset", "reset") - before < 1 and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.errors("reset", "reset") - before, 1)
        status, body = self.get("/refused-pool")  # the gateway still serves
        self.assertEqual(status, 502)

    def test_backend_resets_before_response_is_502(self):
        status, body = self.get("/early-reset")
        self.assertEqual(status, 502)
        self.assertEqual(body, MSG_502)

    # ---- no usable targets
    def test_no_targets_503(self):
        status, body = self.get("/empty")
        self.assertEqual(status, 503)
        self.assertEqual(body, MSG_503_RING)

    def test_all_weights_zero_503(self):
        status, body = self.get("/zero")
        self.assertEqual(status, 503)
        self.assertEqual(body, MSG_503_RING)

    # ---- distributions
    def distribution(self, path, n=400, headers_for=lambda i: {}):
        counts = collections.Counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=10)
        self.addCleanup(conn.close)
        deadline = time.time() + 60
        for i in range(n):
            self.assertLess(time.time(), deadline, "load loop too slow")
            conn.request("GET", path, headers=headers_for(i))
            r = conn.getresponse()
            body = json.loads(r.read())
            self.assertEqual(r.status, 200, body)
            counts[body["app"]] += 1
        return counts

    def test_round_robin_even(self):
        c = self.distribution("/rr")
        self.assertAlmostEqual(c["a"], 200, delta=20, msg=str(c))
        self.assertAlmostEqual(c["b"], 200, delta=20, msg=str(c))

    def test_round_robin_weighted_3_to_1(self):
        c = self.distribution("/weighted")
        self.assertAlmostEqual(c["a"], 300, delta=20, msg=str(c))
        self.assertAlmostEqual(c["b"], 100, delta=20, msg=str(c))

    def test_least_connections_uses_both(self):
        c = self.distribution("/lc", n=40)
        self.assertGreater(c["a"], 0, str(c))
        self.assertGreater(c["b"], 0, str(c))

    def test_consistent_hashing_sticky(self):
        seen = collections.defaultdict(set)
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=10)
        self.addCleanup(conn.close)
        for rep in range(5):
            for u in range(30):
                conn.request("GET", "/hashed", headers={"X-User": f"user-{u}"})
                r = conn.getresponse()
                body = json.loads(r.read())
                self.assertEqual(r.status, 200)
                seen[u].add(body["app"])
        for u, apps in seen.items():
            self.assertEqual(len(apps), 1, f"user-{u} went to {apps}")
        used = set().union(*seen.values())
        self.assertEqual(used, {"a", "b"}, "30 keys all hashed to one target")


if __name__ == "__main__":
    unittest.main()
