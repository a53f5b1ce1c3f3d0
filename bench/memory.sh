#!/usr/bin/env bash
# Gateway memory: resident set size (VmRSS) of the Causeway gateway (a) idle, (b) holding
# CONNECTIONS idle keep-alive client connections, (c) at its peak while streaming a 1 GiB
# response to a rate-limited client and a 1 GiB chunked upload, sampled every 100 ms.
# nginx (one worker, unbuffered streaming) is measured the same way as a reference.
#
# Environment: CONNECTIONS (10000), STREAM_BYTES (1073741824), STREAM_RATE (curl --limit-rate for
# the download, 256M), CAUSEWAY_BIN (build/causeway), KEEP_TMP, RESULTS (tab-separated table).
# Run as root. Needs nginx, curl and /usr/bin/python3.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONNECTIONS=${CONNECTIONS:-10000}
STREAM_BYTES=${STREAM_BYTES:-1073741824}
STREAM_RATE=${STREAM_RATE:-256M}

for tool in nginx curl; do
  command -v "$tool" >/dev/null || bench::die "$tool not found (scripts/install-deps installs it)"
done

bench::init memory
cd "$BENCH_TMP"
ulimit -n "$(ulimit -Hn)"
((CONNECTIONS + 200 <= $(ulimit -n))) ||
  bench::die "CONNECTIONS=$CONNECTIONS needs more than the fd limit $(ulimit -n)"

declare -A RSS_MB  # "<proxy>.<scenario>" -> MB

start_backends() {
  BACKEND_PORT=$(bench::free_port)
  bench::start_nginx backend "$BENCH_CONF/nginx-backend.conf" - PORT="$BACKEND_PORT" \
    WORKER_CONNECTIONS=8192
  bench::wait_port "$BACKEND_PORT" 10 "$BENCH_LAST_PID" || bench::die "the nginx backend did not start"
  STREAM_PORT=$(bench::free_port)
  bench::spawn "$BENCH_TMP/stream_backend.log" - "$BENCH_PYTHON" \
    "$BENCH_ROOT/bench/stream_backend.py" "$STREAM_PORT" --size "$STREAM_BYTES"
  bench::wait_port "$STREAM_PORT" 10 "$BENCH_LAST_PID" || bench::die "the stream backend did not start"
}

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

record() {  # record PROXY SCENARIO KIB
  RSS_MB[$1.$2]=$(mb "$3")
  bench::log "$1 $2: $(mb "$3") MB"
}

# sample_peak PID STOPFILE OUT: writes the highest RSS (KiB) seen every 100 ms until STOPFILE exists.
sample_peak() {
  local pid=$1 stop=$2 out=$3 peak=0 kib
  while [ ! -e "$stop" ]; do
    kib=$(bench::rss_kib "$pid")
    ((kib > peak)) && peak=$kib
    sleep 0.1
  done
  echo "$peak" >"$out"
}

# with_peak_rss PROXY SCENARIO PID CMD...: runs CMD while sampling; records the peak.
with_peak_rss() {
  local proxy=$1 scenario=$2 pid=$3 stop="$BENCH_TMP/stop-sampler" out="$BENCH_TMP/peak"
  shift 3
  rm -f "$stop" "$out"
  sample_peak "$pid" "$stop" "$out" &
  local sampler=$!
  "$@" || bench::log "warning: $proxy $scenario: transfer failed"
  touch "$stop"
  wait "$sampler"
  record "$proxy" "$scenario" "$(cat "$out")"
}

measure_idle() {  # measure_idle PROXY PID
  sleep 1
  record "$1" idle "$(bench::rss_kib "$2")"
}

measure_connections() {  # measure_connections PROXY PID PORT
  local proxy=$1 pid=$2 port=$3 log="$BENCH_TMP/idle_conns-$1.log" client i
  bench::spawn "$log" - "$BENCH_PYTHON" "$BENCH_ROOT/bench/idle_conns.py" 127.0.0.1 "$port" \
    --connections "$CONNECTIONS"
  client=$BENCH_LAST_PID
  for ((i = 0; i < 1200; i++)); do
    grep -q '^ready' "$log" 2>/dev/null && break
    kill -0 "$client" 2>/dev/null || break
    sleep 0.1
  done
  bench::log "$proxy: idle_conns $(grep '^ready' "$log" || echo "did not finish: $(tail -n 2 "$log")")"
  sleep 1
  record "$proxy" conns "$(bench::rss_kib "$pid")"
  bench::log "$proxy: $(bench::fd_count "$pid") open file descriptors"
  bench::stop "$client"
}

