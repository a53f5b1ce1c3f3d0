"""Helpers for control-plane tests: a throwaway PostgreSQL (scripts/pg-sandbox), cluster
certificates (`causeway cert init`), `causeway cp` and hybrid `causeway gateway` processes, a
small JSON client for the Admin API, and a minimal client of the sync stream (a hand-made data
plane). Standard library only."""
import base64
import http.client
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import time
import urllib.parse
import zlib

from harness import BIN, REPO, Process, free_port, status_json, wait_port, wait_until

PG_SANDBOX = os.path.join(REPO, "scripts", "pg-sandbox")


class MiniWebSocket:
    """Just enough RFC 6455 for the sync protocol: TLS, upgrade, masked text frames out, whole
    frames in (binary ones inflated)."""

    def __init__(self, port, ca_file):
        ctx = ssl.create_default_context(cafile=ca_file)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_3
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock = ctx.wrap_socket(raw, server_hostname="causeway-cp")
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(("GET /v1/outlet HTTP/1.1\r\nHost: causeway-cp\r\nUpgrade: websocket\r\n"
                           "Connection: Upgrade\r\nSec-WebSocket-Key: " + key +
                           "\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("closed during the upgrade")
            head += chunk
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError(head.decode(errors="replace"))

    def _exact(self, n):
        out = b""
        while len(out) < n:
            chunk = self.sock.recv(n - len(out))
            if not chunk:
                raise ConnectionError("closed")
            out += chunk
        return out

    def send(self, obj):
        data = json.dumps(obj).encode()
        mask = os.urandom(4)
        n = len(data)
        header = bytes([0x81])
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        self.sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def recv(self):
        """("text"|"close", dict or (code, reason))."""
        b0, b1 = self._exact(2)
        n = b1 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._exact(8))[0]
        payload = self._exact(n)
        op = b0 & 0x0F
        if op == 8:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 0
            return "close", (code, payload[2:].decode(errors="replace"))
        if op == 2:
            payload = zlib.decompress(payload)
        return "text", json.loads(payload)

    def recv_json(self):
        while True:
            kind, msg = self.recv()
            if kind == "close" or msg.get("type") != "heartbeat":
                return kind, msg

    def close(self):
        self.sock.close()


def sync_hello(node, capabilities, **extra):
    msg = {"type": "hello", "id": node, "hostname": "test", "version": "0.1.0",
           "capabilities": capabilities, "revision": 0, "hash": ""}
    msg.update(extra)
    return msg


class Postgres:
    """A PostgreSQL server of its own, in a temporary directory."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cw-pg-")
        out = subprocess.run([PG_SANDBOX, "start", self.dir], capture_output=True, text=True,
                             timeout=120)
        if out.returncode != 0:
            raise RuntimeError("pg-sandbox failed:\n" + out.stdout + out.stderr)
        self.uri = out.stdout.strip().splitlines()[-1]

    def stop(self):
        subprocess.run([PG_SANDBOX, "stop", self.dir], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


def cert_init(directory):
    out = subprocess.run([BIN, "cert", "init", "--out", directory], capture_output=True,
                         text=True, timeout=60)
    if out.returncode != 0:
        raise RuntimeError("cert init failed:\n" + out.stdout + out.stderr)
    return directory


class AdminClient:
    def __init__(self, port, token=None):
        self.port = port
        self.token = token

    def call(self, method, path, body=None, headers=None, raw=None):
        """Returns (status, parsed JSON body or None, headers)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        hdrs = dict(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body)
            hdrs.setdefault("Content-Type", "application/json")
        if self.token:
            hdrs.setdefault("Authorization", "Bearer " + self.token)
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            text = r.read()
            parsed = json.loads(text) if text else None
            return r.status, parsed, {k.lower(): v for k, v in r.getheaders()}
        finally:
            conn.close()

    def get(self, path):
        return self.call("GET", path)[:2]

    def post(self, path, body):
        return self.call("POST", path, body)[:2]

    def put(self, path, body):
        return self.call("PUT", path, body)[:2]

    def patch(self, path, body):
        return self.call("PATCH", path, body)[:2]

    def delete(self, path):
        return self.call("DELETE", path)[:2]

    def form(self, method, path, pairs):
        raw = urllib.parse.urlencode(pairs)
        return self.call(method, path, raw=raw,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})[:2]


class ControlPlane(Process):
    """`causeway cp` on free ports; SQLite in a temporary directory unless `store` is given."""

    def __init__(self, cert_dir=None, store=None, data_dir=None, extra=(), name="cp",
                 cluster_port=None):
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="cw-cp-")
        self.admin_port = free_port()
        self.admin_tls_port = free_port()
        self.cluster_port = cluster_port or free_port()
        args = [BIN, "cp", "--data-dir", self.data_dir,
                "--admin-listen", f"127.0.0.1:{self.admin_port}",
                "--admin-ssl-listen", f"127.0.0.1:{self.admin_tls_port}",
                "--cluster-listen", f"127.0.0.1:{self.cluster_port}"]
        if cert_dir:
            args += ["--cluster-cert-dir", cert_dir]
        if store:
            args += ["--store", store]
        args += list(extra)
        super().__init__(args, name)
        try:
            wait_port(self.admin_port, timeout=30)
        except TimeoutError:
            self.stop()
            raise RuntimeError("cp did not start:\n" + self.output())
        self.api = AdminClient(self.admin_port)

    @property
    def cluster_url(self):
        return f"wss://127.0.0.1:{self.cluster_port}"

    def data_planes(self):
        return self.api.get("/clustering/data-planes")[1]["data"]

    def config_hash(self):
        return self.api.get("/status")[1]["configuration_hash"]


class HybridGateway(Process):
    """`causeway gateway --cp ...`: a data plane syncing from a control plane."""

    def __init__(self, cp_url, cert_dir, data_dir=None, workers=1, env=None, name="dp"):
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="cw-dp-")
        self.port = free_port()
        self.status_port = free_port()
        args = [BIN, "gateway", "--cp", cp_url, "--cluster-cert-dir", cert_dir,
                "--data-dir", self.data_dir, "--workers", str(workers),
                "--proxy-listen", f"127.0.0.1:{self.port}",
                "--status-listen", f"127.0.0.1:{self.status_port}"]
        if env:
            os.environ.update(env)
        try:
            super().__init__(args, name)
        finally:
            for k in env or {}:
                os.environ.pop(k, None)
        try:
            wait_port(self.status_port, timeout=30)
        except TimeoutError:
            self.stop()
            raise RuntimeError("gateway did not start:\n" + self.output())

    def status(self):
        return status_json(self.status_port)

    def request(self, path, headers=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("GET", path, headers=headers or {})
            r = conn.getresponse()
            return r.status, r.read()
        finally:
            conn.close()

    def wait_hash(self, expected, timeout=20):
        wait_until(lambda: self.status().get("configuration_hash") == expected, timeout=timeout,
                   what=f"data plane serving config {expected}")


def wait_serving(dp, path, status=200, timeout=20):
    def ok():
        try:
            return dp.request(path)[0] == status
        except OSError:
            return False
    wait_until(ok, timeout=timeout, what=f"{path} answering {status}")
