#!/usr/bin/env bash
# Benchmark excert against nmap on loopback.
#
#   bench/run.sh [fleet] [HOSTS...]   default: 2000 5000 hosts = 4,000 and 10,000 endpoints
#   bench/run.sh fleet13 [HOSTS...]   the same with 90% of hosts on TLS 1.2 and 1.3
#   bench/run.sh sweep [NMAP_PREFIX]  a filtered /20 (443, 444, 25 = 12,282 endpoints)
#   bench/run.sh memory [HOSTS...]    peak RSS at 5000 12500 25000 hosts (10k-50k endpoints)
#
# fleet: HOSTS hosts on 127.77.x.y, each with a Default Web Site port (10443)
# and an Exchange Back End port (10444), served by one nginx from Debian
# with RSA-2048 certificates. Like an Exchange fleet: 90% of hosts speak
# TLS 1.2 (Windows 2016/2019), 10% TLS 1.0 only (Windows 2008 R2). For each
# size, excert (default options: chains and protocol map) and nmap's
# ssl-cert script run one after the other against the same fleet, and the
# script prints the wall-time ratio, each tool's CPU and peak RSS, the
# servers' CPU (what nginx's workers spent on each run) and what each
# captured. The first size also runs excert with 10% hanging hosts added
# (they accept and never speak) to show the hang penalty (NO_HANG=1 skips
# it).
#
# fleet13: as fleet, but the 90% speak TLS 1.2 and 1.3 (`ssl_protocols
# TLSv1.2 TLSv1.3; ssl_ciphers ALL:@SECLEVEL=0; ssl_session_cache off`),
# as Exchange SE on Windows Server 2022/2025 does: the shape where a full
# handshake per host would make every server sign.
#
# sweep: an nftables rule drops SYNs to 127.78.0.0/20, so all 4,094 hosts
# are filtered, as in a range where most addresses are dark. excert scans
# the /20 on 443, 444 and 25 with default options, then again under
# `ulimit -n 256` (SWEEP_LOW_FD=0 skips it); `nmap -sT` scans a slice
# (default the first /24; NMAP_PREFIX=20 for the whole range) and its time
# is scaled to the /20.
#
# memory: a fleet that nginx serves from two wildcard sockets (so 50,000
# endpoints need no 50,000 listeners); excert alone, peak RSS per size.
#
# Needs (not in CI): apt-get install nginx nmap nftables openssl; root for
# nftables in sweep mode. Environment: TIMEOUT (excert --timeout, default:
# excert's default), EXCERT (binary to measure, default: a fresh release
# build), NO_NMAP=1, BENCH_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=fleet
case "${1:-}" in fleet | fleet13 | sweep | memory) mode=$1; shift ;; esac
# What the 90% of hosts that are not TLS 1.0-only speak.
modern="ssl_protocols TLSv1.2;"
modern_name="TLS 1.2"
if [ "$mode" = fleet13 ]; then
  modern="ssl_protocols TLSv1.2 TLSv1.3; ssl_ciphers ALL:@SECLEVEL=0; ssl_session_cache off;"
  modern_name="TLS 1.2 and 1.3"
  mode=fleet
fi
work=${BENCH_DIR:-target/bench}
rm -rf "$work"; mkdir -p "$work"; work=$(cd "$work" && pwd)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

if [ -z "${EXCERT:-}" ]; then
  cargo build --release --quiet
  EXCERT=$PWD/target/release/excert
fi
timeout_args=()
if [ -n "${TIMEOUT:-}" ]; then timeout_args=(--timeout "$TIMEOUT"); fi

