#!/usr/bin/env bash
# Side by side with Prowler (PyPI `prowler`): seeds moto accounts, runs
# Prowler's six MFA checks and `mfaguard scan` on each, compares the failing
# resources check by check and times both tools on the main account.
# docs/prowler-comparison.md explains every difference.
#
# Usage: scripts/compare-prowler.sh [--runs N] [--out DIR]
#   --runs N   timed runs of each tool on the main account (default 5)
#   --out DIR  where reports, logs and comparison.md go
#              (default target/prowler-comparison)
#
# Installs (idempotent, in .tools/, never committed): moto and the AWS CLI
# via scripts/install-test-tools.sh, and Prowler in .tools/prowler-venv.
# Then it re-runs itself in a new network namespace (`unshare --net`) whose
# only interface is loopback: moto, the seeding, Prowler and mfaguard all run
# there, so nothing can reach real AWS or the internet. Every request and
# connection in Prowler's DEBUG logs is also checked to be 127.0.0.1.
# Without namespaces (e.g. a container that forbids them) it stops, unless
# COMPARE_PROWLER_HOST_NETWORK=1 (then only the log check guards).
set -euo pipefail
cd "$(dirname "$0")/.."

PROWLER_VERSION=5.46.0
CHECKS=(iam_root_mfa_enabled iam_root_hardware_mfa_enabled iam_no_root_access_key
        iam_user_mfa_enabled_console_access iam_administrator_access_with_mfa
        iam_user_hardware_mfa_enabled)

runs=5
out=target/prowler-comparison
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--out DIR]" >&2; exit 2 ;;
  esac
done

if [ "${COMPARE_PROWLER_STAGE:-}" != run ]; then
  # Stage 1, on the host network: installs and build.
  ./scripts/install-test-tools.sh
  pvenv=.tools/prowler-venv
  if [ ! -x "$pvenv/bin/python" ]; then
    python3 -m venv "$pvenv"
  fi
  have=$("$pvenv/bin/python" -c 'import importlib.metadata as m; print(m.version("prowler"))' 2>/dev/null || true)
  if [ "$have" != "$PROWLER_VERSION" ]; then
    "$pvenv/bin/pip" install --quiet --disable-pip-version-check "prowler==$PROWLER_VERSION"
  fi
  echo "prowler $PROWLER_VERSION in $pvenv"
  cargo build --release -p mfaguard
  if unshare --net --map-root-user true 2>/dev/null; then
    exec unshare --net --map-root-user env COMPARE_PROWLER_STAGE=run COMPARE_PROWLER_NETNS=1 \
      bash "$0" --runs "$runs" --out "$out"
  elif [ "${COMPARE_PROWLER_HOST_NETWORK:-}" = 1 ]; then
    echo "warning: no network namespace; running on the host network, guarded by the log check only" >&2
    exec env COMPARE_PROWLER_STAGE=run COMPARE_PROWLER_NETNS=0 bash "$0" --runs "$runs" --out "$out"
  else
    echo "error: cannot create a network namespace (unshare --net --map-root-user)." >&2
    echo "Set COMPARE_PROWLER_HOST_NETWORK=1 to run on the host network anyway." >&2
    exit 2
  fi
fi

# Stage 2: loopback only.
py=.tools/venv/bin/python
prowler=.tools/prowler-venv/bin/prowler
mfaguard=target/release/mfaguard
if [ "${COMPARE_PROWLER_NETNS:-0}" = 1 ]; then
  if command -v ip >/dev/null; then
    ip link set lo up
  else # no iproute2: SIOCSIFFLAGS(lo, IFF_UP | IFF_LOOPBACK | IFF_RUNNING)
    "$py" -c 'import fcntl, socket, struct; s = socket.socket(); fcntl.ioctl(s, 0x8914, struct.pack("16sH", b"lo", 0x1 | 0x8 | 0x40))'
  fi
  if "$py" -c 'import socket; socket.create_connection(("1.1.1.1", 443), timeout=2)' 2>/dev/null; then
    echo "error: the network namespace reaches the internet" >&2
    exit 2
  fi
  echo "network namespace: loopback only (a connection to 1.1.1.1:443 fails)"
fi
unset HTTP_PROXY HTTPS_PROXY http_proxy https_proxy ALL_PROXY all_proxy NO_PROXY no_proxy
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
      AWS_ROLE_ARN AWS_WEB_IDENTITY_TOKEN_FILE AWS_CONTAINER_CREDENTIALS_RELATIVE_URI \
      AWS_CONTAINER_CREDENTIALS_FULL_URI

rm -rf "$out"
mkdir -p "$out/prowler" "$out/mfaguard" "$out/logs"
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"

