#!/bin/sh
# Build and run the fuzz targets without cargo-fuzz: the same
# instrumentation cargo-fuzz uses (SanitizerCoverage for libFuzzer, debug
# assertions and overflow checks on), minus the address sanitizer, which
# buys nothing here (excert forbids unsafe code).
#
#   ./fuzz.sh build                      build every target
#   ./fuzz.sh run TARGET SECONDS [FLAGS] fuzz TARGET for SECONDS, one process
#   ./fuzz.sh repro TARGET FILE          run TARGET once on FILE
#   ./fuzz.sh minimize TARGET FILE [SECONDS]  shrink a crashing input
#
# Needs the nightly toolchain (or RUSTC_BOOTSTRAP=1 with stable) for the
# sancov pass. Run it from fuzz/.
set -eu
cd "$(dirname "$0")"
TRIPLE=x86_64-unknown-linux-gnu
BIN=target/$TRIPLE/release

max_len() {
  case "$1" in
    legacy_reassembly) echo 300000 ;;
    cert_facts) echo 65536 ;;
    scan_json) echo 262144 ;;
    inventory) echo 262144 ;;
    serialization_data) echo 131072 ;;
    smtp_dialogue) echo 200000 ;;
    *) echo "unknown target $1" >&2; exit 2 ;;
  esac
}

case "${1:-}" in
build)
  RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters \
-Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing \
-Cdebug-assertions -Coverflow-checks" \
    cargo +nightly build --release --target "$TRIPLE" --bins
  ;;
run)
  target=$2 secs=$3
  shift 3
  mkdir -p "corpus/$target" "artifacts/$target" logs
  # -jobs=1 -workers=1: one fuzzing process (libFuzzer then writes its
  # output to fuzz-0.log, moved to logs/ at the end).
  status=0
  /usr/bin/time -v -o "logs/$target.time" \
    "$BIN/$target" "corpus/$target" \
    -max_total_time="$secs" -max_len="$(max_len "$target")" \
    -rss_limit_mb=2048 -jobs=1 -workers=1 -print_final_stats=1 \
    -artifact_prefix="artifacts/$target/" "$@" || status=$?
  mv -f fuzz-0.log "logs/$target.log" 2>/dev/null || true
  tail -n 25 "logs/$target.log" 2>/dev/null || true
  grep -E 'Maximum resident|Elapsed' "logs/$target.time" || true
  exit "$status"
  ;;
repro)
  "$BIN/$2" "$3"
  ;;
minimize)
  mkdir -p "artifacts/$2"
  "$BIN/$2" -minimize_crash=1 -max_total_time="${4:-60}" \
    -artifact_prefix="artifacts/$2/minimized-" "$3"
  ;;
*)
  sed -n '2,14p' "$0"
  exit 2
  ;;
esac
