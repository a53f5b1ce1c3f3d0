#!/usr/bin/env bash
# Service-mesh data path on loopback: what a pair of sidecars adds to a request, for Causeway and
# nginx, in one run. Three setups, all ending at the same nginx `return 200` server (64 bytes):
#
#   direct    wrk -> server
#   causeway  wrk -> sidecar A (outbound listener) -> mTLS -> sidecar B (inbound) -> server:
#             two `causeway sidecar` processes from files (bench/conf/mesh-*.yaml, certificates
#             from `causeway cert workload`), no control plane
#   nginx     wrk -> nginx A (plain listener, proxy_pass https with a client certificate and the
#             server certificate verified) -> nginx B (TLS 1.3, client certificate required and
#             its SPIFFE identity checked) -> server (bench/conf/nginx-mesh-*.conf)
#
# Every proxy runs one worker with upstream keep-alive and no access log; the four proxies share
# CPU 0, wrk and the server CPU 1. Every repetition runs every setup once (order rotated). The
# tables show medians of the repetitions: req/s, p50 and p99 latency and what each chain adds to
# direct's; per proxy the CPU (user + system, nginx master + worker) per request and VmRSS idle
# (after start and a warm-up, before the measured load) and after the load. Then causeway/nginx
# ratios and the targets (PASS/FAIL lines, informational: they do not change the exit status).
#
# Environment: MESH_CONNS (16, wrk's connections), DURATION (10s), REPS (3), WRK_THREADS (1),
# WARMUP (2s), CAUSEWAY_BIN (build/causeway, a release build), KEEP_TMP (keep
# /tmp/causeway-mesh.*), RESULTS (a file to write the medians to, tab-separated). The defaults
# take about 2 minutes.
# Run as root. Needs nginx, wrk, curl, openssl, taskset and /usr/bin/python3.
# Exits 1 (after printing the table) when the Causeway chain could not be measured.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONNS=${MESH_CONNS:-16}  # not CONNS: bench/run-all passes proxy.sh a list in it
DURATION=${DURATION:-10s}
REPS=${REPS:-3}
WRK_THREADS=${WRK_THREADS:-1}
WARMUP=${WARMUP:-2s}
IDLE_RSS_TARGET_MB=15
NGINX_SERVER_NAME=backend.mesh  # the DNS name in nginx B's certificate, checked by nginx A

for tool in nginx wrk curl openssl; do
  command -v "$tool" >/dev/null || bench::die "$tool not found (scripts/install-deps installs it)"
done
CAUSEWAY_BIN=$(bench::causeway_bin)
[ -x "$CAUSEWAY_BIN" ] || bench::die "no causeway binary at $CAUSEWAY_BIN (make build)"

bench::init mesh
cd "$BENCH_TMP"

declare -A URL PID_A PID_B  # setup -> the URL wrk calls, pids of its two proxies
SETUPS=()
CAUSEWAY_ERROR=""

# The mesh CA and the workload certificates (spiffe://default/web, spiffe://default/backend), and
# for nginx B one more from the same CA with a DNS name: nginx A checks the name of the server it
# verifies, and the workload certificates carry only a URI.
make_certs() {
  local service
  for service in web backend; do
    "$CAUSEWAY_BIN" cert workload --mesh-ca-dir ca --service "$service" --out certs >/dev/null ||
      bench::die "causeway cert workload failed"
  done
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj "/CN=$NGINX_SERVER_NAME" -keyout certs/nginx-backend.key -out certs/nginx-backend.csr \
    2>/dev/null || bench::die "openssl could not make nginx B's key"
  printf '%s\n' "subjectAltName=DNS:$NGINX_SERVER_NAME,URI:spiffe://default/backend" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth,clientAuth" >certs/ext.cnf
  openssl x509 -req -in certs/nginx-backend.csr -CA ca/ca.crt -CAkey ca/ca.key -CAcreateserial \
    -days 1 -sha256 -extfile certs/ext.cnf -out certs/nginx-backend.crt 2>/dev/null ||
    bench::die "openssl could not sign nginx B's certificate"
}

