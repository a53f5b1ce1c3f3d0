"""A service mesh on loopback for tests and benchmarks: real `causeway sidecar` processes (file
mode: mesh resources from one Kuma YAML file, certificates from `causeway cert workload`), real
applications behind them, and helpers to change the mesh (rewrite the file, SIGHUP, wait until
every sidecar applied it)."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import BIN, Process, free_port, status_json, wait_port, wait_until

MESH = """type: Mesh
name: default
mtls:
  enabledBackend: ca-1
  backends:
    - name: ca-1
      type: builtin
"""


def dataplane(name, port, service_port, tags, outbound=()):
    tag_text = ", ".join(f"{k}: {v}" for k, v in tags.items())
    doc = (f"---\ntype: Dataplane\nname: {name}\nnetworking:\n  address: 127.0.0.1\n"
           f"  inbound:\n    - port: {port}\n      servicePort: {service_port}\n"
           f"      tags: {{{tag_text}}}\n")
    if outbound:
        doc += "  outbound:\n"
        for port_, service in outbound:
            doc += f"    - port: {port_}\n      tags: {{kuma.io/service: {service}}}\n"
    return doc


def issue(ca_dir, service, out_dir):
    subprocess.run([BIN, "cert", "workload", "--mesh-ca-dir", ca_dir, "--service", service,
                    "--out", out_dir], check=True, capture_output=True)


class Sidecar(Process):
    def __init__(self, lab, name, doc, service, ca_files):
        self.lab = lab
        self.status_port = free_port()
        self.dp_file = os.path.join(lab.dir, f"{name}.dp.yaml")
        with open(self.dp_file, "w") as f:
            f.write(doc)
        args = [BIN, "sidecar", "--config", lab.mesh_file, "--dataplane", self.dp_file,
                "--cert", os.path.join(lab.certs, f"{service}.crt"),
                "--key", os.path.join(lab.certs, f"{service}.key"),
                "--status-listen", f"127.0.0.1:{self.status_port}", "--log-level", "info"]
        for ca in ca_files:
            args += ["--ca-cert", ca]
        super().__init__(args, f"sidecar-{name}")
        wait_port(self.status_port)

    def status(self):
        return status_json(self.status_port)

    def updates(self):
        return self.status()["updates"]


class SwitchableApp:
    """An HTTP application that answers `mode` (200 or an error status) on every path and counts
    the requests it got."""

    def __init__(self, name):
        self.name = name
        self.mode = 200
        self.hits = 0
        app = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                app.hits += 1
                body = json.dumps({"app": app.name, "path": self.path}).encode()
                self.send_response(app.mode)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class MeshLab:
    """A temporary directory with a mesh CA, certificates, the mesh file, and processes."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="cw-mesh-")
        self.ca = os.path.join(self.dir, "ca-1")
        self.certs = os.path.join(self.dir, "certs")
        self.mesh_file = os.path.join(self.dir, "mesh.yaml")
        self.sidecars = []
        self.others = []
        self.docs = {}  # dataplane name -> its document, written into the mesh file
        # Two trust slots per sidecar (--ca-cert twice), so a CA rotation can swap files.
        self.trust = [os.path.join(self.dir, "trust-a.crt"), os.path.join(self.dir, "trust-b.crt")]
        issue(self.ca, "bootstrap", self.certs)  # creates the CA
        for t in self.trust:
            shutil.copy(os.path.join(self.ca, "ca.crt"), t)
        self.write([])

    def write(self, policies, dataplanes=None, mesh=MESH):
        names = self.docs.keys() if dataplanes is None else dataplanes
        with open(self.mesh_file + ".tmp", "w") as f:
            f.write(mesh + "".join(self.docs[n] for n in names) + "".join(policies))
        os.replace(self.mesh_file + ".tmp", self.mesh_file)

    def add_sidecar(self, name, service, port, service_port, tags, outbound=()):
        issue(self.ca, service, self.certs)
        tags = {"kuma.io/service": service, **tags}
        doc = dataplane(name, port, service_port, tags, outbound)
        self.docs[name] = doc
        self.write([])
        s = Sidecar(self, name, doc, service, self.trust)
        self.sidecars.append(s)
        return s

    def apply(self, policies, dataplanes=None, mesh=MESH):
        """Writes the mesh file and waits until every sidecar serves it."""
        before = [s.updates() for s in self.sidecars]
        self.write(policies, dataplanes, mesh)
        for s in self.sidecars:
            s.signal(signal.SIGHUP)
        for s, b in zip(self.sidecars, before):
            wait_until(lambda: s.updates() != b, timeout=10, what=f"{s.name} reloaded")
            u = s.updates()
            assert u["refused"] == b["refused"], s.status().get("last_error")

    def apply_raw(self):
        before = [s.updates() for s in self.sidecars]
        for s in self.sidecars:
            s.signal(signal.SIGHUP)
        for s, b in zip(self.sidecars, before):
            wait_until(lambda: s.updates() != b, timeout=10, what=f"{s.name} reloaded")

    def stop(self):
        codes = {s.name: s.stop() for s in self.sidecars}
        for o in self.others:
            o.stop()
        return codes
