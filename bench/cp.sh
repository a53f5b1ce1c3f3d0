#!/usr/bin/env bash
# Control plane and hybrid mode: Admin API write latency, change -> 50 data planes serving it
# (deltas, against full snapshots per change as Kong pushes them, in one run), snapshot size,
# DP apply time, CP and DP memory. Environment: ROUTES (10000), CONSUMERS (10000), DPS (50),
# CHANGES (30), WRITES (200), CAUSEWAY_BIN (default build/causeway, the release build).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CAUSEWAY_BIN=${CAUSEWAY_BIN:-$ROOT/build/causeway}
exec /usr/bin/python3 "$ROOT/bench/cp_bench.py"
