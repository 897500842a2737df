#!/usr/bin/env python3
"""Generates the bundled demo account, examples/demo-account/.

The files are written exactly in the formats of the AWS CLI commands that
`mfaguard scan --from DIR` reads:

    credential-report.json              aws iam get-credential-report --output json
    account-authorization-details.json  aws iam get-account-authorization-details --output json (pages merged)
    virtual-mfa-devices.json            aws iam list-virtual-mfa-devices --output json
    account-summary.json                aws iam get-account-summary --output json
    mfa-devices.json                    aws iam list-mfa-devices --user-name U, merged for every user with MFA
    mfaguard.toml                       mfaguard's own configuration (break-glass users, exceptions)
    README.md                           every identity with the outcome each check is expected to give
    expected-results.json               check -> resource -> expected status (read by crates/mfaguard/tests/demo.rs)

The account (111122223333) is fictitious and every value is written out here
by hand: there is no randomness, so running the script twice gives
byte-identical files. IDs (AIDA..., AGPA..., AROA..., ANPA..., AIPA...) and
device serials are derived from names with SHA-256, so they have the real
shape (4-letter prefix + 17 characters of [A-Z2-7]) but are synthetic, also
for AWS managed policies.

Python 3 standard library only. Usage:

    python3 examples/generate_demo.py            # writes examples/demo-account/
    python3 examples/generate_demo.py --check    # fails if the files on disk differ
"""

import base64
import hashlib
import json
import os
import sys
import urllib.parse
from datetime import date, datetime, timedelta, timezone

ACCOUNT = "111122223333"
ORG_MANAGEMENT_ACCOUNT = "999988887777"
AUDIT_VENDOR_ACCOUNT = "444455556666"
TOOLING_ACCOUNT = "222233334444"
GENERATED_TIME = "2026-11-20T09:12:44+00:00"
# The date the README's expectations are written against (exception expiry
# and review age): `mfaguard scan --now 2026-11-22T12:00:00Z`.
AS_OF = date(2026, 11, 22)

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "demo-account")

CREDENTIAL_REPORT_COLUMNS = [
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used",
    "password_last_changed", "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date",
    "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
]


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------

def t(text):
    """'2024-03-05 14:22:10' -> '2024-03-05T14:22:10+00:00' (the CLI's and the report's form)."""
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).isoformat()


def parse_t(text):
    return datetime.fromisoformat(text)


def _b32(seed, n):
    digest = hashlib.sha256(seed.encode()).digest() + hashlib.sha256(("more:" + seed).encode()).digest()
    return base64.b32encode(digest).decode().replace("=", "")[:n]


def unique_id(prefix, seed):
    """A unique ID of AWS's shape: prefix + 17 characters of [A-Z2-7] (21 in all)."""
    return prefix + _b32(prefix + ":" + seed, 17)


def hardware_serial(seed):
    """A hardware TOTP token serial such as GAHT40513287 (not an ARN)."""
    number = int(hashlib.sha256(("token:" + seed).encode()).hexdigest(), 16) % 10 ** 8
    return "GAHT%08d" % number


def arn(resource):
    return "arn:aws:iam::%s:%s" % (ACCOUNT, resource)


def url_encoded(document):
    """A policy document as the raw IAM API returns it: URL-encoded JSON text."""
    return urllib.parse.quote(json.dumps(document), safe="")


def aws_policy_arn(name, path="/"):
    return "arn:aws:iam::aws:policy%s%s" % (path, name)


def customer_policy_arn(name):
    return arn("policy/" + name)


def dump(obj):
    # The AWS CLI prints JSON with 4-space indentation.
    return json.dumps(obj, indent=4) + "\n"


# --------------------------------------------------------------------------
# policy documents
# --------------------------------------------------------------------------

V = "2012-10-17"

ADMINISTRATOR_ACCESS = {"Version": V, "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}

IAM_FULL_ACCESS = {
    "Version": V,
    "Statement": [{
        "Effect": "Allow",
        "Action": [
            "iam:*",
            "organizations:DescribeAccount",
            "organizations:DescribeOrganization",
            "organizations:DescribeOrganizationalUnit",
            "organizations:DescribePolicy",
            "organizations:ListChildren",
            "organizations:ListParents",
            "organizations:ListPoliciesForTarget",
            "organizations:ListRoots",
            "organizations:ListPolicies",
            "organizations:ListTargetsForPolicy",
        ],
        "Resource": "*",
    }],
}

# A representative subset of the real ReadOnlyAccess (which lists several
# hundred service prefixes): read actions only, nothing that writes.
READ_ONLY_ACCESS = {
    "Version": V,
    "Statement": [{
        "Sid": "ReadOnlyActions",
        "Effect": "Allow",
        "Action": [
            "acm:Describe*", "acm:Get*", "acm:List*",
            "apigateway:GET",
            "autoscaling:Describe*",
            "cloudformation:Describe*", "cloudformation:Get*", "cloudformation:List*",
            "cloudfront:Get*", "cloudfront:List*",
            "cloudtrail:Describe*", "cloudtrail:Get*", "cloudtrail:List*", "cloudtrail:LookupEvents",
            "cloudwatch:Describe*", "cloudwatch:Get*", "cloudwatch:List*",
            "config:Describe*", "config:Get*", "config:List*",
            "dynamodb:BatchGetItem", "dynamodb:Describe*", "dynamodb:GetItem", "dynamodb:List*",
            "dynamodb:Query", "dynamodb:Scan",
            "ec2:Describe*", "ec2:Get*",
            "ecr:BatchGetImage", "ecr:Describe*", "ecr:Get*", "ecr:List*",
            "ecs:Describe*", "ecs:List*",
            "eks:Describe*", "eks:List*",
            "elasticloadbalancing:Describe*",
            "iam:Generate*", "iam:Get*", "iam:List*", "iam:Simulate*",
            "kms:Describe*", "kms:Get*", "kms:List*",
            "lambda:Get*", "lambda:List*",
            "logs:Describe*", "logs:FilterLogEvents", "logs:Get*", "logs:StartQuery",
            "logs:StopQuery", "logs:TestMetricFilter",
            "organizations:Describe*", "organizations:List*",
            "rds:Describe*", "rds:List*",
            "route53:Get*", "route53:List*",
            "s3:Describe*", "s3:Get*", "s3:List*",
            "secretsmanager:Describe*", "secretsmanager:GetResourcePolicy", "secretsmanager:List*",
            "sns:Get*", "sns:List*",
            "sqs:Get*", "sqs:List*",
            "ssm:Describe*", "ssm:Get*", "ssm:List*",
            "sts:GetCallerIdentity",
            "tag:Get*",
        ],
        "Resource": "*",
    }],
}

# A representative subset of the real SecurityAudit.
SECURITY_AUDIT = {
    "Version": V,
    "Statement": [{
        "Sid": "BaseSecurityAuditStatement",
        "Effect": "Allow",
        "Action": [
            "access-analyzer:Get*", "access-analyzer:List*",
            "acm:Describe*", "acm:List*",
            "cloudtrail:DescribeTrails", "cloudtrail:GetEventSelectors",
            "cloudtrail:GetTrail", "cloudtrail:GetTrailStatus", "cloudtrail:ListTags",
            "cloudwatch:Describe*",
            "config:Deliver*", "config:Describe*", "config:Get*", "config:List*",
            "ec2:Describe*", "ec2:GetEbsEncryptionByDefault",
            "guardduty:Get*", "guardduty:List*",
            "iam:GenerateCredentialReport", "iam:GenerateServiceLastAccessedDetails",
            "iam:Get*", "iam:List*", "iam:SimulateCustomPolicy", "iam:SimulatePrincipalPolicy",
            "kms:Describe*", "kms:Get*", "kms:List*",
            "logs:Describe*", "logs:ListTagsLogGroup",
            "organizations:Describe*", "organizations:List*",
            "s3:GetAccelerateConfiguration", "s3:GetAccessPoint*", "s3:GetBucket*",
            "s3:GetEncryptionConfiguration", "s3:GetLifecycleConfiguration",
            "s3:ListAllMyBuckets", "s3:ListBucket",
            "securityhub:Describe*", "securityhub:Get*", "securityhub:List*",
            "sns:GetTopicAttributes", "sns:ListTopics",
            "sqs:GetQueueAttributes", "sqs:ListQueues",
        ],
        "Resource": "*",
    }],
}

POWER_USER_ACCESS = {
    "Version": V,
    "Statement": [
        {
            "Effect": "Allow",
            "NotAction": ["iam:*", "organizations:*", "account:*"],
            "Resource": "*",
        },
        {
            "Effect": "Allow",
            "Action": [
                "account:GetAccountInformation",
                "account:GetGovCloudAccountInformation",
                "account:GetPrimaryEmail",
                "account:ListRegions",
                "iam:CreateServiceLinkedRole",
                "iam:DeleteServiceLinkedRole",
                "iam:ListRoles",
                "organizations:DescribeEffectivePolicy",
                "organizations:DescribeOrganization",
            ],
            "Resource": "*",
        },
    ],
}

# A representative subset of job-function/Billing.
BILLING = {
    "Version": V,
    "Statement": [{
        "Sid": "VisualEditor0",
        "Effect": "Allow",
        "Action": [
            "account:GetAccountInformation",
            "aws-portal:*Billing",
            "aws-portal:*PaymentMethods",
            "aws-portal:*Usage",
            "billing:GetBillingData",
            "billing:GetBillingDetails",
            "billing:GetBillingNotifications",
            "billing:GetBillingPreferences",
            "billing:GetCredits",
            "billing:GetIAMAccessPreference",
            "billing:ListBillingViews",
            "billing:UpdateBillingPreferences",
            "budgets:ModifyBudget",
            "budgets:ViewBudget",
            "ce:Get*",
            "ce:Describe*",
            "ce:List*",
            "ce:CreateReport",
            "ce:UpdateReport",
            "cur:DescribeReportDefinitions",
            "cur:PutReportDefinition",
            "invoicing:GetInvoicePDF",
            "invoicing:ListInvoiceSummaries",
            "payments:GetPaymentInstrument",
            "payments:ListPaymentPreferences",
            "pricing:DescribeServices",
            "pricing:GetProducts",
            "tax:GetTaxRegistrationDocument",
            "tax:ListTaxRegistrations",
        ],
        "Resource": "*",
    }],
}

IAM_USER_CHANGE_PASSWORD = {
    "Version": V,
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["iam:ChangePassword"],
            "Resource": ["arn:aws:iam::*:user/${aws:username}", "arn:aws:iam::*:user/*/${aws:username}"],
        },
        {"Effect": "Allow", "Action": ["iam:GetAccountPasswordPolicy"], "Resource": "*"},
    ],
}

AWS_SUPPORT_ACCESS = {"Version": V, "Statement": [{"Effect": "Allow", "Action": ["support:*"], "Resource": "*"}]}

AWS_LAMBDA_BASIC_EXECUTION_ROLE = {
    "Version": V,
    "Statement": [{
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": "*",
    }],
}

# Service-linked role policies: representative subsets.
AWS_SUPPORT_SERVICE_ROLE_POLICY = {
    "Version": V,
    "Statement": [{
        "Sid": "AWSSupportAPIGatewayAccess",
        "Effect": "Allow",
        "Action": [
            "apigateway:GET", "autoscaling:Describe*", "cloudformation:Describe*",
            "cloudtrail:DescribeTrails", "cloudwatch:Describe*", "ec2:Describe*",
            "iam:GetAccountSummary", "iam:GetRole", "iam:ListRoles", "iam:ListUsers",
            "lambda:List*", "rds:Describe*", "s3:GetBucketLocation", "s3:ListAllMyBuckets",
        ],
        "Resource": "*",
    }],
}

AWS_TRUSTED_ADVISOR_SERVICE_ROLE_POLICY = {
    "Version": V,
    "Statement": [{
        "Effect": "Allow",
        "Action": [
            "autoscaling:DescribeAccountLimits", "cloudformation:DescribeAccountLimits",
            "cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "ec2:Describe*",
            "iam:GenerateCredentialReport", "iam:GetAccountPasswordPolicy",
            "iam:GetAccountSummary", "iam:GetCredentialReport", "iam:ListServerCertificates",
            "rds:Describe*", "s3:GetBucketAcl", "s3:GetBucketPolicy", "s3:ListAllMyBuckets",
        ],
        "Resource": "*",
    }],
}

