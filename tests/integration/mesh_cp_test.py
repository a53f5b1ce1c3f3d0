"""Sidecars provisioned by a real control plane: dataplane tokens, certificates by CSR (the key
never leaves the sidecar), the mesh's resources and policies streamed live, a revoked token
refused, traffic going on while the CP is down and after it restarts, and automatic renewal at
80% of the certificate's lifetime and a CA rotation (a second backend enabled, the first removed)
under load with zero failed requests."""
import json
import os
import subprocess
import tempfile
import time
import unittest

from cluster import ControlPlane, cert_init
from harness import (BIN, DemoApp, Gateway, GatewayCase, Process, free_port, status_json,
                     wait_port, wait_until)
from mesh_sidecar_test import Client, Load

def mesh(backends, enabled, lifetime="1m"):
    return {"type": "Mesh", "name": "default",
            "mtls": {"enabledBackend": enabled,
                     "backends": [{"name": b, "type": "builtin",
                                   "dpCert": {"rotation": {"expiration": lifetime}}}
                                  for b in backends]}}


ALLOW_WEB = {"type": "MeshTrafficPermission", "name": "allow-web", "mesh": "default",
             "spec": {"targetRef": {"kind": "Mesh"},
                      "from": [{"targetRef": {"kind": "MeshSubset",
                                              "tags": {"kuma.io/service": "web"}},
                                "default": {"action": "Allow"}}]}}


class CpSidecar(Process):
    def __init__(self, test, name, service, token, inbound, service_port, outbound=()):
        self.dir = os.path.join(test.dir, name)
        os.makedirs(self.dir, exist_ok=True)
        dp = {"type": "Dataplane", "name": name, "mesh": "default",
              "networking": {"address": "127.0.0.1",
                             "inbound": [{"port": inbound, "servicePort": service_port,
                                          "tags": {"kuma.io/service": service,
                                                   "kuma.io/protocol": "http"}}],
                             "outbound": [{"port": p, "tags": {"kuma.io/service": s}}
                                          for p, s in outbound]}}
        self.dp_file = os.path.join(self.dir, "dataplane.json")
        with open(self.dp_file, "w") as f:
            json.dump(dp, f)
        self.token_file = os.path.join(self.dir, "token")
        with open(self.token_file, "w") as f:
            f.write(token)
        self.status_port = free_port()
        super().__init__([BIN, "sidecar", "--cp", test.cp.cluster_url, "--cp-ca-cert",
                          os.path.join(test.certs, "ca.crt"), "--token", self.token_file,
                          "--dataplane", self.dp_file, "--data-dir", os.path.join(self.dir, "data"),
                          "--status-listen", f"127.0.0.1:{self.status_port}"], f"sidecar-{name}")
        wait_port(self.status_port)

    def status(self):
        return status_json(self.status_port)

    def identity(self):
        return self.status().get("identity") or {}


