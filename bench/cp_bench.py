#!/usr/bin/env python3
"""Control-plane benchmark (bench/cp.sh runs it): a CP with ROUTES routes and CONSUMERS consumers,
DPS hybrid gateways connected to it, then
  - Admin API write latency (PATCH of a route, sequential), median and p99;
  - time from a change to every data plane serving it (the ack arrives after the DP published the
    new config), median and p99 over CHANGES changes, for each sync mode in one run:
    `delta` (Causeway's default) and `full` (a whole snapshot per change, as Kong does);
  - snapshot size (compressed on the wire, and the JSON), DP apply time of the full snapshot;
  - CP and DP memory (RSS).
Ratios full/delta are printed: the machine is noisy, compare within one run."""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "integration"))
from cluster import AdminClient, ControlPlane, HybridGateway, cert_init  # noqa: E402
from harness import BIN, DemoApp  # noqa: E402

ROUTES = int(os.environ.get("ROUTES", "10000"))
CONSUMERS = int(os.environ.get("CONSUMERS", "10000"))
DPS = int(os.environ.get("DPS", "50"))
CHANGES = int(os.environ.get("CHANGES", "30"))
CHANGES_FULL = int(os.environ.get("CHANGES_FULL", "5"))  # each costs every DP a full reload
WRITES = int(os.environ.get("WRITES", "200"))


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return 0.0


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def config_text(app_port):
    services = []
    per = 10
    for s in range(ROUTES // per):
        services.append({"name": f"svc-{s}", "url": f"http://127.0.0.1:{app_port}",
                         "routes": [{"name": f"r-{s}-{r}", "paths": [f"/s{s}/r{r}"],
                                     "hosts": [f"svc{s}.example.com"]} for r in range(per)]})
    consumers = [{"username": f"user-{i}", "custom_id": f"c{i}"} for i in range(CONSUMERS)]
    return json.dumps({"_format_version": "3.0", "services": services, "consumers": consumers})


def wait_all(cp, n, predicate, timeout=600):
    deadline = time.time() + timeout
    while time.time() < deadline:
        planes = cp.data_planes()
        if len(planes) >= n and all(predicate(p) for p in planes):
            return planes
        time.sleep(0.02)
    raise TimeoutError("data planes did not converge")


def run_mode(mode, certs, app):
    print(f"--- sync mode: {mode}", flush=True)
    cp = ControlPlane(cert_dir=certs, extra=["--sync-mode", mode, "--log-level", "warn"],
                      name=f"cp-{mode}")
    procs = [cp]
    try:
        text = config_text(app.port)
        t0 = time.time()
        status, plan, _ = cp.api.call("POST", "/config", raw=text,
                                      headers={"Content-Type": "application/json"})
        assert status == 201, (status, plan)
        bulk_s = time.time() - t0
        # Admin API write latency on the loaded store (before the data planes, which share the 2 cores).
        write_ms = []
        for i in range(WRITES if mode == "delta" else 0):
            t = time.perf_counter()
            s, _ = cp.api.patch(f"/routes/r-{i % (ROUTES // 10)}-0", {"regex_priority": i % 7 + 1})
            write_ms.append((time.perf_counter() - t) * 1000)
            assert s == 200, s
        # The CP has read every write back from the store's change log.
        deadline = time.time() + 60
        while time.time() < deadline:
            st = cp.api.get("/status")[1]
            if st["revision"] == st["config_revision"]:
                break
            time.sleep(0.01)
        dps = []
        t0 = time.time()
        for i in range(DPS):
            dps.append(HybridGateway(cp.cluster_url, certs, name=f"dp{i}"))
            procs.append(dps[-1])
        cp_hash = cp.config_hash()
        planes = wait_all(cp, DPS, lambda p: p["config_hash"] == cp_hash)
        initial_s = time.time() - t0
        apply_ms = [p["apply_ms"] for p in planes]
        st = cp.api.get("/status")[1]
        snapshot_bytes = st.get("snapshot_bytes", 0)
        json_bytes = len(json.dumps(cp.api.get("/config")[1]))

        base = wait_all(cp, DPS, lambda p: p["config_hash"] == cp.config_hash())
        revision = max(p["revision"] for p in base)

        # Propagation: one change, then wait for every DP's ack of the new revision.
        prop_ms = []
        bytes_per_change = []
        delta_apply_ms = []
        changes = CHANGES if mode == "delta" else CHANGES_FULL
        for i in range(changes):
            t0_ms = time.time() * 1000
            s, _ = cp.api.patch("/routes/r-0-0", {"paths": [f"/s0/r0", f"/bench/{mode}/{i}"]})
            assert s == 200, s
            planes = wait_all(cp, DPS, lambda p, r=revision: p["revision"] > r, timeout=120)
            revision = max(p["revision"] for p in planes)
            prop_ms.append(max(p["acked_at_ms"] for p in planes) - t0_ms)
            bytes_per_change.append(statistics.median(p["last_message_bytes"] for p in planes))
            delta_apply_ms += [p["apply_ms"] for p in planes]
        # Every data plane really serves the last change.
        last = f"/bench/{mode}/{changes - 1}"
        served = sum(1 for dp in dps
                     if dp.request(last, headers={"Host": "svc0.example.com"})[0] == 200)
        cp_rss = rss_mb(cp.proc.pid)
        dp_rss = statistics.median(rss_mb(dp.proc.pid) for dp in dps)
        return {"mode": mode, "bulk_apply_s": bulk_s, "initial_sync_s": initial_s,
                "dp_apply_ms_median": statistics.median(apply_ms),
                "snapshot_bytes": snapshot_bytes, "config_json_bytes": json_bytes,
                "write_ms_p50": statistics.median(write_ms) if write_ms else 0,
                "write_ms_p99": pct(write_ms, 99) if write_ms else 0,
                "propagation_ms_p50": statistics.median(prop_ms),
                "propagation_ms_p99": pct(prop_ms, 99),
                "bytes_per_change": statistics.median(bytes_per_change),
                "change_apply_ms_median": statistics.median(delta_apply_ms),
                "change_apply_ms_p99": pct(delta_apply_ms, 99),
                "served_by": served, "cp_rss_mb": cp_rss, "dp_rss_mb_median": dp_rss}
    finally:
        for p in reversed(procs):
            p.stop()


def main():
    if not os.path.exists(BIN):
        sys.exit(f"no binary at {BIN}")
    certs = cert_init(os.path.join(tempfile.mkdtemp(prefix="cw-bench-certs-"), "c"))
    app = DemoApp("bench")
    try:
        results = [run_mode("delta", certs, app), run_mode("full", certs, app)]
    finally:
        app.stop()
    d, f = results
    print()
    print(f"Control plane: {ROUTES} routes, {CONSUMERS} consumers, {DPS} data planes on this "
          f"machine; {CHANGES} changes (delta), {CHANGES_FULL} (full), {WRITES} writes")
    rows = [("Admin API write p50 (ms)", "write_ms_p50"), ("Admin API write p99 (ms)", "write_ms_p99"),
            ("change -> all DPs serving p50 (ms)", "propagation_ms_p50"),
            ("change -> all DPs serving p99 (ms)", "propagation_ms_p99"),
            ("bytes sent per DP per change", "bytes_per_change"),
            ("DP apply of one change, median (ms)", "change_apply_ms_median"),
            ("DP apply of one change, p99 (ms)", "change_apply_ms_p99"),
            ("full snapshot on the wire (bytes)", "snapshot_bytes"),
            ("config as JSON (bytes)", "config_json_bytes"),
            ("DP apply of the full snapshot, median (ms)", "dp_apply_ms_median"),
            ("POST /config of the whole file (s)", "bulk_apply_s"),
            ("50 DPs started and synced (s)", "initial_sync_s"),
            ("CP RSS (MB)", "cp_rss_mb"), ("DP RSS median (MB)", "dp_rss_mb_median"),
            ("DPs serving the last change", "served_by")]
    print(f"{'':46s}{'delta':>14s}{'full (Kong)':>14s}{'full/delta':>12s}")
    for label, key in rows:
        a, b = d[key], f[key]
        ratio = f"{b / a:.2f}" if a else "-"
        print(f"{label:46s}{a:14.1f}{b:14.1f}{ratio:>12s}")


if __name__ == "__main__":
    main()
