#!/usr/bin/env bash
# Benchmarks the whole offline analysis (read, evaluate every identity
# against the action catalogue, checks, report) on a generated account.
# Prints wall time and peak memory (max RSS) of each run and their medians.
# Usage:
#   scripts/bench-analysis.sh [--runs N] [--cloudsplaining] [GENERATOR OPTIONS]
# GENERATOR OPTIONS go to scripts/bench/generate_account.py: --shape
# uniform|varied|all-unique, --users N, --roles N, --policies N and the
# shape knobs (--help there lists them).
# --cloudsplaining also runs Cloudsplaining (PyPI, installed into
# .tools/cloudsplaining) on the same authorization-details file, one run of
# each tool after the other, and prints the ratio of the medians.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=3
cloudsplaining=no
generator=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --cloudsplaining) cloudsplaining=yes; shift ;;
    *) generator+=("$1"); shift ;;
  esac
done

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

echo "== generating the account"
python3 scripts/bench/generate_account.py "$work/account" "${generator[@]}"
du -sh "$work/account" | sed 's/^/   size: /'

echo "== building mfaguard (release)"
cargo build --release --locked -p mfaguard --quiet

if [ "$cloudsplaining" = yes ]; then
  # A venv records its absolute path: resolve .tools (often a symlink) and
  # rebuild a venv that was made elsewhere and no longer runs.
  mkdir -p .tools
  venv="$(realpath .tools)/cloudsplaining"
  if ! "$venv/bin/cloudsplaining" --help > /dev/null 2>&1; then
    rm -rf "$venv"
    echo "== installing Cloudsplaining into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet cloudsplaining
  fi
  echo "   $("$venv/bin/pip" show cloudsplaining | grep '^Version' | sed 's/^/cloudsplaining /')"
fi

median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

echo "== scanning ($runs runs)"
: > "$work/mfaguard.times"
: > "$work/cloudsplaining.times"
for run in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" -o "$work/time" \
    target/release/mfaguard scan --from "$work/account" --no-store \
      --now 2026-11-22T12:00:00Z --format json --output "$work/report.json"
  read -r seconds kib < "$work/time"
  echo "$seconds $kib" >> "$work/mfaguard.times"
  echo "   run $run: mfaguard ${seconds} s, peak memory $((kib / 1024)) MiB"
  if [ "$cloudsplaining" = yes ]; then
    rm -rf "$work/cloudsplaining"; mkdir "$work/cloudsplaining"
    /usr/bin/time -f "%e %M" -o "$work/time" \
      "$venv/bin/cloudsplaining" scan --skip-open-report \
        --input-file "$work/account/account-authorization-details.json" \
        --output "$work/cloudsplaining" > "$work/cloudsplaining.log" 2>&1 \
      || { echo "Cloudsplaining failed:"; tail -20 "$work/cloudsplaining.log"; exit 2; }
    read -r seconds kib < "$work/time"
    echo "$seconds $kib" >> "$work/cloudsplaining.times"
    echo "   run $run: cloudsplaining ${seconds} s, peak memory $((kib / 1024)) MiB"
  fi
done
python3 - "$work/report.json" <<'PY'
import json, sys, collections
report = json.load(open(sys.argv[1]))
ids = report["identities"]
verdicts = collections.Counter(i.get("enforcement", "-") for i in ids)
print(f"   identities: {len(ids)}, verdicts: {dict(verdicts)}")
PY
seconds=$(cut -d' ' -f1 "$work/mfaguard.times" | median)
mib=$(( $(cut -d' ' -f2 "$work/mfaguard.times" | median | cut -d. -f1) / 1024 ))
echo "median: ${seconds} s, peak memory ${mib} MiB on $(nproc) cores"
if [ "$cloudsplaining" = yes ]; then
  theirs=$(cut -d' ' -f1 "$work/cloudsplaining.times" | median)
  their_mib=$(( $(cut -d' ' -f2 "$work/cloudsplaining.times" | median | cut -d. -f1) / 1024 ))
  echo "cloudsplaining median: ${theirs} s, peak memory ${their_mib} MiB"
  awk "BEGIN {printf \"ratio: Cloudsplaining takes %.1fx mfaguard's time\\n\", $theirs / $seconds}"
fi
