"""Checks Prowler's logs: every connection it opened went to moto on 127.0.0.1.

Usage: python check_loopback.py PORT DEBUG_LOG... [-- OTHER_LOG...]

DEBUG logs (Prowler run with --log-level DEBUG) record every request botocore
sent (`url=...`) and every connection urllib3 opened (`Starting new HTTP(S)
connection (N): HOST:PORT`), botocore's and `requests`' alike (Prowler's
version check and its other fetches use `requests`). Each must name
127.0.0.1:PORT, and there must be at least one. In every log, DEBUG or not
(after `--`), no connection error may appear: inside the script's network
namespace any attempt to reach a non-loopback address fails, and Prowler
logs the failure.
"""

import re
import sys

ERRORS = re.compile(
    r"EndpointConnectionError|Could not connect to the endpoint|Network is unreachable|"
    r"NewConnectionError|Max retries exceeded|Name or service not known|"
    r"Temporary failure in name resolution|ConnectTimeout|ConnectionRefused|Connection refused"
)
URL = re.compile(r"url=(https?://[^/,'\" ]+)")
CONN = re.compile(r"Starting new (HTTPS?) connection \(\d+\): ([^\s\"\\]+)")


def main() -> None:
    port = sys.argv[1]
    args = sys.argv[2:]
    split = args.index("--") if "--" in args else len(args)
    debug_logs, other_logs = args[:split], args[split + 1 :]
    want_url = f"http://127.0.0.1:{port}"
    want_conn = ("HTTP", f"127.0.0.1:{port}")
    bad = []
    requests = connections = 0
    for path in debug_logs:
        text = open(path, encoding="utf-8", errors="replace").read()
        for url in URL.findall(text):
            requests += 1
            if url != want_url:
                bad.append(f"{path}: request to {url}")
        for scheme, host in CONN.findall(text):
            connections += 1
            if (scheme, host) != want_conn:
                bad.append(f"{path}: {scheme} connection to {host}")
    for path in debug_logs + other_logs:
        text = open(path, encoding="utf-8", errors="replace").read()
        for match in ERRORS.finditer(text):
            line = text[text.rfind("\n", 0, match.start()) + 1 : text.find("\n", match.end())]
            bad.append(f"{path}: {line[:300]}")
    if debug_logs and (requests == 0 or connections == 0):
        bad.append("no request or connection found in the DEBUG logs: cannot verify")
    if bad:
        print("Prowler reached beyond moto:", *bad, sep="\n  ", file=sys.stderr)
        sys.exit(1)
    print(
        f"loopback only: {requests} requests and {connections} connections in "
        f"{len(debug_logs)} DEBUG logs, all to {want_url}; no connection errors in "
        f"{len(debug_logs) + len(other_logs)} logs"
    )


if __name__ == "__main__":
    main()
