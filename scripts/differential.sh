#!/usr/bin/env bash
# Differential test of our IAM policy engine (crates/iam-policy) against
# @cloud-copilot/iam-simulate in Strict mode, which runs as a separate
# program (AGPL; nothing of it is copied into this repository).
#
#   scripts/differential.sh [--cases N] [--seed S] [--json FILE] [--show N]
#
# Installs the pinned npm package (npm ci into scripts/iam-simulate, skipped
# when node_modules already matches package-lock.json), builds
# the generator and prints the agreement rate and every disagreement grouped
# by class; exits 1 if a disagreement is not in a documented class
# (docs/engine-differential.md). Defaults: 20000 cases, seed 1.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null || { echo "differential: node is required" >&2; exit 2; }
sim=scripts/iam-simulate
if ! cmp -s "$sim/package-lock.json" "$sim/node_modules/.mfaguard-installed-lock" 2>/dev/null; then
  npm ci --prefix "$sim" --no-audit --no-fund --loglevel=error >/dev/null
  cp "$sim/package-lock.json" "$sim/node_modules/.mfaguard-installed-lock"
fi
echo "iam-simulate $(node -p "require('./scripts/iam-simulate/node_modules/@cloud-copilot/iam-simulate/package.json').version"), node $(node --version)"

args=(--cases 20000 --seed 1 "$@")
cargo run --quiet --release -p iam-policy --example differential -- "${args[@]}"
