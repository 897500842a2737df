#!/usr/bin/env python3
"""Builds every test binary of the workspace once, then runs them several at
a time (most of the slow ones wait on a moto server, a browser or a timeout,
not on the CPU), longest first, each in its package's directory as `cargo
test` would. Prints each binary's output when it ends, then the durations,
and exits non-zero when a binary failed or was not run. Doc tests run last
through cargo.

Usage: scripts/run-tests.py [--jobs N] [-- CARGO_TEST_ARGS...]
"""

import argparse
import json
import os
import subprocess
import sys
import threading
import time

# Binaries that take the longest, started first so that the run ends with
# the short ones (measured: scripts/run-tests.py prints the durations).
SLOW_FIRST = [
    "live_moto",
    "events_queue",
    "live_faults",
    "simulate",
    "browser",
    "ocsf_asff",
    "events_setup",
    "watch",
    "fix",
    "serve",
    "compliance",
    "security_hub",
]


def build(extra):
    """Compiles the test binaries; returns (name, executable, directory)."""
    command = [
        "cargo", "test", "--workspace", "--locked", "--no-run",
        "--message-format=json-render-diagnostics",
    ] + extra
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    binaries = []
    for line in process.stdout:
        try:
            message = json.loads(line)
        except json.JSONDecodeError:
            continue
        if message.get("reason") != "compiler-artifact":
            continue
        executable = message.get("executable")
        if not executable or not message.get("profile", {}).get("test"):
            continue
        target = message["target"]
        package = os.path.dirname(message["manifest_path"])
        label = f"{os.path.basename(package)} {target['kind'][0]} {target['name']}"
        binaries.append((target["name"], label, executable, package))
    if process.wait() != 0:
        sys.exit(f"run-tests: building the tests failed ({' '.join(command)})")
    return binaries


def order(binaries):
    def rank(binary):
        name = binary[0]
        return SLOW_FIRST.index(name) if name in SLOW_FIRST else len(SLOW_FIRST)

    return sorted(binaries, key=rank)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=3)
    parser.add_argument("cargo_args", nargs="*")
    args = parser.parse_args()

    binaries = order(build(args.cargo_args))
    print(f"run-tests: {len(binaries)} test binaries, {args.jobs} at a time", flush=True)
    pending = list(binaries)
    outcomes = []
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not pending:
                    return
                name, label, executable, package = pending.pop(0)
            started = time.monotonic()
            env = dict(os.environ, CARGO_MANIFEST_DIR=package)
            result = subprocess.run(
                [executable], cwd=package, env=env,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                errors="replace",
            )
            seconds = time.monotonic() - started
            with lock:
                print(f"\n==== {label} ({seconds:.1f} s, exit {result.returncode})", flush=True)
                sys.stdout.write(result.stdout)
                sys.stdout.flush()
                outcomes.append((label, seconds, result.returncode))

    threads = [threading.Thread(target=worker) for _ in range(max(1, args.jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    print("\n==== durations")
    for label, seconds, code in sorted(outcomes, key=lambda o: -o[1]):
        print(f"{seconds:8.1f} s  {'ok    ' if code == 0 else 'FAILED'}  {label}")
    failed = [label for label, _, code in outcomes if code != 0]
    if len(outcomes) != len(binaries):
        failed.append(f"{len(binaries) - len(outcomes)} binaries not run")

    print("\n==== doc tests", flush=True)
    if subprocess.run(["cargo", "test", "--workspace", "--locked", "--doc"] + args.cargo_args).returncode != 0:
        failed.append("doc tests")
    if failed:
        print(f"\nrun-tests: FAILED: {', '.join(failed)}")
        return 1
    print(f"\nrun-tests: all {len(outcomes)} test binaries and the doc tests passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