start_server() {
  SERVER_PORT=$(bench::free_port)
  bench::start_nginx server "$BENCH_CONF/nginx-backend.conf" 1 PORT="$SERVER_PORT" \
    WORKER_CONNECTIONS=1024
  bench::wait_port "$SERVER_PORT" 10 "$BENCH_LAST_PID" || bench::die "the server did not start"
  [ "$(curl -sS "http://127.0.0.1:$SERVER_PORT/")" = "$BENCH_BODY" ] || bench::die "bad server body"
  URL[direct]="http://127.0.0.1:$SERVER_PORT/"
  SETUPS+=(direct)
}

# causeway_failed MESSAGE: logs why the chain is missing with the sidecars' last log lines.
causeway_failed() {
  CAUSEWAY_ERROR=$1
  bench::log "causeway: $1; last log lines:"
  tail -n 5 sidecar-a.log sidecar-b.log >&2 || true
}

start_causeway_chain() {
  local inbound_b inbound_a service_a outbound status_a status_b pid_a pid_b port i
  inbound_b=$(bench::free_port) inbound_a=$(bench::free_port) service_a=$(bench::free_port)
  outbound=$(bench::free_port) status_a=$(bench::free_port) status_b=$(bench::free_port)
  bench::render "$BENCH_CONF/mesh-backend.yaml" backend.yaml INBOUND_PORT="$inbound_b" \
    SERVICE_PORT="$SERVER_PORT"
  bench::render "$BENCH_CONF/mesh-web.yaml" web.yaml INBOUND_PORT="$inbound_a" \
    SERVICE_PORT="$service_a" OUTBOUND_PORT="$outbound"
  { cat "$BENCH_CONF/mesh-policies.yaml"; echo "---"; cat backend.yaml; } >mesh.yaml

  bench::spawn sidecar-b.log 0 "$CAUSEWAY_BIN" sidecar --config mesh.yaml --dataplane backend.yaml \
    --cert certs/backend.crt --key certs/backend.key --ca-cert ca/ca.crt --workers 1 \
    --status-listen "127.0.0.1:$status_b" --log-level warn
  pid_b=$BENCH_LAST_PID
  bench::spawn sidecar-a.log 0 "$CAUSEWAY_BIN" sidecar --config mesh.yaml --dataplane web.yaml \
    --cert certs/web.crt --key certs/web.key --ca-cert ca/ca.crt --workers 1 \
    --status-listen "127.0.0.1:$status_a" --log-level warn
  pid_a=$BENCH_LAST_PID
  for port in "$status_b" "$status_a"; do
    for ((i = 0; i < 200; i++)); do
      [ "$(curl -s -o /dev/null -w '%{http_code}' -m 1 "http://127.0.0.1:$port/ready")" = 200 ] &&
        break
      if ! kill -0 "$pid_a" 2>/dev/null || ! kill -0 "$pid_b" 2>/dev/null; then break; fi
      sleep 0.05
    done
  done
  if ! kill -0 "$pid_a" 2>/dev/null || ! kill -0 "$pid_b" 2>/dev/null; then
    causeway_failed "a sidecar exited"
  elif [ "$(curl -sS -m 5 "http://127.0.0.1:$outbound/" 2>&1)" != "$BENCH_BODY" ]; then
    causeway_failed "the chain does not answer with the server's body"
  fi
  if [ -n "$CAUSEWAY_ERROR" ]; then
    bench::stop "$pid_a"
    bench::stop "$pid_b"
    return 0
  fi
  URL[causeway]="http://127.0.0.1:$outbound/" PID_A[causeway]=$pid_a PID_B[causeway]=$pid_b
  SETUPS+=(causeway)
}

start_nginx_chain() {
  local port_a port_b certs="$BENCH_TMP/certs" ca="$BENCH_TMP/ca"
  port_a=$(bench::free_port) port_b=$(bench::free_port)
  bench::start_nginx nginx-b "$BENCH_CONF/nginx-mesh-inbound.conf" 0 PORT="$port_b" \
    SERVICE_PORT="$SERVER_PORT" SERVER_CERT="$certs/nginx-backend.crt" \
    SERVER_KEY="$certs/nginx-backend.key" CA_DIR="$ca"
  PID_B[nginx]=$BENCH_LAST_PID
  bench::wait_port "$port_b" 10 "$BENCH_LAST_PID" || bench::die "nginx B did not start"
  bench::start_nginx nginx-a "$BENCH_CONF/nginx-mesh-outbound.conf" 0 PORT="$port_a" \
    UPSTREAM_PORT="$port_b" CERT_DIR="$certs" CA_DIR="$ca" SERVER_NAME="$NGINX_SERVER_NAME"
  PID_A[nginx]=$BENCH_LAST_PID
  bench::wait_port "$port_a" 10 "$BENCH_LAST_PID" || bench::die "nginx A did not start"
  URL[nginx]="http://127.0.0.1:$port_a/"
  if [ "$(curl -sS -m 5 "${URL[nginx]}")" != "$BENCH_BODY" ]; then
    tail -n 3 nginx-*/logs/error.log >&2 || true
    bench::die "the nginx chain does not answer with the server's body"
  fi
  SETUPS+=(nginx)
}

# ticks_of SETUP A|B: CPU ticks of one proxy of a setup so far (0 for direct).
ticks_of() {
  local pid
  if [ "$2" = A ]; then pid=${PID_A[$1]:-}; else pid=${PID_B[$1]:-}; fi
  if [ -n "$pid" ]; then bench::cpu_ticks "$pid"; else echo 0; fi
}

# rss_mb SETUP A|B: VmRSS of one proxy (nginx: master + worker) in MB.
rss_mb() {
  local pid
  if [ "$2" = A ]; then pid=${PID_A[$1]}; else pid=${PID_B[$1]}; fi
  awk -v k="$(bench::rss_kib "$pid")" 'BEGIN { printf "%.1f", k / 1024 }'
}

# run_wrk SETUP REP: one measured run; prints "rps p50_ms p99_ms cpuA_us_per_req cpuB_us_per_req
# errors requests".
run_wrk() {
  local setup=$1 out="$BENCH_TMP/wrk-$1-$2.txt" a0 b0 a1 b1
  a0=$(ticks_of "$setup" A) b0=$(ticks_of "$setup" B)
  bench::pinned 1 wrk -t"$WRK_THREADS" -c"$CONNS" -d"$DURATION" --latency "${URL[$setup]}" \
    >"$out" 2>&1 || bench::die "wrk failed: $(cat "$out")"
  a1=$(ticks_of "$setup" A) b1=$(ticks_of "$setup" B)
  local rps p50 p99 requests errors
  read -r rps p50 p99 requests errors < <(bench::wrk_summary "$out")
  if ((requests == 0)); then echo "0 0 0 0 0 1 0"; return; fi
  awk -v ta=$((a1 - a0)) -v tb=$((b1 - b0)) -v hz="$BENCH_CLK_TCK" -v n="$requests" \
    'BEGIN { printf "%.2f %.2f\n", ta * 1e6 / hz / n, tb * 1e6 / hz / n }' |
    { read -r ca cb; echo "$rps $p50 $p99 $ca $cb $errors $requests"; }
}

# sum A B; ratio A B (A / B, "-" unless B > 0)
sum() { awk -v a="$1" -v b="$2" 'BEGIN { print a + b }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }
# verdict LABEL CAUSEWAY NGINX: a PASS line when the causeway value is below nginx's.
verdict() {
  awk -v l="$1" -v c="$2" -v n="$3" -v u="$4" 'BEGIN {
    printf "%s  causeway %s %.3f %s < nginx %.3f %s\n", (c < n ? "PASS" : "FAIL"), l, c, u, n, u }'
}

declare -A MED  # "<setup>.<metric>" -> median; metrics rps p50 p99 cpuA cpuB; errors = sum
declare -A RSS  # "<setup>.<A|B>.<idle|loaded>" -> MB

medians() {
  local results=$1 setup i values metrics=(rps p50 p99 cpuA cpuB)
  for setup in "${SETUPS[@]}"; do
    for i in 0 1 2 3 4; do
      mapfile -t values < <(awk -v s="$setup" -v col=$((i + 3)) '$1 == s { print $col }' "$results")
      MED[$setup.${metrics[$i]}]=$(bench::median "${values[@]}")
    done
    MED[$setup.errors]=$(awk -v s="$setup" '$1 == s { e += $8 } END { print e + 0 }' "$results")
    MED[$setup.cpu]=$(sum "${MED[$setup.cpuA]}" "${MED[$setup.cpuB]}")
    MED[$setup.add50]=$(sum "${MED[$setup.p50]}" "-${MED[direct.p50]}")
    MED[$setup.add99]=$(sum "${MED[$setup.p99]}" "-${MED[direct.p99]}")
  done
}

print_tables() {
  local setup side have_causeway=${URL[causeway]:+yes}
  echo
  echo "### mesh: wrk -t$WRK_THREADS -c$CONNS on loopback, median of $REPS x $DURATION per setup" \
    "(interleaved); added = chain - direct"
  printf '%-16s %9s %8s %8s %10s %10s %7s\n' setup "req/s" "p50 ms" "p99 ms" "+p50 ms" "+p99 ms" \
    errors
  for setup in direct causeway nginx; do
    if [ -z "${URL[$setup]:-}" ]; then
      printf '%-16s not measured: %s\n' "$setup" "$CAUSEWAY_ERROR"
      continue
    fi
    printf '%-16s %9.0f %8.3f %8.3f' "$setup" "${MED[$setup.rps]}" "${MED[$setup.p50]}" \
      "${MED[$setup.p99]}"
    if [ "$setup" = direct ]; then printf ' %10s %10s' - -; else
      printf ' %10.3f %10.3f' "${MED[$setup.add50]}" "${MED[$setup.add99]}"
    fi
    printf ' %7s\n' "${MED[$setup.errors]}"
  done
  if [ -n "$have_causeway" ]; then
    printf '%-16s %9s %8s %8s %10s %10s\n' "causeway/nginx" \
      "$(ratio "${MED[causeway.rps]}" "${MED[nginx.rps]}")" \
      "$(ratio "${MED[causeway.p50]}" "${MED[nginx.p50]}")" \
      "$(ratio "${MED[causeway.p99]}" "${MED[nginx.p99]}")" \
      "$(ratio "${MED[causeway.add50]}" "${MED[nginx.add50]}")" \
      "$(ratio "${MED[causeway.add99]}" "${MED[nginx.add99]}")"
  fi

  echo
  echo "per proxy (nginx: master + worker): CPU = user + system per request, vCPU @1k = that"
  echo "  x 1000 req/s; VmRSS idle = after start and warm-up, loaded = after the runs"
  printf '%-16s %11s %11s %12s %14s\n' proxy "CPU us/req" "vCPU @1k" "RSS idle MB" "RSS loaded MB"
  for setup in causeway nginx; do
    [ -n "${URL[$setup]:-}" ] || continue
    for side in A B; do
      printf '%-16s %11.2f %11.3f %12.1f %14.1f\n' "$setup $side" "${MED[$setup.cpu$side]}" \
        "$(awk -v c="${MED[$setup.cpu$side]}" 'BEGIN { print c / 1000 }')" \
        "${RSS[$setup.$side.idle]}" "${RSS[$setup.$side.loaded]}"
    done
    printf '%-16s %11.2f\n' "$setup A+B" "${MED[$setup.cpu]}"
  done
  if [ -n "$have_causeway" ]; then
    printf '%-16s %11s %11s %12s %14s\n' "causeway/nginx" \
      "$(ratio "${MED[causeway.cpu]}" "${MED[nginx.cpu]}")" "" \
      "$(ratio "$(sum "${RSS[causeway.A.idle]}" "${RSS[causeway.B.idle]}")" \
        "$(sum "${RSS[nginx.A.idle]}" "${RSS[nginx.B.idle]}")")" \
      "$(ratio "$(sum "${RSS[causeway.A.loaded]}" "${RSS[causeway.B.loaded]}")" \
        "$(sum "${RSS[nginx.A.loaded]}" "${RSS[nginx.B.loaded]}")")"

    echo
    echo "targets (informational, the exit status ignores them):"
    verdict "added p50" "${MED[causeway.add50]}" "${MED[nginx.add50]}" ms
    verdict "added p99" "${MED[causeway.add99]}" "${MED[nginx.add99]}" ms
    verdict "CPU per request (A+B)" "${MED[causeway.cpu]}" "${MED[nginx.cpu]}" us
    awk -v a="${RSS[causeway.A.idle]}" -v b="${RSS[causeway.B.idle]}" -v t="$IDLE_RSS_TARGET_MB" \
      'BEGIN { printf "%s  causeway idle RSS < %d MB per sidecar: A %.1f MB, B %.1f MB\n",
               (a < t && b < t ? "PASS" : "FAIL"), t, a, b }'
    if [ "${MED[causeway.errors]}" != 0 ]; then
      echo "FAIL  causeway chain: ${MED[causeway.errors]} errors (non-2xx or socket errors)"
    fi
  fi
  echo
  echo "anchors (published elsewhere, not measured here): Linkerd proxy 26 MB, Envoy under Istio"
  echo "  156 MB (Linkerd 2021 benchmark); Istio 1.24 sidecar 0.20 vCPU and 60 MB at 1000 req/s."

  if [ -n "${RESULTS:-}" ]; then
    : >"$RESULTS"
    for setup in "${SETUPS[@]}"; do
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$setup" "${MED[$setup.rps]}" \
        "${MED[$setup.p50]}" "${MED[$setup.p99]}" "${MED[$setup.add50]}" "${MED[$setup.add99]}" \
        "${MED[$setup.cpuA]}" "${MED[$setup.cpuB]}" "${RSS[$setup.A.idle]:-}" \
        "${RSS[$setup.B.idle]:-}" "${RSS[$setup.A.loaded]:-}" "${RSS[$setup.B.loaded]:-}" \
        >>"$RESULTS"
    done
  fi
}

main() {
  make_certs
  start_server
  start_causeway_chain
  start_nginx_chain
  bench::log "setups: $(for s in "${SETUPS[@]}"; do printf '%s %s  ' "$s" "${URL[$s]}"; done)"

  local setup side
  for setup in "${SETUPS[@]}"; do  # fill upstream pools and TLS sessions
    bench::pinned 1 wrk -t1 -c"$CONNS" -d"$WARMUP" "${URL[$setup]}" >/dev/null
  done
  sleep 1
  for setup in causeway nginx; do
    [ -n "${URL[$setup]:-}" ] || continue
    for side in A B; do RSS[$setup.$side.idle]=$(rss_mb "$setup" "$side"); done
    bench::log "$setup idle RSS: A ${RSS[$setup.A.idle]} MB, B ${RSS[$setup.B.idle]} MB"
  done

  local results="$BENCH_TMP/results.txt" rep k n=${#SETUPS[@]} result
  local rps p50 p99 cpu_a cpu_b errors requests
  : >"$results"
  for ((rep = 1; rep <= REPS; rep++)); do
    for ((k = 0; k < n; k++)); do
      setup=${SETUPS[$(((k + rep - 1) % n))]}  # rotate who goes first
      result=$(run_wrk "$setup" "$rep")
      read -r rps p50 p99 cpu_a cpu_b errors requests <<<"$result"
      bench::log "rep $rep $setup: $rps req/s p50 ${p50}ms p99 ${p99}ms cpu A ${cpu_a}us/req" \
        "B ${cpu_b}us/req errors $errors"
      echo "$setup $rep $rps $p50 $p99 $cpu_a $cpu_b $errors $requests" >>"$results"
    done
  done
  for setup in causeway nginx; do
    [ -n "${URL[$setup]:-}" ] || continue
    for side in A B; do RSS[$setup.$side.loaded]=$(rss_mb "$setup" "$side"); done
  done
  medians "$results"
  print_tables
  if [ -n "${URL[causeway]:-}" ] && [ "${MED[causeway.errors]}" != 0 ]; then
    echo
    echo "sidecar logs (last lines):"
    tail -n 10 sidecar-a.log sidecar-b.log || true
  fi
  [ -n "${URL[causeway]:-}" ]
}

main "$@"
