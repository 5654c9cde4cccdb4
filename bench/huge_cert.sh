#!/usr/bin/env bash
# A leaf with 10,000 names (about 190 KB, over rustls-webpki's 64 KB
# limit), served by `openssl s_server` on loopback: excert scans it and
# re-judges the scan, and the script prints each run's wall and CPU time and
# what the analysis made of the chain (trust, findings).
#
#   bench/huge_cert.sh        EXCERT: binary to measure (default: a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
work=${BENCH_DIR:-target/bench-huge}
rm -rf "$work"; mkdir -p "$work"; work=$(cd "$work" && pwd)
if [ -z "${EXCERT:-}" ]; then
  cargo build --release --quiet
  EXCERT=$PWD/target/release/excert
fi
python3 - "$work/san.cnf" <<'PY'
import sys
names = ["mail.contoso.com", "autodiscover.contoso.com"] + [f"h{i}.contoso.com" for i in range(10000)]
open(sys.argv[1], "w").write("[req]\ndistinguished_name=dn\n[dn]\n[ext]\nsubjectAltName="
    + ",".join("DNS:" + n for n in names) + "\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
PY
openssl req -x509 -new -key fixtures/lab/key-09.pem -sha256 -days 3650 -subj "/CN=Huge Test Root" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" -out "$work/ca.pem" 2>/dev/null
openssl req -new -key fixtures/lab/key-08.pem -subj "/CN=mail.contoso.com" -out "$work/leaf.csr" 2>/dev/null
openssl x509 -req -in "$work/leaf.csr" -CA "$work/ca.pem" -CAkey fixtures/lab/key-09.pem -CAcreateserial -days 365 \
  -sha256 -extfile "$work/san.cnf" -extensions ext -out "$work/leaf.pem" 2>/dev/null
echo "leaf: $(openssl x509 -in "$work/leaf.pem" -outform der | wc -c) bytes DER; load average $(cut -d' ' -f1-3 /proc/loadavg)"

openssl s_server -accept 127.0.0.1:0 -cert "$work/leaf.pem" -key fixtures/lab/key-08.pem -cert_chain "$work/ca.pem" \
  -cipher 'ALL:@SECLEVEL=0' < /dev/zero > "$work/s_server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null' EXIT
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^ACCEPT 127.0.0.1:\([0-9]*\)$/\1/p' "$work/s_server.log")
  [ -n "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "s_server did not start" >&2; exit 1; }

judge=(--ca-bundle "$work/ca.pem" --namespace mail.contoso.com --fail-on never --quiet)
printf 'run\twall_s\tcpu_s\trss_mb\texit\n'
python3 bench/measure.py "excert scan" -- "$EXCERT" scan 127.0.0.1 --frontend-ports "$port" --backend-ports 1 \
  --smtp-ports none --sni mail.contoso.com --out "$work/scan" "${judge[@]}"
python3 bench/measure.py "excert report" -- "$EXCERT" report "$work/scan/scan.json" --out "$work/report" "${judge[@]}"
python3 - "$work/report/scan.json" <<'PY'
import json, sys
e = next(e for e in json.load(open(sys.argv[1]))["endpoints"] if e["role"] == "frontend")
print(f"trust {e.get('trust')}; findings {[f['id'] for f in e['findings']]}")
PY
