"""Hybrid mode end to end: `causeway cp` + `causeway gateway --cp` over mutual TLS. Changes made
through the Admin API change the traffic; the data plane keeps serving through CP outages and
restarts from its saved snapshot; a bad snapshot is nacked and the old config kept; data planes
without a valid certificate, or newer than the CP, are refused."""
import json
import os
import sqlite3
import tempfile
import time
import unittest

from cluster import (ControlPlane, HybridGateway, MiniWebSocket, Postgres, cert_init, sync_hello,
                     wait_serving)
from harness import DemoApp, GatewayCase, free_port, wait_until


class HybridTest(GatewayCase):
    store = None  # SQLite; the PostgreSQL variant below sets a URI

    @classmethod
    def setUpClass(cls):
        cls.certs = cert_init(os.path.join(tempfile.mkdtemp(prefix="cw-certs-"), "cluster"))
        cls.app = cls.start(DemoApp("hybrid"))

    def control_plane(self, **kw):
        return ControlPlane(cert_dir=self.certs, store=self.store, **kw)

    def add_service(self, cp, name, path):
        status, body = cp.api.post("/services", {"name": name,
                                                  "url": f"http://127.0.0.1:{self.app.port}"})
        self.assertEqual(status, 201, body)
        status, body = cp.api.post(f"/services/{name}/routes", {"name": name, "paths": [path]})
        self.assertEqual(status, 201, body)

    def test_api_changes_reach_the_traffic(self):
        cp = self.own(self.control_plane())
        dp = self.own(HybridGateway(cp.cluster_url, self.certs))
        wait_until(lambda: len(cp.data_planes()) == 1 and cp.data_planes()[0]["connected"],
                   what="data plane registered")
        self.add_service(cp, "echo", "/echo")
        wait_serving(dp, "/echo/x")
        dp.wait_hash(cp.config_hash())
        status, body = dp.request("/echo/x")
        self.assertEqual(json.loads(body)["path"], "/x")
        # A change is a delta: the route moves.
        self.assertEqual(cp.api.patch("/routes/echo", {"paths": ["/moved"]})[0], 200)
        wait_serving(dp, "/moved")
        self.assertEqual(dp.request("/echo/x")[0], 404)
        self.assertEqual(cp.api.delete("/routes/echo")[0], 204)
        wait_serving(dp, "/moved", status=404)
        wait_until(lambda: cp.data_planes()[0]["config_hash"] == cp.config_hash(), what="ack")
        planes = cp.data_planes()
        self.assertEqual(len(planes), 1)
        p = planes[0]
        self.assertEqual(p["sync_status"], "normal")
        self.assertEqual(p["config_hash"], cp.config_hash())
        for field in ["id", "ip", "hostname", "version", "last_seen"]:
            self.assertTrue(p[field], field)

    def test_cp_down_dp_keeps_serving_and_restarts_from_cache(self):
        data = tempfile.mkdtemp(prefix="cw-cpdata-")
        cp = self.control_plane(data_dir=data)
        self.addCleanup(cp.stop)
        self.add_service(cp, "cached", "/cached")
        dp = self.own(HybridGateway(cp.cluster_url, self.certs))
        wait_serving(dp, "/cached")
        # Control plane gone: traffic goes on.
        cp.stop()
        for _ in range(20):
            self.assertEqual(dp.request("/cached")[0], 200)
        # Data plane restarted while the CP is down: it serves its saved snapshot.
        saved = os.path.join(dp.data_dir, "gateway-snapshot.json")
        wait_until(lambda: os.path.exists(saved), what="snapshot saved")
        self.assertEqual(os.stat(saved).st_mode & 0o777, 0o600)
        dp.stop()
        dp2 = self.own(HybridGateway(cp.cluster_url, self.certs, data_dir=dp.data_dir))
        wait_serving(dp2, "/cached", timeout=10)
        # The CP comes back on the same address: the data plane reconnects and follows changes.
        cp2 = self.own(self.control_plane(data_dir=data, cluster_port=cp.cluster_port))
        self.add_service(cp2, "later", "/later")
        wait_serving(dp2, "/later", timeout=30)
        self.assertEqual(dp2.request("/cached")[0], 200)

    def test_bad_snapshot_is_nacked_and_old_config_kept(self):
        cp = self.own(ControlPlane(cert_dir=self.certs))
        dp = self.own(HybridGateway(cp.cluster_url, self.certs))
        self.add_service(cp, "good", "/good")
        wait_serving(dp, "/good")
        good_hash = dp.status()["configuration_hash"]
        # A record no Admin API would accept, written straight into the store (as a broken
        # migration or a newer tool might): a route with an invalid regex.
        db = sqlite3.connect(os.path.join(cp.data_dir, "causeway.db"))
        with db:
            rev = db.execute("SELECT revision FROM meta").fetchone()[0] + 1
            body = json.dumps({"id": "0b9f4c1e-1111-4a5b-9c3d-000000000001", "name": "broken",
                               "paths": ["~/(unclosed"], "created_at": 1, "updated_at": 1},
                              sort_keys=True, separators=(",", ":"))
            db.execute("INSERT INTO records VALUES ('routes', ?, ?, ?, '[\"name=broken\"]', '[]')",
                       ("0b9f4c1e-1111-4a5b-9c3d-000000000001", body, rev))
            db.execute("INSERT INTO unique_keys VALUES ('routes', 'name=broken', ?)",
                       ("0b9f4c1e-1111-4a5b-9c3d-000000000001",))
            db.execute("INSERT INTO changes VALUES (?, 0, 'routes', ?, 0, ?)",
                       (rev, "0b9f4c1e-1111-4a5b-9c3d-000000000001", body))
            db.execute("UPDATE meta SET revision = ?", (rev,))
        db.close()
        # Any write wakes the CP, which then reads the tampered revision too.
        self.add_service(cp, "after", "/after")
        # Pipelined deltas may first be nacked as out of order (then a snapshot follows); the
        # data plane ends up refusing the invalid route itself.
        wait_until(lambda: cp.data_planes()[0]["sync_status"] == "nacked" and
                   "regex" in cp.data_planes()[0]["last_error"], what="nack naming the regex")
        self.assertEqual(dp.status()["configuration_hash"], good_hash)
        self.assertEqual(dp.request("/good")[0], 200)
        self.assertEqual(dp.request("/after")[0], 404)
        # Removing the bad record lets the data plane catch up.
        self.assertEqual(cp.api.delete("/routes/broken")[0], 204)
        wait_serving(dp, "/after")
        wait_until(lambda: cp.data_planes()[0]["sync_status"] == "normal", what="ack")

    def test_data_plane_without_valid_certificate_is_refused(self):
        cp = self.own(ControlPlane(cert_dir=self.certs))
        # No client certificate at all: the handshake completes (mesh sidecars have none and
        # present a token), and a gateway's hello is refused with the reason.
        ws = MiniWebSocket(cp.cluster_port, os.path.join(self.certs, "ca.crt"))
        try:
            ws.send(sync_hello("no-cert", ["gateway"]))
            kind, (code, reason) = ws.recv_json()
            self.assertEqual((kind, code), ("close", 4001))
            self.assertIn("client certificate", reason)
        finally:
            ws.close()
        self.assertEqual(cp.data_planes(), [])
        # A certificate from another cluster's CA.
        foreign = cert_init(os.path.join(tempfile.mkdtemp(prefix="cw-foreign-"), "c"))
        dp = self.own(HybridGateway(cp.cluster_url, foreign))
        time.sleep(2)
        self.assertEqual(cp.data_planes(), [])
        self.assertFalse(dp.status()["control_plane"]["connected"])
        self.assertIn("refused a data plane", cp.output())

    def test_newer_data_plane_is_refused_with_reason(self):
        cp = self.own(ControlPlane(cert_dir=self.certs))
        dp = self.own(HybridGateway(cp.cluster_url, self.certs,
                                    env={"CAUSEWAY_DP_VERSION": "9.0.0"}))
        wait_until(lambda: cp.data_planes() and
                   cp.data_planes()[0]["sync_status"] == "version_incompatible", what="refusal")
        wait_until(lambda: "newer than control plane" in dp.output(), what="reason logged by DP")


