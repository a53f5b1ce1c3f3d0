"""Tunnel throughput and CPU cost: iperf3 TCP through wireguard-go and through Causeway tunnels,
side by side in one run over the same namespaces (bench/tunnel.sh documents it; run that).

Topology: tests/integration/transit_lab.py with bench_spec(): namespaces "hub" (a transit),
"left" and "right" (spokes) on the lab's underlay (veth -> bridge -> veth, MTU 1500), and the
spokes' workloads "left-wl" and "right-wl". Setups, all iperf3 -c from one namespace to a server
in another, REPS x DURATION each, interleaved (the order rotates every repetition):

  veth          left -> hub over the underlay, no tunnel (what the wire carries)
  wireguard-go  left -> hub through one wireguard-go tunnel (a wireguard-go in each namespace,
                MTU 1420, port 51821), to hub's address inside that tunnel
  causeway      left -> hub through one Causeway tunnel: `causeway transit` as spoke "left" and
                transit "hub", iperf3 from the spoke's namespace to the transit's tunnel address
                (the kernel routes it into the spoke's TUN; the transit's gateway hands it to its
                TUN): the same one-tunnel, TUN-to-TUN shape as the wireguard-go setup
  causeway-3hop left-wl -> left -> hub -> right -> right-wl: workload to workload through two
                tunnels and the transit's user-space forwarding, as between two VPCs

CPU: user + system seconds of the tunnel processes (both wireguard-go, the two or three gateways)
during each run, per Gbit carried; "cores" is the same over the run's wall time.
"""
import json
import os
import signal
import statistics
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import transit_lab as tl  # noqa: E402

IPERF_PORT = 5201
WG_GO_PORT = 51821


def log(*args):
    print(time.strftime("%H:%M:%S"), *args, file=sys.stderr, flush=True)


def seconds(text):
    text = str(text).strip()
    return float(text[:-1]) if text.endswith("s") else float(text)


class Setup:
    def __init__(self, name, label, client_node, server_ip, pids):
        self.name, self.label = name, label
        self.client_node, self.server_ip, self.pids = client_node, server_ip, pids
        self.runs = []  # (Gbit/s, CPU seconds, wall seconds, Gbit carried)
        self.error = None


def iperf3(lab, setup, duration):
    """One iperf3 run: (Gbit/s received, CPU seconds of the tunnel processes, wall seconds,
    Gbit received)."""
    before = sum(tl.cpu_seconds(p) for p in setup.pids)
    started = time.monotonic()
    r = lab.run(setup.client_node, ["iperf3", "-c", setup.server_ip, "-p", str(IPERF_PORT),
                                    "-t", str(duration), "-J", "--connect-timeout", "5000"],
                timeout=duration + 30, check=False)
    wall = time.monotonic() - started
    cpu = sum(tl.cpu_seconds(p) for p in setup.pids) - before
    try:
        doc = json.loads(r.stdout)
    except ValueError:
        raise tl.LabError(f"iperf3 printed no JSON (exit {r.returncode}): {r.stderr.strip()}")
    if doc.get("error"):
        raise tl.LabError(f"iperf3: {doc['error']}")
    received = doc["end"]["sum_received"]
    return received["bits_per_second"] / 1e9, cpu, wall, received["bytes"] * 8 / 1e9


def start_wireguard_go(lab):
    tag = lab.short
    left, hub = tl.wg_keypair(), tl.wg_keypair()
    ul = lab.underlay_ip
    a = lab.start_wireguard_go("left", f"{tag}wa", left[0], WG_GO_PORT, "10.255.0.1/24",
                               [(hub[1], "10.255.0.2/32", f"{ul['hub']}:{WG_GO_PORT}")],
                               keepalive=None)
    b = lab.start_wireguard_go("hub", f"{tag}wb", hub[0], WG_GO_PORT, "10.255.0.2/24",
                               [(left[1], "10.255.0.1/32", f"{ul['left']}:{WG_GO_PORT}")],
                               keepalive=None)
    if not lab.ping_ok("left", "10.255.0.2", attempts=25):
        raise tl.LabError("no ping through the wireguard-go tunnel")
    return [a.pid, b.pid]


def start_causeway(lab):
    """Starts the gateways; returns None or why Causeway cannot be measured."""
    problem = tl.transit_command_problem(lab.bin)
    if problem:
        return problem
    try:
        for name in lab.gateway_names():
            lab.start_gateway(name, wait=False)
        for name in lab.gateway_names():
            lab.wait_status(name)
        lab.wait_tunnels_up(timeout=30)
    except tl.LabError as e:
        return str(e).splitlines()[0]
    return None


def fmt(value, digits=2):
    return "-" if value is None else f"{value:.{digits}f}"


