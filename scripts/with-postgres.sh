#!/usr/bin/env bash
# Runs CMD... with a throwaway PostgreSQL server on 127.0.0.1:
#
#   scripts/with-postgres.sh cargo test -p mfaguard-store
#
# Installs Debian's `postgresql` package when no server binaries are found
# under /usr/lib/postgresql/*/bin, creates a cluster in a temporary directory
# (as the `postgres` user when running as root: the server refuses root),
# starts it on a free loopback port, exports
# MFAGUARD_TEST_POSTGRES=postgres://mfaguard@127.0.0.1:PORT/postgres, runs
# CMD, and stops and removes the cluster on exit, whatever happens.
set -euo pipefail

if [ "$#" -eq 0 ]; then
  echo "usage: $0 CMD [ARGS...]" >&2
  exit 2
fi

find_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
      echo "$dir"
      return 0
    fi
  done
  return 1
}

started=$(date +%s.%N)
if ! bin=$(find_bin); then
  if [ "$(id -u)" -ne 0 ]; then
    echo "with-postgres: PostgreSQL is not installed and this is not root: apt-get install postgresql" >&2
    exit 2
  fi
  echo "with-postgres: installing PostgreSQL (Debian package postgresql)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bin=$(find_bin)
fi

# The server runs as an unprivileged user.
as_server=()
if [ "$(id -u)" -eq 0 ]; then
  user=postgres
  if ! id "$user" >/dev/null 2>&1; then
    user=mfaguard-pg
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
  fi
  as_server=(runuser -u "$user" --)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mfaguard-pg.XXXXXX")
chmod 755 "$tmp"
[ "${#as_server[@]}" -eq 0 ] || chown "$user" "$tmp"
data="$tmp/data"

cleanup() {
  local status=$?
  if [ -f "$data/postmaster.pid" ]; then
    "${as_server[@]}" "$bin/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"${as_server[@]}" "$bin/initdb" -D "$data" -U mfaguard --auth=trust -E UTF8 --locale=C.UTF-8 --no-instructions >"$tmp/initdb.log" 2>&1 ||
  "${as_server[@]}" "$bin/initdb" -D "$data" -U mfaguard --auth=trust -E UTF8 --locale=C >"$tmp/initdb.log" 2>&1 || {
  cat "$tmp/initdb.log" >&2
  exit 2
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' 2>/dev/null ||
    echo $((20000 + RANDOM % 40000))
}

port=
for attempt in 1 2 3 4 5; do
  candidate=$(free_port)
  # Throwaway data: durability settings off for speed; the tests kill
  # clients, never the server.
  if "${as_server[@]}" "$bin/pg_ctl" -D "$data" -l "$tmp/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $candidate -k $tmp -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
    start >/dev/null; then
    port=$candidate
    break
  fi
  echo "with-postgres: could not start on port $candidate (attempt $attempt)" >&2
done
if [ -z "$port" ]; then
  cat "$tmp/server.log" >&2 || true
  exit 2
fi

export MFAGUARD_TEST_POSTGRES="postgres://mfaguard@127.0.0.1:$port/postgres"
ready=$(date +%s.%N)
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port, ready in $(awk -v a="$started" -v b="$ready" 'BEGIN { printf "%.2f", b - a }')s" >&2

set +e
"$@"
status=$?
set -e
exit "$status"
