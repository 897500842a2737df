#!/usr/bin/env python3
"""Times the pages and API of a running `mfaguard serve`: N sequential
requests per URL (after one warm-up), p50 / p99 / max in milliseconds and
the response size. Standard library only.

usage: serve_latency.py BASE_URL ACCOUNT IDENTITY_ARN [REQUESTS]
"""

import statistics
import sys
import time
import urllib.parse
import urllib.request


def percentile(values, fraction):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def main():
    base, account, arn = sys.argv[1], sys.argv[2], sys.argv[3]
    requests = int(sys.argv[4]) if len(sys.argv) > 4 else 50
    identity = f"/accounts/{account}/identity?arn={urllib.parse.quote(arn, safe='')}"
    paths = [
        "/",
        "/api/overview",
        f"/accounts/{account}",
        f"/api/accounts/{account}",
        f"/accounts/{account}/diff",
        f"/api/accounts/{account}/diff",
        identity,
        "/api" + identity,
        "/exceptions",
        "/api/exceptions",
    ]
    print(f"| page | requests | p50 ms | p99 ms | max ms | bytes |")
    print(f"|---|---|---|---|---|---|")
    for path in paths:
        url = base + path
        with urllib.request.urlopen(url) as response:
            size = len(response.read())
        times = []
        for _ in range(requests):
            start = time.perf_counter()
            with urllib.request.urlopen(url) as response:
                response.read()
                if response.status != 200:
                    raise SystemExit(f"{url}: HTTP {response.status}")
            times.append((time.perf_counter() - start) * 1000)
        shown = path.replace(account, "ID").split("?arn=")[0] + ("?arn=…" if "?arn=" in path else "")
        print(f"| `{shown}` | {requests} | {statistics.median(times):.1f} | "
              f"{percentile(times, 0.99):.1f} | {max(times):.1f} | {size:,} |")


if __name__ == "__main__":
    main()
