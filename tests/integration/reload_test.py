"""Configuration reload on SIGHUP through the real binary: a new file changes routing, an invalid
file is refused (old config kept, failed counter, traffic still served), reloads under keep-alive
load lose no request, and a request in flight during a reload completes on its old config."""
import http.client
import json
import threading
import time
import unittest

from harness import DemoApp, Gateway, GatewayCase, TcpServer, read_request_head


def config(routes):
    """routes: list of (route name, path, app port)."""
    out = '_format_version: "3.0"\nservices:\n'
    for name, path, port in routes:
        out += (f"- name: s-{name}\n  url: http://127.0.0.1:{port}\n  routes:\n"
                f"  - name: {name}\n    paths: [\"{path}\"]\n")
    return out


class ReloadTest(GatewayCase):
    @classmethod
    def setUpClass(cls):
        cls.a = cls.start(DemoApp("a"))
        cls.b = cls.start(DemoApp("b"))

    def gateway(self, cfg, **kw):
        return self.own(Gateway(cfg, tls=False, **kw))

    def test_sighup_changes_routing(self):
        gw = self.gateway(config([("one", "/one", self.a.port)]))
        status, body = gw.json("GET", "/one/x")
        self.assertEqual((status, body["app"]), (200, "a"))
        hash1 = gw.status()["configuration_hash"]
        reloads = gw.reload(config([("two", "/two", self.b.port)]))
        self.assertEqual(reloads, {"ok": 1, "failed": 0})
        self.assertNotEqual(gw.status()["configuration_hash"], hash1)
        status, body = gw.json("GET", "/one/x")
        self.assertEqual(status, 404, body)
        status, body = gw.json("GET", "/two/x")
        self.assertEqual((status, body["app"]), (200, "b"))

    def test_invalid_config_keeps_old(self):
        gw = self.gateway(config([("one", "/one", self.a.port)]))
        hash1 = gw.status()["configuration_hash"]
        reloads = gw.reload("_format_version: \"3.0\"\nservices:\n- name: bad\n  url: nope://\n"
                            "  routes: [{name: r, paths: [\"/two\"]}]\n")
        self.assertEqual(reloads, {"ok": 0, "failed": 1})
        self.assertEqual(gw.status()["configuration_hash"], hash1)
        status, body = gw.json("GET", "/one/x")
        self.assertEqual((status, body["app"]), (200, "a"))
        self.assertIn("reload refused", gw.output())
        reloads = gw.reload("services: [: not yaml")
        self.assertEqual(reloads, {"ok": 0, "failed": 2})
        status, body = gw.json("GET", "/one/x")
        self.assertEqual(status, 200)
        # and a valid file after the invalid ones is taken
        reloads = gw.reload(config([("two", "/two", self.b.port)]))
        self.assertEqual(reloads, {"ok": 1, "failed": 2})
        self.assertEqual(gw.json("GET", "/two/x")[0], 200)

    def test_reload_under_load_loses_nothing(self):
        cfg_a = config([("load", "/load", self.a.port)])
        cfg_b = config([("load", "/load", self.b.port), ("extra", "/extra", self.a.port)])
        gw = self.gateway(cfg_a, workers=2)
        stop = threading.Event()
        results = [[] for _ in range(4)]  # per thread: list of (status or exception)

        def client(out):
            conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
            try:
                for i in range(20000):  # bounded in count; `stop` bounds it in time
                    if stop.is_set():
                        break
                    try:
                        conn.request("GET", f"/load/{i}")
                        r = conn.getresponse()
                        body = r.read()
                        out.append(r.status if r.status != 200 else json.loads(body)["app"])
                    except Exception as e:  # noqa: BLE001 - every failure is a result here
                        out.append(repr(e))
                        conn.close()
                        conn = http.client.HTTPConnection("127.0.0.1", gw.port, timeout=10)
            finally:
                conn.close()

        threads = [threading.Thread(target=client, args=(results[i],)) for i in range(4)]
        for t in threads:
            t.start()
        try:
            t0 = time.time()
            for i in range(10):
                gw.reload(cfg_b if i % 2 == 0 else cfg_a)
                time.sleep(max(0.0, t0 + (i + 1) * 0.5 - time.time()))
        finally:
            stop.set()
            for t in threads:
                t.join(30)
        self.assertEqual(gw.status()["config_reloads"], {"ok": 10, "failed": 0})
        flat = [r for rs in results for r in rs]
        bad = [r for r in flat if r not in ("a", "b")]
        self.assertGreater(len(flat), 100, "too few requests to mean anything")
        self.assertEqual(bad[:20], [], f"{len(bad)} of {len(flat)} requests failed")
        self.assertEqual(set(flat), {"a", "b"}, "the reloads did not change the routing")

    def test_in_flight_request_survives_reload(self):
        arrived = threading.Event()

        def slow(conn):
            conn.settimeout(10)
            if not read_request_head(conn):
                return
            arrived.set()
            time.sleep(1.5)
            body = b'{"app":"slow"}'
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body))
            conn.recv(1)

        server = TcpServer(slow)
        self.addCleanup(server.stop)
        gw = self.gateway(config([("slow", "/slow", server.port)]))
        result = {}

        def request():
            try:
                result["r"] = gw.json("GET", "/slow/x")
            except Exception as e:  # noqa: BLE001
                result["r"] = repr(e)

        t = threading.Thread(target=request)
        t.start()
        self.addCleanup(t.join, 10)
        self.assertTrue(arrived.wait(10), "the slow request never reached the upstream")
        gw.reload(config([("other", "/other", self.a.port)]))  # the route is gone now
        t.join(10)
        self.assertEqual(result.get("r"), (200, {"app": "slow"}))
        self.assertEqual(gw.json("GET", "/slow/x")[0], 404)


if __name__ == "__main__":
    unittest.main()
