#!/usr/bin/env bash
# Installs what the integration tests need into .tools/ (idempotent):
# moto's server (a real IAM/STS/Organizations HTTP API) and the AWS CLI,
# both from PyPI, in their own virtual environment.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.tools/venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import moto, werkzeug, flask' 2>/dev/null || [ ! -x "$venv/bin/aws" ]; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check 'moto[server]==5.2.5' 'awscli==1.46.3'
fi
echo "test tools: $("$venv/bin/python" -c 'import moto; print("moto", moto.__version__)'), $("$venv/bin/aws" --version 2>&1)"
