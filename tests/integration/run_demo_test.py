"""`make run` (scripts/run-demo): a CP and a hybrid gateway come up, the example config is applied
through the Admin API and served, and a change made through the Admin API reaches the traffic."""
import os
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.request

from harness import BIN, REPO, wait_until


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except OSError:
        return None, b""


class RunDemoTest(unittest.TestCase):
    def test_make_run_serves_the_example_through_the_control_plane(self):
        run_dir = tempfile.mkdtemp(prefix="cw-run-")
        log = open(os.path.join(run_dir, "out.log"), "w+")
        env = dict(os.environ, CAUSEWAY_BIN=BIN, CAUSEWAY_RUN_DIR=run_dir)
        proc = subprocess.Popen([os.path.join(REPO, "scripts", "run-demo")], stdout=log,
                                stderr=subprocess.STDOUT, env=env, start_new_session=True)

        def stop():
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=30)
        self.addCleanup(stop)

        def output():
            log.seek(0)
            return log.read()
        wait_until(lambda: "Causeway is running" in output() or proc.poll() is not None,
                   timeout=60, what="run-demo ready")
        self.assertIsNone(proc.poll(), output())
        wait_until(lambda: get("http://127.0.0.1:8000/echo/hello")[0] == 200, timeout=20,
                   what="example served")
        req = urllib.request.Request("http://127.0.0.1:8001/services", method="POST",
                                     data=b"name=new&url=http://127.0.0.1:9101")
        self.assertEqual(urllib.request.urlopen(req, timeout=5).status, 201)
        req = urllib.request.Request("http://127.0.0.1:8001/services/new/routes", method="POST",
                                     data=b"paths[]=/new")
        self.assertEqual(urllib.request.urlopen(req, timeout=5).status, 201)
        wait_until(lambda: get("http://127.0.0.1:8000/new/x")[0] == 200, timeout=20,
                   what="the change served")


if __name__ == "__main__":
    unittest.main()
