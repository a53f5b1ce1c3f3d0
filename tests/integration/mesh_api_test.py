"""Kuma's REST paths on the control plane's Admin API: /meshes/{mesh}/{type-plural}/{name} (PUT
creates 201 / updates 200, GET, list shape, DELETE), Kuma-shaped validation errors naming the
field, resources in a missing mesh refused, a mesh with resources not deletable, and
`causeway ctl apply` of a Kuma Universal YAML stream."""
import os
import subprocess
import unittest

from cluster import ControlPlane
from harness import BIN, GatewayCase

DEMO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "mesh", "demo.yaml")

PERMISSION = {
    "type": "MeshTrafficPermission", "name": "allow-web", "mesh": "m1",
    "spec": {
        "targetRef": {"kind": "MeshService", "name": "backend"},
        "from": [{"targetRef": {"kind": "MeshSubset", "tags": {"kuma.io/service": "web"}},
                  "default": {"action": "Allow"}}],
    },
}

DATAPLANE = {
    "type": "Dataplane", "name": "web-01", "mesh": "m1",
    "networking": {
        "address": "10.0.0.1",
        "inbound": [{"port": 8080, "servicePort": 18080,
                     "tags": {"kuma.io/service": "web", "kuma.io/protocol": "http"}}],
        "outbound": [{"port": 10001, "tags": {"kuma.io/service": "backend"}}],
    },
}


class MeshApiTest(GatewayCase):
    @classmethod
    def setUpClass(cls):
        cls.cp = cls.start(ControlPlane())

    def setUp(self):
        self.api = self.cp.api

    def ctl(self, *args):
        out = subprocess.run([BIN, "ctl", "--admin-url", f"http://127.0.0.1:{self.cp.admin_port}",
                              *args], capture_output=True, text=True, timeout=60)
        return out.returncode, out.stdout + out.stderr

    def test_put_get_list_delete(self):
        status, mesh = self.api.put("/meshes/m1", {"type": "Mesh", "name": "m1"})
        self.assertEqual(status, 201, mesh)
        self.assertEqual(self.api.put("/meshes/m1", {"type": "Mesh"})[0], 200)
        status, body = self.api.put("/meshes/m1/meshtrafficpermissions/allow-web", PERMISSION)
        self.assertEqual(status, 201, body)
        status, body = self.api.put("/meshes/m1/dataplanes/web-01", DATAPLANE)
        self.assertEqual(status, 201, body)
        self.assertEqual(self.api.put("/meshes/m1/dataplanes/web-01", DATAPLANE)[0], 200)

        self.assertEqual(self.api.get("/meshes/m1/meshtrafficpermissions/allow-web"),
                         (200, PERMISSION))
        self.assertEqual(self.api.get("/meshes/m1/dataplanes/web-01"), (200, DATAPLANE))
        self.assertEqual(self.api.get("/meshes/m1")[1]["name"], "m1")
        status, listed = self.api.get("/meshes/m1/dataplanes")
        self.assertEqual(status, 200)
        self.assertEqual(listed, {"total": 1, "items": [DATAPLANE], "next": None})
        names = [m["name"] for m in self.api.get("/meshes")[1]["items"]]
        self.assertIn("m1", names)
        # Kong's side does not see them.
        self.assertEqual(self.api.get("/services")[1]["data"], [])

        status, body = self.api.delete("/meshes/m1")
        self.assertEqual(status, 400, body)
        self.assertIn("still has 2", body["details"])
        self.assertEqual(self.api.delete("/meshes/m1/dataplanes/web-01")[0], 200)
        self.assertEqual(self.api.get("/meshes/m1/dataplanes/web-01")[0], 404)
        self.assertEqual(self.api.delete("/meshes/m1/meshtrafficpermissions/allow-web")[0], 200)
        self.assertEqual(self.api.delete("/meshes/m1")[0], 200)
        self.assertEqual(self.api.get("/meshes/m1")[0], 404)

    def test_invalid_resource_names_the_field(self):
        self.assertEqual(self.api.put("/meshes/m2", {"type": "Mesh"})[0], 201)
        bad = dict(PERMISSION, mesh="m2")
        bad["spec"] = {"targetRef": {"kind": "MeshService", "name": "backend"},
                       "from": [{"targetRef": {"kind": "MeshSubset"},
                                 "default": {"action": "Perhaps"}}]}
        status, body = self.api.put("/meshes/m2/meshtrafficpermissions/allow-web", bad)
        self.assertEqual(status, 400, body)
        self.assertEqual(body["title"], "Could not process a resource")
        fields = [p["field"] for p in body["invalid_parameters"]]
        self.assertIn("spec.from[0].default.action", fields)
        # The path's name and mesh must agree with the body.
        status, body = self.api.put("/meshes/m2/meshtrafficpermissions/other", dict(PERMISSION))
        self.assertEqual(status, 400, body)
        self.assertEqual({p["field"] for p in body["invalid_parameters"]}, {"name", "mesh"})
        self.assertEqual(self.api.get("/meshes/m2/meshtrafficpermissions")[1]["total"], 0)

    def test_resource_in_missing_mesh_refused(self):
        status, body = self.api.put("/meshes/nowhere/dataplanes/web-01",
                                    dict(DATAPLANE, mesh="nowhere"))
        self.assertEqual(status, 400, body)
        self.assertIn("mesh 'nowhere' does not exist", body["details"])
        self.assertEqual(self.api.get("/meshes/nowhere/dataplanes/web-01")[0], 404)

    def test_ctl_apply_kuma_stream(self):
        code, out = self.ctl("apply", "-f", DEMO)
        self.assertEqual(code, 0, out)
        lines = out.splitlines()
        self.assertEqual(lines[0], "created Mesh default")
        self.assertIn("created Dataplane default/web-01", lines)
        self.assertIn("created MeshTrafficPermission default/allow-web-to-backend", lines)
        self.assertEqual(len(lines), 10, out)
        status, dp = self.api.get("/meshes/default/dataplanes/web-01")
        self.assertEqual(status, 200)
        self.assertEqual(dp["networking"]["address"], "10.0.0.1")
        self.assertEqual(self.api.get("/meshes/default/meshretries/retry-backend")[0], 200)
        code, out = self.ctl("apply", "-f", DEMO)
        self.assertEqual(code, 0, out)
        self.assertIn("updated MeshHTTPRoute default/backend-canary", out)

    def test_ctl_apply_invalid_kuma_stream_sends_nothing(self):
        path = self.tmpfile("type: Mesh\nname: bad\n---\ntype: MeshTimeout\nname: t\nmesh: bad\n"
                            "spec:\n  targetRef:\n    kind: Mesh\n  to:\n    - targetRef:\n"
                            "        kind: Mesh\n      default:\n        idleTimeout: soon\n")
        code, out = self.ctl("apply", "-f", path)
        self.assertEqual(code, 2, out)
        self.assertIn("[1].spec.to[0].default.idleTimeout", out)
        self.assertEqual(self.api.get("/meshes/bad")[0], 404)

    def tmpfile(self, text):
        import tempfile
        f = tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False)
        f.write(text)
        f.close()
        self.addCleanup(os.unlink, f.name)
        return f.name


if __name__ == "__main__":
    unittest.main()
