#!/usr/bin/env bash
# Installs what the integration tests need into .tools/ (idempotent):
# moto's server (a real IAM/STS/Organizations HTTP API) and the AWS CLI,
# both from PyPI, in their own virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."

# A virtual environment records its absolute path: build them under the
# real path of .tools (a worktree may reach it through a symlink), and
# rebuild one whose programs no longer start.
mkdir -p .tools
tools="$(realpath .tools)"
venv=$tools/venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import moto, werkzeug, flask' 2>/dev/null || [ ! -x "$venv/bin/aws" ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.5' 'awscli==1.46.3'
fi
# The linters `mfaguard lint` is compared with (scripts/compare-linters.sh),
# and cfn-lint, which validates the CloudFormation of `mfaguard fix policy`
# in the tests. checkov has its own environment: its pins clash with moto's.
linters=$tools/linters
if ! "$linters/bin/cfn-lint" --version >/dev/null 2>&1 || ! "$linters/bin/parliament" --help >/dev/null 2>&1; then
  rm -rf "$linters"
  python3 -m venv "$linters"
  "$linters/bin/pip" install --quiet --disable-pip-version-check 'cfn-lint==1.58.0' 'parliament==1.6.4'
fi
checkov=$tools/checkov
if ! "$checkov/bin/checkov" --version >/dev/null 2>&1; then
  rm -rf "$checkov"
  python3 -m venv "$checkov"
  "$checkov/bin/pip" install --quiet --disable-pip-version-check 'checkov==3.3.30'
fi
# py-ocsf-models (pydantic models of OCSF 1.5.0), the independent check of
# the OCSF output (scripts/validate_ocsf.py), in its own environment.
ocsf=$tools/ocsf
if ! "$ocsf/bin/python" -c 'import py_ocsf_models' 2>/dev/null; then
  rm -rf "$ocsf"
  python3 -m venv "$ocsf"
  "$ocsf/bin/pip" install --quiet --disable-pip-version-check 'py-ocsf-models==0.10.0'
fi
# The browser tests (crates/mfaguard/tests/browser.rs): Debian's Chromium and
# its driver from apt, and Playwright with pytest from PyPI driving that
# Chromium (`executable_path`; Playwright's own browser download is never
# run).
if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  if command -v apt-get >/dev/null 2>&1; then
    as_root=""
    if [ "$(id -u)" -ne 0 ]; then as_root="sudo"; fi
    $as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
  else
    echo "test tools: apt-get not found; install Chromium to run the browser tests"
  fi
fi
browser=$tools/browser
if ! "$browser/bin/python" -c 'import playwright, pytest' 2>/dev/null; then
  rm -rf "$browser"
  python3 -m venv "$browser"
  "$browser/bin/pip" install --quiet --disable-pip-version-check 'playwright==1.56.0' 'pytest==8.4.2'
fi
# The Node driver of the differential test against @cloud-copilot/iam-simulate
# (versions pinned by scripts/iam-simulate/package-lock.json); reinstalled only
# when the lock file changed.
sim=scripts/iam-simulate
if command -v npm >/dev/null 2>&1; then
  if ! cmp -s "$sim/package-lock.json" "$sim/node_modules/.mfaguard-installed-lock" 2>/dev/null; then
    npm ci --prefix "$sim" --no-audit --no-fund --loglevel=error >/dev/null
    cp "$sim/package-lock.json" "$sim/node_modules/.mfaguard-installed-lock"
  fi
  echo "test tools: iam-simulate $(node -p "require('./$sim/node_modules/@cloud-copilot/iam-simulate/package.json').version")"
else
  echo "test tools: npm not found; the differential test against iam-simulate will be skipped"
fi
echo "test tools: $("$venv/bin/python" -c 'import moto; print("moto", moto.__version__)'), $("$venv/bin/aws" --version 2>&1)"
echo "test tools: py-ocsf-models $("$ocsf/bin/pip" show py-ocsf-models 2>/dev/null | awk '/^Version/ {print $2}')"
echo "test tools: $(chromium --version 2>/dev/null | head -1), playwright $("$browser/bin/pip" show playwright 2>/dev/null | awk '/^Version/ {print $2}')"
echo "test tools: cfn-lint $("$linters/bin/cfn-lint" --version 2>&1 | awk '{print $2}'), parliament $("$linters/bin/pip" show parliament 2>/dev/null | awk '/^Version/ {print $2}'), checkov $("$checkov/bin/checkov" --version 2>&1)"
