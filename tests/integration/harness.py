"""Helpers for integration tests: start real causeway processes, real upstreams and real clients
on loopback, with free ports, and stop them all at the end. Standard library only."""
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.environ.get("CAUSEWAY_BIN") or os.path.join(REPO, "build", "dev", "src", "cli", "causeway")


_handed_out = set()


def free_port():
    """A port to listen on, chosen below the kernel's ephemeral range (32768+): ports from that
    range can be taken by any outgoing connection between this check and the listener's bind,
    which made concurrent tests flaky."""
    import random
    for _ in range(1000):
        port = random.randrange(20000, 32000)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port in 20000-32000")


def wait_port(port, timeout=15.0, host="127.0.0.1"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def status_json(port):
    """GET /status of a causeway status listener on loopback, parsed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", "/status")
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


class Process:
    """A child process whose output goes to a log file that tests can read."""

    def __init__(self, args, name):
        self.name = name
        self.log = tempfile.NamedTemporaryFile(prefix=f"cw-{name}-", suffix=".log", delete=False)
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT, env=env)

    def output(self):
        with open(self.log.name, "r", errors="replace") as f:
            return f.read()

    def signal(self, sig):
        self.proc.send_signal(sig)

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=15):
        """Stops the process; returns its exit code (a sanitizer report makes it non-zero)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class DemoApp(Process):
    def __init__(self, name="demo", port=None):
        self.port = port or free_port()
        super().__init__([BIN, "demo-app", "--name", name, "--listen", f"127.0.0.1:{self.port}"],
                         f"demo-{name}")
        wait_port(self.port)


class Gateway(Process):
    """`causeway gateway` on free ports, serving `config` (a Kong declarative YAML string)."""

    def __init__(self, config, workers=1, tls=True, extra=()):
        self.dir = tempfile.mkdtemp(prefix="cw-gw-")
        self.config_path = os.path.join(self.dir, "kong.yml")
        with open(self.config_path, "w") as f:
            f.write(config)
        self.port = free_port()
        self.tls_port = free_port() if tls else None
        self.status_port = free_port()
        args = [BIN, "gateway", "--config", self.config_path, "--workers", str(workers),
                "--proxy-listen", f"127.0.0.1:{self.port}",
                "--status-listen", f"127.0.0.1:{self.status_port}"]
        if tls:
            args += ["--proxy-listen", f"127.0.0.1:{self.tls_port} ssl"]
        args += list(extra)
        super().__init__(args, "gateway")
        try:
            wait_port(self.status_port)
            wait_port(self.port)
            if self.tls_port:
                wait_port(self.tls_port)
        except TimeoutError:
            self.stop()
            raise RuntimeError("gateway did not start:\n" + self.output())

    def url(self, path="/"):
        return f"http://127.0.0.1:{self.port}{path}"

    def reload(self, config):
        with open(self.config_path, "w") as f:
            f.write(config)
        before = self.status().get("config_reloads", {})
        self.signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline:
            after = self.status().get("config_reloads", {})
            if after != before:
                return after
            time.sleep(0.05)
        raise TimeoutError("reload not observed")

    def request(self, method="GET", path="/", headers=None, body=None, timeout=10):
        """One request on a new connection; returns (status, headers dict lower-cased, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            r = conn.getresponse()
            data = r.read()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, data
        finally:
            conn.close()

    def json(self, method="GET", path="/", headers=None, body=None):
        status, hdrs, data = self.request(method, path, headers, body)
        return status, json.loads(data) if data else None

    def status(self):
        return status_json(self.status_port)

    def metrics(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.status_port, timeout=5)
        try:
            conn.request("GET", "/metrics")
            return conn.getresponse().read().decode()
        finally:
            conn.close()


def raw_exchange(port, data, timeout=5.0, read_until_close=True):
    """Sends raw bytes, returns everything the server sent until it closed (or timeout)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        chunks = []
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                chunks.append(b)
                if not read_until_close:
                    break
        except socket.timeout:
            pass
        return b"".join(chunks)


# ---------------------------------------------------------------------------------------------
# Helpers added for the integration suite (routing, proxy, strict HTTP, failures, TLS, reload,
# observability, CLI). Standard library only; everything on 127.0.0.1.
import shutil
import ssl
import threading
import unittest


def wait_until(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Bounded polling for a state that has no event to await; returns the predicate's value."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() >= deadline:
            raise TimeoutError(f"{what} not reached after {timeout}s")
        time.sleep(interval)


def rss_kb(pid):
    """Resident set size of a process in KiB, from /proc/<pid>/status."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssSampler:
    """Samples a process's RSS in a thread until stopped; `peak_kb` is the highest value seen."""

    def __init__(self, pid, interval=0.05):
        self.pid = pid
        self.interval = interval
        self.peak_kb = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        while not self._stop.is_set():
            try:
                self.peak_kb = max(self.peak_kb, rss_kb(self.pid))
            except OSError:
                return
            self._stop.wait(self.interval)

    def stop(self):
        self._stop.set()
        self._t.join(5)
        return self.peak_kb


def curl(args, timeout=60):
    """Runs curl (no proxy from the environment); returns CompletedProcess with bytes output."""
    env = dict(os.environ)
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"):
        env.pop(k, None)
    return subprocess.run(["curl", "-sS", "--noproxy", "*"] + list(args), capture_output=True,
                          timeout=timeout, env=env)


def recv_until(sock, marker, limit=1 << 20):
    """Reads from `sock` until `marker` is seen (or close); returns all bytes read."""
    data = b""
    while marker not in data and len(data) < limit:
        b = sock.recv(65536)
        if not b:
            break
        data += b
    return data


class ResponseReader:
    """Parses HTTP/1.1 responses one after the other from a socket (for pipelining, keep-alive)."""

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""

    def _fill(self):
        b = self.sock.recv(65536)
        if not b:
            raise ConnectionError("connection closed by peer")
        self.buf += b

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _exact(self, n):
        while len(self.buf) < n:
            self._fill()
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def read(self, head_request=False):
        """Returns (status, headers dict lower-cased [joined with ', '], body bytes)."""
        while True:
            status_line = self._line()
            parts = status_line.split(b" ", 2)
            status = int(parts[1])
            headers = {}
            while True:
                line = self._line()
                if not line:
                    break
                k, v = line.split(b":", 1)
                k = k.decode().strip().lower()
                v = v.decode().strip()
                headers[k] = headers[k] + ", " + v if k in headers else v
            if 100 <= status < 200:
                continue
            break
        body = b""
        if head_request or status in (204, 304):
            return status, headers, body
        if "chunked" in headers.get("transfer-encoding", "").lower():
            while True:
                size = int(self._line().split(b";")[0], 16)
                if size == 0:
                    while self._line():
                        pass
                    break
                body += self._exact(size)
                self._exact(2)
        elif "content-length" in headers:
            body = self._exact(int(headers["content-length"]))
        else:
            try:
                while True:
                    self._fill()
            except ConnectionError:
                pass
            body, self.buf = self.buf, b""
        return status, headers, body


def connection_closed(sock, timeout=5.0):
    """True if the peer closes `sock` (EOF or reset) within `timeout`, ignoring pending data."""
    sock.settimeout(timeout)
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            b = sock.recv(65536)
            if not b:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False
    return False


class TcpServer:
    """A tiny threaded TCP server on 127.0.0.1 running `handler(conn)` for each connection."""

    def __init__(self, handler, tls_context=None):
        self.handler = handler
        self.tls_context = tls_context
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.conns = []
        self._closing = False
        self._lock = threading.Lock()
        self._t = threading.Thread(target=self._accept, daemon=True)
        self._t.start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            if self._closing:
                c.close()
                return
            with self._lock:
                self.accepted += 1
                self.conns.append(c)
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        try:
            if self.tls_context is not None:
                c = self.tls_context.wrap_socket(c, server_side=True)
            self.handler(c)
        except OSError:
            pass
        finally:
            try:
                c.close()
            except OSError:
                pass

    def stop(self):
        self._closing = True
        try:
            self.sock.close()
        except OSError:
            pass
        with self._lock:
            for c in self.conns:
                try:
                    c.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                try:
                    c.close()
                except OSError:
                    pass
        self._t.join(5)


def read_request_head(conn):
    """Reads a request head from a raw socket; returns it (bytes) or b'' on close."""
    data = b""
    while b"\r\n\r\n" not in data:
        b = conn.recv(65536)
        if not b:
            return b""
        data += b
    return data


def make_cert(directory, name, cn, sans):
    """Self-signed certificate with the openssl CLI; returns (cert_path, key_path)."""
    cert = os.path.join(directory, f"{name}.crt")
    key = os.path.join(directory, f"{name}.key")
    san = ",".join(f"DNS:{s}" for s in sans)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "2", "-subj", f"/CN={cn}", "-addext", f"subjectAltName={san}"],
                   check=True, capture_output=True, timeout=30)
    return cert, key


