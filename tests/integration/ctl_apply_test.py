"""`causeway ctl` against a running control plane: apply makes the CP match a file (create,
update, delete) in one transaction, a second apply changes nothing, diff and --dry-run only
plan, dump round-trips, get lists and shows entities."""
import json
import os
import subprocess
import tempfile
import unittest

from cluster import ControlPlane
from harness import BIN, GatewayCase

CONFIG = """
_format_version: "3.0"
services:
  - name: users
    url: http://users.internal:8080/api
    routes:
      - name: users-route
        paths: [/users]
  - name: orders
    host: orders.internal
    routes:
      - name: orders-route
        paths: [/orders]
upstreams:
  - name: users.internal
    targets:
      - target: 10.0.0.1:8080
consumers:
  - username: alice
"""


class CtlApplyTest(GatewayCase):
    @classmethod
    def setUpClass(cls):
        cls.cp = cls.start(ControlPlane())

    def ctl(self, *args):
        out = subprocess.run([BIN, "ctl", "--admin-url", f"http://127.0.0.1:{self.cp.admin_port}",
                              *args], capture_output=True, text=True, timeout=60)
        return out.returncode, out.stdout + out.stderr

    def write(self, text):
        f = tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False)
        f.write(text)
        f.close()
        self.addCleanup(os.unlink, f.name)
        return f.name

    def test_apply_is_idempotent_and_deletes(self):
        path = self.write(CONFIG)
        code, out = self.ctl("diff", "-f", path)
        self.assertEqual(code, 1, out)
        code, out = self.ctl("apply", "-f", path, "--dry-run")
        self.assertEqual(code, 0, out)
        self.assertIn("creating service users", out)
        self.assertEqual(self.cp.api.get("/services")[1]["data"], [])  # dry run changed nothing
        code, out = self.ctl("apply", "-f", path)
        self.assertEqual(code, 0, out)
        self.assertIn("created 7", out)
        svc = self.cp.api.get("/services/users")[1]
        self.assertEqual((svc["host"], svc["port"], svc["path"]), ("users.internal", 8080, "/api"))
        code, out = self.ctl("apply", "-f", path)
        self.assertEqual(code, 0, out)
        self.assertIn("no changes", out)
        self.assertEqual(self.ctl("diff", "-f", path)[0], 0)
        # Remove orders and change users: one update, two deletes.
        smaller = CONFIG.replace("""  - name: orders
    host: orders.internal
    routes:
      - name: orders-route
        paths: [/orders]
""", "").replace("paths: [/users]", "paths: [/users, /people]")
        code, out = self.ctl("apply", "-f", self.write(smaller))
        self.assertEqual(code, 0, out)
        self.assertIn("updating route users-route: paths", out)
        self.assertIn("deleting service orders", out)
        self.assertEqual(self.cp.api.get("/services/orders")[0], 404)
        self.assertEqual(self.cp.api.get("/routes/users-route")[1]["paths"], ["/users", "/people"])

        # get and dump
        code, out = self.ctl("get", "services", "-o", "json")
        self.assertEqual(code, 0, out)
        self.assertEqual([s["name"] for s in json.loads(out)], ["users"])
        code, out = self.ctl("get", "routes", "users-route", "-o", "json")
        self.assertEqual(json.loads(out)["name"], "users-route")
        dump = os.path.join(tempfile.mkdtemp(), "dump.yml")
        code, out = self.ctl("dump", "-o", dump)
        self.assertEqual(code, 0, out)
        code, out = self.ctl("apply", "-f", dump)
        self.assertEqual(code, 0, out)
        self.assertIn("no changes", out)
        # Emptying the file empties the CP.
        code, out = self.ctl("apply", "-f", self.write('_format_version: "3.0"\n'))
        self.assertEqual(code, 0, out)
        self.assertEqual(self.cp.api.get("/services")[1]["data"], [])
        self.assertEqual(self.cp.api.get("/targets")[1]["data"], [])

    def test_invalid_file_is_refused_with_paths_and_nothing_applied(self):
        bad = self.write('_format_version: "3.0"\nservices:\n  - name: x\n    port: 99999\n')
        code, out = self.ctl("apply", "-f", bad)
        self.assertEqual(code, 2, out)
        self.assertIn("services[0].port", out)
        # The CP refuses it too when sent directly, with Kong's code 14.
        status, err, _ = self.cp.api.call("POST", "/config", raw=open(bad).read(),
                                          headers={"Content-Type": "application/yaml"})
        self.assertEqual((status, err["code"]), (400, 14))

    def test_get_unknown_is_an_api_refusal(self):
        code, out = self.ctl("get", "services", "nope")
        self.assertEqual(code, 4, out)


if __name__ == "__main__":
    unittest.main()
