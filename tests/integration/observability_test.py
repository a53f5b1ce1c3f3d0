"""Observability through the real binary: /status counters, /metrics in valid Prometheus text
(checked with promtool) with per service/route/code request counts, duration histograms and
upstream errors, and the JSON access log (one line per request)."""
import http.client
import json
import os
import socket
import subprocess
import tempfile
import unittest

from harness import (DemoApp, Gateway, GatewayCase, free_port, metric_value, parse_metrics,
                     wait_until)


class ObservabilityTest(GatewayCase):
    @classmethod
    def setUpClass(cls):
        cls.app = cls.start(DemoApp("a"))
        cls.log_path = os.path.join(tempfile.mkdtemp(prefix="cw-log-"), "access.log")
        cls.dead = free_port()
        cls.gw = cls.start(Gateway(f"""
_format_version: "3.0"
services:
- name: echo
  url: http://127.0.0.1:{cls.app.port}
  routes:
  - name: echo-route
    paths: ["/echo"]
- name: dead
  url: http://127.0.0.1:{cls.dead}
  retries: 0
  routes:
  - name: dead-route
    paths: ["/dead"]
""", workers=2, tls=False, extra=["--access-log", cls.log_path]))

    def keepalive_requests(self, paths, method="GET"):
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=10)
        try:
            statuses = []
            for p in paths:
                conn.request(method, p)
                r = conn.getresponse()
                r.read()
                statuses.append(r.status)
            return statuses
        finally:
            conn.close()

    def test_status_fields_and_counts(self):
        s0 = self.gw.status()
        self.assertEqual(set(s0), {"configuration_hash", "server", "workers", "config_reloads"})
        self.assertEqual(set(s0["server"]),
                         {"connections_active", "connections_accepted", "total_requests"})
        self.assertEqual(s0["workers"], 2)
        self.assertEqual(s0["config_reloads"], {"ok": 0, "failed": 0})
        self.assertRegex(s0["configuration_hash"], r"^\S+$")
        statuses = self.keepalive_requests(["/echo/a"] * 7 + ["/nowhere"] * 3)
        self.assertEqual(statuses, [200] * 7 + [404] * 3)
        # The last request is counted just after its response reaches the client: wait for it.
        s1 = wait_until(lambda: (lambda s: s if s["server"]["total_requests"]
                                 - s0["server"]["total_requests"] >= 10 else None)(self.gw.status()),
                        what="10 requests counted")
        self.assertEqual(s1["server"]["total_requests"] - s0["server"]["total_requests"], 10)
        self.assertEqual(s1["server"]["connections_accepted"] - s0["server"]["connections_accepted"], 1)

    def test_connections_active(self):
        base = 0  # the tests run one after the other: nothing else holds a connection
        wait_until(lambda: self.gw.status()["server"]["connections_active"] == base,
                   what="no active connections")
        socks = [socket.create_connection(("127.0.0.1", self.gw.port), timeout=5) for _ in range(3)]
        try:
            wait_until(lambda: self.gw.status()["server"]["connections_active"] == base + 3,
                       what="3 active connections")
        finally:
            for s in socks:
                s.close()
        wait_until(lambda: self.gw.status()["server"]["connections_active"] == base,
                   what="connections closed")

    def test_status_unknown_path_404(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.status_port, timeout=5)
        conn.request("GET", "/nope")
        self.assertEqual(conn.getresponse().status, 404)
        conn.close()

    def test_metrics_promtool_and_request_counts(self):
        m0 = self.gw.metrics()
        labels200 = dict(service="echo", route="echo-route", code="200")
        before = metric_value(m0, "causeway_http_requests_total", **labels200)
        before_count = metric_value(m0, "causeway_http_request_duration_seconds_count")
        statuses = self.keepalive_requests(["/echo/m", "/echo/status/503", "/echo/m", "/nowhere",
                                            "/dead"])
        self.assertEqual(statuses, [200, 503, 200, 404, 502])
        # A request is counted when its exchange ends, just after the client has the last byte:
        # wait (bounded) until the last request is in, then check everything at once.
        text = wait_until(
            lambda: (lambda t: t if metric_value(t, "causeway_http_request_duration_seconds_count")
                     - before_count >= 5 else None)(self.gw.metrics()),
            what="all 5 requests counted")
        r = subprocess.run(["/usr/bin/promtool", "check", "metrics"], input=text.encode(),
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, f"promtool: {r.stdout!r} {r.stderr!r}\n{text}")
        self.assertEqual(metric_value(text, "causeway_http_requests_total", **labels200) - before, 2)
        self.assertGreaterEqual(metric_value(text, "causeway_http_requests_total", service="echo",
                                             route="echo-route", code="503"), 1)
        self.assertGreaterEqual(metric_value(text, "causeway_http_requests_total", code="404"), 1)
        self.assertGreaterEqual(metric_value(text, "causeway_http_requests_total", service="dead",
                                             route="dead-route", code="502"), 1)
        self.assertGreaterEqual(metric_value(text, "causeway_upstream_errors_total", service="dead",
                                             kind="connect_refused"), 1)
        count = metric_value(text, "causeway_http_request_duration_seconds_count")
        self.assertGreaterEqual(count - before_count, 5)

    def test_histogram_is_consistent(self):
        self.keepalive_requests(["/echo/h"] * 3)
        samples = parse_metrics(self.gw.metrics())
        series = {}
        for name, labels, value in samples:
            if name == "causeway_http_request_duration_seconds_bucket":
                key = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
                series.setdefault(key, []).append((labels["le"], value))
        self.assertTrue(series, "no duration buckets")
        counts = {tuple(sorted(l.items())): v for n, l, v in samples
                  if n == "causeway_http_request_duration_seconds_count"}
        for key, buckets in series.items():
            ordered = sorted(buckets, key=lambda b: float(b[0]))
            values = [v for _, v in ordered]
            self.assertEqual(values, sorted(values), f"buckets not cumulative for {key}")
            self.assertEqual(ordered[-1][0], "+Inf")
            self.assertEqual(ordered[-1][1], counts.get(key), f"+Inf bucket != _count for {key}")

    def test_access_log_lines(self):
        def lines():
            with open(self.log_path) as f:
                return [json.loads(l) for l in f.read().splitlines() if l.strip()]

        n0 = len(lines()) if os.path.exists(self.log_path) else 0
        self.assertEqual(self.keepalive_requests(["/echo/log1?q=1"]), [200])
        self.assertEqual(self.keepalive_requests(["/not-routed"]), [404])
        self.assertEqual(self.keepalive_requests(["/echo/log2"], method="POST"), [200])
        got = wait_until(lambda: len(lines()) >= n0 + 3 and lines(), timeout=5,
                         what="3 access log lines")
        new = got[n0:]
        self.assertEqual(len(new), 3, new)
        by_path = {e["path"]: e for e in new}
        e = by_path.get("/echo/log1?q=1") or by_path.get("/echo/log1")
        self.assertIsNotNone(e, new)
        self.assertEqual((e["status"], e["method"], e["service"], e["route"]),
                         (200, "GET", "echo", "echo-route"))
        self.assertEqual(by_path["/not-routed"]["status"], 404)
        self.assertEqual(by_path["/echo/log2"]["method"], "POST")
        for e in new:
            for field in ("status", "method", "path"):
                self.assertIn(field, e)


if __name__ == "__main__":
    unittest.main()
