#!/usr/bin/env bash
# Proxy throughput, latency and CPU cost: wrk -> proxy -> a fixed nginx backend on loopback, for
# Causeway, nginx and HAProxy in one run.
#
# Each proxy runs one worker pinned to CPU 0, with upstream keep-alive; wrk and the backend share
# CPU 1. Every repetition runs every proxy at every connection count (proxies interleaved, their
# order rotated), and the table shows the median of the repetitions with the ratio to nginx.
#
# Environment: CONNS ("32 64 128 256"), DURATION (10s), REPS (3), WRK_THREADS (1), WARMUP (2s),
# CAUSEWAY_BIN (build/causeway, a release build), KEEP_TMP (keep /tmp/causeway-proxy.*),
# RESULTS (a file to write the median table to, tab-separated).
# Run as root. Needs nginx, haproxy, wrk, curl, taskset and /usr/bin/python3.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONNS=${CONNS:-"32 64 128 256"}
DURATION=${DURATION:-10s}
REPS=${REPS:-3}
WRK_THREADS=${WRK_THREADS:-1}
WARMUP=${WARMUP:-2s}

for tool in nginx haproxy wrk curl; do
  command -v "$tool" >/dev/null || bench::die "$tool not found (scripts/install-deps installs it)"
done

bench::init proxy
cd "$BENCH_TMP"
ulimit -n "$(ulimit -Hn)"

declare -A PORT PID
PROXIES=()

start_backend() {
  local port
  port=$(bench::free_port)
  bench::start_nginx backend "$BENCH_CONF/nginx-backend.conf" 1 PORT="$port" \
    WORKER_CONNECTIONS=8192
  bench::wait_port "$port" 10 "$BENCH_LAST_PID" || bench::die "the nginx backend did not start"
  [ "$(curl -sS "http://127.0.0.1:$port/")" = "$BENCH_BODY" ] || bench::die "bad backend body"
  BACKEND_PORT=$port
}

start_nginx_proxy() {
  local port
  port=$(bench::free_port)
  bench::start_nginx nginx "$BENCH_CONF/nginx-proxy.conf" 0 PORT="$port" \
    BACKEND_PORT="$BACKEND_PORT" WORKER_CONNECTIONS=8192 NOFILE=16384
  bench::wait_port "$port" 10 "$BENCH_LAST_PID" || bench::die "nginx (proxy) did not start"
  PORT[nginx]=$port PID[nginx]=$BENCH_LAST_PID
  PROXIES+=(nginx)
}

start_haproxy() {
  local port dir="$BENCH_TMP/haproxy"
  port=$(bench::free_port)
  mkdir -p "$dir"
  bench::render "$BENCH_CONF/haproxy.cfg" "$dir/haproxy.cfg" PREFIX="$dir" PORT="$port" \
    BACKEND_PORT="$BACKEND_PORT" MAXCONN=4096
  bench::spawn "$dir/haproxy.log" 0 haproxy -db -f "$dir/haproxy.cfg"
  bench::wait_port "$port" 10 "$BENCH_LAST_PID" || bench::die "haproxy did not start"
  PORT[haproxy]=$port PID[haproxy]=$BENCH_LAST_PID
  PROXIES+=(haproxy)
}

start_causeway() {
  local port status_port config="$BENCH_TMP/causeway.yaml"
  port=$(bench::free_port)
  status_port=$(bench::free_port)
  bench::render "$BENCH_CONF/causeway.yaml" "$config" BACKEND_PORT="$BACKEND_PORT"
  if bench::start_causeway "$config" "$port" "$status_port" 0; then
    PORT[causeway]=$port PID[causeway]=$BENCH_LAST_PID
    PROXIES+=(causeway)
  else
    echo "causeway: not available"
  fi
}

# run_wrk PROXY CONNS DURATION: one wrk run; prints "rps p50_ms p99_ms cpu_us_per_req errors".
run_wrk() {
  local proxy=$1 conns=$2 duration=$3 out="$BENCH_TMP/wrk-$1-$2.txt" before after
  before=$(bench::cpu_ticks "${PID[$proxy]}")
  bench::pinned 1 wrk -t"$WRK_THREADS" -c"$conns" -d"$duration" --latency \
    "http://127.0.0.1:${PORT[$proxy]}/" >"$out" 2>&1 || bench::die "wrk failed: $(cat "$out")"
  after=$(bench::cpu_ticks "${PID[$proxy]}")
  local rps p50 p99 requests errors
  read -r rps p50 p99 requests errors < <(bench::wrk_summary "$out")
  if ((requests == 0)); then echo "0 0 0 0 1"; return; fi
  awk -v ticks=$((after - before)) -v hz="$BENCH_CLK_TCK" -v n="$requests" \
    'BEGIN { printf "%.2f\n", ticks * 1e6 / hz / n }' |
    { read -r cpu; echo "$rps $p50 $p99 $cpu $errors"; }
}

# ratio VALUE NGINX_VALUE
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }

