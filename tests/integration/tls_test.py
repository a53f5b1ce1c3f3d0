"""TLS at the gateway through the real binary: SNI picks among configured certificates (exact and
wildcard names), unknown or absent SNI gets the self-signed default certificate, TLS 1.2 and 1.3
both work with curl and Python's ssl module, and services with protocol https reach a TLS
upstream. Certificates are generated at test time with the openssl CLI."""
import http.client
import json
import socket
import ssl
import subprocess
import tempfile
import unittest

from harness import (DemoApp, Gateway, GatewayCase, TcpServer, curl, make_cert,
                     read_request_head, yaml_block)


def tls_echo(conn):
    """A minimal HTTPS upstream: answers each request with JSON naming itself and the Host."""
    conn.settimeout(10)
    while True:
        head = read_request_head(conn)
        if not head:
            return
        lines = head.decode("latin-1").split("\r\n")
        host = next((l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("host:")), "")
        body = json.dumps({"app": "tls-upstream", "request_line": lines[0], "host": host}).encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                     b"\r\n%s" % (len(body), body))


def subject_of(der):
    pem = ssl.DER_cert_to_PEM_cert(der)
    r = subprocess.run(["openssl", "x509", "-noout", "-subject"], input=pem.encode(),
                       capture_output=True, check=True, timeout=10)
    return r.stdout.decode().strip()


