#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine. Installs what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
elapsed() { echo "($(( $(date +%s) - started )) s)"; }

# The tools download while the code compiles; the tests wait for them.
mkdir -p target
tools_log=target/install-test-tools.log
echo "== test tools (moto, AWS CLI, iam-simulate, Chromium, ...) in the background: $tools_log"
./scripts/install-test-tools.sh > "$tools_log" 2>&1 &
tools=$!

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy $(elapsed)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== building the tests $(elapsed)"
cargo test --workspace --locked --no-run --quiet

echo "== waiting for the test tools $(elapsed)"
if ! wait "$tools"; then
  cat "$tools_log"
  echo "installing the test tools failed" >&2
  exit 1
fi
cat "$tools_log"
# The tools were just installed: a test that cannot find one fails, not skips.
export MFAGUARD_REQUIRE_TOOLS=1

echo "== cargo test, several test binaries at a time (with a throwaway PostgreSQL server for the history tests) $(elapsed)"
./scripts/with-postgres.sh python3 scripts/run-tests.py
echo "== done $(elapsed)"
