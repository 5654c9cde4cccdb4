#!/usr/bin/env bash
# Benchmark excert against nmap ssl-cert and sslyze on a loopback fleet.
#
#   bench/run.sh [HOSTS]        default 500 hosts = 1,000 endpoints
#   NO_PEERS=1 bench/run.sh 5000   10,000 endpoints, excert only
#
# The fleet: HOSTS hosts on 127.77.x.y, each with a Default Web Site port
# (10443) and an Exchange Back End port (10444), served by one nginx from
# Debian with RSA-2048 certificates. Like an Exchange fleet: 90% of hosts
# speak TLS 1.2 (Windows 2016/2019), 10% TLS 1.0 only (Windows 2008 R2). A second excert run adds 10% hanging hosts (accept,
# never speak) to measure the hang penalty.
#
# Needs: nginx and openssl (apt-get install nginx openssl); optional nmap
# (apt-get install nmap) and sslyze (pip install sslyze; or set SSLYZE=path).
# Prints one row per run: tool, wall s, CPU s, peak RSS MB, exit code, and
# what was captured.
set -euo pipefail
cd "$(dirname "$0")/.."
HOSTS=${1:-500}
TIMEOUT=${TIMEOUT:-5}
work=${BENCH_DIR:-target/bench}
rm -rf "$work"; mkdir -p "$work"; work=$(cd "$work" && pwd)
SSLYZE=${SSLYZE:-$(command -v sslyze || echo /opt/sslyze-venv/bin/sslyze)}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

cargo build --release --quiet
excert=$PWD/target/release/excert

ip() { local i=$1; echo "127.77.$(( i / 250 )).$(( i % 250 + 1 ))"; }

# Certificates: one public-style cert for 10443, a few backend self-signed
# ones for 10444, made from the committed lab keys (no slow key generation).
openssl req -x509 -new -key fixtures/lab/key-08.pem -sha256 -days 365 -subj "/CN=mail.contoso.lab" \
  -addext "subjectAltName=DNS:mail.contoso.lab" -out "$work/public.pem" 2>/dev/null
for k in 1 2 3 4; do
  openssl req -x509 -new -key "fixtures/lab/key-0$k.pem" -sha1 -days 1826 -subj "/CN=EX0$k" \
    -addext "subjectAltName=DNS:EX0$k,DNS:EX0$k.contoso.lab" -out "$work/backend-$k.pem" 2>/dev/null
done

legacy_every=10   # every 10th host is TLS 1.0-only
{
  echo "worker_processes 2; pid $work/nginx.pid; error_log $work/nginx-error.log crit;"
  echo "worker_rlimit_nofile 65000; events { worker_connections 30000; }"
  echo "http { access_log off; client_body_temp_path $work; proxy_temp_path $work; fastcgi_temp_path $work; uwsgi_temp_path $work; scgi_temp_path $work;"
  for ((i = 0; i < HOSTS; i++)); do
    a=$(ip "$i")
    if (( i % legacy_every == 0 )); then
      proto="ssl_protocols TLSv1; ssl_ciphers ALL:@SECLEVEL=0;"
    else
      proto="ssl_protocols TLSv1.2;"
    fi
    k=$(( i % 4 + 1 ))
    echo "server { listen $a:10443 ssl; $proto ssl_certificate $work/public.pem; ssl_certificate_key $PWD/fixtures/lab/key-08.pem; return 200; }"
    echo "server { listen $a:10444 ssl; $proto ssl_certificate $work/backend-$k.pem; ssl_certificate_key $PWD/fixtures/lab/key-0$k.pem; return 200; }"
  done
  echo "}"
} > "$work/nginx.conf"
nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' &
nginx_pid=$!

# Hanging hosts for the second run: accept and never speak.
hang_hosts=$(( HOSTS / 10 ))
python3 - "$hang_hosts" "$HOSTS" > "$work/hang.log" 2>&1 <<'PY' &
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
trap 'kill $nginx_pid $hang_pid 2>/dev/null || true' EXIT

for ((i = 0; i < HOSTS; i++)); do ip "$i"; done > "$work/hosts"
{ cat "$work/hosts"; for ((i = 0; i < hang_hosts; i++)); do ip $(( HOSTS + i )); done; } > "$work/hosts-with-hanging"
sed 's/$/:10443/' "$work/hosts" > "$work/sslyze-targets"; sed 's/$/:10444/' "$work/hosts" >> "$work/sslyze-targets"

# Wait for the servers.
for _ in $(seq 100); do
  if openssl s_client -connect "$(ip 1):10444" </dev/null >/dev/null 2>&1 && grep -q ready "$work/hang.log"; then break; fi
  sleep 0.1
done

# CPU seconds nginx's workers have used so far: the servers' share of the
# work (mostly one RSA-2048 signature per full handshake).
tck=$(getconf CLK_TCK)
server_cpu() {
  local t=0 p
  for p in $(pgrep -P "$nginx_pid"); do t=$(( t + $(awk '{print $14 + $15}' "/proc/$p/stat") )); done
  echo "$t"
}
run() {
  local label=$1; shift
  local before after
  before=$(server_cpu)
  python3 bench/measure.py "$label" -- "$@" | tr -d '\n'
  after=$(server_cpu)
  awk -v t=$(( after - before )) -v hz="$tck" 'BEGIN { printf "\t%.2f\n", t / hz }'
}

echo "fleet: $HOSTS hosts, $(( HOSTS * 2 )) endpoints, every ${legacy_every}th host TLS 1.0-only; $hang_hosts extra hanging hosts in the last run"
printf 'run\twall_s\tcpu_s\trss_mb\texit\tserver_cpu_s\n'
run "excert" "$excert" scan --targets-file "$work/hosts" --frontend-ports 10443 --backend-ports 10444 \
  --timeout "$TIMEOUT" --quiet --fail-on never --out "$work/excert"
python3 bench/check.py excert "$work/excert/scan.json"
run "excert --no-protocol-scan" "$excert" scan --targets-file "$work/hosts" --frontend-ports 10443 \
  --backend-ports 10444 --timeout "$TIMEOUT" --quiet --fail-on never --no-protocol-scan --out "$work/excert-np"
python3 bench/check.py excert "$work/excert-np/scan.json"
run "excert +10% hanging" "$excert" scan --targets-file "$work/hosts-with-hanging" \
  --frontend-ports 10443 --backend-ports 10444 --timeout "$TIMEOUT" --quiet --fail-on never --out "$work/excert-hang"
python3 bench/check.py excert "$work/excert-hang/scan.json"
if [ -n "${NO_PEERS:-}" ]; then
  echo "peers skipped (NO_PEERS set)"
elif command -v nmap >/dev/null; then
  run "nmap ssl-cert" nmap -n -Pn -sT -p 10443,10444 --script ssl-cert -iL "$work/hosts" -T4 -oX "$work/nmap.xml"
  python3 bench/check.py nmap "$work/nmap.xml"
else
  echo "nmap: not installed (apt-get install nmap)"
fi
if [ -n "${NO_PEERS:-}" ]; then
  :
elif [ -x "$SSLYZE" ]; then
  run "sslyze --certinfo" "$SSLYZE" --targets_in "$work/sslyze-targets" --certinfo --json_out "$work/sslyze.json"
  python3 bench/check.py sslyze "$work/sslyze.json"
else
  echo "sslyze: not installed (pip install sslyze)"
fi
