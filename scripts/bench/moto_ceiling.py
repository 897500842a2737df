"""How many IAM calls a second moto itself can serve on this machine: the
ceiling of any consumer that re-collects against it.

Starts moto (scripts/moto_server.py), creates USERS console users, then for
SECONDS runs THREADS client threads that each re-collect a user with the
calls `watch --queue` makes for one changed user (GetUser, GetLoginProfile,
ListMFADevices, ListAccessKeys, ListUserPolicies, ListAttachedUserPolicies,
ListGroupsForUser, ListVirtualMFADevices). Prints the calls served per
second (wall) and moto's own CPU time per call, read from /proc: moto
serves requests under one Python interpreter lock, so 1 / (CPU per call) is
its ceiling on one core whatever the client, and the client's own CPU (also
Python here) is not counted in it.

Usage: python moto_ceiling.py [--users N] [--threads N] [--seconds S]
"""

import argparse
import os
import socket
import subprocess
import threading
import time

import boto3

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime, fields 14 and 15 (1-based) of the whole line.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    port = free_port()
    python = os.path.join(REPO, ".tools/venv/bin/python")
    moto = subprocess.Popen(
        [python, os.path.join(REPO, "scripts/moto_server.py"), str(port)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    moto.stdout.readline()
    try:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
        )
        endpoint = f"http://127.0.0.1:{port}"
        setup = session.client("iam", endpoint_url=endpoint)
        names = [f"ceiling-user-{i:05d}" for i in range(args.users)]
        for name in names:
            setup.create_user(UserName=name)
            setup.create_login_profile(UserName=name, Password="Initial-Passw0rd!")

        calls = [0] * args.threads
        stop = time.monotonic() + args.seconds

        def worker(index):
            iam = session.client("iam", endpoint_url=endpoint)
            i = index
            while time.monotonic() < stop:
                name = names[i % len(names)]
                i += args.threads
                iam.get_user(UserName=name)
                iam.get_login_profile(UserName=name)
                iam.list_mfa_devices(UserName=name)
                iam.list_access_keys(UserName=name)
                iam.list_user_policies(UserName=name)
                iam.list_attached_user_policies(UserName=name)
                iam.list_groups_for_user(UserName=name)
                iam.list_virtual_mfa_devices()
                calls[index] += 8

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.threads)]
        cpu_before = cpu_seconds(moto.pid)
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.monotonic() - started
        cpu = cpu_seconds(moto.pid) - cpu_before
        total = sum(calls)
        print(f"machine: {os.cpu_count()} cores, load {open('/proc/loadavg').read().split()[:3]}")
        print(f"{total} IAM calls in {wall:.1f} s with {args.threads} client threads, "
              f"{args.users} users: {total / wall:.0f} calls/s served")
        print(f"moto CPU: {cpu:.1f} s, {cpu / total * 1000:.2f} ms per call: "
              f"ceiling {total / cpu:.0f} calls/s on one core, "
              f"{total / cpu / 8:.0f} re-collected users/s (8 calls each)")
    finally:
        moto.stdin.close()
        moto.kill()


if __name__ == "__main__":
    main()
