#!/usr/bin/env bash
# Benchmarks `mfaguard trail` on generated CloudTrail files (realistic mix of
# events and record sizes, at least 2 GB of JSON by default) side by side
# with `zcat | jq` computing the same count (API calls without MFA by people
# and roles: sessions with mfaAuthenticated "false" and long-term AKIA keys,
# sign-ins, AWS services and Identity Center sessions excluded), in one run.
# Prints wall time, MB/s of gzipped and of JSON bytes, the same per second of
# CPU time (user + system: what one core does, whatever else runs on the
# machine), peak memory (max RSS) and the ratio to jq; the counts must agree.
# Usage:
#   scripts/bench-trail.sh [--keep DIR] [GENERATOR OPTIONS]
# GENERATOR OPTIONS go to scripts/bench/generate_trail.py (--target-gb,
# --accounts, --records-per-file, --seed). --keep DIR generates into DIR
# (reused when it exists) instead of a temporary folder.
set -euo pipefail
cd "$(dirname "$0")/.."

keep=""
generator=()
while [ $# -gt 0 ]; do
  case "$1" in
    --keep) keep="$2"; shift 2 ;;
    *) generator+=("$1"); shift ;;
  esac
done

if [ -n "$keep" ]; then
  work="$keep"
  mkdir -p "$work"
else
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
fi

if [ ! -d "$work/logs/AWSLogs" ]; then
  echo "== generating trail files"
  python3 scripts/bench/generate_trail.py "$work/logs" "${generator[@]}"
fi
files=$(find "$work/logs" -name '*.json.gz' | wc -l)
on_disk=$(find "$work/logs" -name '*.json.gz' -printf '%s\n' | awk '{s+=$1} END {print s}')
echo "   $files files, $((on_disk / 1000000)) MB gzipped"

echo "== building mfaguard (release)"
cargo build --release --locked -p mfaguard --quiet

echo "== machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
# Both tools read from the page cache.
find "$work/logs" -name '*.json.gz' -exec cat {} + > /dev/null

run_mfaguard() {
  local jobs="$1"
  /usr/bin/time -f "%e %M %U %S" -o "$work/time" \
    target/release/mfaguard trail --from "$work/logs" --jobs "$jobs" --format json \
      --output "$work/report-$jobs.json" --now 2026-12-01T00:00:00Z
  read -r seconds kib user system < "$work/time"
  local json_bytes
  json_bytes=$(jq '.inputs.bytes_uncompressed' "$work/report-$jobs.json")
  local count
  count=$(jq '[.identities[].months[].calls_without_mfa] | add // 0' "$work/report-$jobs.json")
  echo "$seconds $kib $json_bytes $count $(awk -v u="$user" -v s="$system" 'BEGIN {print u + s}')"
}

mb_per_s() { awk -v b="$1" -v s="$2" 'BEGIN {printf "%.0f", b / 1e6 / s}'; }

echo "== mfaguard trail, 1 thread"
read -r s1 kib1 json_bytes count1 cpu1 < <(run_mfaguard 1)
echo "   ${s1} s, $(mb_per_s "$json_bytes" "$s1") MB/s of JSON, $(mb_per_s "$on_disk" "$s1") MB/s gzipped, peak $((kib1 / 1024)) MiB, $count1 calls without MFA"
echo "   per CPU second ($cpu1 s): $(mb_per_s "$json_bytes" "$cpu1") MB/s of JSON, $(mb_per_s "$on_disk" "$cpu1") MB/s gzipped"
echo "== mfaguard trail, $(nproc) threads"
read -r s2 kib2 _ count2 cpu2 < <(run_mfaguard "$(nproc)")
echo "   ${s2} s, $(mb_per_s "$json_bytes" "$s2") MB/s of JSON, $(mb_per_s "$on_disk" "$s2") MB/s gzipped, peak $((kib2 / 1024)) MiB, $count2 calls without MFA"
echo "   per CPU second ($cpu2 s): $(mb_per_s "$json_bytes" "$cpu2") MB/s of JSON, $(mb_per_s "$on_disk" "$cpu2") MB/s gzipped"

echo "== zcat | jq, the same count"
cat > "$work/count.jq" <<'JQ'
reduce (inputs.Records[]
  | select(.eventName != "ConsoleLogin"
      and .userIdentity.type != "AWSService"
      and ((.userIdentity.sessionContext.sessionIssuer.userName // "") | startswith("AWSReservedSSO_") | not)
      and (((.userIdentity.accessKeyId // "") | startswith("AKIA"))
           or .userIdentity.sessionContext.attributes.mfaAuthenticated == "false"))) as $r
  (0; . + 1)
JQ
/usr/bin/time -f "%e %M %U %S" -o "$work/time" bash -c \
  "find '$work/logs' -name '*.json.gz' -print0 | sort -z | xargs -0 zcat | jq -n -f '$work/count.jq' > '$work/jq.out'"
read -r sj kibj userj systemj < "$work/time"
cpuj=$(awk -v u="$userj" -v s="$systemj" 'BEGIN {print u + s}')
countj=$(cat "$work/jq.out")
echo "   ${sj} s, $(mb_per_s "$json_bytes" "$sj") MB/s of JSON, $(mb_per_s "$on_disk" "$sj") MB/s gzipped, peak $((kibj / 1024)) MiB (largest process), $countj calls without MFA"
echo "   per CPU second ($cpuj s, zcat and jq): $(mb_per_s "$json_bytes" "$cpuj") MB/s of JSON"

if [ "$count1" != "$countj" ] || [ "$count2" != "$countj" ]; then
  echo "the counts differ: mfaguard $count1 / $count2, jq $countj" >&2
  exit 1
fi
awk -v a="$sj" -v b="$s1" -v c="$s2" -v ca="$cpuj" -v cb="$cpu1" 'BEGIN {printf "== ratio to zcat | jq: %.1fx wall on 1 thread, %.1fx wall on all cores, %.1fx in CPU time\n", a / b, a / c, ca / cb}'
