"""`causeway ctl` without a control plane: usage errors exit 2, an invalid declarative file is
refused locally with every field path named (exit 2, nothing sent), and an Admin API that cannot
be reached (nothing listening, or a listener that never answers) exits 3. The token is never
printed."""
import os
import socket
import subprocess
import tempfile
import unittest

from harness import BIN, free_port

VALID = """_format_version: "3.0"
services:
- name: users
  url: http://127.0.0.1:9/api
  routes:
  - name: users-list
    paths: [/users]
"""

INVALID = """_format_version: "3.0"
services:
- name: users
  url: http://127.0.0.1:9
  retries: -1
  routes:
  - name: r
    paths: ["/ok", "no-slash"]
routes:
- name: dangling
  paths: [/x]
  service: missing-service
"""


class CtlCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="cw-ctl-")
        cls.valid = os.path.join(cls.dir, "valid.yml")
        cls.invalid = os.path.join(cls.dir, "invalid.yml")
        with open(cls.valid, "w") as f:
            f.write(VALID)
        with open(cls.invalid, "w") as f:
            f.write(INVALID)

    def ctl(self, *args, env=None, timeout=60):
        """Runs `causeway ctl ARGS`; returns (exit code, stdout, stderr)."""
        e = dict(os.environ)
        e.pop("CAUSEWAY_ADMIN_TOKEN", None)
        e.update(env or {})
        r = subprocess.run([BIN, "ctl"] + list(args), capture_output=True, timeout=timeout, env=e)
        out, err = r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")
        for text in (out, err):
            self.assertNotIn("AddressSanitizer", text)
            self.assertNotIn("runtime error", text)  # UBSan
        return r.returncode, out, err

    def closed_url(self, scheme="http"):
        return f"{scheme}://127.0.0.1:{free_port()}"

    # ---- usage ----

    def test_help_documents_commands_and_exit_codes(self):
        code, out, _ = self.ctl("--help")
        self.assertEqual(code, 0)
        for word in ("apply", "diff", "dump", "get", "--admin-url", "--token", "Exit codes",
                     "cannot reach the Admin API", "refused by the Admin API"):
            self.assertIn(word, out)
        code, out, _ = self.ctl("diff", "--help")
        self.assertEqual(code, 0)
        self.assertIn("--file", out)
        self.assertIn("Exit codes", out)

    def test_top_level_help_lists_ctl(self):
        r = subprocess.run([BIN, "--help"], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0)
        self.assertIn("ctl", r.stdout.decode())

    def test_usage_errors_exit_2(self):
        for args in ([], ["bogus"], ["apply"], ["diff"], ["apply", "-f"], ["get"],
                     ["dump", "--format", "xml"], ["get", "services", "-o", "wide"],
                     ["get", "a", "b", "c"], ["--timeout", "0", "get", "services"],
                     ["--timeout", "soon", "get", "services"],
                     ["--ca-cert", "/nonexistent/ca.pem", "get", "services"],
                     ["apply", "-f", self.valid, "--no-such-flag"]):
            code, out, err = self.ctl(*args)
            self.assertEqual(code, 2, f"{args}: {out}{err}")
            self.assertTrue(err.strip(), f"{args}: an error should be printed")

    def test_invalid_admin_url_exits_2(self):
        for url in ("ftp://127.0.0.1:8001", "127.0.0.1:8001", "http://user:pw@127.0.0.1:8001",
                    "http://127.0.0.1:99999", "http://[::1"):
            code, _, err = self.ctl("--admin-url", url, "get", "services")
            self.assertEqual(code, 2, f"{url}: {err}")
            self.assertIn("Admin API URL", err)

    def test_invalid_kind_exits_2(self):
        code, _, err = self.ctl("--admin-url", self.closed_url(), "get", "../etc")
        self.assertEqual(code, 2, err)

    # ---- local validation ----

    def test_missing_file_exits_2(self):
        code, _, err = self.ctl("--admin-url", self.closed_url(), "apply", "-f",
                                "/nonexistent/kong.yml")
        self.assertEqual(code, 2, err)
        self.assertIn("/nonexistent/kong.yml", err)

    def test_invalid_file_names_every_field_and_sends_nothing(self):
        # Nothing listens at the URL: had the file been sent, the exit code would be 3.
        for command in ("apply", "diff"):
            code, out, err = self.ctl("--admin-url", self.closed_url(), command, "-f", self.invalid)
            self.assertEqual(code, 2, f"{command}: {out}{err}")
            for path in ("services[0].retries", "services[0].routes[0].paths[1]",
                         "routes[0].service"):
                self.assertIn(path, err, f"{command}: the message should name {path}")
            self.assertIn("nothing was sent", err)
            self.assertEqual(out, "")

    def test_invalid_yaml_exits_2(self):
        path = os.path.join(self.dir, "broken.yml")
        with open(path, "w") as f:
            f.write('_format_version: "3.0"\nservices: [: {\n')
        code, _, err = self.ctl("--admin-url", self.closed_url(), "apply", "--dry-run", "-f", path)
        self.assertEqual(code, 2, err)
        self.assertRegex(err.lower(), r"yaml|parse|syntax")

    # ---- unreachable Admin API ----

    def test_unreachable_admin_api_exits_3(self):
        url = self.closed_url()
        for args in (["apply", "-f", self.valid], ["apply", "--dry-run", "-f", self.valid],
                     ["diff", "-f", self.valid], ["dump"], ["dump", "--format", "json"],
                     ["get", "services"], ["get", "routes", "users-list", "-o", "json"]):
            code, out, err = self.ctl("--admin-url", url, *args)
            self.assertEqual(code, 3, f"{args}: {out}{err}")
            self.assertIn("cannot reach the Admin API", err)
            self.assertIn(url, err)

    def test_unreachable_https_exits_3(self):
        code, _, err = self.ctl("--admin-url", self.closed_url("https"), "get", "services")
        self.assertEqual(code, 3, err)

    def test_silent_listener_times_out_with_3(self):
        # A socket that completes connections (the kernel's backlog) but never answers.
        s = socket.socket()
        self.addCleanup(s.close)
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        url = f"http://127.0.0.1:{s.getsockname()[1]}"
        code, _, err = self.ctl("--admin-url", url, "--timeout", "1", "get", "services")
        self.assertEqual(code, 3, err)
        self.assertIn("no answer", err)

    def test_token_is_never_printed(self):
        secret = "s3cr3t-token-value"
        url = self.closed_url()
        for args, env in ((["--token", secret, "get", "services"], None),
                          (["get", "services"], {"CAUSEWAY_ADMIN_TOKEN": secret}),
                          (["--token", secret, "apply", "-f", self.invalid], None),
                          (["--token", secret, "--help"], None)):
            code, out, err = self.ctl("--admin-url", url, *args, env=env)
            self.assertNotIn(secret, out + err, args)
        code, out, _ = self.ctl("--help", env={"CAUSEWAY_ADMIN_TOKEN": secret})
        self.assertNotIn(secret, out)


if __name__ == "__main__":
    unittest.main()
