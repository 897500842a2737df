"""Starts moto's server on 127.0.0.1 for mfaguard's integration tests.

moto implements the IAM, STS and Organizations HTTP APIs, but lacks three
things real AWS has, which this launcher adds before serving:

* the credential report's `<root_account>` row (moto lists only users), with
  the root MFA and access-key state given per account in a JSON file;
* a virtual MFA device assigned to root, when that file asks for one;
* a failing `sts:AssumeRole` when the role does not exist in the target
  account (moto lets any ARN be assumed). The role name `moto-seed-admin`
  stays assumable everywhere: tests use it to seed member accounts.

It pages `GetAccountAuthorizationDetails` by `MaxItems` (default 100) and
`Marker` as AWS does; moto answers with everything at once.

It also stamps the credential report with the time it was generated, as AWS
does, instead of moto's fixed date.

Usage: python moto_server.py PORT [ROOTS_JSON]

ROOTS_JSON maps account IDs to root state, e.g.
  {"111111111111": {"mfa_active": true, "virtual_mfa": true, "access_key_active": false}}
An account absent from it has no `<root_account>` row, as in moto itself.
"""

import datetime
import json
import os
import sys

# AWS managed policies (AdministratorAccess, ...) exist in every real account.
os.environ.setdefault("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
from types import SimpleNamespace

from moto.sts.exceptions import STSClientError
from moto.iam import models as iam_models
from moto.iam import responses as iam_responses
from moto.server import ThreadedMotoServer
from moto.sts import models as sts_models

SEED_ROLE = "moto-seed-admin"
ROOTS: dict = {}
REPORT_TIMES: dict = {}


def root_row(account_id: str, partition: str) -> str:
    state = ROOTS.get(account_id)
    if state is None:
        return ""
    key = "true" if state.get("access_key_active") else "false"
    key_rotated = "2024-01-01T00:00:00+00:00" if state.get("access_key_active") else "N/A"
    mfa = "true" if state.get("mfa_active") else "false"
    fields = [
        "<root_account>",
        f"arn:{partition}:iam::{account_id}:root",
        "2020-01-01T00:00:00+00:00",
        "not_supported",
        "2026-01-01T00:00:00+00:00",
        "not_supported",
        "not_supported",
        mfa,
        key,
        key_rotated,
        "N/A",
        "N/A",
        "N/A",
        "false",
        "N/A",
        "N/A",
        "N/A",
        "N/A",
        "false",
        "N/A",
        "false",
        "N/A",
    ]
    return ",".join(fields) + "\n"


original_get_report = iam_models.IAMBackend.get_credential_report


def get_credential_report(self) -> str:
    report = original_get_report(self)
    header, _, rows = report.partition("\n")
    return header + "\n" + root_row(self.account_id, self.partition) + rows


original_generate = iam_models.IAMBackend.generate_report


def generate_report(self) -> None:
    original_generate(self)
    REPORT_TIMES[self.account_id] = datetime.datetime.now(datetime.timezone.utc)


def get_credential_report_response(self):
    result = original_get_report_response(self)
    generated = REPORT_TIMES.get(self.current_account)
    if generated is not None:
        result.result["GeneratedTime"] = generated.strftime("%Y-%m-%dT%H:%M:%SZ")
    return result


original_get_report_response = iam_responses.IamResponse.get_credential_report

def get_account_authorization_details_paged(self):
    filter_param = self._get_param("Filter", [])
    details = self.backend.get_account_authorization_details(filter_param)
    max_items = int(self._get_param("MaxItems", 100))
    start = int(self._get_param("Marker") or 0)
    sections = [
        ("UserDetailList", details["users"]),
        ("GroupDetailList", details["groups"]),
        ("RoleDetailList", details["roles"]),
        ("Policies", details["managed_policies"]),
    ]
    result = {}
    offset = 0
    for key, items in sections:
        items = list(items)
        lo = max(start - offset, 0)
        hi = max(start + max_items - offset, 0)
        result[key] = items[lo:hi]
        offset += len(items)
    end = start + max_items
    result["IsTruncated"] = end < offset
    if end < offset:
        result["Marker"] = str(end)
    return iam_responses.ActionResult(result)


original_list_virtual = iam_models.IAMBackend.list_virtual_mfa_devices


def list_virtual_mfa_devices(self, assignment_status, marker, max_items):
    devices, next_marker = original_list_virtual(self, assignment_status, marker, max_items)
    state = ROOTS.get(self.account_id) or {}
    if state.get("virtual_mfa") and not marker and assignment_status != "Unassigned":
        root_arn = f"arn:{self.partition}:iam::{self.account_id}:root"
        device = iam_models.VirtualMfaDevice(self.account_id, "us-east-1", "/root-account-mfa-device")
        device.enable_date = datetime.datetime(2021, 1, 1, tzinfo=datetime.timezone.utc)
        device.user = SimpleNamespace(
            path="/",
            name="root",
            user_name="root",
            id=self.account_id,
            user_id=self.account_id,
            arn=root_arn,
            create_date=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc),
            created=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc),
            password_last_used=None,
            permissions_boundary=None,
            tags=[],
        )
        devices = [device] + list(devices)
    return devices, next_marker


class NoSuchRole(STSClientError):
    def __init__(self, role_arn: str):
        super().__init__(
            "AccessDenied",
            f"User is not authorized to perform: sts:AssumeRole on resource: {role_arn}",
        )


original_assume_role = sts_models.STSBackend.assume_role


def assume_role(self, region_name, role_session_name, role_arn, policy, duration, external_id):
    parts = role_arn.split(":")
    if len(parts) == 6 and parts[5].startswith("role/"):
        account_id = parts[4]
        role_name = parts[5].rsplit("/", 1)[-1]
        if role_name == SEED_ROLE:
            return original_assume_role(
                self, region_name, role_session_name, role_arn, policy, duration, external_id
            )
        backend = iam_models.iam_backends[account_id][parts[1]]
        if not any(role.name == role_name for role in backend.roles.values()):
            raise NoSuchRole(role_arn)
    return original_assume_role(
        self, region_name, role_session_name, role_arn, policy, duration, external_id
    )


def main() -> None:
    port = int(sys.argv[1])
    if len(sys.argv) > 2:
        with open(sys.argv[2], encoding="utf-8") as handle:
            ROOTS.update(json.load(handle))
    iam_models.IAMBackend.get_credential_report = get_credential_report
    iam_models.IAMBackend.generate_report = generate_report
    iam_models.IAMBackend.list_virtual_mfa_devices = list_virtual_mfa_devices
    iam_responses.IamResponse.get_credential_report = get_credential_report_response
    iam_responses.IamResponse.get_account_authorization_details = (
        get_account_authorization_details_paged
    )
    sts_models.STSBackend.assume_role = assume_role
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    print(f"moto listening on 127.0.0.1:{port}", flush=True)
    try:
        while True:
            sys.stdin.readline() or server.stop() or sys.exit(0)
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
