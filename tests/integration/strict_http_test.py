"""Strict HTTP/1.1 parsing at the gateway's front door, over raw sockets: request smuggling
vectors and malformed heads answer 400 and close the connection; over-long request lines 414;
over-large heads 431; a client stalling its head is closed after --header-timeout-ms."""
import json
import socket
import time
import unittest

from harness import DemoApp, Gateway, GatewayCase

HEADER_TIMEOUT_MS = 1000


class StrictHttpTest(GatewayCase):
    @classmethod
    def setUpClass(cls):
        cls.app = cls.start(DemoApp("a"))
        cls.gw = cls.start(Gateway(f"""
_format_version: "3.0"
services:
- name: echo
  url: http://127.0.0.1:{cls.app.port}
  routes:
  - name: echo
    paths: ["/echo"]
""", tls=False, extra=["--header-timeout-ms", str(HEADER_TIMEOUT_MS)]))

    def exchange(self, data, timeout=5.0):
        """Sends `data`; returns (bytes received, whether the gateway closed the connection)."""
        s = socket.create_connection(("127.0.0.1", self.gw.port), timeout=timeout)
        self.addCleanup(s.close)
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        out = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    return out, True
                out += b
        except ConnectionResetError:
            return out, True
        except socket.timeout:
            return out, False

    def assertRejected(self, data, status=400):
        out, closed = self.exchange(data)
        self.assertTrue(out.startswith(b"HTTP/1.1 %d " % status),
                        f"request {data[:200]!r}: expected {status}, got {out[:300]!r}")
        self.assertTrue(closed, f"request {data[:200]!r}: connection left open after {status}")
        self.assertEqual(out.count(b"HTTP/1.1 "), 1,
                         f"request {data[:200]!r}: more than one response (smuggled?): {out!r}")
        body = out.split(b"\r\n\r\n", 1)[1]
        self.assertIn("message", json.loads(body))
        return out

    def test_valid_request_is_served(self):  # the baseline that the other cases differ from
        out, _ = self.exchange(b"GET /echo/ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 200 "), out[:200])

    def test_te_and_cl(self):
        self.assertRejected(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 30\r\n"
                            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
                            b"GET /echo/smuggled HTTP/1.1\r\nHost: x\r\n\r\n")

    def test_cl_and_te_order_swapped(self):
        self.assertRejected(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                            b"Content-Length: 5\r\n\r\n0\r\n\r\n")

    def test_differing_content_lengths(self):
        self.assertRejected(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                            b"Content-Length: 6\r\n\r\nhello!")

    def test_content_length_list_with_different_values(self):
        self.assertRejected(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5, 6\r\n\r\nhello!")

    def test_bad_content_length(self):
        self.assertRejected(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5x\r\n\r\nhello")
        self.assertRejected(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n")

    def test_obs_fold(self):
        self.assertRejected(b"GET /echo HTTP/1.1\r\nHost: x\r\nX-A: a\r\n  folded\r\n\r\n")

    def test_bad_chunk_sizes(self):
        for size in (b"zz", b"-1", b"0x5", b"fffffffffffffffffff", b" 5"):
            with self.subTest(size=size):
                self.assertRejected(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked"
                                    b"\r\n\r\n" + size + b"\r\nhello\r\n0\r\n\r\n")

    def test_chunk_data_longer_than_size(self):
        self.assertRejected(b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                            b"3\r\nhello\r\n0\r\n\r\n")

    def test_two_hosts(self):
        self.assertRejected(b"GET /echo HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")

    def test_no_host_in_http11(self):
        self.assertRejected(b"GET /echo HTTP/1.1\r\nX-A: b\r\n\r\n")

    def test_space_before_colon(self):
        self.assertRejected(b"GET /echo HTTP/1.1\r\nHost: x\r\nX-A : b\r\n\r\n")
        self.assertRejected(b"GET /echo HTTP/1.1\r\nHost : x\r\n\r\n")

    def test_request_line_too_long_414(self):
        self.assertRejected(b"GET /echo/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414)

    def test_request_line_under_limit_served(self):
        out, _ = self.exchange(b"GET /echo/" + b"a" * 7000 + b" HTTP/1.1\r\nHost: x\r\n"
                               b"Connection: close\r\n\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 200 "), out[:200])

    def test_head_too_large_431(self):
        headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(40))
        self.assertRejected(b"GET /echo HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n", 431)

    def test_head_under_limit_served(self):
        headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(20))
        out, _ = self.exchange(b"GET /echo/big HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" +
                               headers + b"\r\n")
        self.assertTrue(out.startswith(b"HTTP/1.1 200 "), out[:200])

    # ---- slowloris
    def assertClosedAfterTimeout(self, s, t0, data=b""):
        s.settimeout(HEADER_TIMEOUT_MS / 1000 * 4)
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                data += b
        except ConnectionResetError:
            pass
        except socket.timeout:
            self.fail("stalled connection still open after 4x the header timeout")
        elapsed = time.time() - t0
        self.assertGreater(elapsed, HEADER_TIMEOUT_MS / 1000 * 0.8, "closed before the timeout")
        self.assertNotIn(b"HTTP/1.1 200", data)

    def test_slowloris_partial_head(self):
        s = socket.create_connection(("127.0.0.1", self.gw.port), timeout=10)
        self.addCleanup(s.close)
        t0 = time.time()
        s.sendall(b"GET /echo HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        self.assertClosedAfterTimeout(s, t0)

    def test_slowloris_trickle_does_not_extend_deadline(self):
        s = socket.create_connection(("127.0.0.1", self.gw.port), timeout=10)
        self.addCleanup(s.close)
        t0 = time.time()
        s.sendall(b"GET /echo HTTP/1.1\r\n")
        s.settimeout(0.2)
        closed = False
        for i in range(20):  # one header byte every 200 ms, for at most 4 s
            try:
                s.sendall(b"X")
                if s.recv(65536) == b"":
                    closed = True
                    break
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
        elapsed = time.time() - t0
        self.assertTrue(closed, "trickling client kept the connection open for 4 s")
        self.assertLess(elapsed, HEADER_TIMEOUT_MS / 1000 * 2.5)

    def test_idle_new_connection_closed(self):
        s = socket.create_connection(("127.0.0.1", self.gw.port), timeout=10)
        self.addCleanup(s.close)
        self.assertClosedAfterTimeout(s, time.time())


if __name__ == "__main__":
    unittest.main()
