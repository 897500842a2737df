#!/usr/bin/env bash
# Benchmark: our IAM policy engine and @cloud-copilot/iam-simulate on the SAME
# requests in one run (AWS managed policies, Force_MFA, MFA boundaries and
# SCPs, mixed MFA contexts), printing evaluations/second for each and the
# ratio. Method and figures: docs/engine-benchmark.md.
#
#   scripts/bench-engine.sh [--seconds S] [--principals N] [--requests N] [--seed S]
#
# For criterion's statistics on our side alone:
#   cargo bench -p iam-policy --bench evaluate
set -euo pipefail
cd "$(dirname "$0")/.."

command -v node >/dev/null || { echo "bench-engine: node is required" >&2; exit 2; }
sim=scripts/iam-simulate
if ! cmp -s "$sim/package-lock.json" "$sim/node_modules/.mfaguard-installed-lock" 2>/dev/null; then
  npm ci --prefix "$sim" --no-audit --no-fund --loglevel=error >/dev/null
  cp "$sim/package-lock.json" "$sim/node_modules/.mfaguard-installed-lock"
fi
echo "iam-simulate $(node -p "require('./scripts/iam-simulate/node_modules/@cloud-copilot/iam-simulate/package.json').version"), node $(node --version), $(nproc) cores"
cargo run --quiet --release -p iam-policy --example engine_vs_simulate -- "$@"
