"""Proxying through the real binary: forwarding headers, hop-by-hop removal, Via, keep-alive,
pipelining, Expect: 100-continue, HTTP/1.0 clients, HEAD, chunked bodies, and large streamed
uploads/downloads with bounded gateway memory.

Large bodies use 200 MiB instead of 1 GiB: the dev build runs under ASan on a 2-core machine and
the suite must stay within minutes; the RSS bound (well below the body size) is what proves the
streaming, not the size itself."""
import http.client
import json
import os
import socket
import sys
import tempfile
import time
import unittest

from harness import (DemoApp, Gateway, GatewayCase, ResponseReader, RssSampler, TcpServer, curl,
                     read_request_head, recv_until)

MIB = 1024 * 1024
LARGE = 200 * MIB
RSS_LIMIT_KB = 300 * 1024
BLOCK = bytes(range(256)) * 4096  # 1 MiB, byte sum 4096 * 32640
BLOCK_SUM = sum(BLOCK)


def hop_backend(conn):
    """Answers every GET with hop-by-hop response fields the gateway must drop."""
    conn.settimeout(10)
    while True:
        head = read_request_head(conn)
        if not head:
            return
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: X-Resp-Hop\r\n"
                     b"X-Resp-Hop: 1\r\nKeep-Alive: timeout=5\r\nX-Resp-Keep: yes\r\n"
                     b"Via: 1.1 backend\r\nTrailer: X-T\r\nUpgrade: foo\r\n"
                     b"Proxy-Connection: keep-alive\r\n\r\nok")


