#!/usr/bin/env bash
# Benchmarks the whole offline analysis (read, evaluate every identity
# against the action catalogue, checks, report) on a generated account of
# 20,000 users, 2,000 roles and 1,000 customer managed policies.
# Prints wall time and peak memory (max RSS). Usage:
#   scripts/bench-analysis.sh [--users N] [--roles N] [--policies N]
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== generating the account"
python3 scripts/bench/generate_account.py "$work/account" "$@"
du -sh "$work/account" | sed 's/^/   size: /'

echo "== building mfaguard (release)"
cargo build --release --locked -p mfaguard --quiet

echo "== scanning (best of 3)"
best=""
for run in 1 2 3; do
  /usr/bin/time -f "%e %M" -o "$work/time" \
    target/release/mfaguard scan --from "$work/account" --no-store \
      --now 2026-11-22T12:00:00Z --format json --output "$work/report.json"
  read -r seconds kib < "$work/time"
  echo "   run $run: ${seconds} s, peak memory $((kib / 1024)) MiB"
  if [ -z "$best" ] || awk "BEGIN{exit !($seconds < $best)}"; then best="$seconds"; fi
done
python3 - "$work/report.json" <<'PY'
import json, sys, collections
report = json.load(open(sys.argv[1]))
ids = report["identities"]
verdicts = collections.Counter(i.get("enforcement", "-") for i in ids)
print(f"   identities: {len(ids)}, verdicts: {dict(verdicts)}")
PY
echo "best: ${best} s on $(nproc) cores"
