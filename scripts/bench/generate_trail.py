#!/usr/bin/env python3
"""Writes realistic CloudTrail log files for benchmarking `mfaguard trail`.

The layout is CloudTrail's S3 delivery (an organisation trail):
AWSLogs/<org-id>/<account>/CloudTrail/<region>/YYYY/MM/DD/<name>.json.gz,
one file per account, region and five minutes of activity, gzipped.

The mix of events follows what management-event trails of AWS accounts are
made of: mostly AWS services and machine roles calling read APIs, some
long-term access keys, Identity Center sessions, a few people in the
console, a few denials, rare sign-ins and root use. Record sizes follow the
same mix: most records are 1 to 2 KB, a few carry large request or response
elements (instance launches, stack templates). The knobs and the mix are
printed.

Deterministic for a given --seed. Standard library only.
"""

import argparse
import gzip
import json
import os
import random
import sys
from datetime import datetime, timedelta, timezone
from multiprocessing import Pool

ORG = "o-bench0example"

# (share, kind): the mix of events, in percent of records.
MIX = [
    (30.0, "service"),          # AWS services: sts:AssumeRole, kms:Decrypt for services
    (30.0, "machine_role"),     # role sessions of workloads (no MFA, not people)
    (10.0, "access_key"),       # IAM users with long-term keys (AKIA)
    (12.0, "identity_center"),  # AWSReservedSSO_* sessions (MFA at the IdP)
    (10.0, "console_mfa"),      # people in the console with MFA
    (4.5, "session_no_mfa"),    # sessions without MFA
    (2.0, "denied"),            # AccessDenied / UnauthorizedOperation
    (0.8, "console_login"),     # ConsoleLogin, with and without MFA
    (0.5, "assume_role_mfa"),   # sts:AssumeRole with serialNumber
    (0.15, "mfa_device"),       # MFA device lifecycle
    (0.05, "root"),             # root activity
]

READ_CALLS = [
    ("ec2.amazonaws.com", "DescribeInstances"), ("ec2.amazonaws.com", "DescribeSecurityGroups"),
    ("s3.amazonaws.com", "GetBucketAcl"), ("s3.amazonaws.com", "ListBuckets"),
    ("iam.amazonaws.com", "ListRoles"), ("iam.amazonaws.com", "GetRole"),
    ("lambda.amazonaws.com", "ListFunctions20150331"), ("logs.amazonaws.com", "DescribeLogGroups"),
    ("cloudformation.amazonaws.com", "DescribeStacks"), ("monitoring.amazonaws.com", "GetMetricData"),
    ("dynamodb.amazonaws.com", "DescribeTable"), ("sts.amazonaws.com", "GetCallerIdentity"),
]
WRITE_CALLS = [
    ("ec2.amazonaws.com", "RunInstances"), ("ec2.amazonaws.com", "CreateTags"),
    ("iam.amazonaws.com", "CreateAccessKey"), ("iam.amazonaws.com", "AttachRolePolicy"),
    ("s3.amazonaws.com", "PutBucketPolicy"), ("cloudformation.amazonaws.com", "CreateStack"),
    ("lambda.amazonaws.com", "UpdateFunctionCode20150331v2"), ("kms.amazonaws.com", "CreateGrant"),
]
REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"]
AGENTS = [
    "aws-cli/2.15.30 Python/3.11.8 Linux/5.10.214-202.855.amzn2.x86_64 exe/x86_64.amzn.2 prompt/off command/ec2.describe-instances",
    "Boto3/1.34.69 md/Botocore#1.34.69 ua/2.0 os/linux#5.10 md/arch#x86_64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.69",
    "aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.152.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36",
    "terraform-provider-aws/5.43.0 (+https://registry.terraform.io) aws-sdk-go-v2/1.26.0",
]


def pick_kind(rng, cumulative):
    x = rng.random() * cumulative[-1][0]
    for edge, kind in cumulative:
        if x < edge:
            return kind
    return cumulative[-1][1]