def main():
    duration = seconds(os.environ.get("DURATION", "10"))
    reps = int(os.environ.get("REPS", "3"))
    binary = os.environ.get("CAUSEWAY_BIN") or os.path.join(ROOT, "build", "causeway")
    if not os.path.isabs(binary):
        binary = os.path.join(ROOT, binary)
    problem = tl.missing_prerequisites(("ip", "wg", "wireguard-go", "iperf3"))
    if problem:
        log(f"error: {problem}")
        return 1
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    lab = tl.Lab(tl.bench_spec(), binary=binary, flow_logs=False)
    lab.keep_files = bool(os.environ.get("KEEP_TMP"))
    failed = False
    try:
        lab.start(gateways=False)
        ul = lab.underlay_ip
        for node in ["hub", lab.workload("right")]:
            lab.popen(node, ["iperf3", "-s", "-p", str(IPERF_PORT)], f"iperf3-{node}")
        setups = [Setup("veth", "veth underlay, left -> hub", "left", ul["hub"], []),
                  Setup("wireguard-go", "wireguard-go, one tunnel", "left", "10.255.0.2",
                        start_wireguard_go(lab))]
        one = Setup("causeway", "causeway, one tunnel (spoke -> transit)", "left",
                    lab.tunnel_address["hub"], [])
        three = Setup("causeway-3hop", "causeway, wl -> spoke -> transit -> spoke -> wl",
                      lab.workload("left"), lab.workload_ip["right"], [])
        why = start_causeway(lab)
        if why:
            log(f"causeway: not available: {why}")
            one.error = three.error = why
        else:
            one.pids = [lab.gateways["left"].pid, lab.gateways["hub"].pid]
            three.pids = [lab.gateways[n].pid for n in ("left", "hub", "right")]
            if not lab.ping_ok(one.client_node, one.server_ip, attempts=25):
                one.error = "no ping from the spoke to the transit's tunnel address"
            if not lab.ping_ok(three.client_node, three.server_ip, attempts=25):
                three.error = "no ping from workload to workload"
        setups += [one, three]
        log(f"binary {binary}; {reps} x {duration:g}s per setup; lab {lab.tag}-*")
        for s in setups:  # warm up: handshakes, ARP, TCP metrics
            if s.error is None:
                try:
                    iperf3(lab, s, 1)
                except tl.LabError as e:
                    s.error = str(e)
                    log(f"{s.name}: {e}")
        for rep in range(reps):
            live = [s for s in setups if s.error is None]
            live = live[rep % len(live):] + live[:rep % len(live)] if live else []
            for s in live:
                try:
                    gbps, cpu, wall, gbit = iperf3(lab, s, duration)
                except tl.LabError as e:
                    s.error = str(e)
                    log(f"rep {rep + 1} {s.name}: {e}")
                    continue
                s.runs.append((gbps, cpu, wall, gbit))
                log(f"rep {rep + 1} {s.name}: {gbps:.3f} Gbit/s, CPU {cpu:.2f}s "
                    f"({cpu / wall:.2f} cores)")
        print_table(setups, reps, duration)
        failed = any(s.error for s in setups)
    finally:
        problems = lab.stop()
        for p in problems:
            log(p)
    return 1 if failed else 0


def print_table(setups, reps, duration):
    med = {}
    for s in setups:
        if s.runs and not s.error:
            gbps = statistics.median(r[0] for r in s.runs)
            per_gbit = (statistics.median(r[1] / r[3] for r in s.runs if r[3] > 0)
                        if s.pids else None)
            cores = statistics.median(r[1] / r[2] for r in s.runs) if s.pids else None
            med[s.name] = (gbps, per_gbit, cores)
    base = med.get("wireguard-go", (None,))[0]
    print()
    print(f"### tunnel: iperf3 TCP, median of {reps} x {duration:g}s; "
          f"ratio = Gbit/s / wireguard-go's")
    print(f"{'setup':<50} {'Gbit/s':>8} {'ratio':>7} {'CPU s/Gbit':>11} {'cores':>6}")
    for s in setups:
        if s.name not in med:
            print(f"{s.label:<50} not available: {s.error or 'no run'}")
            continue
        gbps, per_gbit, cores = med[s.name]
        ratio = gbps / base if base else None
        print(f"{s.label:<50} {gbps:>8.3f} {fmt(ratio):>7} {fmt(per_gbit):>11} "
              f"{fmt(cores):>6}")
    results = os.environ.get("RESULTS")
    if results:
        with open(results, "w") as f:
            for name, (gbps, per_gbit, cores) in med.items():
                f.write(f"{name}\t{gbps}\t{fmt(per_gbit, 4)}\t{fmt(cores, 3)}\n")


if __name__ == "__main__":
    sys.exit(main())
