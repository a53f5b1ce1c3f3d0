"""The command line of the real binary: --version, and a gateway that cannot start (missing file,
invalid YAML, invalid entities, bad flags, busy port) exits non-zero with a clear message naming
the problem (for entities, the field path)."""
import os
import socket
import subprocess
import tempfile
import unittest

from harness import BIN, free_port


class CliTest(unittest.TestCase):
    def run_gateway(self, config_text=None, config_path=None, extra=(), timeout=30):
        """Runs `causeway gateway` expecting it to exit by itself; returns (code, output)."""
        if config_path is None:
            d = tempfile.mkdtemp(prefix="cw-cli-")
            config_path = os.path.join(d, "kong.yml")
            with open(config_path, "w") as f:
                f.write(config_text)
        args = [BIN, "gateway", "--config", config_path, "--workers", "1",
                "--proxy-listen", f"127.0.0.1:{free_port()}",
                "--status-listen", f"127.0.0.1:{free_port()}"] + list(extra)
        p = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        try:
            out, _ = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            out, _ = p.communicate()
            self.fail(f"gateway did not exit with config {config_text!r}: {out.decode()[-3000:]}")
        return p.returncode, out.decode(errors="replace")

    def assertRefused(self, config_text, *expected, **kw):
        code, out = self.run_gateway(config_text, **kw)
        self.assertNotEqual(code, 0, out)
        self.assertNotIn("AddressSanitizer", out)
        self.assertNotIn("runtime error", out)  # UBSan
        for e in expected:
            self.assertIn(e, out, f"message should name {e!r}")
        return out

    def test_version(self):
        r = subprocess.run([BIN, "--version"], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout.decode(), r"^causeway \d+\.\d+\.\d+")

    def test_no_subcommand_fails(self):
        r = subprocess.run([BIN], capture_output=True, timeout=30)
        self.assertNotEqual(r.returncode, 0)

    def test_missing_config_file(self):
        code, out = self.run_gateway(config_path="/nonexistent/kong.yml")
        self.assertNotEqual(code, 0)
        self.assertIn("/nonexistent/kong.yml", out)

    def test_invalid_yaml(self):
        out = self.assertRefused('_format_version: "3.0"\nservices: [: {\n')
        self.assertRegex(out.lower(), r"yaml|json|parse|syntax")

    def test_invalid_route_path(self):
        self.assertRefused('_format_version: "3.0"\nservices:\n- name: s\n  url: http://127.0.0.1:1\n'
                           '  routes:\n  - name: r\n    paths: ["/ok", "no-slash"]\n',
                           "services[0].routes[0].paths[1]")

    def test_invalid_service_field(self):
        self.assertRefused('_format_version: "3.0"\nservices:\n- name: a\n  url: http://127.0.0.1:1\n'
                           '- name: b\n  url: http://127.0.0.1:2\n  retries: -1\n',
                           "services[1].retries")

    def test_unknown_field(self):
        self.assertRefused('_format_version: "3.0"\nservices:\n- name: a\n  url: http://127.0.0.1:1\n'
                           '  bogus_field: 1\n', "bogus_field")

    def test_route_references_unknown_service(self):
        self.assertRefused('_format_version: "3.0"\nroutes:\n- name: r\n  paths: ["/x"]\n'
                           '  service: missing-service\n', "routes[0].service")

    def test_bad_target(self):
        self.assertRefused('_format_version: "3.0"\nupstreams:\n- name: u\n  targets:\n'
                           '  - target: "127.0.0.1:99999"\n', "upstreams[0].targets[0].target")

    def test_bad_listen_flag(self):
        ok = '_format_version: "3.0"\n'
        out = self.assertRefused(ok, "bogus", extra=["--proxy-listen", f"127.0.0.1:{free_port()} bogus"])
        self.assertIn("--proxy-listen", out)

    def test_busy_port(self):
        s = socket.socket()
        self.addCleanup(s.close)
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        out = self.assertRefused('_format_version: "3.0"\n',
                                 extra=["--proxy-listen", f"127.0.0.1:{port}"])
        self.assertIn(str(port), out)


if __name__ == "__main__":
    unittest.main()