class MeshCpTest(GatewayCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cw-mesh-cp-")
        cls.certs = cert_init(os.path.join(cls.dir, "certs"))
        cls.cp_data = os.path.join(cls.dir, "cp-data")
        cls.cluster_port = free_port()
        cls.cp = ControlPlane(cert_dir=cls.certs, data_dir=cls.cp_data,
                              cluster_port=cls.cluster_port)
        cls.put("/meshes/default", mesh(["ca-1"], "ca-1"))
        cls.put("/meshes/default/meshtrafficpermissions/allow-web", ALLOW_WEB)
        cls.app = cls.start(DemoApp("backend-1"))
        cls.o_backend = free_port()
        cls.backend = cls.start(CpSidecar(cls, "backend-1", "backend", cls.token("backend"),
                                          free_port(), cls.app.port))
        cls.web = cls.start(CpSidecar(cls, "web-1", "web", cls.token("web"), free_port(),
                                      free_port(), [(cls.o_backend, "backend")]))
        cls.client = Client(cls.o_backend)
        wait_until(lambda: cls.call_ok(), timeout=30, what="web -> backend through the mesh")

    @classmethod
    def tearDownClass(cls):
        cls.client.close()
        cls.cp.stop()

    @classmethod
    def put(cls, path, body):
        status, out = cls.cp.api.put(path, body)
        assert status in (200, 201), (path, status, out)

    @classmethod
    def ctl(cls, *args):
        out = subprocess.run([BIN, "ctl", "--admin-url", f"http://127.0.0.1:{cls.cp.admin_port}",
                              *args], capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    @classmethod
    def token(cls, service):
        return cls.ctl("mesh", "token", "--mesh", "default", "--service", service,
                       "--valid-for", "1h")

    @classmethod
    def call_ok(cls):
        try:
            return cls.client.get("/")[0] == 200
        except OSError:
            return False

    def test_identity_comes_from_the_cp(self):
        ident = self.backend.identity()
        self.assertEqual(ident["spiffe_id"], "spiffe://default/backend")
        self.assertEqual(self.web.identity()["spiffe_id"], "spiffe://default/web")
        status, body = self.client.get("/hello")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["app"], "backend-1")
        # The key stayed with the sidecar: the CP's store has certificates' CAs, no workload key.
        data = os.path.join(self.backend.dir, "data")
        keys = [f for f in os.listdir(data) if f.endswith(".key")]
        self.assertTrue(keys)
        self.assertEqual(os.stat(os.path.join(data, keys[0])).st_mode & 0o777, 0o600)
        # Both sidecars registered their Dataplanes.
        status, dps = self.cp.api.get("/meshes/default/dataplanes")
        self.assertLessEqual({"backend-1", "web-1"}, {d["name"] for d in dps["items"]})

    def test_policy_change_is_streamed(self):
        self.cp.api.delete("/meshes/default/meshtrafficpermissions/allow-web")
        try:
            wait_until(lambda: self.client.get("/")[0] == 403, timeout=10, what="deny streamed")
        finally:
            self.put("/meshes/default/meshtrafficpermissions/allow-web", ALLOW_WEB)
        wait_until(self.call_ok, timeout=10, what="allow streamed")

    def test_revoked_token_is_refused(self):
        token = self.token("backend")
        claims = json.loads(self.ctl("mesh", "token", "inspect", token))
        self.ctl("mesh", "token", "revoke", "--mesh", "default", "--id", claims["jti"])
        s = self.own(CpSidecar(self, "backend-revoked", "backend", token, free_port(), free_port()))
        wait_until(lambda: "revoked" in json.dumps(s.status().get("control_plane", {})) or
                   "revoked" in s.output(), timeout=15, what="refusal")
        st = s.status()
        self.assertFalse(st["serving"])
        self.assertFalse(st.get("identity"))
        status, dps = self.cp.api.get("/meshes/default/dataplanes")
        self.assertNotIn("backend-revoked", {d["name"] for d in dps["items"]})

    def test_cp_down_traffic_goes_on(self):
        self.cp.stop()
        try:
            for _ in range(50):
                self.assertEqual(self.client.get("/")[0], 200)
            time.sleep(1)
            for _ in range(50):
                self.assertEqual(self.client.get("/")[0], 200)
        finally:
            type(self).cp = ControlPlane(cert_dir=self.certs, data_dir=self.cp_data,
                                         cluster_port=self.cluster_port)
        wait_until(lambda: sum(1 for d in self.cp.data_planes() if d.get("connected")) >= 2,
                   timeout=30, what="sidecars reconnected")
        self.test_policy_change_is_streamed()

    def test_gateway_joins_the_mesh_from_the_cp(self):
        d = os.path.join(self.dir, "edge")
        os.makedirs(d, exist_ok=True)
        dp = os.path.join(d, "edge.json")
        with open(dp, "w") as f:
            json.dump({"type": "Dataplane", "name": "edge-1", "mesh": "default",
                       "networking": {"address": "127.0.0.1",
                                      "gateway": {"type": "DELEGATED",
                                                  "tags": {"kuma.io/service": "edge"}}}}, f)
        token = os.path.join(d, "token")
        with open(token, "w") as f:
            f.write(self.token("edge"))
        allow_edge = json.loads(json.dumps(ALLOW_WEB).replace("allow-web", "allow-edge")
                                .replace('"web"', '"edge"'))
        self.put("/meshes/default/meshtrafficpermissions/allow-edge", allow_edge)
        kong = ('_format_version: "3.0"\nservices:\n  - name: backend\n    host: backend.mesh\n'
                '    port: 80\n    routes: [{name: all, paths: ["/"]}]\n')
        gw = self.own(Gateway(kong, tls=False, extra=[
            "--mesh-dataplane", dp, "--mesh-cp", self.cp.cluster_url,
            "--mesh-cp-ca-cert", os.path.join(self.certs, "ca.crt"), "--mesh-token", token,
            "--mesh-data-dir", os.path.join(d, "data")]))
        wait_until(lambda: gw.request(path="/x")[0] == 200, timeout=20, what="edge -> backend")
        status, _, body = gw.request(path="/x")
        self.assertEqual(json.loads(body)["app"], "backend-1")
        # Behind the edge, zero trust holds: without the permission the sidecar refuses it.
        self.cp.api.delete("/meshes/default/meshtrafficpermissions/allow-edge")
        wait_until(lambda: gw.request(path="/x")[0] == 403, timeout=10, what="edge denied")

    def test_renewal_and_ca_rotation_under_load(self):
        first = self.backend.identity()
        first_web = self.web.identity()
        load = Load(self.o_backend)
        try:
            # Renewal at 80% of a 1 minute lifetime: within ~50 s, without a failed request.
            wait_until(lambda: self.backend.identity().get("serial") != first["serial"] and
                       self.web.identity().get("serial") != first_web["serial"],
                       timeout=70, interval=0.5, what="renewal")
            # CA rotation: add ca-2, enable it (sidecars get certificates from it), drop ca-1.
            self.put("/meshes/default", mesh(["ca-1", "ca-2"], "ca-1"))
            wait_until(lambda: self.backend.identity().get("trusted_cas") == 2 and
                       self.web.identity().get("trusted_cas") == 2, timeout=20, what="ca-2 trusted")
            self.put("/meshes/default", mesh(["ca-1", "ca-2"], "ca-2"))
            wait_until(lambda: "ca-2" in self.backend.identity()["issuer"] and
                       "ca-2" in self.web.identity()["issuer"], timeout=20,
                       what="certificates from ca-2")
            time.sleep(0.5)
            self.put("/meshes/default", mesh(["ca-2"], "ca-2"))
            wait_until(lambda: self.backend.identity().get("trusted_cas") == 1 and
                       self.web.identity().get("trusted_cas") == 1, timeout=20, what="ca-1 dropped")
            time.sleep(1)
        finally:
            failures = load.finish()
        self.assertEqual(failures, [], failures[:5])
        self.assertGreater(load.ok, 200)
        self.assertTrue(self.call_ok())


if __name__ == "__main__":
    unittest.main()