download() {  # download PORT
  local result
  result=$(curl -sS -o /dev/null --limit-rate "$STREAM_RATE" -w '%{http_code} %{size_download}' \
    "http://127.0.0.1:$1/stream/download")
  bench::log "download: status and bytes $result"
  [ "$result" = "200 $STREAM_BYTES" ]
}

upload() {  # upload PORT: a chunked PUT of STREAM_BYTES generated on the fly
  local result
  result=$(head -c "$STREAM_BYTES" /dev/zero |
    curl -sS -T - -w ' %{http_code}' "http://127.0.0.1:$1/stream/upload" | tr -s '\n ' '  ')
  bench::log "upload: backend received and status $result"
  [ "$result" = "$STREAM_BYTES 200" ]
}

measure_all() {  # measure_all PROXY PID PORT
  local proxy=$1 pid=$2 port=$3
  measure_idle "$proxy" "$pid"
  # Streaming before the connection test: memory freed after 10k connections may stay mapped.
  with_peak_rss "$proxy" download "$pid" download "$port"
  with_peak_rss "$proxy" upload "$pid" upload "$port"
  measure_connections "$proxy" "$pid" "$port"
}

run_causeway() {
  local port status_port config="$BENCH_TMP/causeway.yaml"
  port=$(bench::free_port)
  status_port=$(bench::free_port)
  bench::render "$BENCH_CONF/causeway-memory.yaml" "$config" BACKEND_PORT="$BACKEND_PORT" \
    STREAM_PORT="$STREAM_PORT"
  if ! bench::start_causeway "$config" "$port" "$status_port" -; then
    bench::log "causeway: not available"
    return 0
  fi
  local pid=$BENCH_LAST_PID
  measure_all causeway "$pid" "$port"
  bench::stop "$pid"
}

run_nginx() {
  local port
  port=$(bench::free_port)
  bench::start_nginx nginx "$BENCH_CONF/nginx-proxy-memory.conf" - PORT="$port" \
    BACKEND_PORT="$BACKEND_PORT" STREAM_PORT="$STREAM_PORT" \
    WORKER_CONNECTIONS=$((CONNECTIONS + 2048)) NOFILE=$(($(ulimit -n) - 100))
  local pid=$BENCH_LAST_PID
  bench::wait_port "$port" 10 "$pid" || bench::die "nginx (proxy) did not start"
  measure_all nginx "$pid" "$port"
  bench::stop "$pid"
}

print_table() {
  local scenario proxy
  local size
  if ((STREAM_BYTES % (1 << 30) == 0)); then size="$((STREAM_BYTES >> 30)) GiB"
  else size="$(mb $((STREAM_BYTES / 1024))) MB"; fi
  local -A labels=([idle]="idle" [conns]="$CONNECTIONS idle keep-alive connections"
    [download]="$size download, peak" [upload]="$size chunked upload, peak")
  echo
  echo "### memory: RSS in MB (VmRSS; nginx counts master + worker)"
  printf '%-40s %12s %12s\n' scenario causeway nginx
  for scenario in idle conns download upload; do
    printf '%-40s' "${labels[$scenario]}"
    for proxy in causeway nginx; do
      printf ' %12s' "${RSS_MB[$proxy.$scenario]:-n/a}"
    done
    echo
    if [ -n "${RESULTS:-}" ]; then
      printf '%s\t%s\t%s\n' "$scenario" "${RSS_MB[causeway.$scenario]:-}" \
        "${RSS_MB[nginx.$scenario]:-}" >>"$RESULTS"
    fi
  done
  [ -n "${RSS_MB[causeway.idle]:-}" ] || echo "causeway: not available"
}

main() {
  if [ -n "${RESULTS:-}" ]; then : >"$RESULTS"; fi
  start_backends
  run_causeway
  run_nginx
  print_table
}

main "$@"
