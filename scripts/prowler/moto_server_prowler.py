"""Starts scripts/moto_server.py with two more fixes Prowler's root checks need.

Usage: python moto_server_prowler.py PORT ROOTS_JSON

Everything scripts/moto_server.py does (the credential report's
`<root_account>` row, root's virtual MFA device, ...) is kept: this module
imports it, patches two more gaps, and calls its `main()`.

* `GetAccountSummary`: moto always answers `AccountMFAEnabled: 0` and
  `AccountAccessKeysPresent: 0` and has no `AccountPasswordPresent`. Real AWS
  reports root's state there, and Prowler's `iam_root_hardware_mfa_enabled`
  reads `AccountMFAEnabled` before anything else. The values are taken from
  ROOTS_JSON (`mfa_active`, `access_key_active`, and `password_enabled`
  != "false" for `AccountPasswordPresent`).
* The root row's `password_enabled` column: scripts/moto_server.py writes
  `not_supported` (AWS's historical value for root). ROOTS_JSON may set
  `"password_enabled": "true" | "false" | "not_supported"` per account to
  exercise both forms.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import moto_server as base  # noqa: E402  (scripts/moto_server.py)
from moto.iam import models as iam_models  # noqa: E402

_base_root_row = base.root_row


def root_row(account_id: str, partition: str) -> str:
    row = _base_root_row(account_id, partition)
    state = base.ROOTS.get(account_id) or {}
    password = state.get("password_enabled")
    if row and password is not None:
        fields = row.rstrip("\n").split(",")
        fields[3] = password
        row = ",".join(fields) + "\n"
    return row


_base_summary_map = iam_models.AccountSummary.summary_map.fget


def summary_map(self):
    summary = _base_summary_map(self)
    state = base.ROOTS.get(self._iam_backend.account_id)
    if state is not None:
        summary["AccountMFAEnabled"] = 1 if state.get("mfa_active") else 0
        summary["AccountAccessKeysPresent"] = 1 if state.get("access_key_active") else 0
        summary["AccountPasswordPresent"] = 0 if state.get("password_enabled") == "false" else 1
    return summary


if __name__ == "__main__":
    base.root_row = root_row  # looked up by name at call time in moto_server
    iam_models.AccountSummary.summary_map = property(summary_map)
    base.main()
