"""The moto accounts that scripts/compare-prowler.sh seeds, and the seeding.

Usage (with the boto3 of .tools/venv, which scripts/install-test-tools.sh makes):
  python scenario.py roots                 print ROOTS_JSON for moto_server_prowler.py
  python scenario.py seed ENDPOINT OUT     seed every account through moto's HTTP API,
                                           write OUT: per account its label and the
                                           temporary credentials both tools scan it with
  python scenario.py facts ENDPOINT CREDS OUT
                                           write OUT: per account the group members and
                                           the credential report's mfa_active per user, read
                                           back from moto (to expand Prowler's per-group
                                           iam_administrator_access_with_mfa to users)

Each account is reached by assuming `moto-seed-admin` in it (scripts/moto_server.py
keeps that role assumable everywhere); moto maps the temporary key to the account.

moto can create only *virtual* devices through the API (CreateVirtualMFADevice), but
its EnableMFADevice accepts any serial number, as AWS does for hardware TOTP tokens.
So the hardware token here is enabled by a token-style serial (`GAHT...`), and the
FIDO key by a `u2f/` ARN as AWS lists passkeys; real AWS registers FIDO keys only
in the console, never through EnableMFADevice.
"""

import json
import sys

import boto3

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
AUDIT = "arn:aws:iam::aws:policy/SecurityAudit"
PASSWORD = "Pa55word!x-Compare"
EVERYTHING = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)

# user: console password?, MFA devices ("virtual" | "hardware" | "fido"), groups,
# directly attached managed policies, inline allow-everything policy?
MAIN_USERS = {
    "alice-admin-virtual": dict(console=True, mfa=["virtual"], groups=["Admins", "AdminsWithMfa"]),
    "bob-admin-nomfa": dict(console=True, mfa=[], groups=["Admins"]),
    "carol-admin-hardware": dict(console=True, mfa=["hardware"], groups=["Admins", "AdminsWithMfa"]),
    "dave-dev-fido": dict(console=True, mfa=["fido"], groups=["Developers"]),
    "erin-admin-machine": dict(console=False, mfa=[], groups=["Admins"], keys=True),
    "frank-inline-star-nomfa": dict(console=True, mfa=[], inline_everything=True),
    "grace-direct-admin-nomfa": dict(console=True, mfa=[], attached=[ADMIN]),
    "henry-dev-nomfa": dict(console=True, mfa=[], groups=["Developers", "Auditors"]),
    "ivan-machine": dict(console=False, mfa=[], keys=True),
    "judy-dev-virtual-and-hardware": dict(console=True, mfa=["virtual", "hardware"], groups=["Developers"]),
    "larry-custom-admin-nomfa": dict(console=True, mfa=[], groups=["PlatformAdmins"]),
}

# group: AWS managed policies attached, customer managed allow-everything policy?
MAIN_GROUPS = {
    "Admins": dict(attached=[ADMIN]),
    "Developers": dict(inline={"dev": {"Effect": "Allow", "Action": ["ec2:*", "s3:Get*"], "Resource": "*"}}),
    "Auditors": dict(attached=[AUDIT]),
    "EmptyAdmins": dict(attached=[ADMIN]),
    "AdminsWithMfa": dict(attached=[ADMIN]),
    "PlatformAdmins": dict(customer_everything=True),
}

ACCOUNTS = {
    "123456789012": dict(
        label="main: root with a virtual MFA device; the user mix",
        root={"mfa_active": True, "virtual_mfa": True, "access_key_active": False, "password_enabled": "true"},
        groups=MAIN_GROUPS,
        users=MAIN_USERS,
    ),
    "111111111111": dict(
        label="root-bare: root without MFA, with an active access key",
        root={"mfa_active": False, "virtual_mfa": False, "access_key_active": True, "password_enabled": "true"},
    ),
    "222222222222": dict(
        label="root-hardware: root with a non-virtual MFA device, no keys",
        root={"mfa_active": True, "virtual_mfa": False, "access_key_active": False, "password_enabled": "true"},
    ),
    "333333333333": dict(
        label="root-hardware-namesake: as root-hardware, plus a user `root-ops` with a virtual device",
        root={"mfa_active": True, "virtual_mfa": False, "access_key_active": False, "password_enabled": "true"},
        users={"root-ops": dict(console=False, mfa=["virtual"], keys=True)},
    ),
    "444444444444": dict(
        label="root-not-supported: root with a virtual MFA device, report row password_enabled=not_supported",
        root={"mfa_active": True, "virtual_mfa": True, "access_key_active": False, "password_enabled": "not_supported"},
    ),
}