# The documented "Force_MFA" policy of the IAM User Guide (users manage their
# own password and MFA; everything else is denied until they sign in with
# MFA). Its resources name `user/${aws:username}`, which does not match a user
# that has a path (arn:aws:iam::...:user/engineering/nina): such a user cannot
# enable a device and is locked out of enrolling.
FORCE_MFA = {
    "Version": V,
    "Statement": [
        {
            "Sid": "AllowViewAccountInfo",
            "Effect": "Allow",
            "Action": ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"],
            "Resource": "*",
        },
        {
            "Sid": "AllowManageOwnPasswords",
            "Effect": "Allow",
            "Action": ["iam:ChangePassword", "iam:GetUser"],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        },
        {
            "Sid": "AllowManageOwnAccessKeys",
            "Effect": "Allow",
            "Action": [
                "iam:CreateAccessKey",
                "iam:DeleteAccessKey",
                "iam:ListAccessKeys",
                "iam:UpdateAccessKey",
                "iam:GetAccessKeyLastUsed",
            ],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        },
        {
            "Sid": "AllowManageOwnVirtualMFADevice",
            "Effect": "Allow",
            "Action": ["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"],
            "Resource": "arn:aws:iam::*:mfa/${aws:username}",
        },
        {
            "Sid": "AllowManageOwnUserMFA",
            "Effect": "Allow",
            "Action": [
                "iam:DeactivateMFADevice",
                "iam:EnableMFADevice",
                "iam:ListMFADevices",
                "iam:ResyncMFADevice",
            ],
            "Resource": "arn:aws:iam::*:user/${aws:username}",
        },
        {
            "Sid": "DenyAllExceptListedIfNoMFA",
            "Effect": "Deny",
            "NotAction": [
                "iam:CreateVirtualMFADevice",
                "iam:EnableMFADevice",
                "iam:GetUser",
                "iam:ListMFADevices",
                "iam:ListVirtualMFADevices",
                "iam:ResyncMFADevice",
                "sts:GetSessionToken",
            ],
            "Resource": "*",
            "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
        },
    ],
}

# Permissions boundary: nothing is allowed without MFA except MFA self-service.
REQUIRE_MFA_BOUNDARY = {
    "Version": V,
    "Statement": [
        {
            "Sid": "AllowEverythingWithMFA",
            "Effect": "Allow",
            "Action": "*",
            "Resource": "*",
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
        },
        {
            "Sid": "AllowAccountInfoWithoutMFA",
            "Effect": "Allow",
            "Action": ["iam:GetAccountPasswordPolicy", "iam:ListVirtualMFADevices"],
            "Resource": "*",
        },
        {
            "Sid": "AllowOwnMFASelfServiceWithoutMFA",
            "Effect": "Allow",
            "Action": [
                "iam:ChangePassword",
                "iam:CreateVirtualMFADevice",
                "iam:EnableMFADevice",
                "iam:GetUser",
                "iam:ListMFADevices",
                "iam:ResyncMFADevice",
                "sts:GetSessionToken",
            ],
            "Resource": [
                "arn:aws:iam::*:user/${aws:username}",
                "arn:aws:iam::*:mfa/${aws:username}",
            ],
        },
    ],
}

PLATFORM_FULL_ACCESS = {
    "Version": V,
    "Statement": [{"Sid": "PlatformTeamFullAccess", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}

# Version v1 of DeveloperWorkloads (2022 bootstrap) allowed everything; it is
# kept as a non-default version. Only the default version (v2) is in force.
DEVELOPER_WORKLOADS_V1 = {
    "Version": V,
    "Statement": [{"Sid": "Bootstrap", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}

DEVELOPER_WORKLOADS_V2 = {
    "Version": V,
    "Statement": [
        {
            "Sid": "WorkloadServices",
            "Effect": "Allow",
            "Action": [
                "cloudwatch:*", "dynamodb:*", "ecr:*", "ecs:*", "lambda:Get*", "lambda:List*",
                "lambda:InvokeFunction", "lambda:UpdateFunctionCode", "logs:*", "s3:*", "sns:*",
                "sqs:*", "ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "xray:*",
            ],
            "Resource": "*",
        },
        {
            "Sid": "ReadInfrastructure",
            "Effect": "Allow",
            "Action": ["autoscaling:Describe*", "ec2:Describe*", "elasticloadbalancing:Describe*"],
            "Resource": "*",
        },
        {
            "Sid": "DenyProductionDataDeletion",
            "Effect": "Deny",
            "Action": ["dynamodb:DeleteTable", "s3:DeleteBucket"],
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:ResourceTag/environment": "production"}},
        },
    ],
}

CONTRACTOR_ACCESS = {
    "Version": V,
    "Statement": [
        {
            "Sid": "MobileRepositories",
            "Effect": "Allow",
            "Action": ["codecommit:GitPull", "codecommit:GitPush", "codecommit:Get*", "codecommit:List*"],
            "Resource": "arn:aws:codecommit:eu-west-1:%s:mobile-*" % ACCOUNT,
        },
        {
            "Sid": "MobileArtifacts",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
            "Resource": ["arn:aws:s3:::example-mobile-artifacts", "arn:aws:s3:::example-mobile-artifacts/*"],
        },
    ],
}

DATA_PLATFORM_ACCESS = {
    "Version": V,
    "Statement": [
        {
            "Sid": "QueryTheLake",
            "Effect": "Allow",
            "Action": [
                "athena:*", "glue:BatchGet*", "glue:Get*", "glue:StartJobRun",
                "lakeformation:GetDataAccess",
            ],
            "Resource": "*",
        },
        {
            "Sid": "LakeBuckets",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": [
                "arn:aws:s3:::example-data-lake", "arn:aws:s3:::example-data-lake/*",
                "arn:aws:s3:::example-athena-results", "arn:aws:s3:::example-athena-results/*",
            ],
        },
    ],
}

CI_DEPLOY_POLICY = {
    "Version": V,
    "Statement": [
        {
            "Sid": "DeployStacks",
            "Effect": "Allow",
            "Action": ["cloudformation:*", "ecr:*", "ecs:RegisterTaskDefinition", "ecs:UpdateService",
                       "ecs:Describe*", "lambda:UpdateFunctionCode"],
            "Resource": "*",
        },
        {
            "Sid": "Artifacts",
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
            "Resource": ["arn:aws:s3:::example-ci-artifacts", "arn:aws:s3:::example-ci-artifacts/*"],
        },
        {
            "Sid": "PassApplicationRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": arn("role/app-*"),
            "Condition": {"StringEquals": {"iam:PassedToService": [
                "cloudformation.amazonaws.com", "ecs-tasks.amazonaws.com"]}},
        },
    ],
}

BACKUP_OPERATOR = {
    "Version": V,
    "Statement": [
        {
            "Sid": "WriteBackups",
            "Effect": "Allow",
            "Action": ["s3:PutObject", "s3:GetObject", "s3:ListBucket", "s3:AbortMultipartUpload"],
            "Resource": ["arn:aws:s3:::example-backups", "arn:aws:s3:::example-backups/*"],
        },
        {
            "Sid": "Snapshots",
            "Effect": "Allow",
            "Action": ["ec2:CreateSnapshot", "ec2:CreateTags", "ec2:DescribeSnapshots",
                       "ec2:DescribeVolumes", "rds:CreateDBSnapshot", "rds:DescribeDBSnapshots"],
            "Resource": "*",
        },
    ],
}

# Inline policies.

GRACE_INLINE_FULL_ACCESS = {
    "Version": V,
    "Statement": [{"Sid": "BreakFix", "Effect": "Allow", "Action": "*", "Resource": "*"}],
}

# Pitfall: Allow + BoolIfExists true also allows requests made with access
# keys, which carry no aws:MultiFactorAuthPresent at all.
VICTOR_INLINE_PITFALL = {
    "Version": V,
    "Statement": [{
        "Sid": "FinanceReportsOnlyWithMFA",
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:ListBucket"],
        "Resource": ["arn:aws:s3:::example-finance-reports", "arn:aws:s3:::example-finance-reports/*"],
        "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}},
    }],
}

# Pitfall: Deny + Bool false does not apply to requests made with access keys.
LEGACY_MFA_INLINE_PITFALL = {
    "Version": V,
    "Statement": [{
        "Sid": "DenyAllWithoutMFA",
        "Effect": "Deny",
        "NotAction": [
            "iam:ChangePassword",
            "iam:CreateVirtualMFADevice",
            "iam:EnableMFADevice",
            "iam:GetUser",
            "iam:ListMFADevices",
            "iam:ListVirtualMFADevices",
            "iam:ResyncMFADevice",
            "sts:GetSessionToken",
        ],
        "Resource": "*",
        "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}},
    }],
}

AUDITORS_INLINE_DENY_DATA = {
    "Version": V,
    "Statement": [{
        "Sid": "NoCustomerData",
        "Effect": "Deny",
        "Action": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan",
                   "s3:GetObject", "secretsmanager:GetSecretValue", "ssm:GetParameter*"],
        "Resource": "*",
    }],
}

ROOTOPS_INLINE = {
    "Version": V,
    "Statement": [{
        "Sid": "AlarmOperations",
        "Effect": "Allow",
        "Action": ["cloudwatch:DisableAlarmActions", "cloudwatch:EnableAlarmActions",
                   "cloudwatch:PutMetricAlarm", "cloudwatch:SetAlarmState"],
        "Resource": "*",
    }],
}

LEGACY_ETL_INLINE = {
    "Version": V,
    "Statement": [
        {
            "Effect": "Allow",
            "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"],
            "Resource": ["arn:aws:s3:::example-etl-staging", "arn:aws:s3:::example-etl-staging/*"],
        },
        {
            "Effect": "Allow",
            "Action": ["redshift:GetClusterCredentials", "redshift:DescribeClusters"],
            "Resource": "*",
        },
    ],
}

MONITORING_INLINE = {
    "Version": V,
    "Statement": [{
        "Effect": "Allow",
        "Action": ["cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "cloudwatch:ListMetrics",
                   "tag:GetResources", "ec2:DescribeInstances", "rds:DescribeDBInstances"],
        "Resource": "*",
    }],
}

LOG_SHIPPER_INLINE = {
    "Version": V,
    "Statement": [{
        "Effect": "Allow",
        "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
        "Resource": "arn:aws:logs:eu-west-1:%s:log-group:/onprem/*" % ACCOUNT,
    }],
}

NAS_SYNC_INLINE = {
    "Version": V,
    "Statement": [{
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "s3:DeleteObject"],
        "Resource": ["arn:aws:s3:::example-office-nas", "arn:aws:s3:::example-office-nas/*"],
    }],
}

SES_SENDING_INLINE = {
    "Version": V,
    "Statement": [{"Effect": "Allow", "Action": "ses:SendRawEmail", "Resource": "*"}],
}

APP_BUCKET_INLINE = {
    "Version": V,
    "Statement": [{
        "Effect": "Allow",
        "Action": ["s3:GetObject", "s3:PutObject"],
        "Resource": "arn:aws:s3:::example-app-uploads/*",
    }],
}


# --------------------------------------------------------------------------
# managed policies (only those attached or used as a boundary, as
# get-account-authorization-details returns them)
# --------------------------------------------------------------------------

AWS = "aws"
CUSTOMER = "customer"

# name -> definition. versions: [(version_id, document, is_default, created, url_encoded)]
MANAGED = {}


def managed(key, name, kind, path, created, updated, versions, url_encode_default=False):
    policy_arn = aws_policy_arn(name, path) if kind == AWS else customer_policy_arn(name)
    MANAGED[key] = {
        "name": name,
        "arn": policy_arn,
        "kind": kind,
        "path": path,
        "created": created,
        "updated": updated,
        "versions": versions,
        "url_encode_default": url_encode_default,
    }
    return policy_arn


ADMIN = managed("AdministratorAccess", "AdministratorAccess", AWS, "/",
                t("2015-02-06 18:39:46"), t("2015-02-06 18:39:46"),
                [("v1", ADMINISTRATOR_ACCESS, True, t("2015-02-06 18:39:46"))])
IAMFULL = managed("IAMFullAccess", "IAMFullAccess", AWS, "/",
                  t("2015-02-06 18:40:38"), t("2019-06-21 19:40:00"),
                  [("v2", IAM_FULL_ACCESS, True, t("2019-06-21 19:40:00"))])
READONLY = managed("ReadOnlyAccess", "ReadOnlyAccess", AWS, "/",
                   t("2015-02-06 18:39:48"), t("2026-10-28 17:21:09"),
                   [("v131", READ_ONLY_ACCESS, True, t("2026-10-28 17:21:09"))])
SECAUDIT = managed("SecurityAudit", "SecurityAudit", AWS, "/",
                   t("2015-02-06 18:41:01"), t("2026-09-09 16:45:31"),
                   [("v51", SECURITY_AUDIT, True, t("2026-09-09 16:45:31"))])
POWERUSER = managed("PowerUserAccess", "PowerUserAccess", AWS, "/",
                    t("2015-02-06 18:39:47"), t("2026-02-12 17:59:20"),
                    [("v12", POWER_USER_ACCESS, True, t("2026-02-12 17:59:20"))])
BILLINGP = managed("Billing", "Billing", AWS, "/job-function/",
                   t("2016-11-10 17:33:18"), t("2025-03-12 18:07:45"),
                   [("v15", BILLING, True, t("2025-03-12 18:07:45"))])
CHANGEPW = managed("IAMUserChangePassword", "IAMUserChangePassword", AWS, "/",
                   t("2016-11-15 00:25:16"), t("2025-05-29 21:52:03"),
                   [("v3", IAM_USER_CHANGE_PASSWORD, True, t("2025-05-29 21:52:03"))])
