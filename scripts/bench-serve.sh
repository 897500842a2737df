#!/usr/bin/env bash
# Page and API render times of `mfaguard serve` on a generated history of
# ACCOUNTS accounts × SCANS scans (default 1,000 × 50).
#
#   scripts/bench-serve.sh [--accounts N] [--scans N] [--identities N] [--requests N]
#
# The history is generated once per shape into target/bench-serve/ (by
# crates/mfaguard-dashboard/examples/fill_history.rs, deterministic) and
# reused; the release binary serves it on a free loopback port, and
# scripts/bench/serve_latency.py times each page and API (sequential
# requests, p50/p99/max).
set -euo pipefail
cd "$(dirname "$0")/.."

accounts=1000 scans=50 identities=12 requests=50
while [ $# -gt 0 ]; do
  case "$1" in
    --accounts) accounts=$2; shift 2 ;;
    --scans) scans=$2; shift 2 ;;
    --identities) identities=$2; shift 2 ;;
    --requests) requests=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

cargo build --release --quiet -p mfaguard --bin mfaguard
cargo build --release --quiet -p mfaguard-dashboard --example fill_history
dir=target/bench-serve
mkdir -p "$dir"
store="$dir/history-${accounts}x${scans}x${identities}.sqlite"
if [ ! -s "$store.done" ]; then
  rm -f "$store" "$store-wal" "$store-shm"
  start=$(date +%s)
  target/release/examples/fill_history "$store" "$accounts" "$scans" "$identities" 2>&1 | tail -1
  echo "$(( $(date +%s) - start )) s" > "$store.done"
fi
echo "history: $store ($(du -h "$store" | cut -f1), filled in $(cat "$store.done"))"

log="$dir/serve.log"
target/release/mfaguard serve --store "$store" --listen 127.0.0.1:0 2> "$log" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q "dashboard on" "$log" 2>/dev/null && break
  sleep 0.1
done
base=$(sed -n 's/^mfaguard dashboard on \(http:[^ ]*\)\/$/\1/p' "$log")
[ -n "$base" ] || { cat "$log"; exit 1; }
account=$(printf '%012d' 200000000000)
arn="arn:aws:iam::${account}:user/alice"
echo "dashboard: $base; $(nproc) cores"
python3 scripts/bench/serve_latency.py "$base" "$account" "$arn" "$requests"
