#!/usr/bin/env bash
# Contract checks: forge fmt, build, unit/fuzz/invariant tests, the committed gas snapshot, and
# that abi/ equals what contracts/ compiles to. `--write` refreshes the snapshot and abi/ instead.
set -euo pipefail
cd "$(dirname "$0")/.."
write=${1:-}
bash scripts/tools.sh
forge=$(pwd)/.tools/bin/forge
contracts=(ConsentRegistry)

cd contracts
if [ "$write" = "--write" ]; then
  "$forge" fmt
  "$forge" build
  "$forge" snapshot --snap .gas-snapshot
  node ../scripts/export-abi.cjs ../target/forge/out ../abi "${contracts[@]}"
  echo "contracts: snapshot and abi/ rewritten"
  exit 0
fi
"$forge" fmt --check
"$forge" build
"$forge" test
"$forge" snapshot --snap .gas-snapshot --check

fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
node ../scripts/export-abi.cjs ../target/forge/out "$fresh" "${contracts[@]}"
for c in "${contracts[@]}"; do
  if ! diff -q "$fresh/$c.json" "../abi/$c.json" >/dev/null 2>&1; then
    echo "abi/$c.json is not what contracts/ compiles to; run: bash scripts/check-contracts.sh --write" >&2
    diff <(head -c 2000 "$fresh/$c.json") <(head -c 2000 "../abi/$c.json" 2>/dev/null) >&2 || true
    exit 1
  fi
done
echo "contracts: abi/ matches the sources"