SUPPORTACC = managed("AWSSupportAccess", "AWSSupportAccess", AWS, "/",
                     t("2015-02-06 18:41:11"), t("2015-02-06 18:41:11"),
                     [("v1", AWS_SUPPORT_ACCESS, True, t("2015-02-06 18:41:11"))])
LAMBDABASIC = managed("AWSLambdaBasicExecutionRole", "AWSLambdaBasicExecutionRole", AWS, "/service-role/",
                      t("2015-04-09 15:03:43"), t("2015-04-09 15:03:43"),
                      [("v1", AWS_LAMBDA_BASIC_EXECUTION_ROLE, True, t("2015-04-09 15:03:43"))])
SUPPORTSLR = managed("AWSSupportServiceRolePolicy", "AWSSupportServiceRolePolicy", AWS, "/aws-service-role/",
                     t("2018-04-19 18:04:44"), t("2026-06-03 20:11:52"),
                     [("v38", AWS_SUPPORT_SERVICE_ROLE_POLICY, True, t("2026-06-03 20:11:52"))])
TASLR = managed("AWSTrustedAdvisorServiceRolePolicy", "AWSTrustedAdvisorServiceRolePolicy", AWS,
                "/aws-service-role/", t("2018-02-22 21:24:52"), t("2025-11-19 18:30:07"),
                [("v14", AWS_TRUSTED_ADVISOR_SERVICE_ROLE_POLICY, True, t("2025-11-19 18:30:07"))])

PLATFORMFULL = managed("PlatformFullAccess", "PlatformFullAccess", CUSTOMER, "/",
                       t("2023-09-04 10:12:55"), t("2023-09-04 10:12:55"),
                       [("v1", PLATFORM_FULL_ACCESS, True, t("2023-09-04 10:12:55"))])
FORCEMFA = managed("ForceMFA", "ForceMFA", CUSTOMER, "/",
                   t("2021-02-10 11:30:02"), t("2022-06-14 08:44:19"),
                   [("v1", {"Version": V, "Statement": FORCE_MFA["Statement"][:-1]}, False,
                     t("2021-02-10 11:30:02")),
                    ("v2", FORCE_MFA, True, t("2022-06-14 08:44:19"))])
BOUNDARY = managed("RequireMFABoundary", "RequireMFABoundary", CUSTOMER, "/",
                   t("2025-04-22 09:40:13"), t("2025-04-22 09:40:13"),
                   [("v1", REQUIRE_MFA_BOUNDARY, True, t("2025-04-22 09:40:13"))],
                   url_encode_default=True)
DEVWORK = managed("DeveloperWorkloads", "DeveloperWorkloads", CUSTOMER, "/",
                  t("2022-02-01 13:05:40"), t("2023-05-08 15:27:02"),
                  [("v1", DEVELOPER_WORKLOADS_V1, False, t("2022-02-01 13:05:40")),
                   ("v2", DEVELOPER_WORKLOADS_V2, True, t("2023-05-08 15:27:02"))])
CONTRACTORP = managed("ContractorAccess", "ContractorAccess", CUSTOMER, "/contractors/",
                      t("2024-08-12 10:00:31"), t("2024-08-12 10:00:31"),
                      [("v1", CONTRACTOR_ACCESS, True, t("2024-08-12 10:00:31"))])
DATAP = managed("DataPlatformAccess", "DataPlatformAccess", CUSTOMER, "/",
                t("2023-02-20 14:18:07"), t("2024-11-05 09:02:48"),
                [("v3", DATA_PLATFORM_ACCESS, True, t("2024-11-05 09:02:48"))])
CIDEPLOY = managed("CIDeployPolicy", "CIDeployPolicy", CUSTOMER, "/",
                   t("2022-03-28 16:40:22"), t("2025-10-02 11:15:36"),
                   [("v4", CI_DEPLOY_POLICY, True, t("2025-10-02 11:15:36"))])
BACKUPP = managed("BackupOperator", "BackupOperator", CUSTOMER, "/",
                  t("2021-09-13 07:55:10"), t("2021-09-13 07:55:10"),
                  [("v1", BACKUP_OPERATOR, True, t("2021-09-13 07:55:10"))])


# --------------------------------------------------------------------------
# groups
# --------------------------------------------------------------------------

GROUPS = [
    # name, path, created, attached managed policy ARNs, inline [(name, doc, url_encoded)], what it is
    ("Admins", "/", t("2021-02-09 08:10:02"), [ADMIN], [],
     "administrators (AdministratorAccess)"),
    ("Auditors", "/external/", t("2022-04-04 09:30:45"), [SECAUDIT, READONLY],
     [("NoCustomerData", AUDITORS_INLINE_DENY_DATA, False)],
     "third-party auditors (SecurityAudit + ReadOnlyAccess, no customer data)"),
    ("BillingTeam", "/", t("2021-05-17 12:01:19"), [BILLINGP, CHANGEPW], [],
     "finance (job-function/Billing)"),
    ("Contractors", "/contractors/", t("2024-08-12 09:58:40"), [CONTRACTORP, CHANGEPW], [],
     "external contractors (mobile repositories only)"),
    ("DataEngineering", "/", t("2023-02-20 14:16:51"), [DATAP], [],
     "data engineers (Athena/Glue on the lake)"),
    ("Developers", "/", t("2022-02-01 13:02:11"), [DEVWORK, CHANGEPW], [],
     "developers (customer policy DeveloperWorkloads v2)"),
    ("ForceMFA", "/", t("2021-02-10 11:31:37"), [FORCEMFA], [],
     "MFA enforcement: the documented Force_MFA policy (Deny NotAction ... BoolIfExists false)"),
    ("IAMManagers", "/", t("2023-03-06 11:02:18"), [IAMFULL], [],
     "IAM administration (IAMFullAccess)"),
    ("LegacyMFA", "/", t("2021-08-23 15:47:03"), [],
     [("DenyAllWithoutMFA", LEGACY_MFA_INLINE_PITFALL, True)],
     "old MFA enforcement with the pitfall Deny + Bool false (access keys bypass it)"),
    ("SRE", "/", t("2022-07-11 10:20:30"), [POWERUSER], [],
     "site reliability engineers (PowerUserAccess)"),
]
GROUP_NAMES = {g[0] for g in GROUPS}


# --------------------------------------------------------------------------
# users
# --------------------------------------------------------------------------

FIDO = "fido"
HW = "hardware"
VIRT = "virtual"

USERS = []


def user(name, created, *, path="/", groups=(), managed_policies=(), inline=(), boundary=None,
         tags=(), password=None, mfa=(), keys=(), certs=(), what="", expect=None):
    """One IAM user.

    password: None (no console password) or (last_changed, last_used) with
              last_used None for a password never used (no_information).
    mfa:      [(kind, label, enable_date)]; label is the device name.
    keys:     up to two (active, last_rotated, last_used) with last_used
              None (never used) or (date, region, service).
    certs:    up to two (active, last_rotated).
    expect:   check id -> expected outcome text for README.md.
    """
    for group in groups:
        assert group in GROUP_NAMES, group
    USERS.append({
        "name": name, "path": path, "created": created, "groups": list(groups),
        "managed": list(managed_policies), "inline": list(inline), "boundary": boundary,
        "tags": list(tags), "password": password, "mfa": list(mfa), "keys": list(keys),
        "certs": list(certs), "what": what, "expect": expect or {},
    })


def team(team_name, owner):
    return [("team", team_name), ("owner", owner)]


# Expected outcome shorthands for README.md.
P = "pass"
F = "**fail**"
NA = "n/a"

# --- administrators ---------------------------------------------------------
user("alice", t("2021-02-09 08:15:33"), groups=["Admins", "ForceMFA"],
     tags=team("platform-security", "alice@example.com"),
     password=(t("2021-02-09 08:15:34"), t("2026-11-19 16:02:11")),
     mfa=[(FIDO, "alice-yubikey-5c", t("2021-02-09 08:31:02"))],
     keys=[(True, t("2026-08-03 07:45:12"), (t("2026-11-19 16:20:00"), "us-east-1", "iam"))],
     what="admin via group Admins; FIDO key only (enrolled 16 min after creation)",
     expect={"tier": "privileged", "console": P, "priv": P, "enforced": P})
user("bob", t("2021-04-12 13:40:08"), groups=["ForceMFA"], managed_policies=[ADMIN],
     tags=team("platform", "bob@example.com"),
     password=(t("2025-01-06 09:14:51"), t("2026-11-18 10:31:47")),
     mfa=[(HW, "bob", t("2021-07-01 09:12:40"))],
     what="admin with AdministratorAccess attached directly; hardware TOTP token only (enrolled 80 days after creation)",
     expect={"tier": "privileged", "console": P, "priv": P, "enforced": P})
user("carol", t("2021-06-01 09:00:12"), groups=["Admins", "ForceMFA"],
     tags=team("platform", "carol@example.com"),
     password=(t("2021-06-01 09:00:13"), t("2026-11-20 08:02:33")),
     mfa=[(VIRT, "carol", t("2021-06-01 09:20:44"))],
     what="admin via group Admins; virtual MFA; trusted by SupportRole",
     expect={"tier": "privileged", "console": P, "priv": P, "enforced": P})
user("dave", t("2022-01-10 10:22:31"), groups=["Admins", "ForceMFA"],
     tags=team("platform", "dave@example.com"),
     password=(t("2024-07-22 08:00:05"), t("2026-11-17 13:55:29")),
     mfa=[(VIRT, "dave-iphone", t("2022-01-10 11:05:50")),
          (FIDO, "dave-titan-key", t("2023-11-20 14:02:11"))],
     keys=[(True, t("2025-12-01 10:00:41"), (t("2026-11-17 14:03:00"), "eu-west-1", "cloudformation"))],
     what="admin via group Admins; FIDO key + virtual device",
     expect={"tier": "privileged", "console": P, "priv": P, "enforced": P})
user("erin", t("2024-05-20 15:31:02"), managed_policies=[ADMIN],
     tags=team("platform", "erin@example.com"),
     password=(t("2024-05-20 15:31:03"), t("2026-11-18 19:44:20")),
     keys=[(True, t("2024-05-20 15:40:10"), (t("2026-11-18 20:01:00"), "us-west-2", "ec2"))],
     what="admin (AdministratorAccess attached directly) with a console password and NO MFA; not in ForceMFA",
     expect={"tier": "privileged", "console": F, "priv": F, "enforced": F + " (no deny-without-MFA applies)"})
user("frank", t("2023-03-06 11:10:09"), groups=["IAMManagers", "LegacyMFA"],
     tags=team("identity", "frank@example.com"),
     password=(t("2023-03-06 11:10:10"), t("2026-10-30 09:12:05")),
     keys=[(True, t("2025-09-15 12:30:00"), (t("2026-11-19 18:40:00"), "us-east-1", "iam"))],
     what="IAMFullAccess via group IAMManagers, NO MFA; only under LegacyMFA's bypassable deny, and uses an access key daily",
     expect={"tier": "privileged", "console": F, "priv": F,
             "enforced": F + " (LegacyMFA's Deny + Bool false does not catch his access key)"})
user("grace", t("2022-08-15 10:45:27"), groups=["ForceMFA"],
     inline=[("break-fix-full-access", GRACE_INLINE_FULL_ACCESS, True)],
     tags=team("data-platform", "grace@example.com"),
     password=(t("2022-08-15 10:45:28"), t("2026-11-16 11:27:03")),
     mfa=[(VIRT, "grace", t("2022-08-15 11:02:09"))],
     what="privileged by an inline policy that allows * on * (document URL-encoded, as the raw API returns it); virtual MFA",
     expect={"tier": "privileged", "console": P, "priv": P, "enforced": P})
user("heidi", t("2023-09-04 10:05:18"), groups=["ForceMFA"], managed_policies=[PLATFORMFULL],
     tags=team("platform", "heidi@example.com"),
     password=(t("2023-09-04 10:05:19"), t("2026-11-19 07:48:50")),
     mfa=[(FIDO, "heidi-yubikey-5-nfc", t("2024-02-19 09:33:47"))],
     what="privileged by customer managed PlatformFullAccess (Allow * on *); FIDO key (enrolled 5 months after creation)",
     expect={"tier": "privileged", "console": P, "priv": P, "enforced": P})

# --- break-glass ------------------------------------------------------------
user("breakglass-admin", t("2021-02-10 12:00:41"), groups=["ForceMFA"], managed_policies=[ADMIN],
     tags=[("purpose", "break-glass"), ("owner", "security@example.com")],
     password=(t("2026-04-02 10:15:00"), t("2026-04-02 10:16:12")),
     mfa=[(HW, "breakglass-admin", t("2021-02-10 12:20:15"))],
     what="break-glass account named in mfaguard.toml; AdministratorAccess; hardware TOTP token in the safe; used once a quarter for the drill",
     expect={"tier": "breakglass", "console": P, "priv": P, "bg": P, "enforced": P})
user("emergency-access", t("2024-10-01 16:20:00"), groups=["Admins", "ForceMFA"],
     tags=[("mfaguard:break-glass", "true"), ("owner", "security@example.com")],
     password=(t("2024-10-01 16:20:01"), t("2025-12-12 03:41:56")),
     mfa=[(VIRT, "emergency-access", t("2024-10-01 16:31:40"))],
     what="break-glass by tag mfaguard:break-glass=true; admin via group Admins; only a virtual device",
     expect={"tier": "breakglass", "console": P, "priv": P,
             "bg": F + " (virtual device only)", "enforced": P})

