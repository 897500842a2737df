#!/usr/bin/env python3
"""Generates a large synthetic account as the AWS CLI would export it, for
the analysis benchmark (scripts/bench-analysis.sh).

Size (defaults): 20,000 users, 2,000 roles, 1,000 customer managed
policies. Shape (--shape, each knob can be overridden):

* uniform: every user in one of 20 department groups, 70% in one of 10
  job-function groups, 90% in the MFA-enforcing group, 10% on a second
  path, 1% with an inline policy of their own (few distinct permission
  sets: the shape of the first benchmark);
* varied: 200 groups, 1-3 of them per user, 90% in the MFA-enforcing group,
  4% with a managed policy attached directly, 3% with an inline policy of
  their own, four paths, a permissions boundary on every user of one path;
* all-unique: varied, with an inline policy of its own on every user.

Prints the knobs and the number of distinct permission sets among the users
(same policies and boundary; and also same path, which the analysis treats
as a different identity shape). Deterministic for a given --seed.
"""

import argparse
import base64
import json
import os
import random

ACCOUNT = "210987654321"
SERVICES = {
    "s3": ["GetObject", "PutObject", "ListBucket", "DeleteObject", "GetBucketPolicy"],
    "ec2": ["DescribeInstances", "RunInstances", "TerminateInstances", "StartInstances", "CreateTags"],
    "dynamodb": ["GetItem", "PutItem", "Query", "Scan", "DeleteItem"],
    "lambda": ["InvokeFunction", "GetFunction", "UpdateFunctionCode", "ListFunctions"],
    "sqs": ["SendMessage", "ReceiveMessage", "DeleteMessage", "GetQueueAttributes"],
    "logs": ["CreateLogStream", "PutLogEvents", "GetLogEvents", "DescribeLogGroups"],
    "kms": ["Decrypt", "Encrypt", "GenerateDataKey", "DescribeKey"],
    "cloudwatch": ["PutMetricData", "GetMetricData", "DescribeAlarms"],
    "rds": ["DescribeDBInstances", "CreateDBSnapshot", "RebootDBInstance"],
    "secretsmanager": ["GetSecretValue", "DescribeSecret", "ListSecrets"],
}

FORCE_MFA = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "AllowViewAccountInfo", "Effect": "Allow", "Action": "iam:ListVirtualMFADevices", "Resource": "*"},
        {"Sid": "AllowManageOwnVirtualMFADevice", "Effect": "Allow", "Action": "iam:CreateVirtualMFADevice",
         "Resource": "arn:aws:iam::*:mfa/*"},
        {"Sid": "AllowManageOwnUserMFA", "Effect": "Allow",
         "Action": ["iam:DeactivateMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:GetMFADevice",
                    "iam:ListMFADevices", "iam:ResyncMFADevice"],
         "Resource": "arn:aws:iam::*:user/${aws:username}"},
        {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny",
         "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:GetMFADevice",
                       "iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ResyncMFADevice",
                       "sts:GetSessionToken"],
         "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}},
    ],
}


