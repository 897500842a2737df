"""Compares Prowler's and mfaguard's failing resources, check by check.

Usage: python compare.py RUN_DIR

RUN_DIR is what scripts/compare-prowler.sh writes: creds.json (accounts and
labels), facts.json (group members and mfa_active read back from moto),
prowler/ACCOUNT.ocsf.json, mfaguard/ACCOUNT.json and timing.json. Writes
RUN_DIR/comparison.md and RUN_DIR/comparison.json, prints the markdown, and
exits 1 when a difference is not in EXPLAINED below (or an explained one has
disappeared), so a change in either tool shows up.

Pairs (Prowler check -> mfaguard):
  iam_root_mfa_enabled                 iam.root_mfa_enabled
  iam_root_hardware_mfa_enabled        iam.root_hardware_mfa
  iam_no_root_access_key               iam.root_access_keys
  iam_user_mfa_enabled_console_access  iam.console_user_mfa
  iam_administrator_access_with_mfa    iam.privileged_user_mfa
      Prowler reports one finding per group; it is expanded to users with
      Prowler's own rule: a FAIL group fails each member whose credential
      report row has mfa_active=false. Members of groups it passed pass.
  iam_user_hardware_mfa_enabled        identities[].mfa.devices
      mfaguard has no such check: a user fails when none of its devices is
      `hardware` or `fido` (and `unlisted_non_virtual` is false); `unknown`
      when MFA is active, only virtual devices are listed and the list is
      incomplete.
"""

import json
import os
import statistics
import sys

PAIRS = [
    ("iam_root_mfa_enabled", "iam.root_mfa_enabled"),
    ("iam_root_hardware_mfa_enabled", "iam.root_hardware_mfa"),
    ("iam_no_root_access_key", "iam.root_access_keys"),
    ("iam_user_mfa_enabled_console_access", "iam.console_user_mfa"),
    ("iam_administrator_access_with_mfa", "iam.privileged_user_mfa"),
    ("iam_user_hardware_mfa_enabled", "identities[].mfa.devices (derived)"),
]

PROWLER_SRC = "prowler/providers/aws/services/iam"

