"""A local stand-in for CloudTrail's LookupEvents, for mfaguard's tests.

moto does not implement CloudTrail's LookupEvents, so this small server
speaks its JSON 1.1 protocol (POST /, X-Amz-Target
`CloudTrail_20131101.LookupEvents`) from CloudTrail log files on disk, as
one account and region of AWS would:

* only management events (records with `managementEvent` false or
  `eventCategory` other than `Management` are left out, as AWS leaves out
  data and Insights events), of the given account and region;
* `StartTime`/`EndTime` (epoch seconds; start inclusive, end exclusive),
  `LookupAttributes` (one attribute: EventId, EventName, ReadOnly,
  Username, ResourceType, ResourceName, EventSource, AccessKeyId),
  `MaxResults` (1 to 50, default 50), `NextToken`;
* events newest first, each with `CloudTrailEvent` holding the record as
  a JSON string;
* the documented limit of 2 requests per second: a request that makes
  more than 2 in any second is answered `ThrottlingException`, and the
  first THROTTLE_FIRST requests are throttled whatever their pace.

It signs nothing and checks no signature. Every request's arrival time and
outcome are served at GET /__requests.

Usage: python lookup_events_standin.py ROOT ACCOUNT REGION [PAGE_SIZE] [THROTTLE_FIRST]

Prints `listening on PORT` on its first line; stops when stdin closes.
"""

import base64
import datetime
import gzip
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TARGET = "CloudTrail_20131101.LookupEvents"
RATE_PER_SECOND = 2


def parse_time(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def load_events(root, account, region):
    events = []
    for folder, _, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            if "CloudTrail-Digest" in path or "CloudTrail-Insight" in path:
                continue
            if not (name.endswith(".json") or name.endswith(".json.gz")):
                continue
            with open(path, "rb") as handle:
                data = handle.read()
            if data[:2] == b"\x1f\x8b":
                data = gzip.decompress(data)
            for record in json.loads(data).get("Records", []):
                if record.get("recipientAccountId") != account:
                    continue
                if record.get("awsRegion") != region:
                    continue
                if record.get("managementEvent") is False:
                    continue
                if record.get("eventCategory", "Management") != "Management":
                    continue
                events.append(record)
    events.sort(key=lambda r: (parse_time(r["eventTime"]), r.get("eventID", "")), reverse=True)
    return events


def username(record):
    identity = record.get("userIdentity", {})
    if identity.get("type") == "Root":
        return "root"
    return identity.get("userName") or identity.get("sessionContext", {}).get(
        "sessionIssuer", {}
    ).get("userName") or identity.get("principalId", "")


def as_event(record):
    event = {
        "EventId": record.get("eventID", ""),
        "EventName": record.get("eventName", ""),
        "ReadOnly": str(record.get("readOnly", False)).lower(),
        "EventTime": parse_time(record["eventTime"]),
        "EventSource": record.get("eventSource", ""),
        "Username": username(record),
        "Resources": [
            {"ResourceType": r.get("type", ""), "ResourceName": r.get("ARN", "")}
            for r in record.get("resources", []) or []
        ],
        "CloudTrailEvent": json.dumps(record),
    }
    key = record.get("userIdentity", {}).get("accessKeyId")
    if key:
        event["AccessKeyId"] = key
    return event


def matches(event, attributes):
    for attribute in attributes:
        key, value = attribute.get("AttributeKey"), attribute.get("AttributeValue")
        if key in ("ResourceType", "ResourceName"):
            field = "ResourceType" if key == "ResourceType" else "ResourceName"
            if not any(r[field] == value for r in event["Resources"]):
                return False
        elif event.get(key) != value:
            return False
    return True


class State:
    def __init__(self, events, page_size, throttle_first):
        self.events = events
        self.page_size = page_size
        self.throttle_first = throttle_first
        self.lock = threading.Lock()
        self.requests = []  # {"time", "outcome"}

    def admit(self):
        """Records the request; returns False when it is to be throttled."""
        with self.lock:
            now = time.monotonic()
            recent = [r for r in self.requests if now - r["time"] < 1.0]
            throttled = len(self.requests) < self.throttle_first or len(recent) >= RATE_PER_SECOND
            self.requests.append({"time": now, "outcome": "throttled" if throttled else "ok"})
            return not throttled


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, document):
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def error(self, status, code, message):
        self.answer(status, {"__type": code, "message": message})

    def do_GET(self):
        if self.path == "/__requests":
            with STATE.lock:
                self.answer(200, {"requests": list(STATE.requests)})
        else:
            self.error(404, "NotFound", self.path)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        if self.headers.get("X-Amz-Target") != TARGET:
            self.error(400, "UnknownOperationException", "only LookupEvents is served")
            return
        if not STATE.admit():
            self.error(400, "ThrottlingException", "Rate exceeded")
            return
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            self.error(400, "SerializationException", "not JSON")
            return
        attributes = request.get("LookupAttributes") or []
        if len(attributes) > 1:
            self.error(400, "InvalidLookupAttributesException", "one attribute at most")
            return
        start, end = request.get("StartTime"), request.get("EndTime")
        if start is not None and end is not None and start > end:
            self.error(400, "InvalidTimeRangeException", "StartTime is after EndTime")
            return
        limit = request.get("MaxResults", 50)
        if not 1 <= limit <= 50:
            self.error(400, "InvalidMaxResultsException", "MaxResults must be 1 to 50")
            return
        limit = min(limit, STATE.page_size)
        selected = [
            e
            for e in map(as_event, STATE.events)
            if (start is None or e["EventTime"] >= start)
            and (end is None or e["EventTime"] < end)
            and matches(e, attributes)
        ]
        offset = 0
        token = request.get("NextToken")
        if token:
            try:
                offset = int(base64.b64decode(token).decode())
            except ValueError:
                self.error(400, "InvalidNextTokenException", "bad token")
                return
        page = selected[offset : offset + limit]
        document = {"Events": page}
        if offset + limit < len(selected):
            document["NextToken"] = base64.b64encode(str(offset + limit).encode()).decode()
        self.answer(200, document)


def main():
    global STATE
    root, account, region = sys.argv[1], sys.argv[2], sys.argv[3]
    page_size = int(sys.argv[4]) if len(sys.argv) > 4 else 50
    throttle_first = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    STATE = State(load_events(root, account, region), page_size, throttle_first)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"listening on {server.server_address[1]}", flush=True)
    sys.stdin.read()
    server.shutdown()


if __name__ == "__main__":
    main()
