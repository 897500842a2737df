"""Event-to-alert latency of `mfaguard watch --queue` on moto.

Starts moto (scripts/moto_server.py), creates the queue, its dead-letter
queue and an EventBridge rule targeting it, starts a webhook receiver and
the consumer, then injects COUNT events at RATE per second: for each, a
console user without MFA is created in moto's IAM and its CloudTrail-shaped
CreateLoginProfile event is put on EventBridge. Latency is measured from
just before PutEvents to the alert's arrival at the receiver. Prints p50,
p99, max, the sustained alert rate, and the consumer's RSS over the run.
With --phases, the consumer runs with --verbose and its per-batch timings
(`timing:` lines) are summarised: mean and p99 of each step, events per
batch and IAM calls per batch.

With --org, moto holds an organisation (this account as management, one
member account), the consumer runs with --org, and the events alternate
between the two accounts; they are sent to the queue as the central bus
delivers them (each with its own `account`), and latency is printed per
account: the member's events are collected with the organisation role
assumed in it, the management account's with the consumer's credentials.

With --keep-users K the account stays at about K users however long the
run: after each new user's event, the user created K events earlier is
deleted in IAM and its DeleteUser event put too (not timed: it raises no
alert). That is the shape for a long run of the consumer's memory, which
otherwise grows with the account; RSS is then printed at each tenth of the
run and its slope over the second half.

Usage: python events_latency.py MFAGUARD_BINARY [--count N] [--rate R] [--phases] [--org]
       [--keep-users K]
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3

ACCOUNT = "123456789012"
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

ARRIVALS = {}
LOCK = threading.Lock()


class Hook(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        now = time.monotonic()
        with LOCK:
            for alert in body.get("alerts", []):
                ARRIVALS.setdefault(alert["resource_name"], now)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_seconds(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values, p):
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[index]


def summarise_phases(log_path):
    """Mean and p99 of each step of the consumer's `timing: batch` lines."""
    steps = {}
    sizes = []
    calls = []
    with open(log_path) as f:
        for line in f:
            match = re.match(r"timing: batch of (\d+) events? in account \d+: (.*)", line)
            if not match:
                continue
            sizes.append(int(match.group(1)))
            for part in match.group(2).split(", "):
                step = re.match(r"(.+) ([0-9.]+) ms(?: \((\d+) IAM calls\))?$", part.strip())
                if not step:
                    continue
                steps.setdefault(step.group(1), []).append(float(step.group(2)))
                if step.group(3):
                    calls.append(int(step.group(3)))
    if not sizes:
        print("no timing lines in the consumer's log")
        return
    print(f"batches: {len(sizes)}, events per batch mean {sum(sizes) / len(sizes):.1f}, max {max(sizes)}")
    if calls:
        print(f"IAM calls per batch: mean {sum(calls) / len(calls):.1f}, max {max(calls)}")
    for name, values in steps.items():
        print(f"  {name}: mean {sum(values) / len(values):.1f} ms, p99 {percentile(values, 99):.1f} ms, "
              f"last {values[-1]:.1f} ms")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--handlers", type=int, default=8)
    parser.add_argument("--phases", action="store_true",
                        help="run the consumer with --verbose and summarise its timings")
    parser.add_argument("--keep-users", type=int, default=0,
                        help="delete each user K events after its creation (a steady account)")
    parser.add_argument("--org", action="store_true",
                        help="alternate events between the management account and a member account")
    args = parser.parse_args()

    work = tempfile.mkdtemp()
    roots = os.path.join(work, "roots.json")
    with open(roots, "w") as f:
        json.dump({ACCOUNT: {"mfa_active": True}}, f)
    port = free_port()
    python = os.path.join(REPO, ".tools/venv/bin/python")
    moto = subprocess.Popen(
        [python, os.path.join(REPO, "scripts/moto_server.py"), str(port), roots],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    moto.stdout.readline()
    endpoint = f"http://127.0.0.1:{port}"
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    iam = session.client("iam", endpoint_url=endpoint)
    sqs = session.client("sqs", endpoint_url=endpoint)
    events = session.client("events", endpoint_url=endpoint)
    sqs.create_queue(QueueName="bench-dlq")
    queue_url = sqs.create_queue(
        QueueName="bench",
        Attributes={"RedrivePolicy": json.dumps({
            "deadLetterTargetArn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:bench-dlq", "maxReceiveCount": 5})},
    )["QueueUrl"]
    # Clients acting in each account the events are made in.
    iam_of = {ACCOUNT: iam}
    if args.org:
        orgs = session.client("organizations", endpoint_url=endpoint)
        orgs.create_organization(FeatureSet="ALL")
        member = orgs.create_account(AccountName="member", Email="member@example.com")[
            "CreateAccountStatus"]["AccountId"]
        assumed = session.client("sts", endpoint_url=endpoint).assume_role(
            RoleArn=f"arn:aws:iam::{member}:role/moto-seed-admin", RoleSessionName="seed")["Credentials"]
        iam_of[member] = boto3.session.Session(
            aws_access_key_id=assumed["AccessKeyId"], aws_secret_access_key=assumed["SecretAccessKey"],
            aws_session_token=assumed["SessionToken"], region_name="us-east-1",
        ).client("iam", endpoint_url=endpoint)
        # moto's credential report of an account without users has no rows.
        iam_of[member].create_user(UserName="deploy")
    accounts = sorted(iam_of, key=lambda a: a != ACCOUNT)
    account_of = {}
    events.put_rule(Name="bench", EventPattern=json.dumps({"source": ["aws.iam"]}))
    events.put_targets(Rule="bench", Targets=[{"Id": "q", "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:bench"}])

    hook_port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", hook_port), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    env = dict(os.environ)
    env.update({
        "AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_EC2_METADATA_DISABLED": "true", "MFAGUARD_STORE": os.path.join(work, "history.sqlite"),
    })
    log = open(os.path.join(work, "watch.log"), "w")
    watcher = subprocess.Popen(
        [args.binary, "watch", "--queue", queue_url, "--webhook", f"http://127.0.0.1:{hook_port}/",
         "--queue-wait", "1", "--visibility-timeout", "60", "--handlers", str(args.handlers),
         "--every", "1d"] + (["--verbose"] if args.phases else []) + (["--org"] if args.org else []),
        env=env, stdout=subprocess.DEVNULL, stderr=log,
    )
    try:
        deadline = time.time() + 120
        while "consuming" not in open(log.name).read():
            if time.time() > deadline or watcher.poll() is not None:
                sys.exit("the consumer did not start: " + open(log.name).read())
            time.sleep(0.1)

        def send_event(account, event_name, user_name):
            """Puts a CloudTrail-shaped IAM event where IAM would."""
            detail = {
                "eventVersion": "1.09",
                "userIdentity": {"type": "IAMUser", "userName": "admin", "accountId": account,
                                 "arn": f"arn:aws:iam::{account}:user/admin"},
                "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "eventSource": "iam.amazonaws.com", "eventName": event_name,
                "awsRegion": "us-east-1", "requestParameters": {"userName": user_name},
                "eventID": str(uuid.uuid4()), "readOnly": False, "eventType": "AwsApiCall",
                "recipientAccountId": account,
            }
            if args.org:
                # As the central bus delivers a member's forwarded event.
                sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps({
                    "version": "0", "id": str(uuid.uuid4()), "detail-type": "AWS API Call via CloudTrail",
                    "source": "aws.iam", "account": account, "time": detail["eventTime"],
                    "region": "us-east-1", "resources": [], "detail": detail}))
            else:
                events.put_events(Entries=[{"Source": "aws.iam", "DetailType": "AWS API Call via CloudTrail",
                                            "Detail": json.dumps(detail)}])

        sent = {}
        rss = []
        rss_times = []
        start = time.monotonic()
        for i in range(args.count):
            target = start + i / args.rate
            delay = target - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            name = f"bench-user-{i:05d}"
            account = accounts[i % len(accounts)]
            account_of[name] = account
            iam_of[account].create_user(UserName=name)
            iam_of[account].create_login_profile(UserName=name, Password="Initial-Passw0rd!")
            sent[name] = time.monotonic()
            send_event(account, "CreateLoginProfile", name)
            if args.keep_users and i >= args.keep_users:
                old = f"bench-user-{i - args.keep_users:05d}"
                iam_of[account_of[old]].delete_login_profile(UserName=old)
                iam_of[account_of[old]].delete_user(UserName=old)
                send_event(account_of[old], "DeleteUser", old)
            if i % 50 == 0:
                rss.append(rss_kib(watcher.pid))
                rss_times.append(time.monotonic() - start)
        injected = time.monotonic() - start
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            with LOCK:
                if len(ARRIVALS) >= args.count:
                    break
            rss.append(rss_kib(watcher.pid))
            time.sleep(0.5)
        with LOCK:
            arrivals = dict(ARRIVALS)
        latencies = [arrivals[n] - sent[n] for n in sent if n in arrivals]
        missing = args.count - len(latencies)
        last = max(arrivals.values()) if arrivals else start
        rss = [r for r in rss if r]
        print(f"events injected: {args.count} at {args.rate:g}/s in {injected:.1f} s")
        print(f"alerts received: {len(latencies)} (missing {missing})")
        if latencies:
            print(f"latency p50 {percentile(latencies, 50):.3f} s, p99 {percentile(latencies, 99):.3f} s, "
                  f"max {max(latencies):.3f} s")
            print(f"sustained: {len(latencies) / (last - start):.1f} alerts/s "
                  f"(first event to last alert {last - start:.1f} s)")
        if args.org:
            for account in accounts:
                own = [arrivals[n] - sent[n] for n in sent if n in arrivals and account_of[n] == account]
                if own:
                    role = "management (own credentials)" if account == ACCOUNT else "member (assumed role)"
                    print(f"  account {account} {role}: {len(own)} alerts, p50 {percentile(own, 50):.3f} s, "
                          f"p99 {percentile(own, 99):.3f} s, max {max(own):.3f} s")
        consumer_cpu = cpu_seconds(watcher.pid)
        moto_cpu = cpu_seconds(moto.pid)
        if consumer_cpu is not None and moto_cpu is not None:
            print(f"CPU: consumer {consumer_cpu:.1f} s, moto {moto_cpu:.1f} s (both since start); "
                  f"load average at the end {' '.join(open('/proc/loadavg').read().split()[:3])}")
        if rss:
            print(f"consumer RSS: first {rss[0] / 1024:.0f} MiB, max {max(rss) / 1024:.0f} MiB, "
                  f"last {rss[-1] / 1024:.0f} MiB ({len(rss)} samples)")
        timed = [(t, r) for t, r in zip(rss_times, rss) if r]
        if args.keep_users and len(timed) >= 10:
            tenths = [timed[min(len(timed) - 1, k * len(timed) // 10)] for k in range(10)] + [timed[-1]]
            print("consumer RSS over the run: " + ", ".join(
                f"{t / 60:.1f} min {r / 1024:.0f} MiB" for t, r in tenths))
            half = timed[len(timed) // 2:]
            mean_t = sum(t for t, _ in half) / len(half)
            mean_r = sum(r for _, r in half) / len(half)
            slope = sum((t - mean_t) * (r - mean_r) for t, r in half) / max(
                1e-9, sum((t - mean_t) ** 2 for t, _ in half))
            print(f"RSS slope over the second half: {slope * 60 / 1024:+.2f} MiB/min "
                  f"(account kept at {args.keep_users} users)")
        if args.phases:
            summarise_phases(log.name)
        return 0 if missing == 0 else 1
    finally:
        watcher.terminate()
        try:
            watcher.wait(timeout=10)
        except subprocess.TimeoutExpired:
            watcher.kill()
        moto.stdin.close()
        moto.kill()
        server.shutdown()


if __name__ == "__main__":
    sys.exit(main())