# --- the substring trap -------------------------------------------------------
user("rootops", t("2025-03-17 08:30:00"), managed_policies=[READONLY],
     inline=[("AlarmOperations", ROOTOPS_INLINE, False)],
     tags=team("operations", "ops-lead@example.com"),
     password=(t("2025-03-17 08:30:01"), t("2026-11-17 22:10:38")),
     what="operations user whose name contains \"root\": an ordinary IAM user, NOT the root user; console, no MFA",
     expect={"tier": "human", "console": F, "priv": NA, "enforced": F})

# --- developers ---------------------------------------------------------------
DEV = ["Developers"]
DEV_FORCE = ["Developers", "ForceMFA"]
user("judy", t("2022-02-14 09:12:44"), groups=DEV_FORCE, tags=team("checkout", "judy@example.com"),
     password=(t("2022-02-14 09:12:45"), t("2026-11-19 08:55:01")),
     mfa=[(VIRT, "judy", t("2022-02-14 09:40:10"))],
     keys=[(True, t("2026-06-30 15:12:09"), (t("2026-11-19 09:10:00"), "eu-west-1", "s3"))],
     what="developer; virtual MFA",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": P})
user("karl", t("2022-05-03 14:02:19"), groups=DEV_FORCE, tags=team("checkout", "karl@example.com"),
     password=(t("2022-05-03 14:02:20"), t("2026-11-18 15:30:12")),
     mfa=[(VIRT, "karl", t("2022-05-04 08:47:33"))],
     what="developer; virtual MFA (enrolled the next day)",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": P})
user("liam", t("2022-09-19 10:30:55"), groups=DEV_FORCE, tags=team("search", "liam@example.com"),
     password=(t("2022-09-19 10:30:56"), t("2026-11-20 07:58:46")),
     mfa=[(FIDO, "liam-yubikey", t("2022-09-19 10:52:18"))],
     what="developer; FIDO key only",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": P})
user("maya", t("2023-01-09 09:00:03"), groups=DEV_FORCE, tags=team("search", "maya@example.com"),
     password=(t("2023-01-09 09:00:04"), t("2026-11-14 12:01:25")),
     mfa=[(VIRT, "maya", t("2023-04-11 16:25:00"))],
     what="developer; virtual MFA enrolled 3 months after creation",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": P})
user("nina", t("2026-10-05 08:45:10"), path="/engineering/", groups=DEV_FORCE,
     tags=team("payments", "nina@example.com"),
     password=(t("2026-10-05 08:45:11"), t("2026-11-19 09:30:27")),
     what="developer with path /engineering/ in ForceMFA: the policy's user/${aws:username} does not match "
          "user/engineering/nina, so she cannot enable a device (created mfa/nina, never enabled); no MFA; no exception",
     expect={"tier": "human", "console": F, "priv": NA,
             "enforced": F + " (locked out of enrolling: path does not match user/${aws:username})"})
user("oscar", t("2023-06-12 11:11:11"), groups=DEV_FORCE, tags=team("payments", "oscar@example.com"),
     password=(t("2023-06-12 11:11:12"), t("2026-11-19 17:45:02")),
     mfa=[(FIDO, "oscar-yubikey", t("2023-06-12 11:30:40"))],
     what="developer; FIDO key only",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": P})
user("peggy", t("2021-11-08 08:20:00"), groups=DEV_FORCE, tags=team("payments", "peggy@example.com"),
     password=(t("2023-03-01 10:00:00"), t("2026-11-20 08:44:19")),
     mfa=[(VIRT, "peggy-phone", t("2021-11-08 08:41:12")),
          (HW, "peggy", t("2022-03-01 09:15:37")),
          (FIDO, "peggy-yubikey-5c", t("2024-06-17 13:02:55"))],
     what="developer (team lead) with three devices of mixed kinds: virtual + hardware TOTP + FIDO",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": P})
user("quinn", t("2026-11-17 14:05:33"), groups=DEV_FORCE, tags=team("checkout", "quinn@example.com"),
     password=(t("2026-11-17 14:05:34"), None),
     what="new hire, created 3 days before the report; password never used (no_information); no MFA yet; "
          "covered by the VALID exception",
     expect={"tier": "human", "console": "excepted (valid exception)", "priv": NA, "enforced": P})
user("rachel", t("2024-02-26 09:50:45"), groups=DEV_FORCE, tags=team("search", "rachel@example.com"),
     password=(t("2024-02-26 09:50:46"), t("2026-11-13 16:19:30")),
     what="developer without MFA (lost phone); her exception EXPIRED on 2026-09-30 and must not suppress the failure",
     expect={"tier": "human", "console": F + " (exception expired)", "priv": NA, "enforced": P})
user("sam", t("2025-07-07 10:10:10"), groups=DEV_FORCE, tags=team("developer-relations", "sam@example.com"),
     password=(t("2025-07-07 10:10:11"), t("2026-11-19 14:22:08")),
     what="shared workshop login without MFA; its exception has NO OWNER (and is overdue for review), so it suppresses nothing",
     expect={"tier": "human", "console": F + " (exception has no owner)", "priv": NA, "enforced": P})
user("tina", t("2024-09-09 09:09:09"), groups=DEV, tags=team("mobile", "tina@example.com"),
     password=(t("2024-09-09 09:09:10"), t("2026-11-18 11:03:44")),
     mfa=[(VIRT, "tina", t("2024-09-09 09:31:27"))],
     what="developer with virtual MFA but NOT in ForceMFA: enrolled, not enforced",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": F})
user("uma", t("2025-01-13 08:58:30"), groups=DEV, tags=team("mobile", "uma@example.com"),
     password=(t("2025-01-13 08:58:31"), t("2026-11-17 10:12:50")),
     mfa=[(FIDO, "uma-security-key", t("2025-01-13 09:20:04"))],
     what="developer with a FIDO key but NOT in ForceMFA",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": F})
user("victor", t("2023-10-23 13:37:00"), groups=DEV, tags=team("finance-eng", "victor@example.com"),
     inline=[("FinanceReportsWithMFA", VICTOR_INLINE_PITFALL, False)],
     password=(t("2023-10-23 13:37:01"), t("2026-11-19 10:05:55")),
     mfa=[(VIRT, "victor", t("2023-10-24 09:00:29"))],
     keys=[(True, t("2025-10-23 08:00:00"), (t("2026-11-20 06:30:00"), "eu-west-1", "s3"))],
     what="developer whose inline policy uses the pitfall Allow + BoolIfExists aws:MultiFactorAuthPresent true "
          "(his access key reads the finance reports without MFA); not in ForceMFA",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": F})
user("wendy", t("2025-04-22 09:35:50"), groups=DEV, boundary=BOUNDARY,
     tags=team("platform", "wendy@example.com"),
     password=(t("2025-04-22 09:35:51"), t("2026-11-19 15:40:36")),
     mfa=[(VIRT, "wendy", t("2025-04-22 10:01:12"))],
     what="developer with permissions boundary RequireMFABoundary (Allow * only with Bool MFA true, plus MFA self-service); not in ForceMFA",
     expect={"tier": "human", "console": P, "priv": NA,
             "enforced": F + " (locked out: the boundary allows MFA self-service, but no identity policy does, and a boundary only limits)"})
user("xavier", t("2025-09-15 10:00:00"), groups=DEV_FORCE, tags=team("checkout", "xavier@example.com"),
     password=(t("2025-09-15 10:00:01"), t("2026-11-18 09:27:14")),
     mfa=[(VIRT, "xavier", t("2025-09-15 10:14:52"))],
     keys=[(True, t("2026-09-15 09:00:00"), (t("2026-11-18 09:45:00"), "eu-west-1", "ecr")),
           (False, t("2025-09-15 10:30:00"), (t("2026-09-14 17:00:00"), "eu-west-1", "ecr"))],
     what="developer; virtual MFA; rotated access key (old key 2 deactivated)",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": P})

user("olga", t("2026-11-20 09:00:00"), tags=team("checkout", "olga@example.com"),
     password=(t("2026-11-20 09:00:01"), None),
     what="new hire: console password set, never signed in, no MFA, no groups or policies yet",
     expect={"tier": "human", "console": F, "priv": NA,
             "enforced": NA + " (no_access: nothing is allowed yet, with or without MFA)"})

# --- SRE ------------------------------------------------------------------------
user("kenji", t("2022-07-11 10:25:00"), groups=["SRE", "ForceMFA"], tags=team("sre", "kenji@example.com"),
     password=(t("2022-07-11 10:25:01"), t("2026-11-20 02:14:09")),
     mfa=[(FIDO, "kenji-yubikey-5c-nano", t("2022-07-11 10:40:36"))],
     keys=[(True, t("2026-07-11 08:00:00"), (t("2026-11-20 02:30:00"), "us-east-1", "ec2"))],
     what="SRE with PowerUserAccess; FIDO key",
     expect={"tier": "privileged", "console": P,
             "priv": P + " (PowerUserAccess allows sso:*: IAM Identity Center permission sets, a privilege-escalation path)",
             "enforced": P})
user("lucia", t("2023-08-28 09:15:42"), groups=["SRE", "ForceMFA"], tags=team("sre", "lucia@example.com"),
     password=(t("2023-08-28 09:15:43"), t("2026-11-19 23:05:51")),
     mfa=[(VIRT, "lucia", t("2023-08-28 09:29:10"))],
     what="SRE with PowerUserAccess; virtual MFA",
     expect={"tier": "privileged", "console": P, "priv": P, "enforced": P})
user("mateo", t("2024-03-04 13:00:20"), groups=["SRE"], tags=team("sre", "mateo@example.com"),
     password=(t("2024-03-04 13:00:21"), t("2026-11-16 20:48:33")),
     mfa=[(HW, "mateo", t("2024-03-11 08:12:00"))],
     what="SRE with PowerUserAccess; hardware TOTP token; not in ForceMFA",
     expect={"tier": "privileged", "console": P, "priv": P, "enforced": F})

# --- auditors (external) ----------------------------------------------------------
AUD_TAGS = [("team", "external-audit"), ("owner", "grc@example.com"), ("company", "Example Audit LLP")]
user("audit-anna", t("2025-10-06 09:00:00"), path="/external/", groups=["Auditors"], tags=AUD_TAGS,
     password=(t("2025-10-06 09:00:01"), t("2026-11-12 14:30:22")),
     mfa=[(VIRT, "audit-anna", t("2025-10-06 09:25:48"))],
     what="external auditor (SecurityAudit + ReadOnlyAccess); virtual MFA; no enforcement policy",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": F})
user("audit-ben", t("2025-10-06 09:02:30"), path="/external/", groups=["Auditors"], tags=AUD_TAGS,
     password=(t("2025-10-06 09:02:31"), t("2026-11-10 10:11:12")),
     what="external auditor; NO MFA",
     expect={"tier": "human", "console": F, "priv": NA, "enforced": F})
user("audit-chen", t("2026-01-19 08:40:00"), path="/external/", groups=["Auditors"], tags=AUD_TAGS,
     password=(t("2026-01-19 08:40:01"), t("2026-11-03 16:02:44")),
     mfa=[(HW, "audit-chen", t("2026-01-21 10:00:00"))],
     what="external auditor; hardware TOTP token",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": F})
user("audit-dora", t("2025-02-03 10:30:00"), path="/external/", groups=["Auditors"], tags=AUD_TAGS,
     password=(t("2025-02-03 10:30:01"), t("2026-03-02 11:45:09")),
     what="external auditor from last year's audit, password last used in March; NO MFA",
     expect={"tier": "human", "console": F, "priv": NA, "enforced": F})

# --- billing ------------------------------------------------------------------
user("fiona", t("2021-05-17 12:05:33"), groups=["BillingTeam", "ForceMFA"], tags=team("finance", "fiona@example.com"),
     password=(t("2021-05-17 12:05:34"), t("2026-11-02 09:00:43")),
     mfa=[(VIRT, "fiona", t("2021-05-17 12:20:01"))],
     what="finance (job-function/Billing); virtual MFA",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": P})
user("greg", t("2024-01-08 08:08:08"), groups=["BillingTeam"], tags=team("finance", "greg@example.com"),
     password=(t("2024-01-08 08:08:09"), t("2026-11-04 10:26:31")),
     mfa=[(VIRT, "greg", t("2024-06-03 13:44:40"))],
     what="finance; virtual MFA enrolled 5 months after creation; not in ForceMFA",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": F})

# --- contractors --------------------------------------------------------------
CON = ["Contractors", "LegacyMFA"]
CON_TAGS = [("team", "mobile"), ("owner", "tina@example.com"), ("company", "Example Apps GmbH")]
user("contractor-hana", t("2024-08-12 10:05:00"), path="/contractors/", groups=CON, tags=CON_TAGS,
     password=(t("2024-08-12 10:05:01"), t("2026-11-18 08:20:15")),
     mfa=[(VIRT, "contractor-hana", t("2024-08-12 10:21:30"))],
     keys=[(True, t("2025-08-12 09:00:00"), (t("2026-11-18 08:40:00"), "eu-west-1", "codecommit"))],
     what="contractor; virtual MFA; under LegacyMFA only (bypassable deny) and uses an access key for git",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": F + " (LegacyMFA's deny does not catch access keys)"})
user("contractor-ivo", t("2025-05-05 09:30:00"), path="/contractors/", groups=CON, tags=CON_TAGS,
     password=(t("2025-05-05 09:30:01"), t("2026-11-11 13:12:57")),
     mfa=[(VIRT, "contractor-ivo", t("2025-05-06 07:58:03"))],
     what="contractor; virtual MFA; under LegacyMFA only",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": F})

# --- data engineering --------------------------------------------------------------
user("lena", t("2023-02-20 14:30:00"), groups=["DataEngineering", "ForceMFA"], tags=team("data", "lena@example.com"),
     password=(t("2023-02-20 14:30:01"), t("2026-11-19 12:12:12")),
     mfa=[(VIRT, "lena", t("2023-02-20 14:44:27"))],
     what="data engineer; virtual MFA; trusted directly by DataAnalystRole",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": P})
user("marco", t("2024-11-11 11:00:00"), groups=["DataEngineering", "ForceMFA"], tags=team("data", "marco@example.com"),
     password=(t("2024-11-11 11:00:01"), t("2026-11-18 16:36:40")),
     mfa=[(FIDO, "marco-yubikey", t("2024-11-29 10:18:22"))],
     what="data engineer; FIDO key (enrolled 18 days after creation)",
     expect={"tier": "human", "console": P, "priv": NA, "enforced": P})

# --- machine users (no console password) --------------------------------------------
MACHINE_EXPECT = {"tier": "machine", "console": NA, "priv": NA, "enforced": NA}
user("backup-agent", t("2021-09-13 08:00:00"), path="/machine/", managed_policies=[BACKUPP],
     tags=team("platform", "platform@example.com"),
     keys=[(True, t("2025-09-13 08:00:00"), (t("2026-11-20 03:00:00"), "eu-west-1", "s3"))],
     what="machine user: nightly backups; one access key",
     expect=MACHINE_EXPECT)
user("ci-deployer", t("2022-03-28 16:45:10"), path="/machine/", managed_policies=[CIDEPLOY],
     tags=team("platform", "platform@example.com"),
     keys=[(True, t("2026-08-14 09:00:00"), (t("2026-11-20 08:55:00"), "us-east-1", "cloudformation")),
           (True, t("2026-11-02 10:30:00"), (t("2026-11-19 17:20:00"), "eu-west-1", "ecr"))],
     what="machine user: legacy CI deployer with two active keys (rotation in progress); iam:PassRole on role/app-* with CloudFormation",
     expect={**MACHINE_EXPECT, "tier": "machine (holds the escalation pair iam:PassRole + cloudformation:CreateStack, limited to role/app-*)"})
user("legacy-etl", t("2021-06-30 12:00:00"), path="/machine/", inline=[("LegacyEtlAccess", LEGACY_ETL_INLINE, False)],
     tags=team("data", "lena@example.com"),
     keys=[(True, t("2021-06-30 12:05:00"), (t("2026-11-20 01:15:00"), "eu-central-1", "s3")),
           (False, t("2021-06-30 12:06:00"), None)],
     certs=[(True, t("2021-06-30 12:10:00"))],
     what="machine user: 5-year-old key, a never-used inactive second key, and an active X.509 signing certificate",
     expect=MACHINE_EXPECT)
user("log-shipper", t("2022-11-21 10:00:00"), path="/machine/", inline=[("ShipLogs", LOG_SHIPPER_INLINE, False)],
     tags=team("sre", "sre@example.com"),
     keys=[(True, t("2025-11-21 10:00:00"), (t("2026-11-20 09:05:00"), "eu-west-1", "logs"))],
     what="machine user: on-premises log forwarder",
     expect=MACHINE_EXPECT)
user("monitoring-exporter", t("2022-07-18 15:20:00"), path="/machine/",
     inline=[("CloudWatchExport", MONITORING_INLINE, False)],
     tags=team("sre", "sre@example.com"),
     keys=[(True, t("2026-01-18 15:20:00"), (t("2026-11-20 09:10:00"), "us-east-1", "monitoring"))],
     what="machine user: metrics exporter",
     expect=MACHINE_EXPECT)
user("s3-sync-nas", t("2022-12-05 17:00:00"), path="/machine/", inline=[("NasSync", NAS_SYNC_INLINE, False)],
     tags=team("it", "it@example.com"),
     keys=[(False, t("2022-12-05 17:05:00"), (t("2025-12-01 22:00:00"), "eu-west-1", "s3")),
           (True, t("2025-12-01 12:00:00"), (t("2026-11-19 22:00:00"), "eu-west-1", "s3"))],
     what="machine user: office NAS sync; key 1 deactivated after rotation, key 2 active",
     expect=MACHINE_EXPECT)
user("ses-smtp-sender", t("2023-04-17 11:30:00"), path="/machine/",
     inline=[("AmazonSesSendingAccess", SES_SENDING_INLINE, False)],
     tags=team("checkout", "judy@example.com"),
     keys=[(True, t("2023-04-17 11:30:05"), (t("2026-11-20 09:11:00"), "eu-west-1", "ses"))],
     what="machine user: SMTP credentials for SES",
     expect=MACHINE_EXPECT)
user("terraform", t("2021-03-01 09:00:00"), path="/machine/", managed_policies=[ADMIN],
     tags=team("platform", "platform@example.com"),
     keys=[(True, t("2026-03-01 09:00:00"), (t("2026-11-19 16:40:00"), "us-east-1", "iam")),
           (False, t("2023-03-01 09:00:00"), (t("2026-02-27 18:00:00"), "us-east-1", "iam"))],
     what="privileged machine user: AdministratorAccess on a long-term access key (should be a role)",
     expect={**MACHINE_EXPECT, "tier": "machine (privileged: AdministratorAccess)"})

USERS.sort(key=lambda u: u["name"])
USER_BY_NAME = {u["name"]: u for u in USERS}


def user_arn(u):
    return arn("user%s%s" % (u["path"], u["name"]))


# --- root -------------------------------------------------------------------------
ROOT = {
    "created": t("2021-02-08 10:03:27"),
    "password_last_used": t("2026-09-14 07:41:09"),
    "mfa_serial": arn("mfa/root-account-mfa-device"),
    "mfa_enabled": t("2021-02-08 10:19:55"),
}

# Virtual devices created but never enabled (no User, no EnableDate).
UNASSIGNED_VIRTUAL = [arn("mfa/nina"), arn("mfa/onboarding-temp")]


# --------------------------------------------------------------------------
# roles
# --------------------------------------------------------------------------

def trust(statements):
    return {"Version": V, "Statement": statements}


def service_trust(service):
    return trust([{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}])


ROLES = []


def role(name, created, trust_doc, *, path="/", managed_policies=(), inline=(), tags=(), last_used=None,
         instance_profile=None, trust_url_encoded=False, what="", expect="", tier=""):
    ROLES.append({
        "name": name, "path": path, "created": created, "trust": trust_doc,
        "managed": list(managed_policies), "inline": list(inline), "tags": list(tags),
        "last_used": last_used, "instance_profile": instance_profile,
        "trust_url_encoded": trust_url_encoded, "what": what, "expect": expect, "tier": tier,
    })


role("app-server-ec2", t("2022-04-25 12:00:00"), service_trust("ec2.amazonaws.com"),
     inline=[("AppBucketAccess", APP_BUCKET_INLINE, False)],
     tags=[("team", "checkout"), ("owner", "judy@example.com")],
     last_used=(t("2026-11-20 09:00:00"), "eu-west-1"),
     instance_profile=t("2022-04-25 12:00:01"),
     what="EC2 service role with an instance profile (tagged)", tier="machine",
     expect=NA + " (AWS service principal)")
role("image-resizer-lambda", t("2023-05-30 08:45:00"), service_trust("lambda.amazonaws.com"),
     path="/service-role/", managed_policies=[LAMBDABASIC],
     last_used=(t("2026-11-20 08:59:00"), "eu-west-1"),
     what="Lambda execution role (untagged)", tier="machine",
     expect=NA + " (AWS service principal)")
role("OrganizationAccountAccessRole", t("2021-02-08 10:03:30"),
     trust([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % ORG_MANAGEMENT_ACCOUNT},
             "Action": "sts:AssumeRole"}]),
     managed_policies=[ADMIN],
     last_used=(t("2026-10-21 14:12:00"), "us-east-1"),
     what="created by AWS Organizations: trusts the management account 999988887777 without any MFA condition; AdministratorAccess",
     tier="privileged", expect=F + " (no MFA condition; admin)")
role("DeveloperAccess", t("2022-02-01 13:10:00"),
     trust([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % ACCOUNT},
             "Action": "sts:AssumeRole",
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]),
     managed_policies=[POWERUSER], tags=[("team", "platform")],
     last_used=(t("2026-11-19 16:00:00"), "eu-west-1"),
     what="trusts this account with Bool aws:MultiFactorAuthPresent true; PowerUserAccess",
     tier="privileged", expect=P)
role("SupportRole", t("2021-08-02 09:00:00"),
     trust([{"Effect": "Allow", "Principal": {"AWS": arn("user/carol")},
             "Action": "sts:AssumeRole",
             "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}}]),
     managed_policies=[SUPPORTACC, READONLY], trust_url_encoded=True,
     last_used=(t("2026-09-30 11:20:00"), "us-east-1"),
     what="trusts user carol with the pitfall BoolIfExists aws:MultiFactorAuthPresent true (her access key can assume it); "
          "trust policy stored URL-encoded",
     tier="human", expect=F + " (BoolIfExists true is satisfied by access keys)")
role("ThirdPartyAuditor", t("2025-10-06 08:30:00"),
     trust([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % AUDIT_VENDOR_ACCOUNT},
             "Action": "sts:AssumeRole",
             "Condition": {"StringEquals": {"sts:ExternalId": "c9f3a7e1-5b2d-4e8f-9a61-0d4b7e2c8f35"}}}]),
     managed_policies=[SECAUDIT], tags=[("vendor", "Example Audit LLP"), ("owner", "grc@example.com")],
     last_used=(t("2026-11-12 14:35:00"), "us-east-1"),
     what="cross-account role for the audit vendor 444455556666, protected by sts:ExternalId (not MFA); SecurityAudit",
     tier="human",
     expect=F + " (ExternalId is not MFA; tag mfaguard:machine=true or add an exception if only the vendor's service assumes it)")
role("CIDeployRole", t("2022-03-28 16:50:00"),
     trust([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:role/jenkins-build-agent" % TOOLING_ACCOUNT},
             "Action": "sts:AssumeRole"}]),
     managed_policies=[CIDEPLOY], tags=[("mfaguard:machine", "true"), ("team", "platform")],
     last_used=(t("2026-11-20 08:50:00"), "us-east-1"),
     what="assumed by the Jenkins agent role of the tooling account; tagged mfaguard:machine=true",
     tier="machine", expect=NA + " (tagged mfaguard:machine)")
role("OktaEngineers", t("2023-11-06 10:00:00"),
     trust([{"Effect": "Allow", "Principal": {"Federated": arn("saml-provider/Okta")},
             "Action": "sts:AssumeRoleWithSAML",
             "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]),
     managed_policies=[READONLY], tags=[("team", "platform")],
     last_used=(t("2026-11-20 08:30:00"), "eu-west-1"),
     what="SAML federation from Okta: people sign in at the IdP, where MFA is enforced outside AWS",
     tier="human",
     expect="unknown (MFA happens at the IdP; AWS inputs cannot show it; never a pass)")
role("GitHubActionsDeploy", t("2024-06-10 12:00:00"),
     trust([{"Effect": "Allow",
             "Principal": {"Federated": arn("oidc-provider/token.actions.githubusercontent.com")},
             "Action": "sts:AssumeRoleWithWebIdentity",
             "Condition": {
                 "StringEquals": {"token.actions.githubusercontent.com:aud": "sts.amazonaws.com"},
                 "StringLike": {"token.actions.githubusercontent.com:sub": "repo:example-corp/*:ref:refs/heads/main"},
             }}]),
     managed_policies=[CIDEPLOY], tags=[("team", "platform")],
     last_used=(t("2026-11-20 09:02:00"), "us-east-1"),
     what="GitHub Actions OIDC workload role",
     tier="machine", expect=NA + " (OIDC workload identity)")
role("SecurityAdmin", t("2021-02-15 09:00:00"),
     trust([{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::%s:root" % ACCOUNT},
             "Action": "sts:AssumeRole",
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                           "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}]),
     managed_policies=[IAMFULL, SECAUDIT], tags=[("team", "platform-security")],
     last_used=(t("2026-11-18 10:00:00"), "us-east-1"),
     what="privileged role (IAMFullAccess) requiring MFA authenticated within the last hour",
     tier="privileged", expect=P)
role("DataAnalystRole", t("2024-02-12 15:00:00"),
     trust([{"Effect": "Allow", "Principal": {"AWS": [arn("user/lena"), arn("user/marco")]},
             "Action": "sts:AssumeRole"}]),
     managed_policies=[DATAP], tags=[("team", "data")],
     last_used=None,
     what="trusts users lena and marco directly, no MFA condition; never used",
     tier="human", expect=F + " (no MFA condition)")
role("AWSServiceRoleForSupport", t("2021-02-08 10:05:12"), service_trust("support.amazonaws.com"),
     path="/aws-service-role/support.amazonaws.com/", managed_policies=[SUPPORTSLR],
     last_used=None,
     what="service-linked role", tier="machine", expect=NA + " (service-linked)")
role("AWSServiceRoleForTrustedAdvisor", t("2021-02-08 10:05:13"), service_trust("trustedadvisor.amazonaws.com"),
     path="/aws-service-role/trustedadvisor.amazonaws.com/", managed_policies=[TASLR],
     last_used=(t("2026-11-19 23:40:00"), "us-east-1"),
     what="service-linked role", tier="machine", expect=NA + " (service-linked)")

ROLES.sort(key=lambda r: r["name"])


# --------------------------------------------------------------------------
# exceptions (mfaguard.toml)
# --------------------------------------------------------------------------

EXCEPTIONS = [
    {
        "check": "iam.console_user_mfa",
        "resource": user_arn(USER_BY_NAME["quinn"]),
        "owner": "eng-onboarding@example.com",
        "reason": "New hire starting 2026-11-24; the FIDO key is handed out on the first day",
        "expires": "2027-01-31",
        "reviewed": "2026-11-18",
        "expect": P + " (owner, not expired, reviewed 4 days ago): suppresses quinn's failure",
    },
    {
        "check": "iam.console_user_mfa",
        "resource": user_arn(USER_BY_NAME["rachel"]),
        "owner": "dev-leads@example.com",
        "reason": "Lost phone; replacement device was on order",
        "expires": "2026-09-30",
        "reviewed": "2026-09-01",
        "expect": F + " (expired 2026-09-30): suppresses nothing, rachel stays failed",
    },
    {
        "check": "iam.console_user_mfa",
        "resource": user_arn(USER_BY_NAME["sam"]),
        "owner": "",
        "reason": "Shared login for customer workshops, to be replaced by SSO",
        "expires": "2027-03-31",
        "reviewed": "2026-07-15",
        "expect": F + " (no owner; last reviewed 2026-07-15, 130 days ago > 90): suppresses nothing, sam stays failed",
    },
]
BREAKGLASS_USERS = ["breakglass-admin"]


# --------------------------------------------------------------------------
# builders
# --------------------------------------------------------------------------

def device_serial(u, kind, label):
    if kind == VIRT:
        return arn("mfa/" + label)
    if kind == FIDO:
        return arn("u2f/user/%s/%s-%s" % (u["name"], label, _b32("fido:" + u["name"] + label, 26)))
    return hardware_serial(u["name"] + ":" + label)


def credential_report_csv():
    rows = [CREDENTIAL_REPORT_COLUMNS]
    rows.append([
        "<root_account>", "arn:aws:iam::%s:root" % ACCOUNT, ROOT["created"],
        "not_supported", ROOT["password_last_used"], "not_supported", "not_supported", "true",
        "false", "N/A", "N/A", "N/A", "N/A",
        "false", "N/A", "N/A", "N/A", "N/A",
        "false", "N/A", "false", "N/A",
    ])
    for u in USERS:
        if u["password"]:
            changed, used = u["password"]
            pw = ["true", used or "no_information", changed, "N/A"]
        else:
            pw = ["false", "N/A", "N/A", "N/A"]
        keys = []
        for slot in range(2):
            if slot < len(u["keys"]):
                active, rotated, used = u["keys"][slot]
                if used:
                    keys += ["true" if active else "false", rotated, used[0], used[1], used[2]]
                else:
                    keys += ["true" if active else "false", rotated, "N/A", "N/A", "N/A"]
            else:
                keys += ["false", "N/A", "N/A", "N/A", "N/A"]
        certs = []
        for slot in range(2):
            if slot < len(u["certs"]):
                active, rotated = u["certs"][slot]
                certs += ["true" if active else "false", rotated]
            else:
                certs += ["false", "N/A"]
        rows.append([u["name"], user_arn(u), u["created"]] + pw[:4] +
                    ["true" if u["mfa"] else "false"] + keys + certs)
    for row in rows:
        assert len(row) == 22, row
    return "\n".join(",".join(row) for row in rows)


def policy_document_field(document, encoded):
    return url_encoded(document) if encoded else document


def attached(policy_arns):
    by_arn = {p["arn"]: p for p in MANAGED.values()}
    return [{"PolicyName": by_arn[a]["name"], "PolicyArn": a} for a in policy_arns]


def tag_list(tags):
    return [{"Key": k, "Value": v} for k, v in tags]


def authorization_details():
    users = []
    for u in USERS:
        detail = {
            "Path": u["path"],
            "UserName": u["name"],
            "UserId": unique_id("AIDA", u["name"]),
            "Arn": user_arn(u),
            "CreateDate": u["created"],
            "UserPolicyList": [
                {"PolicyName": name, "PolicyDocument": policy_document_field(doc, enc)}
                for name, doc, enc in u["inline"]
            ],
            "GroupList": u["groups"],
            "AttachedManagedPolicies": attached(u["managed"]),
        }
        if u["boundary"]:
            detail["PermissionsBoundary"] = {
                "PermissionsBoundaryType": "Policy",
                "PermissionsBoundaryArn": u["boundary"],
            }
        detail["Tags"] = tag_list(u["tags"])
        users.append(detail)

    groups = []
    for name, path, created, policies, inline, _ in GROUPS:
        groups.append({
            "Path": path,
            "GroupName": name,
            "GroupId": unique_id("AGPA", name),
            "Arn": arn("group%s%s" % (path, name)),
            "CreateDate": created,
            "GroupPolicyList": [
                {"PolicyName": pname, "PolicyDocument": policy_document_field(doc, enc)}
                for pname, doc, enc in inline
            ],
            "AttachedManagedPolicies": attached(policies),
        })

    roles = []
    for r in ROLES:
        role_id = unique_id("AROA", r["name"])
        role_arn = arn("role%s%s" % (r["path"], r["name"]))
        profiles = []
        if r["instance_profile"]:
            profiles.append({
                "Path": "/",
                "InstanceProfileName": r["name"],
                "InstanceProfileId": unique_id("AIPA", r["name"]),
                "Arn": arn("instance-profile/" + r["name"]),
                "CreateDate": r["instance_profile"],
                "Roles": [{
                    "Path": r["path"],
                    "RoleName": r["name"],
                    "RoleId": role_id,
                    "Arn": role_arn,
                    "CreateDate": r["created"],
                    "AssumeRolePolicyDocument": r["trust"],
                }],
            })
        detail = {
            "Path": r["path"],
            "RoleName": r["name"],
            "RoleId": role_id,
            "Arn": role_arn,
            "CreateDate": r["created"],
            "AssumeRolePolicyDocument": policy_document_field(r["trust"], r["trust_url_encoded"]),
            "InstanceProfileList": profiles,
            "RolePolicyList": [
                {"PolicyName": pname, "PolicyDocument": policy_document_field(doc, enc)}
                for pname, doc, enc in r["inline"]
            ],
            "AttachedManagedPolicies": attached(r["managed"]),
            "Tags": tag_list(r["tags"]),
            "RoleLastUsed": ({"LastUsedDate": r["last_used"][0], "Region": r["last_used"][1]}
                             if r["last_used"] else {}),
        }
        roles.append(detail)

    attachment_count = {}
    for entity in USERS + ROLES:
        for a in entity["managed"]:
            attachment_count[a] = attachment_count.get(a, 0) + 1
    for g in GROUPS:
        for a in g[3]:
            attachment_count[a] = attachment_count.get(a, 0) + 1
    boundary_count = {}
    for u in USERS:
        if u["boundary"]:
            boundary_count[u["boundary"]] = boundary_count.get(u["boundary"], 0) + 1

    policies = []
    for p in sorted(MANAGED.values(), key=lambda p: (p["kind"] != CUSTOMER, p["name"])):
        default = [v for v in p["versions"] if v[2]]
        assert len(default) == 1, p["name"]
        versions = []
        for version_id, document, is_default, created in sorted(p["versions"], key=lambda v: v[0], reverse=True):
            encoded = is_default and p["url_encode_default"]
            versions.append({
                "Document": policy_document_field(document, encoded),
                "VersionId": version_id,
                "IsDefaultVersion": is_default,
                "CreateDate": created,
            })
        count = attachment_count.get(p["arn"], 0)
        bcount = boundary_count.get(p["arn"], 0)
        assert count or bcount, "policy %s is neither attached nor a boundary" % p["name"]
        policies.append({
            "PolicyName": p["name"],
            "PolicyId": unique_id("ANPA", p["arn"]),
            "Arn": p["arn"],
            "Path": p["path"],
            "DefaultVersionId": default[0][0],
            "AttachmentCount": count,
            "PermissionsBoundaryUsageCount": bcount,
            "IsAttachable": True,
            "CreateDate": p["created"],
            "UpdateDate": p["updated"],
            "PolicyVersionList": versions,
        })
    return {
        "UserDetailList": users,
        "GroupDetailList": groups,
        "RoleDetailList": roles,
        "Policies": policies,
    }


def all_devices():
    """(user_name, user or None for root, serial, enable_date) of every enabled device."""
    devices = [("<root_account>", None, ROOT["mfa_serial"], ROOT["mfa_enabled"])]
    for u in USERS:
        for kind, label, enabled in u["mfa"]:
            devices.append((u["name"], u, device_serial(u, kind, label), enabled))
    return devices


def virtual_mfa_devices():
    entries = []
    root_entry = {
        "SerialNumber": ROOT["mfa_serial"],
        "User": {
            "Arn": "arn:aws:iam::%s:root" % ACCOUNT,
            "UserId": ACCOUNT,
            "CreateDate": ROOT["created"],
            "PasswordLastUsed": ROOT["password_last_used"],
        },
        "EnableDate": ROOT["mfa_enabled"],
    }
    entries.append(root_entry)
    for name, u, serial, enabled in all_devices():
        if u is None or not serial.startswith(arn("mfa/")):
            continue
        owner = {
            "Path": u["path"],
            "UserName": u["name"],
            "UserId": unique_id("AIDA", u["name"]),
            "Arn": user_arn(u),
            "CreateDate": u["created"],
        }
        if u["password"] and u["password"][1]:
            owner["PasswordLastUsed"] = u["password"][1]
        entries.append({"SerialNumber": serial, "User": owner, "EnableDate": enabled})
    for serial in UNASSIGNED_VIRTUAL:
        entries.append({"SerialNumber": serial})
    entries.sort(key=lambda e: e["SerialNumber"])
    return {"VirtualMFADevices": entries}


def mfa_devices():
    return {"MFADevices": [
        {"UserName": name, "SerialNumber": serial, "EnableDate": enabled}
        for name, _, serial, enabled in all_devices()
    ]}


def account_summary(details):
    devices_in_use = len(all_devices())
    customer_policies = [p for p in details["Policies"] if not p["Arn"].startswith("arn:aws:iam::aws:")]
    attachments = sum(p["AttachmentCount"] + p["PermissionsBoundaryUsageCount"] for p in details["Policies"])
    instance_profiles = sum(len(r["InstanceProfileList"]) for r in details["RoleDetailList"])
    return {"SummaryMap": {
        "GroupPolicySizeQuota": 5120,
        "InstanceProfilesQuota": 1000,
        "Policies": len(customer_policies),
        "GroupsPerUserQuota": 10,
        "InstanceProfiles": instance_profiles,
        "AttachedPoliciesPerUserQuota": 10,
        "Users": len(details["UserDetailList"]),
        "PoliciesQuota": 1500,
        "Providers": 2,
        "AccountMFAEnabled": 1,
        "AccessKeysPerUserQuota": 2,
        "AssumeRolePolicySizeQuota": 2048,
        "PolicyVersionsInUseQuota": 10000,
        "GlobalEndpointTokenVersion": 1,
        "VersionsPerPolicyQuota": 5,
        "AttachedPoliciesPerGroupQuota": 10,
        "PolicySizeQuota": 6144,
        "Groups": len(details["GroupDetailList"]),
        "AccountSigningCertificatesPresent": 0,
        "UsersQuota": 5000,
        "ServerCertificatesQuota": 20,
        "MFADevices": devices_in_use + len(UNASSIGNED_VIRTUAL),
        "UserPolicySizeQuota": 2048,
        "PolicyVersionsInUse": attachments,
        "ServerCertificates": 0,
        "Roles": len(details["RoleDetailList"]),
        "RolesQuota": 1000,
        "SigningCertificatesPerUserQuota": 2,
        "MFADevicesInUse": devices_in_use,
        "RolePolicySizeQuota": 10240,
        "AttachedPoliciesPerRoleQuota": 10,
        "AccountAccessKeysPresent": 0,
        "AccountPasswordPresent": 1,
        "GroupsQuota": 300,
    }}


def toml_string(text):
    return json.dumps(text)  # a TOML basic string is a JSON string for ASCII text


def config_toml():
    lines = [
        "# mfaguard configuration for the demo account (examples/demo-account).",
        "# Generated by examples/generate_demo.py; expectations are in README.md.",
        "",
        "[breakglass]",
        "users = [%s]" % ", ".join(toml_string(u) for u in BREAKGLASS_USERS),
    ]
    notes = [
        "# Valid: named owner, expires in the future, reviewed this quarter.",
        "# Expired on 2026-09-30: must NOT suppress rachel's failure.",
        "# No owner (and last reviewed more than 90 days ago): suppresses nothing.",
    ]
    for note, e in zip(notes, EXCEPTIONS):
        lines += [
            "",
            note,
            "[[exceptions]]",
            "check = %s" % toml_string(e["check"]),
            "resource = %s" % toml_string(e["resource"]),
            "owner = %s" % toml_string(e["owner"]),
            "reason = %s" % toml_string(e["reason"]),
            "expires = %s" % toml_string(e["expires"]),
            "reviewed = %s" % toml_string(e["reviewed"]),
        ]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# README.md
# --------------------------------------------------------------------------

KIND_LABEL = {VIRT: "virtual", FIDO: "FIDO", HW: "hardware TOTP"}


def md_escape(text):
    return text.replace("|", "\\|")


def readme(details):
    n_console = sum(1 for u in USERS if u["password"])
    n_mfa = sum(1 for u in USERS if u["password"] and u["mfa"])
    lines = []
    w = lines.append
    w("# Demo account 111122223333")
    w("")
    w("A fictitious company account exported with the AWS CLI, for trying mfaguard")
    w("and for checking its report identity by identity. Every file here is written")
    w("by [`../generate_demo.py`](../generate_demo.py) (deterministic, standard library")
    w("only); edit the script, not the files, and run `python3 examples/generate_demo.py`.")
    w("")
    w("```sh")
    w("mfaguard scan --from examples/demo-account --config examples/demo-account/mfaguard.toml \\")
    w("    --now 2026-11-22T12:00:00Z")
    w("```")
    w("")
    w("`--now` makes the run reproducible: the expectations below are written for")
    w("2026-11-22 (exception expiry and the 90-day review age). The credential report")
    w("was generated 2026-11-20T09:12:44+00:00, so the report-age warning (older than")
    w("4 hours) is expected too.")
    w("")
    w("| file | produced by |")
    w("|---|---|")
    w("| `credential-report.json` | `aws iam get-credential-report --output json` (base64 CSV in `Content`) |")
    w("| `account-authorization-details.json` | `aws iam get-account-authorization-details --output json` |")
    w("| `virtual-mfa-devices.json` | `aws iam list-virtual-mfa-devices --output json` |")
    w("| `account-summary.json` | `aws iam get-account-summary --output json` |")
    w("| `mfa-devices.json` | `aws iam list-mfa-devices --user-name U` for every user with MFA, merged (root under `<root_account>`) |")
    w("| `mfaguard.toml` | mfaguard configuration: one break-glass user, three exceptions |")
    w("| `expected-results.json` | not an AWS output: the expected status of every result of the implemented checks, as the tables below state them (checked by `crates/mfaguard/tests/demo.rs`) |")
    w("")
    w("At a glance: %d users (%d with a console password, %d of those with MFA), %d groups, %d roles, "
      "%d managed policies (%d customer managed). Device serials tell the kind: "
      "`arn:aws:iam::111122223333:mfa/...` is virtual, `arn:aws:iam::111122223333:u2f/...` is a FIDO "
      "security key, and a bare serial such as `GAHT12345678` is a hardware TOTP token."
      % (len(USERS), n_console, n_mfa, len(GROUPS), len(ROLES), len(MANAGED),
         sum(1 for p in MANAGED.values() if p["kind"] == CUSTOMER)))
    w("")
    w("Traps on purpose:")
    w("")
    w("- `rootops` is an ordinary user whose name contains \"root\"; only the `<root_account>` row and")
    w("  `arn:aws:iam::111122223333:root` are root.")
    w("- `DeveloperWorkloads` has a non-default version v1 that allows `*` on `*`; only the default")
    w("  version v2 is in force, so developers are not privileged.")
    w("- Some documents are URL-encoded JSON strings, as the raw IAM API returns them: grace's inline")
    w("  policy, the LegacyMFA group policy, SupportRole's trust policy and the default version of")
    w("  RequireMFABoundary. All others are JSON objects, as the CLI prints them.")
    w("- nina has the path `/engineering/`, so ForceMFA's `user/${aws:username}` does not match her and")
    w("  she cannot enable the virtual device `mfa/nina` she created (it is listed unassigned).")
    w("- `onboarding-temp` is a second unassigned virtual device (created, never enabled).")
    w("- Privilege must come from evaluating policies, not from names: grace (inline `*` on `*`) and")
    w("  heidi (customer `PlatformFullAccess`) are privileged; so are the SREs and `DeveloperAccess`:")
    w("  PowerUserAccess allows `sso:*`, and managing IAM Identity Center permission sets is a")
    w("  privilege-escalation path. Developers (no IAM, no `iam:PassRole`) are not.")
    w("")
    w("## Account-level checks")
    w("")
    w("| check | expected | why |")
    w("|---|---|---|")
    w("| iam.root_mfa_enabled | pass | root has a password (AccountPasswordPresent 1) and `mfa_active` true |")
    w("| iam.root_hardware_mfa | **fail** | root's only device is the virtual `mfa/root-account-mfa-device` |")
    w("| iam.root_access_keys | pass | `access_key_1_active` and `access_key_2_active` false; AccountAccessKeysPresent 0 |")
    w("| iam.mfa_enforcement_strategy | **fail** | root MFA is virtual; privileged users erin and frank have no MFA; many human users are not under an enforcing policy |")
    w("")
    w("## Users")
    w("")
    w("Columns: tier (root, breakglass, privileged, human, machine); MFA devices; then the expected")
    w("result of `iam.console_user_mfa`, `iam.privileged_user_mfa`, `iam.breakglass_hardware_mfa`")
    w("(only break-glass users are examined) and `iam.mfa_enforced_by_policy` (a console user passes")
    w("when an explicit deny-without-MFA that also catches access keys applies and the user can enrol).")
    w("n/a = not applicable. Machine users have no console password: MFA is not expected of them.")
    w("")
    w("| user | path | groups | represents | tier | MFA devices | console_user_mfa | privileged_user_mfa | breakglass_hardware_mfa | mfa_enforced_by_policy |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    w("| `<root_account>` | | | the root user: password, virtual MFA only, no access keys | root | virtual | (root checks above) | (root) | n/a | n/a |")
    for u in USERS:
        e = u["expect"]
        devices = " + ".join(KIND_LABEL[k] for k, _, _ in u["mfa"]) or "none"
        if u["password"] and u["password"][1] is None:
            devices += " (password never used)"
        w("| `%s` | `%s` | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            u["name"], u["path"], ", ".join(u["groups"]) or "-", md_escape(u["what"]), e["tier"], devices,
            e["console"], e["priv"], e.get("bg", NA), md_escape(e["enforced"])))
    w("")
    w("## Roles")
    w("")
    w("`iam.role_assumption_mfa` examines roles that people can assume; service, service-linked,")
    w("OIDC workload and `mfaguard:machine`-tagged roles are machine identities.")
    w("")
    w("| role | path | represents | tier | role_assumption_mfa |")
    w("|---|---|---|---|---|")
    for r in ROLES:
        w("| `%s` | `%s` | %s | %s | %s |" % (r["name"], r["path"], md_escape(r["what"]), r["tier"],
                                           md_escape(r["expect"])))
    w("")
    w("## Policy statements that test MFA keys (`iam.mfa_condition_pitfall`)")
    w("")
    w("Only the account's own documents are examined (customer managed, inline, trust policies);")
    w("AWS managed policies are not.")
    w("")
    w("| document | statement | expected |")
    w("|---|---|---|")
    w("| customer managed `ForceMFA` (v2, default) | `DenyAllExceptListedIfNoMFA`: Deny + BoolIfExists false | pass |")
    w("| customer managed `RequireMFABoundary` (URL-encoded) | `AllowEverythingWithMFA`: Allow + Bool true | pass |")
    w("| group `LegacyMFA` inline `DenyAllWithoutMFA` (URL-encoded) | Deny + Bool false | **fail** (access keys send no MFA key; use BoolIfExists) |")
    w("| user `victor` inline `FinanceReportsWithMFA` | Allow + BoolIfExists true | **fail** (access keys satisfy IfExists; use Bool) |")
    w("| role `SupportRole` trust policy (URL-encoded) | Allow + BoolIfExists true | **fail** |")
    w("| role `DeveloperAccess` trust policy | Allow + Bool true | pass |")
    w("| role `SecurityAdmin` trust policy | Allow + Bool true + NumericLessThan aws:MultiFactorAuthAge 3600 | pass |")
    w("")
    w("ForceMFA's non-default version v1 (no deny statement) is not in force and is not examined.")
    w("")
    w("## Exceptions (`mfaguard.toml`, `iam.mfa_exception_review`)")
    w("")
    w("| resource | owner | expires | reviewed | expected |")
    w("|---|---|---|---|---|")
    for e in EXCEPTIONS:
        w("| `%s` | %s | %s | %s | %s |" % (e["resource"], ("`%s`" % e["owner"]) if e["owner"] else "(empty)",
                                           e["expires"], e["reviewed"], e["expect"]))
    w("")
    w("## Expected totals for `iam.console_user_mfa`")
    w("")
    fails = [u["name"] for u in USERS if u["password"] and not u["mfa"] and u["name"] != "quinn"]
    w("%d console users: %d pass, 1 excepted (quinn), %d fail (%s)." % (
        n_console, n_mfa, len(fails), ", ".join(fails)))
    w("")
    w("## Time to MFA")
    w("")
    w("Every device's `EnableDate` is after its user's `CreateDate`: some within minutes")
    w("(alice 16 min, carol 20 min), one the next day (karl), some months later (bob 80 days,")
    w("maya 3 months, heidi 5.5 months, greg 5 months), for the time-to-MFA KPI.")
    w("")
    w("## What is synthetic")
    w("")
    w("Unique IDs (`AIDA...`, `AGPA...`, `AROA...`, `ANPA...`, `AIPA...`), FIDO serial suffixes and")
    w("token serials are derived from names with SHA-256: real shapes, not real values, also for AWS")
    w("managed policies. AWS managed policy documents are representative subsets of the published")
    w("ones (AdministratorAccess, IAMFullAccess, PowerUserAccess and IAMUserChangePassword are")
    w("complete); only their default version is listed.")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------
# expected-results.json: check -> resource name -> status, read by
# crates/mfaguard/tests/demo.rs. The statuses come from the `expect`
# annotations above (the specification), never from running mfaguard.
# --------------------------------------------------------------------------

# Checks whose every result is listed in expected-results.json (the test
# requires exact agreement).
RESULT_CHECKS = [
    "iam.root_mfa_enabled",
    "iam.root_hardware_mfa",
    "iam.root_access_keys",
    "iam.console_user_mfa",
    "iam.privileged_user_mfa",
    "iam.breakglass_hardware_mfa",
    "iam.mfa_condition_pitfall",
    "iam.mfa_exception_review",
    "iam.mfa_enforced_by_policy",
    "iam.role_assumption_mfa",
    "iam.mfa_enforcement_strategy",
]

# Every statement of the account's own documents (customer managed default
# versions, inline policies, trust policies) that tests an MFA key, with its
# expected status, in statement order.
PITFALL_EXPECT = [
    ("ForceMFA", FORCE_MFA, [P]),
    ("RequireMFABoundary", REQUIRE_MFA_BOUNDARY, [P]),
    ("LegacyMFA inline DenyAllWithoutMFA", LEGACY_MFA_INLINE_PITFALL, [F]),
    ("victor inline FinanceReportsWithMFA", VICTOR_INLINE_PITFALL, [F]),
    ("DeveloperAccess trust policy", None, [P]),
    ("SecurityAdmin trust policy", None, [P]),
    ("SupportRole trust policy", None, [F]),
]

MFA_KEYS = ("aws:multifactorauthpresent", "aws:multifactorauthage")


def mfa_statements(document):
    """(index, sid) of the statements whose Condition tests an MFA key."""
    found = []
    for index, statement in enumerate(document["Statement"]):
        keys = [key.lower() for block in statement.get("Condition", {}).values() for key in block]
        if any(key in MFA_KEYS for key in keys):
            found.append((index, statement.get("Sid")))
    return found


def account_documents():
    """Every document of the account that mfaguard examines, by result-name prefix."""
    docs = {}
    for p in MANAGED.values():
        if p["kind"] == CUSTOMER:
            docs[p["name"]] = [v[1] for v in p["versions"] if v[2]][0]
    for u in USERS:
        for name, doc, _ in u["inline"]:
            docs["%s inline %s" % (u["name"], name)] = doc
    for g in GROUPS:
        for name, doc, _ in g[4]:
            docs["%s inline %s" % (g[0], name)] = doc
    for r in ROLES:
        for name, doc, _ in r["inline"]:
            docs["%s inline %s" % (r["name"], name)] = doc
        docs["%s trust policy" % r["name"]] = r["trust"]
    return docs


def status(expectation):
    text = expectation.replace("**", "")
    for prefix, value in (("pass", "pass"), ("fail", "fail"), ("excepted", "excepted"),
                          ("n/a", "not_applicable"), ("unknown", "unknown")):
        if text.startswith(prefix):
            return value
    raise ValueError(expectation)


def exception_lines(toml_text):
    return [number for number, line in enumerate(toml_text.splitlines(), 1) if line == "[[exceptions]]"]


def expected_results(toml_text):
    results = {check: {} for check in RESULT_CHECKS}
    root = "<root_account>"
    results["iam.root_mfa_enabled"][root] = "pass"
    results["iam.root_hardware_mfa"][root] = "fail"
    results["iam.root_access_keys"][root] = "pass"
    for u in USERS:
        e = u["expect"]
        results["iam.console_user_mfa"][u["name"]] = status(e["console"])
        results["iam.privileged_user_mfa"][u["name"]] = status(e["priv"])
        if "bg" in e:
            results["iam.breakglass_hardware_mfa"][u["name"]] = status(e["bg"])
        results["iam.mfa_enforced_by_policy"][u["name"]] = status(e["enforced"])
    for r in ROLES:
        results["iam.role_assumption_mfa"][r["name"]] = status(r["expect"])
    results["iam.mfa_enforcement_strategy"]["account %s" % ACCOUNT] = "fail"
    docs = account_documents()
    listed = set()
    for prefix, document, statuses in PITFALL_EXPECT:
        document = docs[prefix] if document is None else document
        assert docs[prefix] == document, prefix
        found = mfa_statements(document)
        assert len(found) == len(statuses), prefix
        for (index, sid), expected in zip(found, statuses):
            name = "%s statement %d%s" % (prefix, index, " (%s)" % sid if sid else "")
            results["iam.mfa_condition_pitfall"][name] = status(expected)
        listed.add(prefix)
    unlisted = [prefix for prefix, doc in docs.items() if mfa_statements(doc) and prefix not in listed]
    assert not unlisted, "documents with MFA conditions missing from PITFALL_EXPECT: %s" % unlisted
    for line, e in zip(exception_lines(toml_text), EXCEPTIONS):
        name = "exception for %s on %s (config line %d)" % (e["check"], e["resource"], line)
        results["iam.mfa_exception_review"][name] = status(e["expect"])
    return results


# --------------------------------------------------------------------------
# validation: the rendered files, read back as a consumer would
# --------------------------------------------------------------------------

def validate(files):
    """Checks the formats and the cross-file consistency rules; raises AssertionError."""
    import csv
    import io
    import re

    timestamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
    generated = parse_t(GENERATED_TIME)

    def when(value):
        assert timestamp.match(value), value
        moment = parse_t(value)
        assert moment <= generated, value
        return moment

    def document(value):
        if isinstance(value, str):
            value = json.loads(urllib.parse.unquote(value))
        assert value["Version"] == V and isinstance(value["Statement"], list), value
        return value

    # credential report
    report = json.loads(files["credential-report.json"])
    assert list(report) == ["Content", "ReportFormat", "GeneratedTime"]
    assert report["ReportFormat"] == "text/csv" and report["GeneratedTime"] == GENERATED_TIME
    rows = list(csv.reader(io.StringIO(base64.b64decode(report["Content"], validate=True).decode())))
    assert rows[0] == CREDENTIAL_REPORT_COLUMNS
    assert all(len(row) == 22 for row in rows)
    records = [dict(zip(CREDENTIAL_REPORT_COLUMNS, row)) for row in rows[1:]]
    root = records[0]
    assert root["user"] == "<root_account>" and root["arn"] == "arn:aws:iam::%s:root" % ACCOUNT
    assert root["password_enabled"] == root["password_last_changed"] == root["password_next_rotation"] == "not_supported"
    assert root["access_key_1_active"] == root["access_key_2_active"] == "false"
    by_name = {}
    for r in records:
        by_name[r["user"]] = r
        created = when(r["user_creation_time"])
        for column in ("mfa_active", "access_key_1_active", "access_key_2_active", "cert_1_active", "cert_2_active"):
            assert r[column] in ("true", "false"), (r["user"], column)
        if r is not root:
            if r["password_enabled"] == "true":
                assert r["password_last_used"] == "no_information" or when(r["password_last_used"]) >= created
                assert when(r["password_last_changed"]) >= created
            else:
                assert r["password_enabled"] == "false"
                assert r["password_last_used"] == r["password_last_changed"] == r["password_next_rotation"] == "N/A"
        for n in "12":
            rotated = r["access_key_%s_last_rotated" % n]
            used = [r["access_key_%s_last_used_%s" % (n, x)] for x in ("date", "region", "service")]
            if rotated == "N/A":
                assert r["access_key_%s_active" % n] == "false" and used == ["N/A"] * 3
            elif used[0] == "N/A":
                assert used == ["N/A"] * 3 and when(rotated) >= created
            else:
                assert when(used[0]) >= when(rotated) >= created and "N/A" not in used
            if r["cert_%s_last_rotated" % n] == "N/A":
                assert r["cert_%s_active" % n] == "false"
            else:
                when(r["cert_%s_last_rotated" % n])

    # authorization details
    details = json.loads(files["account-authorization-details.json"])
    assert list(details) == ["UserDetailList", "GroupDetailList", "RoleDetailList", "Policies"]
    shape = lambda prefix: re.compile("^%s[A-Z2-7]{17}$" % prefix)
    users = {u["UserName"]: u for u in details["UserDetailList"]}
    groups = {g["GroupName"]: g for g in details["GroupDetailList"]}
    policies = {p["Arn"]: p for p in details["Policies"]}
    assert set(users) == set(by_name) - {"<root_account>"}
    attachments = {}
    encoded = 0

    def attach(entity):
        for a in entity["AttachedManagedPolicies"]:
            assert a["PolicyArn"] in policies and policies[a["PolicyArn"]]["PolicyName"] == a["PolicyName"]
            attachments[a["PolicyArn"]] = attachments.get(a["PolicyArn"], 0) + 1

    for u in users.values():
        assert shape("AIDA").match(u["UserId"])
        assert u["Arn"] == arn("user%s%s" % (u["Path"], u["UserName"])) == by_name[u["UserName"]]["arn"]
        assert u["CreateDate"] == by_name[u["UserName"]]["user_creation_time"]
        assert all(g in groups for g in u["GroupList"])
        if "PermissionsBoundary" in u:
            assert u["PermissionsBoundary"]["PermissionsBoundaryArn"] in policies
        for p in u["UserPolicyList"]:
            encoded += isinstance(p["PolicyDocument"], str)
            document(p["PolicyDocument"])
        attach(u)
    for g in groups.values():
        assert shape("AGPA").match(g["GroupId"])
        for p in g["GroupPolicyList"]:
            encoded += isinstance(p["PolicyDocument"], str)
            document(p["PolicyDocument"])
        attach(g)
    for r in details["RoleDetailList"]:
        assert shape("AROA").match(r["RoleId"])
        encoded += isinstance(r["AssumeRolePolicyDocument"], str)
        document(r["AssumeRolePolicyDocument"])
        for p in r["RolePolicyList"]:
            encoded += isinstance(p["PolicyDocument"], str)
            document(p["PolicyDocument"])
        attach(r)
    for p in details["Policies"]:
        assert shape("ANPA").match(p["PolicyId"])
        assert p["AttachmentCount"] == attachments.get(p["Arn"], 0), p["Arn"]
        defaults = [v for v in p["PolicyVersionList"] if v["IsDefaultVersion"]]
        assert len(defaults) == 1 and defaults[0]["VersionId"] == p["DefaultVersionId"]
        for v in p["PolicyVersionList"]:
            encoded += isinstance(v["Document"], str)
            document(v["Document"])
    assert encoded >= 3, "some documents must be URL-encoded"
    for name in ("AdministratorAccess", "IAMFullAccess", "ReadOnlyAccess", "SecurityAudit",
                 "PowerUserAccess", "job-function/Billing", "IAMUserChangePassword"):
        assert "arn:aws:iam::aws:policy/" + name in policies, name

    # MFA devices: credential report <-> list-mfa-devices <-> list-virtual-mfa-devices
    listed = json.loads(files["mfa-devices.json"])["MFADevices"]
    listed_by_user = {}
    for d in listed:
        listed_by_user.setdefault(d["UserName"], []).append(d)
    for name, r in by_name.items():
        assert (r["mfa_active"] == "true") == (name in listed_by_user), name
        assert len(listed_by_user.get(name, [])) <= 8
        for d in listed_by_user.get(name, []):
            assert parse_t(r["user_creation_time"]) < when(d["EnableDate"]), (name, d)
            serial = d["SerialNumber"]
            fido = re.escape(arn("u2f/user/%s/" % name)) + r"[\w.-]+-[A-Z0-9]{26}$"
            assert (serial.startswith(arn("mfa/")) or re.match(fido, serial)
                    or re.match(r"^GAHT\d{8}$", serial)), serial
    virtual = json.loads(files["virtual-mfa-devices.json"])["VirtualMFADevices"]
    unassigned = 0
    for v in virtual:
        if "User" not in v:
            assert set(v) == {"SerialNumber"}
            unassigned += 1
            continue
        owner = "<root_account>" if v["User"]["Arn"].endswith(":root") else v["User"]["UserName"]
        assert any(d["SerialNumber"] == v["SerialNumber"] and d["EnableDate"] == v["EnableDate"]
                   for d in listed_by_user[owner]), v
        if owner != "<root_account>":
            assert v["User"]["Arn"] == users[owner]["Arn"] and v["User"]["UserId"] == users[owner]["UserId"]
    assigned_virtual = {v["SerialNumber"] for v in virtual if "User" in v}
    assert all(d["SerialNumber"] in assigned_virtual for d in listed if d["SerialNumber"].startswith(arn("mfa/")))
    assert unassigned >= 1

    # account summary
    summary = json.loads(files["account-summary.json"])["SummaryMap"]
    assert summary["Users"] == len(users) and summary["Groups"] == len(groups)
    assert summary["Roles"] == len(details["RoleDetailList"])
    assert summary["Policies"] == sum(1 for a in policies if not a.startswith("arn:aws:iam::aws:"))
    assert summary["AccountMFAEnabled"] == 1 and summary["AccountAccessKeysPresent"] == 0
    assert summary["AccountPasswordPresent"] == 1 and summary["AccountSigningCertificatesPresent"] == 0
    assert summary["MFADevicesInUse"] == len(listed) and summary["MFADevices"] == len(listed) + unassigned

    # config
    try:
        import tomllib
    except ImportError:  # Python < 3.11: the TOML is not parsed back
        return
    config = tomllib.loads(files["mfaguard.toml"])
    assert set(config) == {"breakglass", "exceptions"}
    for e in config["exceptions"]:
        assert set(e) <= {"check", "resource", "owner", "reason", "expires", "reviewed"}
        r = by_name[e["resource"].rsplit("/", 1)[1]]
        assert r["arn"] == e["resource"] and r["password_enabled"] == "true" and r["mfa_active"] == "false"
    states = sorted((bool(e["owner"]), date.fromisoformat(e["expires"]) >= AS_OF,
                     (AS_OF - date.fromisoformat(e["reviewed"])).days > 90) for e in config["exceptions"])
    assert (True, True, False) in states and (True, False, False) in states
    assert any(not owner for owner, _, _ in states) and any(overdue for _, _, overdue in states)


# --------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------

def render():
    csv_text = credential_report_csv()
    details = authorization_details()
    files = {
        "credential-report.json": dump({
            "Content": base64.b64encode(csv_text.encode()).decode(),
            "ReportFormat": "text/csv",
            "GeneratedTime": GENERATED_TIME,
        }),
        "account-authorization-details.json": dump(details),
        "virtual-mfa-devices.json": dump(virtual_mfa_devices()),
        "account-summary.json": dump(account_summary(details)),
        "mfa-devices.json": dump(mfa_devices()),
        "mfaguard.toml": config_toml(),
        "README.md": readme(details),
    }
    files["expected-results.json"] = json.dumps(expected_results(files["mfaguard.toml"]), indent=2) + "\n"
    return files


def main(argv):
    check = "--check" in argv
    files = render()
    validate(files)
    os.makedirs(OUT, exist_ok=True)
    stale = []
    for name, text in files.items():
        path = os.path.join(OUT, name)
        if check:
            try:
                with open(path, encoding="utf-8") as handle:
                    if handle.read() != text:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
    if check:
        if stale:
            print("out of date (run python3 examples/generate_demo.py): " + ", ".join(stale), file=sys.stderr)
            return 1
        print("examples/demo-account is up to date")
        return 0
    print("wrote %d files to %s" % (len(files), os.path.relpath(OUT)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