ip() { echo "$1.$(( $2 / 250 )).$(( $2 % 250 + 1 ))"; }
tck=$(getconf CLK_TCK)
nginx_pid=
hang_pid=
cleanup() {
  [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null
  [ -n "$hang_pid" ] && kill "$hang_pid" 2>/dev/null
  if [ "$mode" = sweep ]; then nft delete table inet excert_bench 2>/dev/null; fi
  true
}
trap cleanup EXIT

# CPU ticks nginx's workers have used so far: the servers' share of the work
# (mostly one RSA-2048 signature and one key exchange per full handshake).
server_cpu() {
  local t=0 p
  [ -n "$nginx_pid" ] || { echo 0; return; }
  for p in $(pgrep -P "$nginx_pid"); do t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat") )); done
  echo "$t"
}
# run LABEL CMD...: one row of the table; sets $wall and $srv for the caller.
run() {
  local label=$1; shift
  local before after row
  before=$(server_cpu)
  row=$(python3 bench/measure.py "$label" -- "$@")
  after=$(server_cpu)
  srv=$(awk -v t=$(( after - before )) -v hz="$tck" 'BEGIN { printf "%.2f", t / hz }')
  wall=$(cut -f2 <<<"$row")
  printf '%s\t%s\t' "$row" "$srv"
}

# Certificates: one public-style cert for 10443, a few backend self-signed
# ones for 10444, made from the committed lab keys (no slow key generation).
certs() {
  openssl req -x509 -new -key fixtures/lab/key-08.pem -sha256 -days 365 -subj "/CN=mail.contoso.lab" \
    -addext "subjectAltName=DNS:mail.contoso.lab" -out "$work/public.pem" 2>/dev/null
  for k in 1 2 3 4; do
    openssl req -x509 -new -key "fixtures/lab/key-0$k.pem" -sha1 -days 1826 -subj "/CN=EX0$k" \
      -addext "subjectAltName=DNS:EX0$k,DNS:EX0$k.contoso.lab" -out "$work/backend-$k.pem" 2>/dev/null
  done
}

legacy_every=10 # every 10th host is TLS 1.0-only
# nginx.conf for HOSTS hosts. WILDCARD=1: listen on *:10443/*:10444 and
# pick the server by local address (nginx does that with getsockname), so
# only the TLS 1.0 hosts need server blocks of their own.
nginx_conf() {
  local hosts=$1 wildcard=${2:-0} i a proto k
  echo "worker_processes 2; pid $work/nginx.pid; error_log $work/nginx-error.log crit;"
  echo "worker_rlimit_nofile 65000; events { worker_connections 30000; }"
  echo "http { access_log off; client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;"
  if [ "$wildcard" = 1 ]; then
    echo "server { listen 10443 ssl default_server; ssl_protocols TLSv1.2; ssl_certificate $work/public.pem; ssl_certificate_key $PWD/fixtures/lab/key-08.pem; return 200; }"
    echo "server { listen 10444 ssl default_server; ssl_protocols TLSv1.2; ssl_certificate $work/backend-1.pem; ssl_certificate_key $PWD/fixtures/lab/key-01.pem; return 200; }"
  fi
  for ((i = 0; i < hosts; i++)); do
    a=$(ip 127.77 "$i")
    if (( i % legacy_every == 0 )); then
      proto="ssl_protocols TLSv1; ssl_ciphers ALL:@SECLEVEL=0;"
    elif [ "$wildcard" = 1 ]; then
      continue
    else
      proto=$modern
    fi
    k=$(( i % 4 + 1 ))
    echo "server { listen $a:10443 ssl; $proto ssl_certificate $work/public.pem; ssl_certificate_key $PWD/fixtures/lab/key-08.pem; return 200; }"
    echo "server { listen $a:10444 ssl; $proto ssl_certificate $work/backend-$k.pem; ssl_certificate_key $PWD/fixtures/lab/key-0$k.pem; return 200; }"
  done
  echo "}"
}

start_nginx() {
  nginx_conf "$@" > "$work/nginx.conf"
  nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' &
  nginx_pid=$!
  for _ in $(seq 300); do
    if openssl s_client -connect "$(ip 127.77 1):10444" </dev/null >/dev/null 2>&1; then return; fi
    sleep 0.1
  done
  echo "nginx did not start: $(tail -3 "$work/nginx-error.log")" >&2
  exit 1
}

# Hanging hosts after the fleet: accept and never speak.
start_hanging() {
  local n=$1 base=$2
  python3 - "$n" "$base" > "$work/hang.log" 2>&1 <<'PY' &
import asyncio, sys
n, base = int(sys.argv[1]), int(sys.argv[2])
def ip(i): return f"127.77.{i // 250}.{i % 250 + 1}"
async def hold(reader, writer):
    while await reader.read(1 << 16):  # never answer; wait for the client to give up
        pass
    writer.close()
async def main():
    servers = [await asyncio.start_server(hold, ip(base + i), port) for i in range(n) for port in (10443, 10444)]
    print("ready", len(servers), flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
PY
  hang_pid=$!
  for _ in $(seq 300); do grep -q ready "$work/hang.log" && return; sleep 0.1; done
  echo "hanging hosts did not start" >&2; exit 1
}

excert_fleet() {
  local label=$1 hosts_file=$2 out=$3; shift 3
  # The fleet serves HTTPS only: no SMTP port, where excert knows SMTP.
  local smtp=()
  if "$EXCERT" scan --help | grep -q -- --smtp-ports; then smtp=(--smtp-ports none); fi
  run "$label" "$EXCERT" scan --targets-file "$hosts_file" --frontend-ports 10443 --backend-ports 10444 \
    ${smtp[@]+"${smtp[@]}"} ${timeout_args[@]+"${timeout_args[@]}"} --quiet --fail-on never --out "$out" "$@"
  python3 bench/check.py excert "$out/scan.json"
}

fleet() {
  local sizes=("$@") max=0 n i
  [ ${#sizes[@]} -gt 0 ] || sizes=(2000 5000)
  for n in "${sizes[@]}"; do (( n > max )) && max=$n; done
  local hang=$(( sizes[0] / 10 ))
  certs
  start_nginx "$max"
  start_hanging "$hang" "$max"
  echo "excert: $EXCERT ($("$EXCERT" --version 2>/dev/null || echo '?')); nmap: $(nmap --version 2>/dev/null | head -1 || echo none)"
  echo "$(date -u +%FT%TZ), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "fleet: 127.77.x.y, 2 endpoints per host, every ${legacy_every}th host TLS 1.0-only, the others $modern_name, nginx $(nginx -v 2>&1 | cut -d/ -f2)"
  for n in "${sizes[@]}"; do
    for ((i = 0; i < n; i++)); do ip 127.77 "$i"; done > "$work/hosts-$n"
    echo
    echo "== $n hosts, $(( n * 2 )) endpoints"
    printf 'run\twall_s\tcpu_s\trss_mb\texit\tserver_cpu_s\tcaptured\n'
    excert_fleet "excert" "$work/hosts-$n" "$work/excert-$n"
    local ew=$wall es=$srv
    if [ -n "${NO_NMAP:-}" ] || ! command -v nmap >/dev/null; then
      echo "nmap: skipped"
      continue
    fi
    run "nmap ssl-cert" nmap -n -Pn -sT -p 10443,10444 --script ssl-cert -iL "$work/hosts-$n" -T4 -oX "$work/nmap-$n.xml"
    python3 bench/check.py nmap "$work/nmap-$n.xml"
    awk -v e="$ew" -v n="$wall" -v es="$es" -v ns="$srv" -v ep=$(( n * 2 )) 'BEGIN {
      printf "=> %d endpoints: excert %.2fx faster than nmap ssl-cert; servers CPU %.2f s (excert) vs %.2f s (nmap)\n", ep, n / e, es, ns }'
  done
  [ -z "${NO_HANG:-}" ] || return 0
  n=${sizes[0]}
  { cat "$work/hosts-$n"; for ((i = 0; i < hang; i++)); do ip 127.77 $(( max + i )); done; } > "$work/hosts-hanging"
  echo
  echo "== $n hosts plus $hang hanging hosts ($(( hang * 2 )) endpoints that accept and never speak)"
  printf 'run\twall_s\tcpu_s\trss_mb\texit\tserver_cpu_s\tcaptured\n'
  excert_fleet "excert +10% hanging" "$work/hosts-hanging" "$work/excert-hanging"
}

memory() {
  local sizes=("$@") max=0 n i
  [ ${#sizes[@]} -gt 0 ] || sizes=(5000 12500 25000)
  for n in "${sizes[@]}"; do (( n > max )) && max=$n; done
  certs
  start_nginx "$max" 1
  echo "excert: $EXCERT; $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  printf 'run\twall_s\tcpu_s\trss_mb\texit\tserver_cpu_s\tcaptured\n'
  for n in "${sizes[@]}"; do
    for ((i = 0; i < n; i++)); do ip 127.77 "$i"; done > "$work/hosts-$n"
    excert_fleet "excert $(( n * 2 )) endpoints" "$work/hosts-$n" "$work/excert-$n"
  done
}

sweep() {
  local nmap_prefix=${1:-24}
  nft -f - <<'NFT'
table inet excert_bench {
  chain input {
    type filter hook input priority 0; policy accept;
    ip daddr 127.78.0.0/20 tcp flags & (syn | ack) == syn drop
  }
}
NFT
  local ports=(--frontend-ports 443 --backend-ports 444)
  # An excert that knows SMTP scans 25 by default; an older one gets it as
  # a frontend port, so both scan the same 12,282 endpoints.
  if ! "$EXCERT" scan --help | grep -q -- --smtp-ports; then ports=(--frontend-ports 443,25 --backend-ports 444); fi
  echo "excert: $EXCERT; $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "127.78.0.0/20 filtered (SYNs dropped): 4,094 hosts x 443, 444, 25"
  printf 'run\twall_s\tcpu_s\trss_mb\texit\tserver_cpu_s\tcaptured\n'
  run "excert /20" "$EXCERT" scan 127.78.0.0/20 "${ports[@]}" --quiet --fail-on never --out "$work/sweep"
  python3 bench/check.py excert "$work/sweep/scan.json"
  if [ "${SWEEP_LOW_FD:-1}" != 0 ]; then
    run "excert /20, ulimit -n 256" bash -c 'ulimit -n 256 && exec "$@"' _ "$EXCERT" scan 127.78.0.0/20 "${ports[@]}" \
      --quiet --fail-on never --out "$work/sweep-256"
    python3 bench/check.py excert "$work/sweep-256/scan.json"
  fi
  if [ -z "${NO_NMAP:-}" ] && command -v nmap >/dev/null; then
    local slice="127.78.0.0/$nmap_prefix"
    local scale=$(( 1 << (nmap_prefix - 20) ))
    run "nmap -sT $slice" nmap -n -Pn -sT -p 25,443,444 "$slice" -oX "$work/nmap-sweep.xml"
    echo
    awk -v w="$wall" -v s="$scale" 'BEGIN { printf "=> nmap -sT: %.1f s for the slice, about %.0f s for the /20 (x%d)\n", w, w * s, s }'
  fi
}

"$mode" "$@"