# (Prowler check, resource ARN) -> (who fails it, category, explanation).
# "who" is "prowler" or "mfaguard": the only side with a failing result.
EXPLAINED = {
    ("iam_root_hardware_mfa_enabled", "arn:aws:iam::333333333333:root"): (
        "prowler",
        "Prowler defect",
        "Root's device is not virtual (AccountMFAEnabled=1, no virtual device assigned to root), "
        "but the user `root-ops` has a virtual device. Prowler decides root's device is virtual "
        "when `\"root\" in mfa.get(\"User\", {}).get(\"Arn\", \"\")` for any virtual device "
        f"(`{PROWLER_SRC}/iam_root_hardware_mfa_enabled/iam_root_hardware_mfa_enabled.py`): "
        "a substring test that matches `arn:aws:iam::333333333333:user/root-ops` (and any user or "
        "path containing `root`). mfaguard compares the device's user ARN with "
        "`arn:aws:iam::ACCOUNT:root` exactly.",
    ),
    ("iam_root_hardware_mfa_enabled", "arn:aws:iam::444444444444:root"): (
        "mfaguard",
        "Prowler defect",
        "The credential report's root row has `password_enabled=not_supported` (root's value "
        "in earlier versions of AWS's credential-report page, and what scripts/moto_server.py "
        "writes) and no access key. Prowler's three root checks only emit a finding when "
        "`password_enabled == \"true\"` or an access key is active "
        "(`# Only report if root actually has credentials`), so root, which has a password and "
        "a virtual MFA device, is not evaluated at all: no finding, not even PASS. mfaguard "
        "takes root's password from `AccountPasswordPresent` in GetAccountSummary and fails "
        "the virtual device.",
    ),
    ("iam_administrator_access_with_mfa", "arn:aws:iam::123456789012:user/erin-admin-machine"): (
        "prowler",
        "scope (by design)",
        "erin is in the AdministratorAccess group Admins with access keys and no console "
        "password. Prowler fails any member with `mfa_active=false`. mfaguard's "
        "iam.privileged_user_mfa is about console sign-in (an access key cannot present MFA); "
        "erin is tier `machine` and the check is not_applicable (\"no console password "
        "(machine user)\"). Long-lived admin keys are a different risk.",
    ),
    ("iam_administrator_access_with_mfa", "arn:aws:iam::123456789012:user/frank-inline-star-nomfa"): (
        "mfaguard",
        "Prowler defect (coverage)",
        "frank's console password has no MFA and an inline policy allows `*` on `*`. Prowler "
        "only looks at groups with the AWS managed policy "
        "`arn:aws:iam::aws:policy/AdministratorAccess` attached "
        f"(`{PROWLER_SRC}/iam_administrator_access_with_mfa/iam_administrator_access_with_mfa.py` "
        "iterates `iam_client.groups` and compares `PolicyArn`); inline policies are not seen.",
    ),
    ("iam_administrator_access_with_mfa", "arn:aws:iam::123456789012:user/grace-direct-admin-nomfa"): (
        "mfaguard",
        "Prowler defect (coverage)",
        "grace has AdministratorAccess attached to the user directly, console password, no MFA. "
        "Prowler's check only iterates groups, so users with admin policies attached directly "
        "are never evaluated.",
    ),
    ("iam_administrator_access_with_mfa", "arn:aws:iam::123456789012:user/larry-custom-admin-nomfa"): (
        "mfaguard",
        "Prowler defect (coverage)",
        "larry is in group PlatformAdmins whose customer managed policy allows `*` on `*`; "
        "Prowler matches only the AWS managed policy's ARN, so the group is reported as "
        "\"provides non-administrative access\". mfaguard decides privilege by evaluating the "
        "policies.",
    ),
    ("iam_user_hardware_mfa_enabled", "arn:aws:iam::123456789012:user/judy-dev-virtual-and-hardware"): (
        "prowler",
        "definition (neither a defect)",
        "judy has a hardware token and a virtual device. Prowler fails a user as soon as one "
        "device is virtual (`mfa_device.type == \"mfa\"`); mfaguard counts a user as covered "
        "by phishing-resistant MFA when it has at least one hardware or FIDO device and names "
        "the extra virtual device in the message (iam.breakglass_hardware_mfa: \"it also has a "
        "virtual device that can be used instead: deactivate it\"). Prowler's reading is the "
        "stricter one: the virtual device still signs in.",
    ),
}


def load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def root_arn(account):
    return f"arn:aws:iam::{account}:root"


def prowler_statuses(findings, facts, account):
    """check -> {resource ARN: "FAIL" | "PASS"}, plus notes."""
    out = {p: {} for p, _ in PAIRS}
    notes = []
    for f in findings:
        check = f["metadata"]["event_code"]
        if check not in out:
            continue
        resource = f["resources"][0]
        uid = resource["uid"]
        status = f["status_code"]
        if check.startswith("iam_root") or check == "iam_no_root_access_key":
            uid = root_arn(account)  # iam_root_hardware_mfa_enabled reports arn:...:mfa
        if check == "iam_administrator_access_with_mfa":
            group = facts["groups"].get(resource["name"])
            if group is None:
                notes.append(f"group {resource['name']} missing from facts")
                continue
            failing = [
                m for m in group["members"] if facts["mfa_active"].get(m) == "false"
            ]
            for member in group["members"]:
                previous = out[check].get(member)
                verdict = "FAIL" if status == "FAIL" and member in failing else "PASS"
                out[check][member] = "FAIL" if "FAIL" in (previous, verdict) else verdict
            admin = "arn:aws:iam::aws:policy/AdministratorAccess"
            if status == "PASS" and admin in group.get("attached", []) and "non-administrative" in f["status_detail"]:
                notes.append(
                    f"Prowler's PASS for group {resource['name']} reads `{f['status_detail']}` although "
                    "AdministratorAccess is attached (every member has MFA): the message set before the "
                    "policy loop is never updated on this path"
                )
            if status == "FAIL":
                named = [m for m in failing if f"User {m.rsplit('/', 1)[-1]} " in f["status_detail"]]
                if not named:
                    notes.append(
                        f"{check}: the user named in `{f['status_detail']}` is not a member without MFA"
                    )
                if len(failing) > 1:
                    notes.append(
                        f"Prowler's finding for group {resource['name']} names one user "
                        f"(`{f['status_detail']}`) of the {len(failing)} members without MFA "
                        f"({', '.join(m.rsplit('/', 1)[-1] for m in failing)}): the message keeps "
                        "only the last one"
                    )
            continue
        out[check][uid] = status
    return out, notes


