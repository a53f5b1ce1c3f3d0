"""Admin API conformance (Kong's paths, verbs, pagination and error shapes), run against both
stores: SQLite (the default) and a real PostgreSQL started by the test."""
import subprocess
import unittest

from cluster import AdminClient, ControlPlane, Postgres
from harness import BIN, GatewayCase


class AdminApiCases:
    """Mixed into one TestCase per store; `cls.cp` is a running control plane."""

    def setUp(self):
        self.api = self.cp.api
        # Every test starts from an empty config.
        for kind in ["plugins", "routes", "targets", "snis", "services", "upstreams",
                     "certificates", "consumers"]:
            while True:
                status, body = self.api.get(f"/{kind}?size=1000")
                self.assertEqual(status, 200, body)
                if not body["data"]:
                    break
                for e in body["data"]:
                    self.assertEqual(self.api.delete(f"/{kind}/{e['id']}")[0], 204)

    def test_service_crud_and_defaults(self):
        status, svc = self.api.post("/services", {"name": "users", "host": "users.internal"})
        self.assertEqual(status, 201, svc)
        self.assertEqual(svc["port"], 80)
        self.assertEqual(svc["protocol"], "http")
        self.assertEqual(svc["retries"], 5)
        self.assertIsNone(svc["path"])
        self.assertIn("created_at", svc)
        self.assertEqual(self.api.get("/services/users")[1]["id"], svc["id"])
        self.assertEqual(self.api.get(f"/services/{svc['id']}")[1]["name"], "users")
        status, patched = self.api.patch("/services/users", {"port": 8080})
        self.assertEqual((status, patched["port"], patched["host"]), (200, 8080, "users.internal"))
        status, put = self.api.put("/services/users", {"host": "other"})
        self.assertEqual((status, put["id"], put["port"], put["host"]), (200, svc["id"], 80, "other"))
        self.assertEqual(self.api.delete("/services/users")[0], 204)
        self.assertEqual(self.api.get("/services/users")[0], 404)
        self.assertEqual(self.api.delete("/services/users")[0], 204)  # idempotent, as Kong

    def test_put_creates_by_name_and_by_id(self):
        status, svc = self.api.put("/services/by-name", {"host": "a"})
        self.assertEqual((status, svc["name"]), (200, "by-name"))
        sid = "8a1f8c4e-5a38-4f3b-9d40-6f0d2a7c1111"
        status, svc = self.api.put(f"/services/{sid}", {"name": "by-id", "host": "b"})
        self.assertEqual((status, svc["id"]), (200, sid))

    def test_form_encoded_bodies(self):
        status, svc = self.api.form("POST", "/services",
                                    [("name", "form"), ("host", "h"), ("port", "8081")])
        self.assertEqual((status, svc["port"]), (201, 8081), svc)
        status, route = self.api.form("POST", "/services/form/routes",
                                      [("paths[]", "/a"), ("paths[]", "/b"), ("name", "r")])
        self.assertEqual(status, 201, route)
        self.assertEqual(route["paths"], ["/a", "/b"])
        self.assertEqual(route["service"], {"id": svc["id"]})

    def test_schema_violation_names_every_field(self):
        status, err = self.api.post("/services", {"port": "x", "protocol": "ftp"})
        self.assertEqual(status, 400)
        self.assertEqual(err["code"], 2)
        self.assertEqual(err["name"], "schema violation")
        self.assertIn("host", err["fields"])
        self.assertIn("port", err["fields"])
        self.assertIn("protocol", err["fields"])
        self.assertIn("schema violations", err["message"])
        status, err = self.api.post("/services", {"host": "a", "nope": 1})
        self.assertEqual((status, err["fields"]), (400, {"nope": "unknown field"}))
        status, err = self.api.post("/routes", {"paths": ["/ok", "bad"]})
        self.assertEqual(status, 400)
        self.assertEqual(err["fields"]["paths"][0], None)
        self.assertIsInstance(err["fields"]["paths"][1], str)

    def test_unique_and_primary_key_violations(self):
        status, svc = self.api.post("/services", {"name": "dup", "host": "a"})
        self.assertEqual(status, 201)
        status, err = self.api.post("/services", {"name": "dup", "host": "b"})
        self.assertEqual(status, 409)
        self.assertEqual((err["code"], err["name"]), (5, "unique constraint violation"))
        self.assertEqual(err["fields"], {"name": "dup"})
        status, err = self.api.post("/services", {"id": svc["id"], "host": "b"})
        self.assertEqual((status, err["code"], err["name"]), (409, 3, "primary key violation"))
        # The failed writes changed nothing.
        self.assertEqual(len(self.api.get("/services")[1]["data"]), 1)

    def test_foreign_keys(self):
        status, err = self.api.post("/routes", {"paths": ["/x"],
                                                "service": {"id": "8a1f8c4e-5a38-4f3b-9d40-6f0d2a7c2222"}})
        self.assertEqual((status, err["code"], err["name"]), (400, 4, "foreign key violation"))
        self.assertIn("service", err["fields"])
        self.api.post("/services", {"name": "s", "host": "a"})
        status, route = self.api.post("/routes", {"paths": ["/x"], "service": {"name": "s"}})
        self.assertEqual(status, 201, route)
        status, err = self.api.delete("/services/s")
        self.assertEqual((status, err["code"]), (400, 4))
        self.assertEqual(err["fields"], {"@referenced_by": "routes"})
        self.assertEqual(self.api.delete(f"/routes/{route['id']}")[0], 204)
        self.assertEqual(self.api.delete("/services/s")[0], 204)

    def test_nested_paths_and_cascades(self):
        self.api.post("/upstreams", {"name": "up"})
        status, t = self.api.post("/upstreams/up/targets", {"target": "10.0.0.1:80", "weight": 50})
        self.assertEqual(status, 201, t)
        self.assertEqual(self.api.post("/upstreams/up/targets", {"target": "10.0.0.1:80"})[0], 409)
        self.assertEqual(self.api.get("/upstreams/up/targets/10.0.0.1:80")[1]["weight"], 50)
        self.assertEqual(len(self.api.get("/upstreams/up/targets")[1]["data"]), 1)
        self.assertEqual(self.api.delete("/upstreams/up")[0], 204)  # targets cascade
        self.assertEqual(self.api.get("/targets")[1]["data"], [])
        self.api.post("/services", {"name": "a", "host": "a"})
        self.api.post("/services", {"name": "b", "host": "b"})
        self.api.post("/services/a/routes", {"name": "ra", "paths": ["/a"]})
        self.api.post("/services/b/routes", {"name": "rb", "paths": ["/b"]})
        names = [r["name"] for r in self.api.get("/services/a/routes")[1]["data"]]
        self.assertEqual(names, ["ra"])
        self.assertEqual(self.api.get("/services/a/routes/rb")[0], 404)
        self.assertEqual(self.api.get("/services/b/routes/rb")[0], 200)

    def test_pagination(self):
        for i in range(7):
            self.assertEqual(self.api.post("/consumers", {"username": f"u{i}", "tags": ["t" + str(i % 2)]})[0], 201)
        seen = []
        path = "/consumers?size=3"
        pages = 0
        while path:
            status, page = self.api.get(path)
            self.assertEqual(status, 200)
            seen += [c["username"] for c in page["data"]]
            path = page["next"]
            pages += 1
        self.assertEqual(pages, 3)
        self.assertEqual(sorted(seen), [f"u{i}" for i in range(7)])
        status, err = self.api.get("/consumers?size=0")
        self.assertEqual((status, err["code"], err["name"]), (400, 9, "invalid size"))
        status, err = self.api.get("/consumers?offset=garbage!")
        self.assertEqual((status, err["code"], err["name"]), (400, 7, "invalid offset"))
        tagged = self.api.get("/consumers?tags=t1")[1]["data"]
        self.assertEqual(sorted(c["username"] for c in tagged), ["u1", "u3", "u5"])

    def test_certificates_with_snis(self):
        import tempfile
        from harness import make_cert
        d = tempfile.mkdtemp()
        cert, key = make_cert(d, "site", "example.test", ["DNS:example.test"])
        with open(cert) as f1, open(key) as f2:
            cert_pem, key_pem = f1.read(), f2.read()
        status, c = self.api.post("/certificates", {"cert": cert_pem, "key": key_pem,
                                                     "snis": ["example.test", "www.example.test"]})
        self.assertEqual(status, 201, c)
        self.assertEqual(sorted(c["snis"]), ["example.test", "www.example.test"])
        self.assertEqual(self.api.get("/snis/www.example.test")[1]["certificate"], {"id": c["id"]})
        status, err = self.api.post("/certificates", {"cert": "junk", "key": "junk"})
        self.assertEqual(status, 400)
        self.assertEqual(self.api.delete(f"/certificates/{c['id']}")[0], 204)
        self.assertEqual(self.api.get("/snis")[1]["data"], [])

    def test_plugins_are_schema_checked(self):
        status, err = self.api.post("/plugins", {"name": "rate-limiting", "config": {"minute": 5}})
        self.assertEqual(status, 400)
        self.assertIn("rate-limiting", err["message"])

    def test_schemas_status_and_errors(self):
        status, schema = self.api.get("/schemas/services")
        self.assertEqual(status, 200)
        fields = {list(f.keys())[0]: list(f.values())[0] for f in schema["fields"]}
        self.assertEqual(fields["port"]["default"], 80)
        self.assertTrue(fields["host"]["required"])
        self.assertEqual(self.api.get("/schemas/nothing")[0], 404)
        status, st = self.api.get("/status")
        self.assertEqual(status, 200)
        self.assertTrue(st["database"]["reachable"])
        self.assertEqual(self.api.get("/nothing-here")[0], 404)
        self.assertEqual(self.api.call("DELETE", "/services")[0], 405)
        status, err, _ = self.api.call("POST", "/services", raw="{not json",
                                       headers={"Content-Type": "application/json"})
        self.assertEqual(status, 400)

    def test_config_export(self):
        self.api.post("/services", {"name": "s", "host": "a"})
        self.api.post("/services/s/routes", {"name": "r", "paths": ["/r"]})
        status, doc = self.api.get("/config")
        self.assertEqual(status, 200)
        self.assertEqual(doc["_format_version"], "3.0")
        self.assertEqual([s["name"] for s in doc["services"]], ["s"])
        self.assertEqual(doc["routes"][0]["service"], {"id": doc["services"][0]["id"]})