class ProxyTest(GatewayCase):
    @classmethod
    def setUpClass(cls):
        cls.app = cls.start(DemoApp("a"))
        cls.hop = TcpServer(hop_backend)
        cls.addClassCleanup(cls.hop.stop)
        cls.gw = cls.start(Gateway(f"""
_format_version: "3.0"
services:
- name: echo
  url: http://127.0.0.1:{cls.app.port}
  routes:
  - name: echo
    paths: ["/echo"]
- name: hop
  url: http://127.0.0.1:{cls.hop.port}
  routes:
  - name: hop
    paths: ["/hop"]
"""))

    def raw(self):
        s = socket.create_connection(("127.0.0.1", self.gw.port), timeout=20)
        self.addCleanup(s.close)
        return s

    # ---- headers
    def test_forwarding_headers(self):
        status, hdrs, data = self.gw.request("GET", "/echo/f", {
            "X-Forwarded-For": "10.0.0.1", "Via": "1.0 client", "Host": "Example.COM:1234"})
        self.assertEqual(status, 200)
        h = json.loads(data)["headers"]
        self.assertEqual(h["x-forwarded-for"], "10.0.0.1, 127.0.0.1")
        self.assertEqual(h["x-real-ip"], "127.0.0.1")
        self.assertEqual(h["x-forwarded-proto"], "http")
        self.assertEqual(h["x-forwarded-host"], "example.com")
        self.assertEqual(h["x-forwarded-port"], str(self.gw.port))
        self.assertEqual(h["x-forwarded-prefix"], "/echo")
        self.assertEqual(h["via"], "1.0 client, 1.1 causeway")
        self.assertEqual(hdrs.get("via"), "1.1 causeway")

    def test_spoofed_forwarding_headers_are_replaced(self):
        status, _, data = self.gw.request("GET", "/echo/f", {
            "X-Real-IP": "6.6.6.6", "X-Forwarded-Proto": "https", "X-Forwarded-Port": "1"})
        h = json.loads(data)["headers"]
        self.assertEqual(h["x-real-ip"], "127.0.0.1")
        self.assertEqual(h["x-forwarded-proto"], "http")
        self.assertEqual(h["x-forwarded-port"], str(self.gw.port))

    def test_request_hop_by_hop_removed(self):
        s = self.raw()
        s.sendall(b"GET /echo/hop HTTP/1.1\r\nHost: h.test\r\nConnection: keep-alive, X-Custom-Hop\r\n"
                  b"X-Custom-Hop: 1\r\nKeep-Alive: timeout=5\r\nTE: trailers\r\nTrailer: X-T\r\n"
                  b"Upgrade: foo\r\nProxy-Connection: keep-alive\r\nX-End-To-End: kept\r\n\r\n")
        status, hdrs, body = ResponseReader(s).read()
        self.assertEqual(status, 200)
        h = json.loads(body)["headers"]
        for name in ("connection", "x-custom-hop", "keep-alive", "te", "trailer", "upgrade",
                     "proxy-connection"):
            self.assertNotIn(name, h, f"hop-by-hop {name} forwarded upstream: {h}")
        self.assertEqual(h["x-end-to-end"], "kept")

    def test_response_hop_by_hop_removed_and_via_appended(self):
        s = self.raw()
        s.sendall(b"GET /hop HTTP/1.1\r\nHost: h.test\r\n\r\n")
        status, hdrs, body = ResponseReader(s).read()
        self.assertEqual(status, 200)
        self.assertEqual(body, b"ok")
        for name in ("x-resp-hop", "keep-alive", "trailer", "upgrade", "proxy-connection"):
            self.assertNotIn(name, hdrs, f"hop-by-hop {name} forwarded to the client: {hdrs}")
        self.assertNotEqual(hdrs.get("connection", "").lower(), "x-resp-hop")
        self.assertEqual(hdrs.get("x-resp-keep"), "yes")
        self.assertEqual(hdrs.get("via"), "1.1 backend, 1.1 causeway")

    # ---- connection management
    def test_keepalive_reuse(self):
        before = self.gw.status()["server"]["connections_accepted"]
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=10)
        self.addCleanup(conn.close)
        first_sock = None
        for i in range(100):
            conn.request("GET", f"/echo/k{i}")
            r = conn.getresponse()
            body = json.loads(r.read())
            self.assertEqual(r.status, 200)
            self.assertEqual(body["path"], f"/k{i}")
            self.assertFalse(r.will_close, "gateway asked to close a keep-alive connection")
            if first_sock is None:
                first_sock = conn.sock
            self.assertIs(conn.sock, first_sock, f"connection replaced at request {i}")
        after = self.gw.status()["server"]["connections_accepted"]
        self.assertEqual(after - before, 1)

    def test_pipelining_in_order(self):
        s = self.raw()
        s.sendall(b"GET /echo/one HTTP/1.1\r\nHost: p\r\n\r\n"
                  b"POST /echo/two HTTP/1.1\r\nHost: p\r\nContent-Length: 3\r\n\r\nabc"
                  b"GET /echo/three?x=1 HTTP/1.1\r\nHost: p\r\n\r\n")
        rd = ResponseReader(s)
        got = []
        for _ in range(3):
            status, hdrs, body = rd.read()
            self.assertEqual(status, 200)
            got.append(json.loads(body))
        self.assertEqual([b["uri"] for b in got], ["/one", "/two", "/three?x=1"])
        self.assertEqual(got[1]["body_bytes"], 3)
        self.assertEqual(got[1]["body_sum"], sum(b"abc"))

    def test_pipelined_delays_keep_order(self):
        # The first response is slow: a gateway answering out of order would send /fast first.
        s = self.raw()
        s.sendall(b"GET /echo/delay/300 HTTP/1.1\r\nHost: p\r\n\r\n"
                  b"GET /echo/fast HTTP/1.1\r\nHost: p\r\n\r\n")
        rd = ResponseReader(s)
        self.assertEqual(json.loads(rd.read()[2])["path"], "/delay/300")
        self.assertEqual(json.loads(rd.read()[2])["path"], "/fast")

    # ---- Expect: 100-continue
    def test_expect_continue_raw(self):
        s = self.raw()
        s.sendall(b"POST /echo/up HTTP/1.1\r\nHost: e\r\nContent-Length: 5\r\n"
                  b"Expect: 100-continue\r\n\r\n")
        interim = recv_until(s, b"\r\n\r\n")
        self.assertTrue(interim.startswith(b"HTTP/1.1 100 Continue\r\n"), interim)
        rd = ResponseReader(s)
        rd.buf = interim.split(b"\r\n\r\n", 1)[1]
        s.sendall(b"hello")
        status, hdrs, body = rd.read()
        self.assertEqual(status, 200)
        b = json.loads(body)
        self.assertEqual((b["body_bytes"], b["body_sum"]), (5, sum(b"hello")))
        self.assertNotIn("expect", b["headers"])

    def test_expect_continue_curl(self):
        d = tempfile.mkdtemp(prefix="cw-exp-")
        path = os.path.join(d, "body")
        with open(path, "wb") as f:
            f.write(BLOCK * 2)
        self.addCleanup(os.unlink, path)
        t0 = time.time()
        r = curl(["-H", "Expect: 100-continue", "--expect100-timeout", "5", "--data-binary",
                  f"@{path}", "-H", "Content-Type: application/octet-stream",
                  self.gw.url("/echo/up")])
        elapsed = time.time() - t0
        self.assertEqual(r.returncode, 0, r.stderr)
        b = json.loads(r.stdout)
        self.assertEqual((b["body_bytes"], b["body_sum"]), (2 * MIB, 2 * BLOCK_SUM))
        self.assertLess(elapsed, 4.5, "curl waited for its expect timeout: no 100 Continue")

    # ---- HTTP/1.0, HEAD
    def test_http10_client(self):
        s = self.raw()
        s.sendall(b"GET /echo/ten HTTP/1.0\r\nHost: t\r\n\r\n")
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        head, body = data.split(b"\r\n\r\n", 1)
        self.assertTrue(head.startswith(b"HTTP/1.1 200") or head.startswith(b"HTTP/1.0 200"), head)
        self.assertEqual(json.loads(body)["path"], "/ten")

    def test_http10_streamed_response_is_delimited_by_close(self):
        s = self.raw()
        s.sendall(b"GET /echo/stream/100000 HTTP/1.0\r\nHost: t\r\n\r\n")
        data = b""
        while True:
            b = s.recv(65536)
            if not b:
                break
            data += b
        head, body = data.split(b"\r\n\r\n", 1)
        self.assertNotIn(b"transfer-encoding", head.lower())
        self.assertEqual(body, b"y" * 100000)

    def test_http10_keepalive(self):
        s = self.raw()
        rd = ResponseReader(s)
        for i in range(2):
            s.sendall(b"GET /echo/ka%d HTTP/1.0\r\nHost: t\r\nConnection: keep-alive\r\n\r\n" % i)
            status, hdrs, body = rd.read()
            self.assertEqual(status, 200)
            self.assertEqual(hdrs.get("connection", "").lower(), "keep-alive")
            self.assertEqual(json.loads(body)["path"], f"/ka{i}")

    def test_head(self):
        s = self.raw()
        s.sendall(b"HEAD /echo/h HTTP/1.1\r\nHost: t\r\n\r\nGET /echo/after HTTP/1.1\r\nHost: t\r\n\r\n")
        rd = ResponseReader(s)
        status, hdrs, body = rd.read(head_request=True)
        self.assertEqual(status, 200)
        self.assertGreater(int(hdrs["content-length"]), 0)
        status, hdrs, body = rd.read()
        self.assertEqual(json.loads(body)["path"], "/after")

    # ---- chunked
    def test_chunked_request_body(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=30)
        self.addCleanup(conn.close)
        parts = [b"a" * 10, b"", b"b" * 70000, b"c"]
        conn.request("POST", "/echo/chunked", body=iter([p for p in parts if p]),
                     encode_chunked=True, headers={"Transfer-Encoding": "chunked"})
        r = conn.getresponse()
        b = json.loads(r.read())
        self.assertEqual(r.status, 200)
        self.assertEqual(b["body_bytes"], 70011)
        self.assertEqual(b["body_sum"], sum(b"".join(parts)))

    def test_chunked_request_with_extensions_and_trailers(self):
        s = self.raw()
        s.sendall(b"POST /echo/c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n")
        status, hdrs, body = ResponseReader(s).read()
        self.assertEqual(status, 200)
        b = json.loads(body)
        self.assertEqual((b["body_bytes"], b["body_sum"]), (5, sum(b"abcde")))

    def test_chunked_response(self):
        s = self.raw()
        s.sendall(b"GET /echo/stream/300000 HTTP/1.1\r\nHost: t\r\n\r\n")
        status, hdrs, body = ResponseReader(s).read()
        self.assertEqual(status, 200)
        self.assertEqual(hdrs.get("transfer-encoding", "").lower(), "chunked")
        self.assertEqual(body, b"y" * 300000)

    # ---- large bodies
    def sample(self):
        sampler = RssSampler(self.gw.proc.pid)
        self.addCleanup(sampler.stop)
        return sampler

    def assertBounded(self, sampler):
        peak = sampler.stop()
        print(f"[gateway peak RSS {peak // 1024} MiB] ", end="", file=sys.stderr, flush=True)
        self.assertLess(peak, RSS_LIMIT_KB, f"gateway RSS peaked at {peak} KiB")

    def test_large_upload_http_client_content_length(self):
        sampler = self.sample()
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=120)
        self.addCleanup(conn.close)
        n = LARGE // MIB
        conn.request("POST", "/echo/upload", body=(BLOCK for _ in range(n)),
                     headers={"Content-Length": str(LARGE)})
        r = conn.getresponse()
        b = json.loads(r.read())
        self.assertEqual(r.status, 200)
        self.assertEqual((b["body_bytes"], b["body_sum"]), (LARGE, n * BLOCK_SUM))
        self.assertBounded(sampler)

    def test_large_upload_curl_chunked(self):
        d = tempfile.mkdtemp(prefix="cw-up-")
        path = os.path.join(d, "body")
        n = LARGE // MIB
        with open(path, "wb") as f:
            for _ in range(n):
                f.write(BLOCK)
        self.addCleanup(os.unlink, path)
        sampler = self.sample()
        r = curl(["-X", "POST", "-T", path, "-H", "Transfer-Encoding: chunked",
                  "-H", "Expect:", self.gw.url("/echo/upload")], timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        b = json.loads(r.stdout)
        self.assertEqual((b["body_bytes"], b["body_sum"]), (LARGE, n * BLOCK_SUM))
        self.assertBounded(sampler)

    def test_large_download_curl_content_length(self):
        sampler = self.sample()
        r = curl(["-o", "/dev/null", "-w", "%{http_code} %{size_download}",
                  self.gw.url(f"/echo/bytes/{LARGE}")], timeout=180)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.decode(), f"200 {LARGE}")
        self.assertBounded(sampler)

    def test_large_download_http_client_chunked(self):
        sampler = self.sample()
        conn = http.client.HTTPConnection("127.0.0.1", self.gw.port, timeout=120)
        self.addCleanup(conn.close)
        conn.request("GET", f"/echo/stream/{LARGE}")
        r = conn.getresponse()
        self.assertEqual(r.status, 200)
        self.assertEqual(r.getheader("Transfer-Encoding", "").lower(), "chunked")
        total = 0
        while True:
            chunk = r.read(1 << 20)
            if not chunk:
                break
            self.assertEqual(chunk.count(b"y"), len(chunk))
            total += len(chunk)
        self.assertEqual(total, LARGE)
        self.assertBounded(sampler)


if __name__ == "__main__":
    unittest.main()