class TlsTest(GatewayCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cw-tls-")
        cls.exact_cert, cls.exact_key = make_cert(cls.dir, "exact", "exact.tls.test",
                                                  ["exact.tls.test"])
        cls.wild_cert, cls.wild_key = make_cert(cls.dir, "wild", "*.wild.tls.test",
                                                ["*.wild.tls.test"])
        up_cert, up_key = make_cert(cls.dir, "upstream", "upstream.tls.test", ["upstream.tls.test"])
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(up_cert, up_key)
        cls.tls_upstream = TcpServer(tls_echo, tls_context=sctx)
        cls.addClassCleanup(cls.tls_upstream.stop)
        cls.app = cls.start(DemoApp("a"))

        def read(path):
            with open(path) as f:
                return f.read()

        def cert_entry(cert, key, sni):
            return (f"- cert: |\n{yaml_block(read(cert), 4)}\n"
                    f"  key: |\n{yaml_block(read(key), 4)}\n"
                    f"  snis:\n  - name: \"{sni}\"\n")

        cls.gw = cls.start(Gateway(f"""
_format_version: "3.0"
certificates:
{cert_entry(cls.exact_cert, cls.exact_key, "exact.tls.test")}{cert_entry(cls.wild_cert, cls.wild_key, "*.wild.tls.test")}
services:
- name: echo
  url: http://127.0.0.1:{cls.app.port}
  routes:
  - name: echo
    paths: ["/echo"]
- name: tls-upstream
  url: https://127.0.0.1:{cls.tls_upstream.port}/base
  routes:
  - name: tls-upstream
    paths: ["/tlsup"]
"""))

    def resolve(self, name):
        return ["--resolve", f"{name}:{self.gw.tls_port}:127.0.0.1",
                f"https://{name}:{self.gw.tls_port}/echo/x"]

    def peer_cert(self, server_hostname, **ctx_opts):
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        for k, v in ctx_opts.items():
            setattr(ctx, k, v)
        with socket.create_connection(("127.0.0.1", self.gw.tls_port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=server_hostname) as s:
                return s.getpeercert(binary_form=True), s.version()

    def der(self, path):
        with open(path) as f:
            return ssl.PEM_cert_to_DER_cert(f.read())

    # ---- SNI
    def test_exact_sni_curl_verifies(self):
        r = curl(["--cacert", self.exact_cert, "-w", "\n%{http_code}"] + self.resolve("exact.tls.test"))
        self.assertEqual(r.returncode, 0, r.stderr)
        body, code = r.stdout.decode().rsplit("\n", 1)
        self.assertEqual(code, "200")
        h = json.loads(body)["headers"]
        self.assertEqual(h["x-forwarded-proto"], "https")
        self.assertEqual(h["x-forwarded-port"], str(self.gw.tls_port))

    def test_wildcard_sni_curl_verifies(self):
        r = curl(["--cacert", self.wild_cert, "-w", "\n%{http_code}"] +
                 self.resolve("api.wild.tls.test"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.decode().endswith("\n200"), r.stdout)

    def test_wildcard_does_not_match_bare_domain(self):
        der, _ = self.peer_cert("wild.tls.test")
        self.assertNotEqual(der, self.der(self.wild_cert))

    def test_sni_selection_python(self):
        self.assertEqual(self.peer_cert("exact.tls.test")[0], self.der(self.exact_cert))
        self.assertEqual(self.peer_cert("EXACT.tls.test")[0], self.der(self.exact_cert))
        self.assertEqual(self.peer_cert("x.wild.tls.test")[0], self.der(self.wild_cert))

    def test_unknown_sni_gets_default_certificate(self):
        der, _ = self.peer_cert("unknown.test")
        self.assertNotIn(der, (self.der(self.exact_cert), self.der(self.wild_cert)))
        self.assertIn("localhost", subject_of(der))
        r = curl(["--cacert", self.exact_cert] + self.resolve("unknown.test"))
        self.assertNotEqual(r.returncode, 0, "curl trusted the exact cert for another name")
        r = curl(["-k", "-w", "%{http_code}", "-o", "/dev/null"] + self.resolve("unknown.test"))
        self.assertEqual(r.stdout.decode(), "200", r.stderr)

    def test_no_sni_gets_default_certificate(self):
        der, _ = self.peer_cert(None)
        self.assertIn("localhost", subject_of(der))

    # ---- protocol versions
    def test_tls12_curl(self):
        r = curl(["-v", "--cacert", self.exact_cert, "--tlsv1.2", "--tls-max", "1.2", "-o",
                  "/dev/null", "-w", "%{http_code}"] + self.resolve("exact.tls.test"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode(), "200")
        self.assertIn(b"TLSv1.2", r.stderr)

    def test_tls13_curl(self):
        r = curl(["-v", "--cacert", self.exact_cert, "--tlsv1.3", "-o", "/dev/null", "-w",
                  "%{http_code}"] + self.resolve("exact.tls.test"))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode(), "200")
        self.assertIn(b"TLSv1.3", r.stderr)

    def test_versions_python(self):
        _, v12 = self.peer_cert("exact.tls.test", maximum_version=ssl.TLSVersion.TLSv1_2)
        _, v13 = self.peer_cert("exact.tls.test", minimum_version=ssl.TLSVersion.TLSv1_3)
        self.assertEqual((v12, v13), ("TLSv1.2", "TLSv1.3"))

    # ---- Python client, keep-alive and bodies over TLS
    def test_python_https_keepalive_and_body(self):
        ctx = ssl.create_default_context(cafile=self.exact_cert)
        raw = socket.create_connection(("127.0.0.1", self.gw.tls_port), timeout=30)
        s = ctx.wrap_socket(raw, server_hostname="exact.tls.test")  # verifies name and chain
        conn = http.client.HTTPConnection("exact.tls.test", self.gw.tls_port, timeout=30)
        conn.sock = s
        self.addCleanup(conn.close)
        for i in range(20):
            conn.request("POST", f"/echo/p{i}", body=b"z" * (i * 1000))
            r = conn.getresponse()
            b = json.loads(r.read())
            self.assertEqual(r.status, 200)
            self.assertEqual((b["path"], b["body_bytes"]), (f"/p{i}", i * 1000))
            self.assertIs(conn.sock, s)
        conn.request("GET", f"/echo/bytes/{20 * 1024 * 1024}")
        r = conn.getresponse()
        data = r.read()
        self.assertEqual(len(data), 20 * 1024 * 1024)
        self.assertEqual(data.count(b"x"), len(data))

    # ---- TLS upstream
    def test_https_upstream(self):
        status, hdrs, data = self.gw.request("GET", "/tlsup/hello?q=1")
        self.assertEqual(status, 200, data)
        b = json.loads(data)
        self.assertEqual(b["app"], "tls-upstream")
        self.assertEqual(b["request_line"], "GET /base/hello?q=1 HTTP/1.1")
        self.assertEqual(b["host"], f"127.0.0.1:{self.tls_upstream.port}")


if __name__ == "__main__":
    unittest.main()