"$py" scripts/prowler/scenario.py roots > "$out/roots.json"
mkfifo "$out/moto.stdin"
exec 3<>"$out/moto.stdin"   # moto_server.py stops when its stdin closes
"$py" scripts/prowler/moto_server_prowler.py "$port" "$out/roots.json" <&3 >"$out/logs/moto.log" 2>&1 &
moto_pid=$!
trap 'kill "$moto_pid" 2>/dev/null || true; exec 3>&-; rm -f "$out/moto.stdin"' EXIT
for _ in $(seq 100); do
  grep -q "listening" "$out/logs/moto.log" 2>/dev/null && break
  kill -0 "$moto_pid" 2>/dev/null || { cat "$out/logs/moto.log" >&2; exit 1; }
  sleep 0.2
done
grep -q "listening" "$out/logs/moto.log" || { echo "moto did not start" >&2; exit 1; }
echo "moto on $endpoint"

AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  "$py" scripts/prowler/scenario.py seed "$endpoint" "$out/creds.json"
"$py" scripts/prowler/scenario.py facts "$endpoint" "$out/creds.json" "$out/facts.json"

export AWS_ENDPOINT_URL="$endpoint" AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 \
  AWS_EC2_METADATA_DISABLED=true AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null \
  MFAGUARD_STORE=none

accounts=$("$py" -c 'import json,sys; print(" ".join(json.load(open(sys.argv[1]))["accounts"]))' "$out/creds.json")
main=$("$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))["main"])' "$out/creds.json")

creds_for() { # prints KEY=VALUE lines for `env`
  "$py" -c 'import json,sys; [print(f"{k}={v}") for k, v in json.load(open(sys.argv[1]))["accounts"][sys.argv[2]]["env"].items()]' \
    "$out/creds.json" "$1"
}

run_prowler() { # ACCOUNT NAME LOGLEVEL
  local -a creds
  mapfile -t creds < <(creds_for "$1")
  env "${creds[@]}" "$prowler" aws --checks "${CHECKS[@]}" --filter-region us-east-1 \
    --output-formats json-ocsf --output-directory "$out/prowler" --output-filename "$2" \
    --no-banner --ignore-exit-code-3 --log-level "$3" --log-file "$out/logs/prowler-$2.log" \
    >"$out/logs/prowler-$2.stdout" 2>&1
}

run_mfaguard() { # ACCOUNT OUTPUT
  local -a creds
  mapfile -t creds < <(creds_for "$1")
  env "${creds[@]}" "$mfaguard" scan --format json --fail-on none >"$2" 2>>"$out/logs/mfaguard.stderr"
}

debug_logs=()
for account in $accounts; do
  run_prowler "$account" "$account" DEBUG
  debug_logs+=("$out/logs/prowler-$account.log")
  run_mfaguard "$account" "$out/mfaguard/$account.json"
  echo "account $account: prowler $(
    "$py" -c 'import json,os,sys; print(len(json.load(open(sys.argv[1]))) if os.path.exists(sys.argv[1]) else 0, "findings")' "$out/prowler/$account.ocsf.json"
  ), mfaguard $(
    "$py" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["results"]), "results,", d["accounts"][0]["location"])' "$out/mfaguard/$account.json"
  )"
done

# Timed runs on the main account, alternating the tools. Prowler logs at
# ERROR (its default) so that DEBUG logging does not inflate its time.
now() { "$py" -c 'import time; print(time.monotonic())'; }
timed_logs=()
p_times=()
m_times=()
for i in $(seq "$runs"); do
  t0=$(now); run_prowler "$main" "timed-$i" ERROR; t1=$(now)
  run_mfaguard "$main" "$out/mfaguard/timed-$i.json"; t2=$(now)
  p_times+=("$("$py" -c "print($t1 - $t0)")")
  m_times+=("$("$py" -c "print($t2 - $t1)")")
  timed_logs+=("$out/logs/prowler-timed-$i.log" "$out/logs/prowler-timed-$i.stdout")
  echo "run $i: prowler ${p_times[-1]} s, mfaguard ${m_times[-1]} s"
done
"$py" - "$out/timing.json" "$PROWLER_VERSION" "$("$mfaguard" --version)" "${p_times[*]}" "${m_times[*]}" <<'EOF'
import json, sys
path, pv, mv, p, m = sys.argv[1:]
json.dump({"prowler_version": pv, "mfaguard_version": mv,
           "prowler_seconds": [float(x) for x in p.split()],
           "mfaguard_seconds": [float(x) for x in m.split()]}, open(path, "w"), indent=1)
EOF

stdouts=()
for account in $accounts; do stdouts+=("$out/logs/prowler-$account.stdout"); done
"$py" scripts/prowler/check_loopback.py "$port" "${debug_logs[@]}" -- "${stdouts[@]}" "${timed_logs[@]}"

"$py" scripts/prowler/compare.py "$out"
echo "reproduce: scripts/compare-prowler.sh --runs $runs   (report in $out/comparison.md)"