def mfaguard_statuses(report):
    out = {p: {} for p, _ in PAIRS}
    by_check = {m: p for p, m in PAIRS}
    for r in report["results"]:
        pair = by_check.get(r["check_id"])
        if pair is not None:
            out[pair][r["resource_arn"]] = r["status"]
    for identity in report["identities"]:
        if identity["type"] != "user":
            continue
        kinds = {d["kind"] for d in identity["mfa_devices"]}
        if kinds & {"hardware", "fido"} or identity.get("mfa_unlisted_non_virtual"):
            status = "pass"
        elif identity["mfa_active"] is False:
            status = "fail"
        elif identity["mfa_active"] is True and identity.get("mfa_devices_complete"):
            status = "fail"
        else:
            status = "unknown"
        out["iam_user_hardware_mfa_enabled"][identity["arn"]] = status
    return out


def main():
    run = sys.argv[1]
    creds = load(os.path.join(run, "creds.json"))
    facts = load(os.path.join(run, "facts.json"))
    rows = []  # (pair, account, arn, prowler, mfaguard)
    notes = []
    for account in creds["accounts"]:
        path = os.path.join(run, "prowler", f"{account}.ocsf.json")
        if os.path.exists(path):
            findings = load(path)
        else:  # Prowler writes no file when it has no finding at all
            findings = []
            stdout = os.path.join(run, "logs", f"prowler-{account}.stdout")
            if "There are no findings" not in open(stdout, encoding="utf-8").read():
                raise SystemExit(f"{path} missing and Prowler did not say it had no findings")
            notes.append(f"Prowler had no finding at all in account {account} (\"There are no findings\")")
        report = load(os.path.join(run, "mfaguard", f"{account}.json"))
        prowler, n = prowler_statuses(findings, facts[account], account)
        notes += n
        mfaguard = mfaguard_statuses(report)
        for pair, _ in PAIRS:
            for arn in sorted(set(prowler[pair]) | set(mfaguard[pair])):
                rows.append((pair, account, arn, prowler[pair].get(arn, "—"), mfaguard[pair].get(arn, "—")))

    summary = []
    differences = []
    unexplained = []
    seen = set()
    for pair, ours in PAIRS:
        pair_rows = [r for r in rows if r[0] == pair]
        p_fail = {r[2] for r in pair_rows if r[3] == "FAIL"}
        m_fail = {r[2] for r in pair_rows if r[4] == "fail"}
        m_unknown = {r[2] for r in pair_rows if r[4] == "unknown"}
        summary.append(
            {
                "prowler": pair,
                "mfaguard": ours,
                "prowler_evaluated": sum(1 for r in pair_rows if r[3] != "—"),
                "mfaguard_evaluated": sum(1 for r in pair_rows if r[4] not in ("—", "not_applicable")),
                "prowler_fail": len(p_fail),
                "mfaguard_fail": len(m_fail),
                "both_fail": len(p_fail & m_fail),
                "mfaguard_unknown": len(m_unknown),
                "differences": len(p_fail ^ m_fail),
            }
        )
        for r in pair_rows:
            arn = r[2]
            if (arn in p_fail) == (arn in m_fail):
                continue
            who = "prowler" if arn in p_fail else "mfaguard"
            key = (pair, arn)
            seen.add(key)
            explained = EXPLAINED.get(key)
            entry = {
                "prowler_check": pair,
                "account": r[1],
                "resource": arn,
                "prowler": r[3],
                "mfaguard": r[4],
                "only_failed_by": who,
            }
            if explained and explained[0] == who:
                entry["category"], entry["explanation"] = explained[1], explained[2]
            else:
                entry["category"], entry["explanation"] = "UNEXPLAINED", ""
                unexplained.append(entry)
            differences.append(entry)
    stale = [k for k in EXPLAINED if k not in seen]

    timing = load(os.path.join(run, "timing.json"))
    p_med = statistics.median(timing["prowler_seconds"])
    m_med = statistics.median(timing["mfaguard_seconds"])
    timing["prowler_median"] = round(p_med, 3)
    timing["mfaguard_median"] = round(m_med, 3)
    timing["ratio_prowler_over_mfaguard"] = round(p_med / m_med, 1)

    md = []
    md.append("## Failing resources, check by check (all accounts)\n")
    md.append("| Prowler check | mfaguard | evaluated (Prowler / mfaguard) | fail Prowler | fail mfaguard | both | differences |")
    md.append("|---|---|---|---|---|---|---|")
    for s in summary:
        md.append(
            f"| `{s['prowler']}` | `{s['mfaguard']}` | {s['prowler_evaluated']} / {s['mfaguard_evaluated']} "
            f"| {s['prowler_fail']} | {s['mfaguard_fail']} | {s['both_fail']} | {s['differences']} |"
        )
    md.append("\n## Differences\n")
    md.append("| Prowler check | resource | Prowler | mfaguard | category | why |")
    md.append("|---|---|---|---|---|---|")
    for d in differences:
        md.append(
            f"| `{d['prowler_check']}` | `{d['resource']}` | {d['prowler']} | {d['mfaguard']} "
            f"| {d['category']} | {d['explanation']} |"
        )
    md.append("\n## Every resource\n")
    md.append("| Prowler check | account | resource | Prowler | mfaguard |")
    md.append("|---|---|---|---|---|")
    for r in rows:
        md.append(f"| `{r[0]}` | {r[1]} | `{r[2].split(':', 5)[-1]}` | {r[3]} | {r[4]} |")
    if notes:
        md.append("\n## Notes\n")
        md += [f"- {n}" for n in dict.fromkeys(notes)]
    md.append("\n## Wall time (main account, {} runs each)\n".format(len(timing["prowler_seconds"])))
    md.append(f"- Prowler {timing.get('prowler_version', '?')}: median {p_med:.2f} s ({', '.join(f'{t:.2f}' for t in timing['prowler_seconds'])})")
    md.append(f"- mfaguard: median {m_med:.3f} s ({', '.join(f'{t:.3f}' for t in timing['mfaguard_seconds'])})")
    md.append(f"- ratio Prowler / mfaguard: **{p_med / m_med:.1f}x**")
    if unexplained:
        md.append(f"\n**{len(unexplained)} unexplained difference(s).**")
    if stale:
        md.append("\n**Explained differences that no longer occur:** " + ", ".join(f"`{k[0]}` `{k[1]}`" for k in stale))
    text = "\n".join(md) + "\n"
    with open(os.path.join(run, "comparison.md"), "w", encoding="utf-8") as handle:
        handle.write(text)
    with open(os.path.join(run, "comparison.json"), "w", encoding="utf-8") as handle:
        json.dump(
            {"summary": summary, "differences": differences, "notes": list(dict.fromkeys(notes)),
             "timing": timing, "stale_explanations": [list(k) for k in stale]},
            handle,
            indent=1,
        )
    print(text)
    sys.exit(1 if unexplained or stale else 0)


if __name__ == "__main__":
    main()
