"""A fault-injecting HTTP proxy for mfaguard's integration tests.

Listens on 127.0.0.1 (a free port, printed on the first line of stdout) and
forwards every request to the moto server on 127.0.0.1:UPSTREAM_PORT, except
where a rule injects a fault. The API action is read from the form-encoded
body (`Action=...`, IAM and STS) or the `X-Amz-Target` header
(Organizations). The proxy stops when its standard input closes.

Usage: python fault_proxy.py UPSTREAM_PORT RULES_JSON

RULES_JSON is a list of rules; the first that applies to a request decides.
Each rule has:

  action   the action name (`GetCredentialReport`) or "*" for every action
  match    optional: a substring the request body must contain
  skip     optional: let this many matching requests through first
  times    optional: apply to this many matching requests, then stop
  share    optional: apply to this fraction of matching requests (seeded)
  fault    one of
    hang                 never answer (until the client gives up)
    delay                wait `seconds`, then forward
    error                answer `status` with error `code` (Throttling,
                         ReportInProgress, ...) in the protocol's format
    reset                close the connection without an answer
    cut_after_user       forward, but cut the body after the `users`-th
                         user of UserDetailList (a well-formed prefix,
                         the document left open)
    drop_users_after     forward, keeping only the first `users` users of
                         UserDetailList (the document stays well-formed)
    repeat_marker        forward, but answer every page after the first
                         with the first page's marker again
    truncated_no_marker  forward, but mark the page truncated without a
                         marker
    garbage              answer HTTP 200 with a body that is not the answer

GET /__proxy/requests returns the requests seen (attempts) per action as JSON.
"""

import http.client
import json
import random
import re
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

UPSTREAM_PORT = 0
RULES: list = []
SEEN: dict = {}
LOCK = threading.Lock()
RANDOM = random.Random(20261203)

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


def action_of(headers, body: bytes) -> str:
    target = headers.get("X-Amz-Target")
    if target:
        return target.rsplit(".", 1)[-1]
    try:
        form = parse_qs(body.decode("utf-8", "replace"))
    except ValueError:
        return ""
    return (form.get("Action") or [""])[0]


def pick_rule(action: str, body: bytes):
    text = body.decode("utf-8", "replace")
    with LOCK:
        SEEN[action] = SEEN.get(action, 0) + 1
        for rule in RULES:
            if rule.get("action") not in ("*", action):
                continue
            if rule.get("match") and rule["match"] not in text:
                continue
            rule["_matched"] = rule.get("_matched", 0) + 1
            if rule["_matched"] <= rule.get("skip", 0):
                return None
            if "times" in rule and rule.get("_applied", 0) >= rule["times"]:
                continue
            if "share" in rule and RANDOM.random() >= rule["share"]:
                return None
            rule["_applied"] = rule.get("_applied", 0) + 1
            return rule
    return None


def error_body(json_protocol: bool, code: str):
    if json_protocol:
        body = json.dumps({"__type": code, "Message": f"injected {code}"}).encode()
        return body, "application/x-amz-json-1.1"
    body = (
        '<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">'
        f"<Error><Type>Sender</Type><Code>{code}</Code><Message>injected {code}</Message></Error>"
        "<RequestId>fault-proxy</RequestId></ErrorResponse>"
    ).encode()
    return body, "text/xml"


USER_LIST = re.compile(rb"<UserDetailList>(.*?)</UserDetailList>", re.S)


def user_member_ends(xml: bytes):
    """Offsets just after each top-level </member> of UserDetailList."""
    found = USER_LIST.search(xml)
    if not found:
        return None, []
    start = found.start(1)
    inner = found.group(1)
    depth = 0
    ends = []
    for tag in re.finditer(rb"<(/?)member>", inner):
        if tag.group(1):
            depth -= 1
            if depth == 0:
                ends.append(start + tag.end())
        else:
            depth += 1
    return found, ends


def set_truncation(xml: bytes, marker):
    xml = re.sub(rb"<Marker>.*?</Marker>", b"", xml, flags=re.S)
    xml = re.sub(rb"<IsTruncated>\w+</IsTruncated>", b"", xml)
    insert = b"<IsTruncated>true</IsTruncated>"
    if marker is not None:
        insert += b"<Marker>" + marker + b"</Marker>"
    return re.sub(rb"(</\w+Result>)", insert + rb"\1", xml, count=1)


def rewrite(rule, body: bytes) -> bytes:
    fault = rule["fault"]
    if fault == "cut_after_user":
        _, ends = user_member_ends(body)
        n = rule.get("users", 10)
        if len(ends) > n:
            return body[: ends[n - 1]]
        return body
    if fault == "drop_users_after":
        found, ends = user_member_ends(body)
        n = rule.get("users", 10)
        if found and len(ends) > n:
            return body[: ends[n - 1]] + body[found.end(1):]
        return body
    if fault == "repeat_marker":
        with LOCK:
            first = rule.get("_marker")
            if first is None:
                found = re.search(rb"<Marker>(.*?)</Marker>", body, re.S)
                first = rule["_marker"] = found.group(1) if found else b"fault-proxy-marker"
        return set_truncation(body, first)
    if fault == "truncated_no_marker":
        return set_truncation(body, None)
    return body


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path == "/__proxy/requests":
            with LOCK:
                body = json.dumps(SEEN).encode()
            self.answer(200, body, "application/json")
            return
        self.forward(b"")

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.forward(body)

    def answer(self, status: int, body: bytes, content_type: str, headers=()):
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def forward(self, body: bytes):
        action = action_of(self.headers, body)
        rule = pick_rule(action, body)
        fault = rule["fault"] if rule else None
        json_protocol = bool(self.headers.get("X-Amz-Target"))
        if fault == "hang":
            # Hold the connection until the client gives up.
            self.connection.settimeout(1.0)
            deadline = time.time() + rule.get("seconds", 600)
            while time.time() < deadline:
                try:
                    if self.connection.recv(1, socket.MSG_PEEK) == b"":
                        break
                except socket.timeout:
                    continue
                except OSError:
                    break
            self.close_connection = True
            return
        if fault == "reset":
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            self.connection.close()
            return
        if fault == "error":
            payload, content_type = error_body(json_protocol, rule.get("code", "InternalFailure"))
            self.answer(rule.get("status", 500), payload, content_type)
            return
        if fault == "garbage":
            self.answer(200, b"<html><body>Gateway says hello</body></html>", "text/xml")
            return
        if fault == "delay":
            time.sleep(rule.get("seconds", 1))
        upstream = http.client.HTTPConnection("127.0.0.1", UPSTREAM_PORT, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        payload = response.read()
        passed = [
            (k, v)
            for k, v in response.getheaders()
            if k.lower() not in HOP_BY_HOP and k.lower() != "content-type"
        ]
        content_type = response.getheader("Content-Type") or "text/xml"
        upstream.close()
        if rule and response.status == 200:
            payload = rewrite(rule, payload)
        self.answer(response.status, payload, content_type, passed)


def main() -> None:
    global UPSTREAM_PORT
    UPSTREAM_PORT = int(sys.argv[1])
    RULES.extend(json.loads(sys.argv[2]) if len(sys.argv) > 2 else [])
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"proxy listening on 127.0.0.1:{server.server_address[1]}", flush=True)
    while sys.stdin.readline():
        pass
    server.shutdown()


if __name__ == "__main__":
    main()