print_table() {
  local results=$1 conns proxy metric i values
  local -a name=(rps p50 p99 cpu) header=("req/s" "p50 ms" "p99 ms" "CPU us/req") digits=(0 3 3 2)
  echo
  echo "### proxy: median of $REPS x $DURATION, wrk -t$WRK_THREADS; ratio = value / nginx"
  printf '%-6s %-10s' conns proxy
  for i in 0 1 2 3; do printf ' %12s %6s' "${header[$i]}" ratio; done
  printf ' %7s\n' errors
  for conns in $CONNS; do
    declare -A med=()
    for proxy in "${PROXIES[@]}"; do
      for i in 0 1 2 3; do
        metric=${name[$i]}
        mapfile -t values < <(awk -v p="$proxy" -v c="$conns" -v col=$((i + 4)) \
          '$1 == p && $2 == c { print $col }' "$results")
        med[$proxy.$metric]=$(bench::median "${values[@]}")
      done
      med[$proxy.errors]=$(awk -v p="$proxy" -v c="$conns" '$1 == p && $2 == c { s += $8 }
        END { print s + 0 }' "$results")
    done
    for proxy in nginx haproxy causeway; do
      printf '%-6s %-10s' "$conns" "$proxy"
      if [ -z "${med[$proxy.rps]:-}" ]; then
        echo " causeway: not available"
        continue
      fi
      for i in 0 1 2 3; do
        metric=${name[$i]}
        printf " %12.${digits[$i]}f %6s" "${med[$proxy.$metric]}" \
          "$(ratio "${med[$proxy.$metric]}" "${med[nginx.$metric]}")"
      done
      printf ' %7s\n' "${med[$proxy.errors]}"
      if [ -n "${RESULTS:-}" ]; then
        printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$proxy" "$conns" "${med[$proxy.rps]}" \
          "${med[$proxy.p50]}" "${med[$proxy.p99]}" "${med[$proxy.cpu]}" >>"$RESULTS"
      fi
    done
    unset med
  done
}

main() {
  start_backend
  start_nginx_proxy
  start_haproxy
  start_causeway
  bench::log "backend :$BACKEND_PORT; proxies: $(for p in "${PROXIES[@]}"; do
    printf '%s :%s  ' "$p" "${PORT[$p]}"; done)"

  for proxy in "${PROXIES[@]}"; do  # fill caches and upstream pools
    bench::pinned 1 wrk -t1 -c64 -d"$WARMUP" "http://127.0.0.1:${PORT[$proxy]}/" >/dev/null
  done

  local results="$BENCH_TMP/results.txt" rep conns proxy k n=${#PROXIES[@]}
  local result rps p50 p99 cpu errors
  : >"$results"
  if [ -n "${RESULTS:-}" ]; then : >"$RESULTS"; fi
  for ((rep = 1; rep <= REPS; rep++)); do
    for conns in $CONNS; do
      for ((k = 0; k < n; k++)); do
        proxy=${PROXIES[$(((k + rep - 1) % n))]}  # rotate who goes first
        result=$(run_wrk "$proxy" "$conns" "$DURATION")
        read -r rps p50 p99 cpu errors <<<"$result"
        bench::log "rep $rep conns $conns $proxy: $rps req/s p50 ${p50}ms p99 ${p99}ms" \
          "cpu ${cpu}us/req errors $errors"
        echo "$proxy $conns $rep $rps $p50 $p99 $cpu $errors" >>"$results"
      done
    done
  done
  print_table "$results"
}

main "$@"
