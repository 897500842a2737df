#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine. Installs what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== test tools (moto, AWS CLI, iam-simulate)"
./scripts/install-test-tools.sh
# The tools were just installed: a test that cannot find one fails, not skips.
export MFAGUARD_REQUIRE_TOOLS=1

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test (with a throwaway PostgreSQL server for the history tests)"
./scripts/with-postgres.sh cargo test --workspace --locked
