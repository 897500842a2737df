#!/usr/bin/env bash
# Runs the whole test suite on a fresh machine. Installs what the tests need.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== test tools (moto, AWS CLI)"
./scripts/install-test-tools.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== cargo test"
cargo test --workspace --locked