class PostgresHybridTest(GatewayCase):
    """The store-independent hybrid cases again, with the CP on PostgreSQL."""

    @classmethod
    def setUpClass(cls):
        cls.pg = Postgres()
        cls.addClassCleanup(cls.pg.stop)
        HybridTest.setUpClass.__func__(cls)

    store = property(lambda self: self.pg.uri)
    control_plane = HybridTest.control_plane
    add_service = HybridTest.add_service
    test_api_changes_reach_the_traffic = HybridTest.test_api_changes_reach_the_traffic
    test_cp_down_dp_keeps_serving_and_restarts_from_cache = \
        HybridTest.test_cp_down_dp_keeps_serving_and_restarts_from_cache


class ReplicaTest(GatewayCase):
    """Two CP replicas on one PostgreSQL: a change through either reaches every data plane, and
    data planes of a replica that dies move to the other without interrupting traffic."""

    def test_replicas_share_changes_and_fail_over(self):
        certs = cert_init(os.path.join(tempfile.mkdtemp(prefix="cw-certs-"), "c"))
        app = self.own(DemoApp("replica"))
        pg = Postgres()
        self.addCleanup(pg.stop)
        a = ControlPlane(cert_dir=certs, store=pg.uri, name="cp-a")
        self.addCleanup(a.stop)
        b = self.own(ControlPlane(cert_dir=certs, store=pg.uri, name="cp-b"))
        dp1 = self.own(HybridGateway(f"{a.cluster_url},{b.cluster_url}", certs, name="dp1"))
        dp2 = self.own(HybridGateway(b.cluster_url, certs, name="dp2"))
        wait_until(lambda: len(a.data_planes()) == 1 and len(b.data_planes()) == 1,
                   what="one data plane on each replica")
        # A change through replica A reaches the data plane of replica B, and the reverse.
        self.assertEqual(a.api.post("/services", {"name": "s", "url": f"http://127.0.0.1:{app.port}"})[0], 201)
        self.assertEqual(a.api.post("/services/s/routes", {"name": "r1", "paths": ["/one"]})[0], 201)
        wait_serving(dp2, "/one")
        self.assertEqual(b.api.post("/services/s/routes", {"name": "r2", "paths": ["/two"]})[0], 201)
        wait_serving(dp1, "/two")
        wait_serving(dp2, "/two")
        self.assertEqual(a.config_hash(), b.config_hash())
        # Replica A dies: traffic through dp1 never fails, and dp1 moves to B.
        failures = 0
        a.stop()
        deadline = time.time() + 4
        while time.time() < deadline:
            if dp1.request("/one")[0] != 200:
                failures += 1
        self.assertEqual(failures, 0)
        wait_until(lambda: len([p for p in b.data_planes() if p["connected"]]) == 2, timeout=20,
                   what="dp1 reconnected to replica B")
        self.assertEqual(b.api.post("/services/s/routes", {"name": "r3", "paths": ["/three"]})[0], 201)
        wait_serving(dp1, "/three")
        # Each change applied once: every data plane ends at the same hash as the store.
        dp1.wait_hash(b.config_hash())
        dp2.wait_hash(b.config_hash())


if __name__ == "__main__":
    unittest.main()
