#!/usr/bin/env python3
"""Generates a large synthetic account as the AWS CLI would export it, for
the analysis benchmark (scripts/bench-analysis.sh).

Shape (defaults): 20,000 users, 2,000 roles, 1,000 customer managed
policies, group-heavy as real accounts are: every user is in a department
group, most in a job-function group, most in the MFA-enforcing group; a few
have inline policies of their own. Deterministic for a given --seed.
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


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out")
    parser.add_argument("--users", type=int, default=20000)
    parser.add_argument("--roles", type=int, default=2000)
    parser.add_argument("--policies", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
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
    departments = []
    for index in range(20):
        name = f"dept-{index:02d}"
        departments.append(name)
        groups.append({"Path": "/", "GroupName": name, "GroupId": f"AGPADEPT{index:013d}",
                       "Arn": f"arn:aws:iam::{ACCOUNT}:group/{name}", "GroupPolicyList": [],
                       "AttachedManagedPolicies": [attached(arn) for arn in rng.sample(policy_arns, 5)]})
    functions = []
    for index in range(10):
        name = f"function-{index:02d}"
        functions.append(name)
        extra = [admin_arn] if index == 0 else ([readonly_arn] if index < 4 else [])
        groups.append({"Path": "/", "GroupName": name, "GroupId": f"AGPAFUNC{index:013d}",
                       "Arn": f"arn:aws:iam::{ACCOUNT}:group/{name}", "GroupPolicyList": [],
                       "AttachedManagedPolicies": [attached(arn) for arn in rng.sample(policy_arns, 3) + extra]})

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
        path = "/" if rng.random() < 0.9 else "/contractors/"
        arn = f"arn:aws:iam::{ACCOUNT}:user{path}{name}"
        member_of = [rng.choice(departments)]
        if rng.random() < 0.7:
            member_of.append(rng.choice(functions))
        if rng.random() < 0.9:
            member_of.append("mfa-required")
        inline = []
        if rng.random() < 0.01:
            inline.append({"PolicyName": "own", "PolicyDocument": customer_policy(rng, index)})
        users.append({"Path": path, "UserName": name, "UserId": f"AIDA{index:017d}", "Arn": arn,
                      "CreateDate": "2024-01-01T00:00:00+00:00", "UserPolicyList": inline,
                      "GroupList": member_of, "AttachedManagedPolicies": [], "Tags": []})
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


if __name__ == "__main__":
    main()
