#!/usr/bin/env bash
# Tunnel throughput and CPU per Gbit: iperf3 TCP through one wireguard-go tunnel, through one
# Causeway tunnel (spoke -> transit), through workload -> spoke -> transit -> spoke -> workload,
# and over the raw veth underlay, in one run over the same network namespaces (the transit lab of
# tests/integration/transit_lab.py, reduced to a transit "hub" and spokes "left" and "right").
# bench/tunnel_bench.py has the details of each setup.
#
# The table shows the median of REPS runs of DURATION per setup (interleaved), the ratio to
# wireguard-go, and the CPU seconds of the tunnel processes per Gbit carried.
#
# Environment: DURATION (10s), REPS (3), CAUSEWAY_BIN (build/causeway, a release build), KEEP_TMP
# (keep the lab's files), RESULTS (a file to write the medians to, tab-separated).
# Run as root. Needs ip, iperf3, wireguard-go and wg (scripts/install-deps installs them).
# Exits 1 (after printing the table) when a Causeway setup could not be measured.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for tool in ip iperf3 wireguard-go wg; do
  command -v "$tool" >/dev/null || bench::die "$tool not found (scripts/install-deps installs it)"
done
[ "$(id -u)" -eq 0 ] || bench::die "needs root (network namespaces, TUN devices)"

CAUSEWAY_BIN=$(bench::causeway_bin)
export CAUSEWAY_BIN
exec "$BENCH_PYTHON" "$BENCH_ROOT/bench/tunnel_bench.py"