def yaml_block(text, indent):
    """A YAML literal block scalar body: each line of `text` indented by `indent` spaces."""
    pad = " " * indent
    return "\n".join(pad + line for line in text.strip("\n").splitlines())


def stop_checked(proc):
    """Stops `proc`; for a gateway, raises unless it exited with 0 (sanitizer reports fail)."""
    code = proc.stop()
    if isinstance(proc, Gateway) and code != 0:
        out = proc.output()
        at = out.find("ERROR: AddressSanitizer")
        if at < 0:
            at = out.find("runtime error:")
        excerpt = out[max(0, at - 2000):at + 12000] if at >= 0 else out[-14000:]
        raise AssertionError(f"gateway exited with {code} (log {proc.log.name}):\n{excerpt}")


class GatewayCase(unittest.TestCase):
    """Base for tests: processes started with `start` (class-wide, from setUpClass) or `own`
    (one test) are stopped at the end, and a gateway must exit with 0 (ASan reports fail)."""

    @classmethod
    def start(cls, proc):
        cls.addClassCleanup(stop_checked, proc)
        return proc

    def own(self, proc):
        self.addCleanup(stop_checked, proc)
        return proc


def parse_metrics(text):
    """Prometheus text format -> list of (name, {label: value}, float value)."""
    import re
    out = []
    sample = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)')
    label = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = sample.match(line)
        if not m:
            continue
        labels = dict(label.findall(m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def metric_value(text, name, **labels):
    """Sum of the samples of `name` whose labels include `labels` (0 if none)."""
    return sum(v for n, l, v in parse_metrics(text)
               if n == name and all(l.get(k) == str(w) for k, w in labels.items()))
