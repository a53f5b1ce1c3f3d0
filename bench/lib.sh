# shellcheck shell=bash disable=SC2034  # sourced: the BENCH_* variables are used by the scripts
# Helpers shared by the benchmark scripts: ports, processes, CPU accounting, statistics.
# Source it from a script that uses `set -euo pipefail`; it defines no globals besides BENCH_*.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH_CONF="$BENCH_ROOT/bench/conf"
BENCH_PYTHON=/usr/bin/python3  # Debian's interpreter, not whatever pyenv puts first on PATH
BENCH_CLK_TCK=$(getconf CLK_TCK)
BENCH_PIDS=()   # every process started with bench::spawn, stopped by bench::cleanup
BENCH_TMP=""

bench::log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
bench::die() { bench::log "error: $*"; exit 1; }

# Creates the run's temporary directory and arranges for processes and files to go on exit.
bench::init() {
  local name=$1
  [ "$(id -u)" -eq 0 ] || bench::log "warning: not root; pinning and fd limits may fail"
  BENCH_TMP=$(mktemp -d "/tmp/causeway-$name.XXXXXX")
  trap bench::cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

bench::cleanup() {
  local pid
  for pid in "${BENCH_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${BENCH_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  BENCH_PIDS=()
  if [ -n "$BENCH_TMP" ] && [ -z "${KEEP_TMP:-}" ]; then rm -rf "$BENCH_TMP"; fi
}

# bench::spawn LOGFILE CPU CMD...: starts CMD (an executable, not a function, so that $! is its
# pid) in the background pinned to CPU ("-": not pinned), remembers it for cleanup and sets
# BENCH_LAST_PID.
bench::spawn() {
  local log=$1 cpu=$2
  shift 2
  local cmd=("$@")
  if [ "$cpu" != "-" ] && [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    cmd=(taskset -c "$cpu" "$@")
  fi
  "${cmd[@]}" >"$log" 2>&1 &
  BENCH_LAST_PID=$!
  BENCH_PIDS+=("$BENCH_LAST_PID")
}

# bench::stop PID: stops one process started with bench::spawn.
bench::stop() {
  local pid=$1 kept=() p
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  for p in "${BENCH_PIDS[@]}"; do [ "$p" = "$pid" ] || kept+=("$p"); done
  BENCH_PIDS=("${kept[@]}")
}

# A TCP port that is free on 127.0.0.1 right now (the kernel picks it).
bench::free_port() {
  "$BENCH_PYTHON" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# bench::wait_port PORT [SECONDS] [PID]: waits until something accepts on 127.0.0.1:PORT.
# Fails early if PID (the server) exits.
bench::wait_port() {
  local port=$1 seconds=${2:-10} pid=${3:-} i
  for ((i = 0; i < seconds * 20; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.05
  done
  return 1
}

# Pids of a process and all its descendants.
bench::tree_pids() {
  local pid=$1 child
  echo "$pid"
  # shellcheck disable=SC2013  # the children files hold space-separated pids
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do bench::tree_pids "$child"; done
}

# CPU clock ticks (user + system, including reaped children) used so far by a process tree.
bench::cpu_ticks() {
  local total=0 pid stat fields
  for pid in $(bench::tree_pids "$1"); do
    stat=$(cat /proc/"$pid"/stat 2>/dev/null) || continue
    # Fields after the ")" that closes the command name start at field 3 (state):
    # utime, stime, cutime, cstime are fields 14..17.
    read -r -a fields <<<"${stat##*) }"
    total=$((total + fields[11] + fields[12] + fields[13] + fields[14]))
  done
  echo "$total"
}

# Resident set size of a process tree in KiB (VmRSS summed; shared pages count once per process).
bench::rss_kib() {
  local total=0 pid kib
  for pid in $(bench::tree_pids "$1"); do
    kib=$(awk '/^VmRSS:/ {print $2}' /proc/"$pid"/status 2>/dev/null) || continue
    total=$((total + ${kib:-0}))
  done
  echo "$total"
}

# Open file descriptors of a process tree.
bench::fd_count() {
  local total=0 pid
  for pid in $(bench::tree_pids "$1"); do
    total=$((total + $(find /proc/"$pid"/fd -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)))
  done
  echo "$total"
}

# Median of the numbers given as arguments (mean of the middle two for an even count).
bench::median() {
  printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1}
    END { if (NR == 0) exit 1
          if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# bench::render TEMPLATE OUT KEY=VALUE...: copies a config template, replacing @KEY@ by VALUE.
bench::render() {
  local template=$1 out=$2 pair script=()
  shift 2
  for pair in "$@"; do script+=(-e "s|@${pair%%=*}@|${pair#*=}|g"); done
  sed "${script[@]}" "$template" >"$out"
  if grep -q '@[A-Z_]*@' "$out"; then bench::die "unrendered placeholder in $out"; fi
}

# bench::pinned CPU CMD...: runs CMD in the foreground on CPU (unpinned with fewer than 2 CPUs).
bench::pinned() {
  local cpu=$1
  shift
  if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    taskset -c "$cpu" "$@"
  else
    "$@"
  fi
}

# The 64-byte body every backend returns.
BENCH_BODY="causeway-bench-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGHIJKL"

# bench::start_nginx NAME CONF_TEMPLATE CPU KEY=VALUE...: renders the template into its own
# prefix directory and starts nginx in the foreground; sets BENCH_LAST_PID to its master.
bench::start_nginx() {
  local name=$1 template=$2 cpu=$3 dir
  shift 3
  dir="$BENCH_TMP/$name"
  mkdir -p "$dir/logs" "$dir/tmp"
  bench::render "$template" "$dir/nginx.conf" PREFIX="$dir" BODY="$BENCH_BODY" "$@"
  bench::spawn "$dir/logs/stdout.log" "$cpu" nginx -p "$dir" -c "$dir/nginx.conf"
}

# bench::causeway_bin: path of the gateway binary (CAUSEWAY_BIN, default build/causeway).
bench::causeway_bin() {
  local bin=${CAUSEWAY_BIN:-build/causeway}
  case $bin in /*) ;; *) bin="$BENCH_ROOT/$bin" ;; esac
  echo "$bin"
}

# bench::start_causeway CONFIG PORT STATUS_PORT CPU: starts the gateway and checks that it proxies;
# returns 1 (after stopping it) when the binary is missing or the gateway does not work yet.
bench::start_causeway() {
  local config=$1 port=$2 status_port=$3 cpu=$4 bin
  bin=$(bench::causeway_bin)
  [ -x "$bin" ] || { bench::log "causeway: no binary at $bin"; return 1; }
  bench::spawn "$BENCH_TMP/causeway.log" "$cpu" "$bin" gateway --config "$config" \
    --proxy-listen "127.0.0.1:$port" --workers 1 --status-listen "127.0.0.1:$status_port"
  local pid=$BENCH_LAST_PID
  if ! bench::wait_port "$port" 10 "$pid" ||
    [ "$(curl -sS -m 5 "http://127.0.0.1:$port/" 2>/dev/null)" != "$BENCH_BODY" ]; then
    bench::log "causeway: gateway did not start or does not proxy; last log lines:"
    tail -n 5 "$BENCH_TMP/causeway.log" >&2 || true
    bench::stop "$pid"
    return 1
  fi
  BENCH_LAST_PID=$pid
}

# bench::wrk_summary FILE: "rps p50_ms p99_ms requests errors" from `wrk --latency` output
# (errors: non-2xx/3xx answers plus socket errors).
bench::wrk_summary() {
  awk '
    function ms(v) {  # wrk prints 512.00us, 1.20ms, 1.05s, 2.00m
      if (v ~ /us$/) return v / 1000
      if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000
      if (v ~ /s$/) return v * 1000
      return v
    }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    / requests in / { requests = $1 }
    /^Requests\/sec:/ { rps = $2 }
    /Non-2xx or 3xx responses:/ { errors += $NF }
    /Socket errors:/ { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
    END { printf "%.0f %.3f %.3f %d %d\n", rps, p50, p99, requests, errors }' "$1"
}
