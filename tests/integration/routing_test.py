"""End-to-end routing through the real binary: Kong's traditional_compatible router semantics
(hosts, paths, methods, headers, regex_priority), upstream path building (strip_path,
path_handling v0/v1), Host handling (preserve_host, upstream host_header), and the local answers
(404 no route, 426 https-only, 503 route without service, disabled services)."""
import http.client
import json
import ssl
import unittest

from harness import DemoApp, Gateway, GatewayCase


def svc(name, port, path="", routes=""):
    url = f"http://127.0.0.1:{port}{path}"
    return f"""
- name: {name}
  url: {url}
  routes:
{routes}"""


class RoutingTest(GatewayCase):
    @classmethod
    def setUpClass(cls):
        cls.app = cls.start(DemoApp("a"))
        p = cls.app.port
        # Each route gets its own service whose path names the route, so the echoed upstream path
        # tells which route matched ("/r-<route>...").
        def tagged(name, route_yaml):
            return svc(f"s-{name}", p, f"/r-{name}", f"  - name: {name}\n" + route_yaml)

        cfg = '_format_version: "3.0"\nservices:'
        cfg += tagged("exact-host", '    hosts: ["exact.test"]\n')
        cfg += tagged("wild-prefix", '    hosts: ["*.wild.test"]\n')
        cfg += tagged("wild-suffix", '    hosts: ["api.*"]\n')
        cfg += tagged("host-port", '    hosts: ["port.test:9999"]\n')
        cfg += tagged("plain", '    paths: ["/plain"]\n')
        cfg += tagged("plain-longer", '    paths: ["/plain/longer"]\n')
        cfg += tagged("regex", '    paths: ["~/items/\\\\d+$"]\n')
        cfg += tagged("prio-high", '    paths: ["~/prio/"]\n    regex_priority: 10\n')
        cfg += tagged("prio-low", '    paths: ["~/prio/special"]\n    regex_priority: 0\n')
        cfg += tagged("m-get", '    paths: ["/method"]\n    methods: ["GET"]\n')
        cfg += tagged("m-post", '    paths: ["/method"]\n    methods: ["POST"]\n')
        cfg += tagged("hdr-v2", '    paths: ["/hdr"]\n    headers:\n      x-version: ["v2"]\n')
        cfg += tagged("hdr-regex", '    paths: ["/hdr"]\n    headers:\n      x-tier: ["~*^gold"]\n')
        cfg += tagged("hdr-none", '    paths: ["/hdr"]\n')
        cfg += tagged("secure", '    paths: ["/secure"]\n    protocols: ["https"]\n')
        # path building (Kong's "path_handling" table), service path /s
        for name, path, strip, ph in [("tv0", "/tv0", "true", "v0"), ("tv1", "/tv1", "true", "v1"),
                                      ("fv0", "/fv0", "false", "v0"), ("fv1", "/fv1", "false", "v1"),
                                      ("tv0s", "/tv0s/", "true", "v0"),
                                      ("tv1s", "/tv1s/", "true", "v1"),
                                      ("fv0s", "/fv0s/", "false", "v0"),
                                      ("fv1s", "/fv1s/", "false", "v1")]:
            cfg += svc(f"s-{name}", p, "/s",
                       f"  - name: {name}\n    paths: [\"{path}\"]\n    strip_path: {strip}\n"
                       f"    path_handling: {ph}\n")
        cfg += svc("s-nosp", p, "", '  - name: nosp\n    paths: ["/nosp"]\n')
        cfg += svc("s-keep", p, "", '  - name: keep\n    paths: ["/keep"]\n    strip_path: false\n')
        cfg += svc("s-preserve", p, "",
                   '  - name: preserve\n    hosts: ["preserve.test"]\n    preserve_host: true\n')
        cfg += svc("s-nopreserve", p, "",
                   '  - name: nopreserve\n    hosts: ["nopreserve.test"]\n    preserve_host: false\n')
        cfg += f"""
- name: s-uphost
  host: hosted-upstream
  port: 80
  protocol: http
  routes:
  - name: uphost
    paths: ["/uphost"]
- name: s-disabled
  url: http://127.0.0.1:{p}
  enabled: false
  routes:
  - name: disabled
    paths: ["/disabled"]
upstreams:
- name: hosted-upstream
  host_header: backend.internal
  targets:
  - target: 127.0.0.1:{p}
routes:
- name: orphan
  paths: ["/orphan"]
"""
        cls.config = cfg
        cls.gw = cls.start(Gateway(cfg))

    def get(self, path, host=None, method="GET", headers=None):
        h = dict(headers or {})
        if host is not None:
            h["Host"] = host
        status, hdrs, data = self.gw.request(method, path, h)
        try:
            body = json.loads(data) if data else None
        except ValueError:
            body = data
        return status, body

    def assertRoute(self, route, path, host=None, method="GET", headers=None):
        status, body = self.get(path, host, method, headers)
        self.assertEqual(status, 200, f"{method} {path} Host={host} headers={headers}: {body}")
        self.assertTrue(body["path"].startswith(f"/r-{route}"),
                        f"{method} {path} Host={host} headers={headers}: expected route {route}, "
                        f"upstream path was {body['path']}")
        return body

    def assertNoRoute(self, path, host=None, method="GET", headers=None):
        status, body = self.get(path, host, method, headers)
        self.assertEqual(status, 404, f"{method} {path} Host={host} headers={headers}: {body}")
        self.assertEqual(body, {"message": "no Route matched with those values"})

    # ---- hosts
    def test_exact_host_case_insensitive(self):
        self.assertRoute("exact-host", "/x", host="exact.test")
        self.assertRoute("exact-host", "/x", host="EXACT.Test")
        self.assertNoRoute("/x", host="other.exact.test.invalid")

    def test_wildcard_prefix_host(self):
        self.assertRoute("wild-prefix", "/", host="a.wild.test")
        self.assertRoute("wild-prefix", "/", host="a.b.wild.test")
        self.assertNoRoute("/", host="wild.test")

    def test_wildcard_suffix_host(self):
        self.assertRoute("wild-suffix", "/", host="api.example")
        self.assertRoute("wild-suffix", "/", host="api.example.org")
        self.assertNoRoute("/", host="apix.example")

    def test_host_with_port(self):
        self.assertRoute("host-port", "/", host="port.test:9999")
        self.assertNoRoute("/", host="port.test:9998")
        self.assertNoRoute("/", host="port.test")

    # ---- paths
    def test_plain_path_prefix_and_longest_wins(self):
        self.assertRoute("plain", "/plain")
        self.assertRoute("plain", "/plain/other")
        self.assertRoute("plain", "/plainish")  # a plain path is a byte prefix (Kong)
        self.assertRoute("plain-longer", "/plain/longer/x")
        self.assertNoRoute("/pla")

    def test_regex_path(self):
        self.assertRoute("regex", "/items/42")
        self.assertNoRoute("/items/abc")
        self.assertNoRoute("/items/42/x")  # "$" anchors the end

    def test_regex_priority(self):
        # prio-high matches less specifically but has the higher regex_priority.
        self.assertRoute("prio-high", "/prio/special")
        self.assertRoute("prio-high", "/prio/any")

    # ---- methods and headers
    def test_methods(self):
        self.assertRoute("m-get", "/method")
        self.assertRoute("m-post", "/method", method="POST")
        self.assertNoRoute("/method", method="PUT")

    def test_headers(self):
        self.assertRoute("hdr-v2", "/hdr", headers={"X-Version": "v2"})
        self.assertRoute("hdr-v2", "/hdr", headers={"X-Version": "V2"})  # plain: case-insensitive
        self.assertRoute("hdr-regex", "/hdr", headers={"X-Tier": "Gold-plus"})
        self.assertRoute("hdr-none", "/hdr", headers={"X-Version": "v3"})
        self.assertRoute("hdr-none", "/hdr")

    # ---- upstream path (Kong docs, "Proxy reference", path_handling table; service path /s)
    def check_upstream(self, request_path, expected):
        status, body = self.get(request_path)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["path"], expected, f"request {request_path}")

    def test_path_handling_table(self):
        cases = [("/tv0req", "/s/req"), ("/tv1req", "/sreq"), ("/fv0req", "/s/fv0req"),
                 ("/fv1req", "/sfv1req"), ("/tv0s/req", "/s/req"), ("/tv1s/req", "/sreq"),
                 ("/fv0s/req", "/s/fv0s/req"), ("/fv1s/req", "/sfv1s/req")]
        for request_path, expected in cases:
            with self.subTest(request=request_path):
                self.check_upstream(request_path, expected)

    def test_strip_path_without_service_path(self):
        self.check_upstream("/nosp/a/b", "/a/b")
        self.check_upstream("/nosp", "/")
        self.check_upstream("/keep/a", "/keep/a")

    def test_query_string_preserved(self):
        status, body = self.get("/nosp/a?x=1&y=%20z&x=2&empty=")
        self.assertEqual(status, 200)
        self.assertEqual(body["uri"], "/a?x=1&y=%20z&x=2&empty=")
        status, body = self.get("/keep/q?")
        self.assertEqual(status, 200)
        self.assertTrue(body["uri"].startswith("/keep/q"), body)

    def test_forwarded_prefix_is_stripped_prefix(self):
        status, body = self.get("/nosp/a")
        self.assertEqual(body["headers"].get("x-forwarded-prefix"), "/nosp")
        status, body = self.get("/keep/a")
        self.assertNotIn("x-forwarded-prefix", body["headers"])

    # ---- Host sent upstream
    def test_preserve_host(self):
        status, body = self.get("/", host="preserve.test")
        self.assertEqual(status, 200)
        self.assertEqual(body["headers"]["host"], "preserve.test")

    def test_upstream_host_is_target_without_preserve_host(self):
        status, body = self.get("/", host="nopreserve.test")
        self.assertEqual(status, 200)
        self.assertEqual(body["headers"]["host"], f"127.0.0.1:{self.app.port}")

    def test_upstream_host_header(self):
        status, body = self.get("/uphost/x")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["headers"]["host"], "backend.internal")
        self.assertEqual(body["path"], "/x")

    # ---- local answers
    def test_no_route_404_body(self):
        status, hdrs, data = self.gw.request("GET", "/definitely/not/routed")
        self.assertEqual(status, 404)
        self.assertEqual(json.loads(data), {"message": "no Route matched with those values"})
        self.assertIn("application/json", hdrs.get("content-type", ""))

    def test_https_only_route_426_over_http(self):
        status, body = self.get("/secure")
        self.assertEqual(status, 426)
        self.assertEqual(body, {"message": "Please use HTTPS protocol"})
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", self.gw.tls_port, timeout=10, context=ctx)
        try:
            conn.request("GET", "/secure/x")
            r = conn.getresponse()
            data = json.loads(r.read())
        finally:
            conn.close()
        self.assertEqual(r.status, 200, data)
        self.assertTrue(data["path"].startswith("/r-secure"), data)
        self.assertEqual(data["headers"]["x-forwarded-proto"], "https")

    def test_route_without_service(self):
        status, body = self.get("/orphan")
        self.assertEqual(status, 503)
        self.assertEqual(body, {"message": "no Service found with those values"})

    def test_disabled_service_route_does_not_exist(self):
        self.assertNoRoute("/disabled")


if __name__ == "__main__":
    unittest.main()
