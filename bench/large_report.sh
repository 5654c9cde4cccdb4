#!/usr/bin/env bash
# The report at fleet scale: a 2,000-server scan.json made from the demo
# fleet's real certificates (bench/synth_fleet.py), judged again by
# `excert report`, then opened in headless Chromium.
#
#   bench/large_report.sh [SERVERS]     default 2000
#
# Needs: chromium (apt-get install chromium). Prints the time to re-judge
# and write the reports, their sizes, the act-now groups, and the page's
# load time in Chromium: wall time of `chromium --dump-dom` (which returns
# after the load event, with the report's script run) minus the same for
# an empty page, median of 3 runs; then the page's own clock to usable.
set -euo pipefail
cd "$(dirname "$0")/.."
SERVERS=${1:-2000}
work=${BENCH_DIR:-target/bench-large}
rm -rf "$work"; mkdir -p "$work"; work=$(cd "$work" && pwd)
cargo build --release --quiet
excert=$PWD/target/release/excert

"$excert" demo --quiet --out "$work/demo"
python3 bench/synth_fleet.py "$work/demo/scan.json" "$SERVERS" > "$work/scan.json"
printf 'run\twall_s\tcpu_s\trss_mb\texit\n'
python3 bench/measure.py "excert report ($SERVERS servers)" -- "$excert" report "$work/scan.json" \
  --out "$work/report" --quiet --fail-on never --ca-bundle "$work/demo/lab-root-ca.pem"
ls -l "$work/report" | awk 'NR > 1 { printf "%-12s %6.1f MB\n", $9, $5 / 1e6 }'
"$excert" report "$work/scan.json" --out "$work/report" --fail-on never \
  --ca-bundle "$work/demo/lab-root-ca.pem" | sed -n '/more; all/,/^$/p'

chromium_load() {
  local url=$1 profile
  profile=$(mktemp -d)
  local start end
  start=$(date +%s.%N)
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-dev-shm-usage \
    --disable-background-networking --user-data-dir="$profile" --dump-dom "$url" > "$work/dom.html" 2>/dev/null
  end=$(date +%s.%N)
  rm -rf "$profile"
  awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }'
}
echo '<!DOCTYPE html><title>empty</title>' > "$work/empty.html"
median() { sort -n | sed -n 2p; }
empty=$(for _ in 1 2 3; do chromium_load "file://$work/empty.html"; done | median)
full=$(for _ in 1 2 3; do chromium_load "file://$work/report/report.html"; done | median)
grep -q 'data-js="ready"' "$work/dom.html" || { echo "the report's script did not finish"; exit 1; }
awk -v e="$empty" -v f="$full" 'BEGIN { printf "chromium: empty page %.2fs, report.html %.2fs; load time %.2fs\n", e, f, f - e }'
# The page's own clock: from the start of navigation to parsed, enhanced
# and the first screen laid out (report.js writes data-ready-ms), without
# Chromium's start-up and the DOM dump. Median of 3.
ready=$(for _ in 1 2 3; do
  profile=$(mktemp -d)
  chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-dev-shm-usage \
    --disable-background-networking --user-data-dir="$profile" --dump-dom "file://$work/report/report.html" 2>/dev/null |
    head -c 4096 | grep -o 'data-ready-ms="[0-9]*"' | grep -o '[0-9]*'
  rm -rf "$profile"
done | median)
echo "chromium: report.html usable after ${ready} ms (parsed, script run, first screen laid out)"
