"""Smoke test: the gateway proxies to a demo upstream, routes by path, answers 404 otherwise."""
import unittest

from harness import DemoApp, Gateway


class SmokeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.app = DemoApp("a")
        cls.addClassCleanup(cls.app.stop)  # also runs when the gateway fails to start
        cls.gw = Gateway(f"""
_format_version: "3.0"
services:
- name: echo
  url: http://127.0.0.1:{cls.app.port}
  routes:
  - name: echo
    paths: ["/echo"]
""")

    @classmethod
    def tearDownClass(cls):
        code = cls.gw.stop()
        assert code == 0, cls.gw.output()

    def test_proxies_and_strips_path(self):
        status, body = self.gw.json("GET", "/echo/hello?x=1")
        self.assertEqual(status, 200)
        self.assertEqual(body["app"], "a")
        self.assertEqual(body["uri"], "/hello?x=1")

    def test_no_route_is_kong_404(self):
        status, body = self.gw.json("GET", "/nothing")
        self.assertEqual(status, 404)
        self.assertEqual(body, {"message": "no Route matched with those values"})


if __name__ == "__main__":
    unittest.main()