def customer_policy(rng, index):
    statements = []
    for _ in range(rng.randint(1, 4)):
        service = rng.choice(sorted(SERVICES))
        actions = rng.sample(SERVICES[service], rng.randint(1, 3))
        if rng.random() < 0.2:
            actions = [f"{service}:{rng.choice(['Get', 'List', 'Describe'])}*"]
        else:
            actions = [f"{service}:{action}" for action in actions]
        if service == "s3":
            resource = [f"arn:aws:s3:::team-{index % 97}-data", f"arn:aws:s3:::team-{index % 97}-data/*"]
        elif service == "dynamodb":
            resource = f"arn:aws:dynamodb:*:{ACCOUNT}:table/app-{index % 53}"
        elif rng.random() < 0.5:
            resource = "*"
        else:
            resource = f"arn:aws:{service}:us-east-1:{ACCOUNT}:*"
        statement = {"Effect": "Allow", "Action": actions, "Resource": resource}
        if rng.random() < 0.1:
            statement["Condition"] = {"IpAddress": {"aws:SourceIp": f"10.{index % 255}.0.0/16"}}
        statements.append(statement)
    if rng.random() < 0.05:
        statements.append({"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*",
                           "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}})
    return {"Version": "2012-10-17", "Statement": statements}


def managed(arn, name, document):
    return {"PolicyName": name, "PolicyId": "ANPA" + name.upper()[:17].ljust(17, "X"), "Arn": arn, "Path": "/",
            "DefaultVersionId": "v1", "AttachmentCount": 1, "IsAttachable": True,
            "PolicyVersionList": [{"Document": document, "VersionId": "v1", "IsDefaultVersion": True}]}


def attached(arn):
    return {"PolicyName": arn.rsplit("/", 1)[-1], "PolicyArn": arn}


SHAPES = {
    "uniform": {"groups": 30, "groups_per_user": "1-2", "mfa_share": 0.9, "direct_share": 0.0,
                "inline_share": 0.01, "paths": 2, "boundary_paths": 0},
    "varied": {"groups": 200, "groups_per_user": "1-3", "mfa_share": 0.9, "direct_share": 0.04,
               "inline_share": 0.03, "paths": 4, "boundary_paths": 1},
    "all-unique": {"groups": 200, "groups_per_user": "1-3", "mfa_share": 0.9, "direct_share": 0.04,
                   "inline_share": 1.0, "paths": 4, "boundary_paths": 1},
}

BOUNDARY = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "WorkloadServices", "Effect": "Allow",
         "Action": ["s3:*", "ec2:*", "dynamodb:*", "lambda:*", "sqs:*", "logs:*", "cloudwatch:*", "kms:*"],
         "Resource": "*"},
        {"Sid": "OwnCredentials", "Effect": "Allow", "Action": "iam:*", "Resource": "arn:aws:iam::*:user/*"},
        {"Sid": "NoKeyDeletion", "Effect": "Deny", "Action": "kms:ScheduleKeyDeletion", "Resource": "*"},
    ],
}