class SqliteAdminApiTest(AdminApiCases, GatewayCase):
    @classmethod
    def setUpClass(cls):
        cls.cp = cls.start(ControlPlane())


class PostgresAdminApiTest(AdminApiCases, GatewayCase):
    @classmethod
    def setUpClass(cls):
        cls.pg = Postgres()
        cls.addClassCleanup(cls.pg.stop)
        cls.cp = cls.start(ControlPlane(store=cls.pg.uri))


class AdminSecurityTest(GatewayCase):
    def test_non_loopback_needs_a_token_and_tokens_are_enforced(self):
        import tempfile
        d = tempfile.mkdtemp()
        out = subprocess.run([BIN, "cp", "--data-dir", d, "--admin-listen", "0.0.0.0:0",
                              "--admin-ssl-listen", "off"], capture_output=True, text=True, timeout=30)
        self.assertNotEqual(out.returncode, 0)
        self.assertIn("without admin tokens", out.stdout + out.stderr)
        rw = subprocess.run([BIN, "cp", "token", "create", "--data-dir", d, "--name", "ops"],
                            capture_output=True, text=True, timeout=30).stdout.strip()
        ro = subprocess.run([BIN, "cp", "token", "create", "--data-dir", d, "--name", "viewer",
                             "--read-only"], capture_output=True, text=True, timeout=30).stdout.strip()
        self.assertTrue(rw.startswith("cwt_") and ro.startswith("cwt_"))
        cp = self.own(ControlPlane(data_dir=d))
        self.assertEqual(cp.api.get("/services")[0], 401)
        self.assertEqual(AdminClient(cp.admin_port, "cwt_wrong").get("/services")[0], 401)
        self.assertEqual(AdminClient(cp.admin_port, ro).get("/services")[0], 200)
        self.assertEqual(AdminClient(cp.admin_port, ro).post("/services", {"host": "a"})[0], 403)
        self.assertEqual(AdminClient(cp.admin_port, rw).post("/services", {"host": "a"})[0], 201)
        tokens = AdminClient(cp.admin_port, ro).get("/admin_tokens")[1]["data"]
        self.assertEqual(sorted(t["name"] for t in tokens), ["ops", "viewer"])
        self.assertNotIn("token_hash", tokens[0])
        self.assertNotIn(rw, cp.output())


if __name__ == "__main__":
    unittest.main()
