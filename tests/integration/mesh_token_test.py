"""The mesh's control-plane side with a real `causeway cp`: a Mesh with builtin mTLS, dataplane
tokens from Kuma's POST /tokens/dataplane (text/plain) and from `causeway ctl mesh token`,
`ctl mesh token inspect` and `revoke` (the revocation is stored), and the cluster port: a sidecar
hello with only the cluster CA and a token gets its certificate and the mesh's resources, a
revoked token and a gateway without a client certificate are refused (close code 4001).
Standard library plus the openssl command (for a CSR)."""
import http.client
import json
import os
import subprocess
import tempfile

from cluster import ControlPlane, MiniWebSocket, cert_init, sync_hello as hello
from harness import BIN, GatewayCase, wait_until

MESH = {
    "type": "Mesh", "name": "m1",
    "mtls": {"enabledBackend": "ca-1",
             "backends": [{"name": "ca-1", "type": "builtin",
                           "dpCert": {"rotation": {"expiration": "1h"}}}]},
}

DATAPLANE = {
    "type": "Dataplane", "name": "web-01", "mesh": "m1",
    "networking": {"address": "127.0.0.1",
                   "inbound": [{"port": 8080, "servicePort": 18080,
                                "tags": {"kuma.io/service": "web"}}]},
}


def make_csr(directory):
    key, csr = os.path.join(directory, "web.key"), os.path.join(directory, "web.csr")
    subprocess.run(["openssl", "req", "-new", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=web-01", "-keyout", key,
                    "-out", csr], check=True, capture_output=True, timeout=60)
    with open(csr) as f:
        return f.read()


class MeshTokenTest(GatewayCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cw-mesh-token-")
        cls.certs = cert_init(os.path.join(cls.dir, "certs"))
        cls.cp = cls.start(ControlPlane(cert_dir=cls.certs))
        status, body = cls.cp.api.put("/meshes/m1", MESH)
        assert status == 201, body

    def ctl(self, *args):
        out = subprocess.run([BIN, "ctl", "--admin-url", f"http://127.0.0.1:{self.cp.admin_port}",
                              *args], capture_output=True, text=True, timeout=60)
        return out.returncode, out.stdout, out.stderr

    def post_token(self, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.cp.admin_port, timeout=30)
        try:
            conn.request("POST", "/tokens/dataplane", body=json.dumps(body),
                         headers={"Content-Type": "application/json"})
            r = conn.getresponse()
            return r.status, r.getheader("Content-Type"), r.read().decode()
        finally:
            conn.close()

    def claims(self, token):
        rc, out, err = self.ctl("mesh", "token", "inspect", token)
        self.assertEqual(rc, 0, err)
        return json.loads(out)

    def test_tokens_from_the_api_and_ctl_and_revocation(self):
        status, ctype, token = self.post_token({
            "name": "web-01", "mesh": "m1", "tags": {"kuma.io/service": ["web"]},
            "type": "dataplane", "validFor": "24h"})
        self.assertEqual(status, 200, token)
        self.assertTrue(ctype.startswith("text/plain"), ctype)
        self.assertEqual(token.count("."), 2)
        claims = self.claims(token)
        self.assertEqual(claims["Mesh"], "m1")
        self.assertEqual(claims["Name"], "web-01")
        self.assertEqual(claims["Tags"], {"kuma.io/service": ["web"]})
        self.assertIn("kid", claims)

        status, _, body = self.post_token({"mesh": "nope", "validFor": "1h"})
        self.assertEqual(status, 400)
        self.assertEqual(json.loads(body)["invalid_parameters"][0]["field"], "mesh")

        rc, out, err = self.ctl("mesh", "token", "--mesh", "m1", "--service", "web",
                                "--valid-for", "2h")
        self.assertEqual(rc, 0, err)
        ctl_token = out.strip()
        jti = self.claims(ctl_token)["jti"]
        rc, out, err = self.ctl("mesh", "token", "revoke", "--mesh", "m1", "--id", jti)
        self.assertEqual(rc, 0, err)
        status, stored = self.cp.api.get("/tokens/dataplane/revocations/m1")
        self.assertEqual(status, 200)
        self.assertIn(jti, stored["ids"])
        self.assertEqual(self.ctl("mesh", "token", "--mesh", "nope", "--service", "web")[0], 4)

        # The revoked token is refused on the cluster port.
        ws = MiniWebSocket(self.cp.cluster_port, os.path.join(self.certs, "ca.crt"))
        try:
            ws.send(hello("node-revoked", ["mesh"], mesh={"token": ctl_token,
                                                           "dataplane": DATAPLANE,
                                                           "csr": make_csr(self.dir)}))
            kind, (code, reason) = ws.recv_json()
            self.assertEqual((kind, code), ("close", 4001))
            self.assertIn("revoked", reason)
        finally:
            ws.close()

    def test_a_sidecar_with_a_token_gets_a_certificate_and_the_mesh(self):
        _, _, token = self.post_token({"mesh": "m1", "tags": {"kuma.io/service": ["web"]},
                                       "validFor": "1h"})
        ws = MiniWebSocket(self.cp.cluster_port, os.path.join(self.certs, "ca.crt"))
        try:
            ws.send(hello("node-sidecar", ["mesh"], mesh={"token": token, "dataplane": DATAPLANE,
                                                          "csr": make_csr(self.dir)}))
            kind, cert = ws.recv_json()
            self.assertEqual(kind, "text", cert)
            self.assertEqual(cert["type"], "certificate")
            self.assertEqual(len(cert["ca"]), 1)
            out = subprocess.run(["openssl", "x509", "-noout", "-ext", "subjectAltName"],
                                 input=cert["cert"], capture_output=True, text=True, timeout=30)
            self.assertIn("URI:spiffe://m1/web", out.stdout)
            kind, snapshot = ws.recv_json()
            self.assertEqual(snapshot["type"], "snapshot")
            config = snapshot["config"]
            self.assertIn("m1", [m["name"] for m in config["meshes"]])
            self.assertIn("m1/ca-1", [t["id"] for t in config["mesh_trust"]])
            self.assertNotIn("mesh_ca_keys", config)
            self.assertNotIn("PRIVATE KEY", json.dumps(config))
            ws.send({"type": "ack", "revision": snapshot["revision"], "hash": snapshot["hash"]})
            planes = wait_until(lambda: [d for d in self.cp.data_planes()
                                         if d.get("dataplane") == "web-01"], timeout=10)
            self.assertEqual(planes[0]["mesh"], "m1")
            status, dp = self.cp.api.get("/meshes/m1/dataplanes/web-01")
            self.assertEqual(status, 200)
            self.assertEqual(dp, DATAPLANE)
        finally:
            ws.close()

    def test_a_gateway_without_a_client_certificate_is_refused(self):
        ws = MiniWebSocket(self.cp.cluster_port, os.path.join(self.certs, "ca.crt"))
        try:
            ws.send(hello("node-gateway", ["gateway"]))
            kind, (code, reason) = ws.recv_json()
            self.assertEqual((kind, code), ("close", 4001))
            self.assertIn("client certificate", reason)
        finally:
            ws.close()


if __name__ == "__main__":
    import unittest
    unittest.main()