def iso(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def user_identity(rng, kind, account, t):
    if kind == "service":
        return {"type": "AWSService", "invokedBy": rng.choice(["ec2.amazonaws.com", "lambda.amazonaws.com", "cloudtrail.amazonaws.com"])}
    if kind == "root":
        return {"type": "Root", "principalId": account, "arn": f"arn:aws:iam::{account}:root", "accountId": account,
                "accessKeyId": "ASIA" + "%016X" % rng.getrandbits(64),
                "sessionContext": {"sessionIssuer": {}, "webIdFederationData": {},
                                   "attributes": {"creationDate": iso(t - timedelta(minutes=5)), "mfaAuthenticated": "true"}}}
    if kind == "access_key":
        name = "svc-%02d" % rng.randrange(20)
        return {"type": "IAMUser", "principalId": "AIDA%016X" % rng.getrandbits(64), "arn": f"arn:aws:iam::{account}:user/machine/{name}",
                "accountId": account, "accessKeyId": "AKIA%016X" % rng.getrandbits(64), "userName": name}
    if kind in ("console_mfa", "session_no_mfa", "denied", "mfa_device", "assume_role_mfa"):
        name = "user%03d" % rng.randrange(300)
        mfa = "true" if kind in ("console_mfa", "assume_role_mfa", "mfa_device") else rng.choice(["false", "true"] if kind == "denied" else ["false"])
        return {"type": "IAMUser", "principalId": "AIDA%016X" % rng.getrandbits(64), "arn": f"arn:aws:iam::{account}:user/{name}",
                "accountId": account, "accessKeyId": "ASIA%016X" % rng.getrandbits(64), "userName": name,
                "sessionContext": {"sessionIssuer": {}, "webIdFederationData": {},
                                   "attributes": {"creationDate": iso(t - timedelta(minutes=rng.randrange(600))), "mfaAuthenticated": mfa}}}
    if kind == "identity_center":
        role = "AWSReservedSSO_%s_%016x" % (rng.choice(["AdministratorAccess", "ReadOnly", "PowerUser"]), rng.getrandbits(64) % 8)
        person = "person%03d@example.com" % rng.randrange(500)
    else:  # machine_role
        role = rng.choice(["app-server", "batch-worker", "ci-deploy", "lambda-etl", "eks-node"]) + "-%d" % rng.randrange(10)
        person = "i-%017x" % rng.getrandbits(68)
    role_arn = f"arn:aws:iam::{account}:role/{role}"
    return {"type": "AssumedRole", "principalId": "AROA%016X:%s" % (rng.getrandbits(64), person),
            "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{person}", "accountId": account,
            "accessKeyId": "ASIA%016X" % rng.getrandbits(64),
            "sessionContext": {"sessionIssuer": {"type": "Role", "principalId": "AROA%016X" % rng.getrandbits(64), "arn": role_arn,
                                                 "accountId": account, "userName": role},
                               "webIdFederationData": {},
                               "attributes": {"creationDate": iso(t - timedelta(minutes=rng.randrange(60))), "mfaAuthenticated": "false"}}}


def big_response(rng):
    """Large response elements, as RunInstances or DescribeStacks return."""
    items = []
    for _ in range(rng.randrange(3, 20)):
        items.append({"instanceId": "i-%017x" % rng.getrandbits(68), "imageId": "ami-%017x" % rng.getrandbits(68),
                      "instanceState": {"code": 0, "name": "pending"}, "privateDnsName": "ip-10-0-%d-%d.ec2.internal" % (rng.randrange(255), rng.randrange(255)),
                      "amiLaunchIndex": 0, "productCodes": {}, "instanceType": "m5.large", "launchTime": 1730800000000,
                      "placement": {"availabilityZone": "us-east-1a", "tenancy": "default"}, "monitoring": {"state": "disabled"},
                      "subnetId": "subnet-%017x" % rng.getrandbits(68), "vpcId": "vpc-%017x" % rng.getrandbits(68),
                      "privateIpAddress": "10.0.%d.%d" % (rng.randrange(255), rng.randrange(255)),
                      "groupSet": {"items": [{"groupId": "sg-%017x" % rng.getrandbits(68), "groupName": "default"}]},
                      "tagSet": {"items": [{"key": "Name", "value": "worker-%d" % rng.randrange(1000)}, {"key": "team", "value": "platform"}]}})
    return {"requestId": "%032x" % rng.getrandbits(128), "reservationId": "r-%017x" % rng.getrandbits(68),
            "ownerId": "111122223333", "groupSet": {}, "instancesSet": {"items": items}}


def record(rng, kind, account, region, t):
    ident = user_identity(rng, kind, account, t)
    source, name = rng.choice(READ_CALLS) if rng.random() < 0.85 else rng.choice(WRITE_CALLS)
    params = {"maxResults": 100, "filterSet": {"items": [{"name": "tag:team", "valueSet": {"items": [{"value": "platform"}]}}]}}
    response = None
    event_type = "AwsApiCall"
    extra = {}
    if kind == "service":
        source, name = rng.choice([("sts.amazonaws.com", "AssumeRole"), ("kms.amazonaws.com", "Decrypt"), ("kms.amazonaws.com", "GenerateDataKey")])
        params = {"roleArn": f"arn:aws:iam::{account}:role/app-server-%d" % rng.randrange(10), "roleSessionName": "i-%017x" % rng.getrandbits(68)} \
            if name == "AssumeRole" else {"encryptionContext": {"aws:lambda:FunctionArn": f"arn:aws:lambda:{region}:{account}:function:etl-%d" % rng.randrange(30)},
                                          "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}
    elif kind == "console_login":
        source, name, event_type = "signin.amazonaws.com", "ConsoleLogin", "AwsConsoleSignIn"
        ident = user_identity(rng, "console_mfa", account, t)
        ident.pop("sessionContext", None)
        ident.pop("accessKeyId", None)
        failed = rng.random() < 0.1
        params = None
        response = {"ConsoleLogin": "Failure" if failed else "Success"}
        extra["additionalEventData"] = {"LoginTo": "https://console.aws.amazon.com/console/home", "MobileVersion": "No",
                                        "MFAUsed": rng.choice(["Yes", "Yes", "Yes", "No"])}
        if failed:
            extra["errorMessage"] = "Failed authentication"
    elif kind == "assume_role_mfa":
        source, name = "sts.amazonaws.com", "AssumeRole"
        params = {"roleArn": f"arn:aws:iam::{account}:role/Admin", "roleSessionName": ident["userName"],
                  "serialNumber": f"arn:aws:iam::{account}:mfa/{ident['userName']}", "durationSeconds": 3600}
    elif kind == "mfa_device":
        source, name = "iam.amazonaws.com", rng.choice(["CreateVirtualMFADevice", "EnableMFADevice", "DeactivateMFADevice", "ResyncMFADevice"])
        params = {"userName": "user%03d" % rng.randrange(300), "serialNumber": f"arn:aws:iam::{account}:mfa/user%03d" % rng.randrange(300)}
    elif kind == "denied":
        extra["errorCode"] = rng.choice(["AccessDenied", "Client.UnauthorizedOperation"])
        extra["errorMessage"] = (f"User: {ident['arn']} is not authorized to perform: {source.split('.')[0]}:{name} "
                                 "with an explicit deny in an identity-based policy")
    if response is None and rng.random() < 0.04:
        response = big_response(rng)
    r = {"eventVersion": "1.09", "userIdentity": ident, "eventTime": iso(t), "eventSource": source, "eventName": name,
         "awsRegion": region, "sourceIPAddress": "198.51.%d.%d" % (rng.randrange(255), rng.randrange(255)) if kind != "service" else ident.get("invokedBy", "AWS Internal"),
         "userAgent": rng.choice(AGENTS), "requestParameters": params, "responseElements": response,
         "requestID": "%08x-%04x-%04x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(48)),
         "eventID": "%08x-%04x-%04x-%04x-%012x" % (rng.getrandbits(32), rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(16), rng.getrandbits(48)),
         "readOnly": name.startswith(("Describe", "Get", "List")), "eventType": event_type, "managementEvent": True,
         "recipientAccountId": account, "eventCategory": "Management",
         "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256", "clientProvidedHostHeader": source.replace("amazonaws.com", region + ".amazonaws.com")}}
    if kind == "service":
        r["sharedEventID"] = r["eventID"]
    r.update(extra)
    return r


def write_files(job):
    out, seed, account, region, start, periods, per_file, cumulative = job
    rng = random.Random(seed)
    written = 0
    kinds = {}
    for p in range(periods):
        t0 = start + timedelta(minutes=5 * p)
        n = max(1, int(rng.expovariate(1.0 / per_file)))
        records = []
        for i in range(n):
            kind = pick_kind(rng, cumulative)
            kinds[kind] = kinds.get(kind, 0) + 1
            records.append(record(rng, kind, account, region, t0 + timedelta(seconds=rng.randrange(300))))
        text = json.dumps({"Records": records}, separators=(",", ":")).encode()
        folder = os.path.join(out, "AWSLogs", ORG, account, "CloudTrail", region, t0.strftime("%Y/%m/%d"))
        os.makedirs(folder, exist_ok=True)
        name = "%s_CloudTrail_%s_%s_%08x.json.gz" % (account, region, (t0 + timedelta(minutes=5)).strftime("%Y%m%dT%H%MZ"), rng.getrandbits(32))
        with open(os.path.join(folder, name), "wb") as f:
            f.write(gzip.compress(text, compresslevel=6, mtime=0))
        written += len(text)
    return written, kinds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--target-gb", type=float, default=2.1, help="uncompressed JSON to write, in GB (default 2.1)")
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--records-per-file", type=int, default=400, help="mean records per five-minute file (exponential)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()

    cumulative, edge = [], 0.0
    for share, kind in MIX:
        edge += share
        cumulative.append((edge, kind))
    # About 1.5 KB per record on average with this mix.
    periods_total = int(args.target_gb * 1e9 / (1500 * args.records_per_file)) + 1
    jobs = []
    per_job = max(1, periods_total // (args.accounts * len(REGIONS)))
    start = datetime(2026, 11, 1, tzinfo=timezone.utc)
    seed = args.seed
    for a in range(args.accounts):
        account = "%012d" % (210987654321 + a * 1111)
        for region in REGIONS:
            seed += 1
            jobs.append((args.out, seed, account, region, start, per_job, args.records_per_file, cumulative))
    print("knobs: target %.1f GB uncompressed, %d accounts x %d regions, %d five-minute files each, "
          "mean %d records per file (exponential), seed %d" % (args.target_gb, args.accounts, len(REGIONS), per_job,
                                                                args.records_per_file, args.seed))
    print("mix (percent of records): " + ", ".join("%s %.2f" % (kind, share) for share, kind in MIX))
    print("sizes: 96% of records 1-2 KB, 4% carry large response elements (3 to 20 instances, 3-20 KB)")
    with Pool(args.jobs) as pool:
        results = pool.map(write_files, jobs)
    total = sum(r[0] for r in results)
    kinds = {}
    for _, k in results:
        for kind, n in k.items():
            kinds[kind] = kinds.get(kind, 0) + n
    records = sum(kinds.values())
    print("written: %d files, %d records, %.2f GB uncompressed (%.0f bytes per record on average)"
          % (len(jobs) * per_job, records, total / 1e9, total / max(records, 1)))
    print("records by kind: " + ", ".join("%s %d" % (k, kinds[k]) for _, k in MIX if k in kinds))


if __name__ == "__main__":
    sys.exit(main())
