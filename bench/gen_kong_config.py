#!/usr/bin/env python3
"""Writes a large Kong 3.x declarative config for load benchmarks.

Usage: gen_kong_config.py [--services N] [--routes-per-service M] [--format yaml|json] OUT

Every service has M routes, each with hosts and paths; one route in ten uses a regex path.
The output is deterministic so timings are comparable between runs.
"""
import argparse
import json


def build(services, routes_per_service):
    config = {"_format_version": "3.0", "services": []}
    for s in range(services):
        routes = []
        for r in range(routes_per_service):
            n = s * routes_per_service + r
            if n % 10 == 0:
                path = "~/svc%d/r%d/(?<id>[0-9]+)$" % (s, r)
            else:
                path = "/svc%d/r%d" % (s, r)
            routes.append({
                "name": "route-%d-%d" % (s, r),
                "hosts": ["svc%d.example.com" % s, "*.svc%d.example.net" % s],
                "paths": [path],
                "strip_path": r % 2 == 0,
            })
        config["services"].append({
            "name": "service-%d" % s,
            "url": "http://10.%d.%d.%d:8080/api" % (s // 65536 % 256, s // 256 % 256, s % 256),
            "retries": 3,
            "connect_timeout": 2000,
            "routes": routes,
        })
    return config


def scalar(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)  # a double-quoted YAML scalar


def write_yaml(config, out):
    out.write('_format_version: "3.0"\nservices:\n')
    for service in config["services"]:
        out.write("  - name: %s\n" % scalar(service["name"]))
        for key in ("url", "retries", "connect_timeout"):
            out.write("    %s: %s\n" % (key, scalar(service[key])))
        out.write("    routes:\n")
        for route in service["routes"]:
            out.write("      - name: %s\n" % route["name"])  # plain scalar
            out.write("        hosts:\n")
            for host in route["hosts"]:
                out.write("          - %s\n" % scalar(host))
            out.write("        paths: [%s]\n" % ", ".join(scalar(p) for p in route["paths"]))
            out.write("        strip_path: %s\n" % scalar(route["strip_path"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=10000)
    parser.add_argument("--routes-per-service", type=int, default=10)
    parser.add_argument("--format", choices=("yaml", "json"), default="yaml")
    parser.add_argument("out")
    args = parser.parse_args()
    config = build(args.services, args.routes_per_service)
    with open(args.out, "w", encoding="utf-8") as out:
        if args.format == "json":
            json.dump(config, out, indent=1)
            out.write("\n")
        else:
            write_yaml(config, out)


if __name__ == "__main__":
    main()
