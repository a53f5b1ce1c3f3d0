"""Helpers for control-plane tests: a throwaway PostgreSQL (scripts/pg-sandbox), cluster
certificates (`causeway cert init`), `causeway cp` and hybrid `causeway gateway` processes, and a
small JSON client for the Admin API. Standard library only."""
import http.client
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.parse

from harness import BIN, REPO, Process, free_port, status_json, wait_port, wait_until

PG_SANDBOX = os.path.join(REPO, "scripts", "pg-sandbox")


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
