#!/usr/bin/env bash
# Event-to-alert latency and sustained rate of `mfaguard watch --queue` on
# moto (IAM, EventBridge, SQS) with a local webhook receiver; not a test.
# Usage: scripts/bench-events.sh [--count N] [--rate EVENTS_PER_SECOND] [--handlers N] [--phases] [--org] [--keep-users K]
# Needs the test tools (scripts/install-test-tools.sh: moto and boto3 in .tools/venv).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== building mfaguard (release)"
cargo build --release --locked -p mfaguard --quiet
echo "== injecting events (machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
.tools/venv/bin/python scripts/bench/events_latency.py target/release/mfaguard "$@"
