#!/usr/bin/env bash
# Checks that two builds of mfaguard write byte-identical JSON reports on
# generated accounts of every shape (a guard for changes meant to make the
# analysis faster without changing what it finds). Usage:
#   scripts/bench/same-reports.sh OLD_BINARY [NEW_BINARY]
# NEW_BINARY defaults to target/release/mfaguard. Exits 1 on a difference.
set -euo pipefail
cd "$(dirname "$0")/../.."

old="${1:?usage: $0 OLD_BINARY [NEW_BINARY]}"
new="${2:-target/release/mfaguard}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

status=0
for case in "uniform 600 300 150" "varied 600 300 150" "all-unique 400 200 100" \
            "varied 2000 500 300 --seed 11" "uniform 1500 400 200 --seed 3"; do
  read -r shape users roles policies extra <<< "$case"
  dir="$work/$shape-$users"
  # shellcheck disable=SC2086
  python3 scripts/bench/generate_account.py "$dir" --shape "$shape" --users "$users" \
    --roles "$roles" --policies "$policies" $extra > /dev/null
  for build in old new; do
    binary=$old
    [ "$build" = new ] && binary=$new
    # Exit 1 means findings, which these accounts have.
    "$binary" scan --from "$dir" --no-store --now 2026-11-22T12:00:00Z --format json \
      --output "$dir.$build.json" || [ $? -eq 1 ]
  done
  if cmp -s "$dir.old.json" "$dir.new.json"; then
    echo "same: $shape, $users users, $roles roles, $policies policies $extra"
  else
    echo "DIFFERENT: $shape, $users users, $roles roles, $policies policies $extra"
    diff <(python3 -m json.tool "$dir.old.json") <(python3 -m json.tool "$dir.new.json") | head -40 || true
    status=1
  fi
done
exit $status
