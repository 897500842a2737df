#!/usr/bin/env bash
# Runs mfaguard lint, checkov, cfn-lint and parliament on examples/lint-corpus
# and writes what each catches to docs/linter-comparison.md.
# Needs the tools of scripts/install-test-tools.sh and a built mfaguard
# (MFAGUARD=path, default target/release/mfaguard, else target/debug).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-test-tools.sh >/dev/null
mfaguard=${MFAGUARD:-target/release/mfaguard}
[ -x "$mfaguard" ] || mfaguard=target/debug/mfaguard
[ -x "$mfaguard" ] || cargo build -q -p mfaguard && mfaguard=${MFAGUARD:-target/debug/mfaguard}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
corpus=examples/lint-corpus

"$mfaguard" lint "$corpus" --format json > "$out/mfaguard.json" || true
# checkov: CloudFormation, Terraform HCL and Terraform plans (it has no
# framework for bare IAM policy files); no network (--skip-download).
.tools/checkov/bin/checkov -d "$corpus" --quiet --compact --skip-download -o json \
  --framework cloudformation terraform terraform_plan > "$out/checkov.json" 2>/dev/null || true
for f in "$corpus"/cloudformation/*.yaml; do
  .tools/linters/bin/cfn-lint -f json "$f" > "$out/cfn-lint-$(basename "$f").json" 2>/dev/null || true
done
for f in "$corpus"/policy/*.json; do
  # parliament reads standard input when it is not a terminal; --string avoids that.
  .tools/linters/bin/parliament --string "$(cat "$f")" --json --include-community-auditors \
    < /dev/null > "$out/parliament-$(basename "$f").jsonl" 2>/dev/null || true
done

python3 - "$out" "$corpus" <<'PY'
import json, os, sys, subprocess
out, corpus = sys.argv[1], sys.argv[2]

def load(path, default):
    try:
        with open(path) as handle:
            text = handle.read().strip()
        return json.loads(text) if text else default
    except (OSError, ValueError):
        return default

files = sorted(
    os.path.relpath(os.path.join(d, f), corpus)
    for d, _, names in os.walk(corpus) for f in names
    if f.endswith((".json", ".yaml", ".tf")))
found = {f: {"mfaguard": [], "checkov": [], "cfn-lint": [], "parliament": []} for f in files}
applies = {f: set() for f in files}

for result in load(f"{out}/mfaguard.json", {}).get("files", []):
    name = os.path.relpath(result["file"], corpus)
    applies[name].add("mfaguard")
    found[name]["mfaguard"] = [f"{x['rule']} ({x['line']}:{x['column']})" for x in result["findings"]]
reports = load(f"{out}/checkov.json", [])
reports = reports if isinstance(reports, list) else [reports]
for report in reports:
    for check in report.get("results", {}).get("failed_checks", []):
        name = check["file_path"].lstrip("/")
        found.setdefault(name, {}).setdefault("checkov", []).append(check["check_id"])
for name in files:
    if name.startswith(("cloudformation/", "terraform/")):
        applies[name].add("checkov")
    if name.startswith("cloudformation/"):
        applies[name].add("cfn-lint")
        found[name]["cfn-lint"] = [x["Rule"]["Id"] for x in load(f"{out}/cfn-lint-{os.path.basename(name)}.json", [])]
    if name.startswith("policy/"):
        applies[name].add("parliament")
        issues = []
        try:
            for line in open(f"{out}/parliament-{os.path.basename(name)}.jsonl"):
                if line.strip():
                    issues.append(json.loads(line)["issue"])
        except (OSError, ValueError):
            pass
        found[name]["parliament"] = sorted(set(issues))

expected = load("crates/mfaguard-core/tests/lint-corpus-expected.json", {})
# What in each other tool's output is about MFA: parliament's two MFA-aware
# checks. checkov and cfn-lint have none for these cases.
MFA_AWARE = {"BAD_PATTERN_FOR_MFA", "SINGLE_VALUE_CONDITION_TOO_PERMISSIVE"}

def cell(name, tool):
    if tool not in applies[name]:
        return "n/a"
    items = found[name].get(tool, [])
    if not items:
        return "—"
    return ", ".join(f"**{i}**" if i in MFA_AWARE else i for i in items)

tools = ["mfaguard", "checkov", "cfn-lint", "parliament"]
lines = ["| file | MFA issues in it | " + " | ".join(tools) + " |",
         "|---|---|" + "---|" * len(tools)]
for name in files:
    want = expected.get(name)
    issues = ", ".join(sorted({w[0] for w in want})) if want else "none (correct)"
    lines.append(f"| `{name}` | {issues} | " + " | ".join(cell(name, t) for t in tools) + " |")

def caught(tool):
    hits = total = fp = 0
    for name in files:
        want = expected.get(name, [])
        items = found[name].get(tool, [])
        if tool == "mfaguard":
            total += len(want); hits += sum(1 for w in want if any(i.startswith(f"{w[0]} ({w[1]}:{w[2]})") for i in items))
            fp += 0 if want else len(items)
        else:
            aware = [i for i in items if i in MFA_AWARE]
            total += len(want); hits += min(len(aware), len(want))
            fp += 0 if want else len(aware)
    return hits, total, fp

version = lambda cmd: subprocess.run(cmd, capture_output=True, text=True).stdout.strip().splitlines()[0] if subprocess.run(cmd, capture_output=True, text=True).stdout.strip() else "?"
summary = ["| tool | MFA findings caught | MFA findings on correct files |", "|---|---|---|"]
for tool in tools:
    hits, total, fp = caught(tool)
    summary.append(f"| {tool} | {hits}/{total} | {fp} |")

doc = open("docs/linter-comparison.md.in").read()
doc = doc.replace("@TABLE@", "\n".join(lines)).replace("@SUMMARY@", "\n".join(summary))
doc = doc.replace("@VERSIONS@", "checkov {}, cfn-lint {}, parliament {}".format(
    version([".tools/checkov/bin/checkov", "--version"]),
    version([".tools/linters/bin/cfn-lint", "--version"]).split()[-1],
    subprocess.run([".tools/linters/bin/pip", "show", "parliament"], capture_output=True, text=True).stdout.split("Version: ")[1].split()[0]))
open("docs/linter-comparison.md", "w").write(doc)
print("\n".join(summary))
PY