def parse_range(text):
    low, _, high = text.partition("-")
    return int(low), int(high or low)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--roles", type=int, default=2000)
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="uniform")
    parser.add_argument("--groups", type=int, help="groups besides the MFA-enforcing one")
    parser.add_argument("--groups-per-user", help="MIN-MAX groups per user (varied shapes)")
    parser.add_argument("--mfa-share", type=float, help="share of users in the MFA-enforcing group")
    parser.add_argument("--direct-share", type=float, help="share of users with a managed policy attached directly")
    parser.add_argument("--inline-share", type=float, help="share of users with an inline policy of their own")
    parser.add_argument("--paths", type=int, help="number of user paths")
    parser.add_argument("--boundary-paths", type=int, help="paths whose users have a permissions boundary")
    args = parser.parse_args()
    knobs = dict(SHAPES[args.shape])
    for knob in knobs:
        value = getattr(args, knob)
        if value is not None:
            knobs[knob] = value
    if args.shape == "uniform" and knobs != SHAPES["uniform"]:
        parser.error("the uniform shape has fixed knobs; use --shape varied to change them")
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)

    policies = []
    policy_arns = []
    for index in range(args.policies):
        arn = f"arn:aws:iam::{ACCOUNT}:policy/team/policy-{index:04d}"
        policy_arns.append(arn)
        policies.append(managed(arn, f"policy-{index:04d}", customer_policy(rng, index)))
    admin_arn = "arn:aws:iam::aws:policy/AdministratorAccess"
    policies.append(managed(admin_arn, "AdministratorAccess",
                            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    readonly_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    readonly_actions = sorted({f"{service}:{prefix}*" for service in SERVICES for prefix in ("Get", "List", "Describe")})
    policies.append(managed(readonly_arn, "ReadOnlyAccess",
                            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": readonly_actions, "Resource": "*"}]}))

    groups = [{"Path": "/", "GroupName": "mfa-required", "GroupId": "AGPAMFAREQUIRED000001",
               "Arn": f"arn:aws:iam::{ACCOUNT}:group/mfa-required",
               "GroupPolicyList": [{"PolicyName": "force-mfa", "PolicyDocument": FORCE_MFA}],
               "AttachedManagedPolicies": []}]
    uniform = args.shape == "uniform"
    boundary_arn = f"arn:aws:iam::{ACCOUNT}:policy/boundaries/workload-boundary"
    if knobs["boundary_paths"] > 0:
        policies.append(managed(boundary_arn, "workload-boundary", BOUNDARY))
    departments = []
    for index in range(20 if uniform else 0):
        name = f"dept-{index:02d}"
        departments.append(name)
        groups.append({"Path": "/", "GroupName": name, "GroupId": f"AGPADEPT{index:013d}",
                       "Arn": f"arn:aws:iam::{ACCOUNT}:group/{name}", "GroupPolicyList": [],
                       "AttachedManagedPolicies": [attached(arn) for arn in rng.sample(policy_arns, 5)]})
    functions = []
    for index in range(10 if uniform else 0):
        name = f"function-{index:02d}"
        functions.append(name)
        extra = [admin_arn] if index == 0 else ([readonly_arn] if index < 4 else [])
        groups.append({"Path": "/", "GroupName": name, "GroupId": f"AGPAFUNC{index:013d}",
                       "Arn": f"arn:aws:iam::{ACCOUNT}:group/{name}", "GroupPolicyList": [],
                       "AttachedManagedPolicies": [attached(arn) for arn in rng.sample(policy_arns, 3) + extra]})
    teams = []
    for index in range(0 if uniform else knobs["groups"]):
        name = f"team-{index:03d}"
        teams.append(name)
        # Administrators are few: two small groups.
        extra = [admin_arn] if index in (37, 151) else ([readonly_arn] if index % 10 == 3 else [])
        groups.append({"Path": "/", "GroupName": name, "GroupId": f"AGPATEAM{index:013d}",
                       "Arn": f"arn:aws:iam::{ACCOUNT}:group/{name}",
                       "GroupPolicyList": [{"PolicyName": "team", "PolicyDocument": customer_policy(rng, index)}]
                       if index % 4 == 0 else [],
                       "AttachedManagedPolicies": [attached(arn) for arn in rng.sample(policy_arns, rng.randint(1, 4)) + extra]})
    paths = ["/"] + [f"/{name}/" for name in ("contractors", "engineering", "finance", "ops", "sales", "legal",
                                               "support")[:max(knobs["paths"], 1) - 1]]
    boundary_paths = paths[len(paths) - knobs["boundary_paths"]:] if knobs["boundary_paths"] > 0 else []
    low, high = parse_range(knobs["groups_per_user"])
    popularity = [1 / (rank + 1) ** 1.3 for rank in range(len(teams))]
    distinct = set()
    distinct_with_path = set()

    users = []
    rows = ["user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
            "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
            "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
            "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
            "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
            "cert_1_last_rotated,cert_2_active,cert_2_last_rotated",
            f"<root_account>,arn:aws:iam::{ACCOUNT}:root,2019-01-01T00:00:00+00:00,not_supported,"
            "2026-11-01T00:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,"
            "false,N/A,false,N/A"]
    virtual_devices = [{"SerialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device",
                        "User": {"Arn": f"arn:aws:iam::{ACCOUNT}:root", "UserId": ACCOUNT,
                                 "CreateDate": "2019-01-01T00:00:00+00:00"},
                        "EnableDate": "2019-01-02T00:00:00+00:00"}]
    for index in range(args.users):
        name = f"user{index:05d}"
        direct = []
        boundary = None
        if uniform:
            path = "/" if rng.random() < 0.9 else "/contractors/"
            member_of = [rng.choice(departments)]
            if rng.random() < 0.7:
                member_of.append(rng.choice(functions))
        else:
            # Most users on the root path, the rest spread over the others.
            path = "/" if rng.random() < 0.7 or len(paths) == 1 else rng.choice(paths[1:])
            # Group sizes follow a power law, as in real accounts: a few
            # large groups, a long tail of small ones.
            wanted = min(rng.randint(low, high), len(teams))
            member_of = []
            while len(member_of) < wanted:
                team = rng.choices(teams, popularity)[0]
                if team not in member_of:
                    member_of.append(team)
            if rng.random() < knobs["direct_share"]:
                direct = [attached(rng.choice(policy_arns))]
            if path in boundary_paths:
                boundary = {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary_arn}
        arn = f"arn:aws:iam::{ACCOUNT}:user{path}{name}"
        if rng.random() < knobs["mfa_share"]:
            member_of.append("mfa-required")
        inline = []
        if rng.random() < knobs["inline_share"]:
            inline.append({"PolicyName": "own", "PolicyDocument": customer_policy(rng, index)})
        user = {"Path": path, "UserName": name, "UserId": f"AIDA{index:017d}", "Arn": arn,
                "CreateDate": "2024-01-01T00:00:00+00:00", "UserPolicyList": inline,
                "GroupList": member_of, "AttachedManagedPolicies": direct, "Tags": []}
        if boundary:
            user["PermissionsBoundary"] = boundary
        users.append(user)
        # An inline policy belongs to its user: it makes the set distinct.
        permission_set = (frozenset(member_of), frozenset(a["PolicyArn"] for a in direct),
                          name if inline else None, boundary is not None)
        distinct.add(permission_set)
        distinct_with_path.add((permission_set, path))
        console = rng.random() < 0.8
        mfa = console and rng.random() < 0.6
        key = rng.random() < 0.3
        rows.append(",".join([
            name, arn, "2024-01-01T00:00:00+00:00", "true" if console else "false",
            "2026-11-01T00:00:00+00:00" if console else "N/A", "2024-01-01T00:00:00+00:00" if console else "N/A",
            "N/A", "true" if mfa else "false", "true" if key else "false",
            "2024-01-01T00:00:00+00:00" if key else "N/A", "N/A", "N/A", "N/A",
            "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "false", "N/A"]))
        if mfa:
            virtual_devices.append({"SerialNumber": f"arn:aws:iam::{ACCOUNT}:mfa/{name}",
                                    "User": {"UserName": name, "Arn": arn, "UserId": f"AIDA{index:017d}",
                                             "CreateDate": "2024-01-01T00:00:00+00:00"},
                                    "EnableDate": "2024-02-01T00:00:00+00:00"})

    roles = []
    for index in range(args.roles):
        kind = rng.random()
        if kind < 0.7:
            principal = {"Service": rng.choice(["lambda.amazonaws.com", "ec2.amazonaws.com", "ecs-tasks.amazonaws.com"])}
            condition = None
        elif kind < 0.95:
            principal = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
            condition = {"Bool": {"aws:MultiFactorAuthPresent": "true"}} if rng.random() < 0.5 else None
        else:
            principal = {"Federated": f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"}
            condition = {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}
        statement = {"Effect": "Allow", "Principal": principal,
                     "Action": "sts:AssumeRoleWithSAML" if "Federated" in principal else "sts:AssumeRole"}
        if condition:
            statement["Condition"] = condition
        roles.append({"Path": "/", "RoleName": f"role-{index:04d}", "RoleId": f"AROA{index:017d}",
                      "Arn": f"arn:aws:iam::{ACCOUNT}:role/role-{index:04d}",
                      "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [statement]},
                      "RolePolicyList": [], "Tags": [],
                      "AttachedManagedPolicies": [attached(arn) for arn in rng.sample(policy_arns, rng.randint(1, 3))]})

    report = "\n".join(rows) + "\n"
    with open(os.path.join(args.out, "credential-report.json"), "w") as out:
        json.dump({"Content": base64.b64encode(report.encode()).decode(), "ReportFormat": "text/csv",
                   "GeneratedTime": "2026-11-22T11:00:00+00:00"}, out)
    with open(os.path.join(args.out, "account-authorization-details.json"), "w") as out:
        json.dump({"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles,
                   "Policies": policies}, out)
    with open(os.path.join(args.out, "virtual-mfa-devices.json"), "w") as out:
        json.dump({"VirtualMFADevices": virtual_devices}, out)
    with open(os.path.join(args.out, "account-summary.json"), "w") as out:
        json.dump({"SummaryMap": {"AccountMFAEnabled": 1, "AccountPasswordPresent": 1,
                                  "AccountAccessKeysPresent": 0, "Users": args.users}}, out)
    described = ", ".join(f"{knob}={value}" for knob, value in knobs.items())
    print(f"   shape {args.shape}: users={args.users}, roles={args.roles}, policies={args.policies}, {described}")
    print(f"   distinct permission sets among users: {len(distinct)} ({len(distinct_with_path)} counting the path)")


if __name__ == "__main__":
    main()