MAIN_ACCOUNT = "123456789012"


def roots() -> dict:
    return {account: spec["root"] for account, spec in ACCOUNTS.items()}


def session_for(endpoint: str, account: str) -> tuple[boto3.Session, dict]:
    base = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    sts = base.client("sts", endpoint_url=endpoint)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/moto-seed-admin", RoleSessionName="compare-prowler"
    )["Credentials"]
    env = {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    }
    session = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=env["AWS_SESSION_TOKEN"],
        region_name="us-east-1",
    )
    who = session.client("sts", endpoint_url=endpoint).get_caller_identity()["Account"]
    if who != account:
        raise SystemExit(f"moto mapped the credentials for {account} to {who}")
    return session, env


def seed_account(iam, account: str, spec: dict) -> None:
    for group, g in spec.get("groups", {}).items():
        iam.create_group(GroupName=group)
        for arn in g.get("attached", []):
            iam.attach_group_policy(GroupName=group, PolicyArn=arn)
        for name, statement in g.get("inline", {}).items():
            iam.put_group_policy(
                GroupName=group,
                PolicyName=name,
                PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
            )
        if g.get("customer_everything"):
            arn = iam.create_policy(PolicyName=f"{group}-everything", PolicyDocument=EVERYTHING)[
                "Policy"
            ]["Arn"]
            iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    for user, u in spec.get("users", {}).items():
        iam.create_user(UserName=user)
        if u.get("console"):
            iam.create_login_profile(UserName=user, Password=PASSWORD)
        if u.get("keys"):
            iam.create_access_key(UserName=user)
        for i, kind in enumerate(u.get("mfa", [])):
            if kind == "virtual":
                serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=user)[
                    "VirtualMFADevice"
                ]["SerialNumber"]
            elif kind == "hardware":
                serial = f"GAHT{int(account) % 10**6:06d}{i:02d}"
            elif kind == "fido":
                serial = f"arn:aws:iam::{account}:u2f/user/{user}/security-key-{i}"
            else:
                raise ValueError(kind)
            iam.enable_mfa_device(
                UserName=user,
                SerialNumber=serial,
                AuthenticationCode1="123456",
                AuthenticationCode2="654321",
            )
        for group in u.get("groups", []):
            iam.add_user_to_group(GroupName=group, UserName=user)
        for arn in u.get("attached", []):
            iam.attach_user_policy(UserName=user, PolicyArn=arn)
        if u.get("inline_everything"):
            iam.put_user_policy(UserName=user, PolicyName="everything", PolicyDocument=EVERYTHING)


def seed(endpoint: str, out: str) -> None:
    result = {}
    for account, spec in ACCOUNTS.items():
        session, env = session_for(endpoint, account)
        seed_account(session.client("iam", endpoint_url=endpoint), account, spec)
        result[account] = {"label": spec["label"], "env": env}
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"main": MAIN_ACCOUNT, "accounts": result}, handle, indent=1)


def facts(endpoint: str, creds: str, out: str) -> None:
    import csv
    import io
    import time

    with open(creds, encoding="utf-8") as handle:
        accounts = json.load(handle)["accounts"]
    result = {}
    for account, entry in accounts.items():
        env = entry["env"]
        iam = boto3.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=env["AWS_SESSION_TOKEN"],
            region_name="us-east-1",
        ).client("iam", endpoint_url=endpoint)
        while iam.generate_credential_report()["State"] != "COMPLETE":
            time.sleep(0.2)
        report = iam.get_credential_report()["Content"]  # botocore decodes the base64
        rows = list(csv.DictReader(io.StringIO(report.decode("utf-8"))))
        groups = {}
        for group in iam.list_groups()["Groups"]:
            members = iam.get_group(GroupName=group["GroupName"])["Users"]
            attached = iam.list_attached_group_policies(GroupName=group["GroupName"])
            groups[group["GroupName"]] = {
                "arn": group["Arn"],
                "members": [u["Arn"] for u in members],
                "attached": [p["PolicyArn"] for p in attached["AttachedPolicies"]],
            }
        result[account] = {
            "mfa_active": {row["arn"]: row["mfa_active"] for row in rows},
            "groups": groups,
        }
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(result, handle, indent=1)


def main() -> None:
    if sys.argv[1:2] == ["roots"]:
        json.dump(roots(), sys.stdout)
    elif sys.argv[1:2] == ["seed"] and len(sys.argv) == 4:
        seed(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["facts"] and len(sys.argv) == 5:
        facts(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
