#!/usr/bin/env bash
# Runs every check: formatting, clippy (-D warnings), the API against its OpenAPI document
# (schemathesis), the contract checks (Foundry tests, gas snapshot, checked-in ABI), the web
# client's checks (generated API types, typecheck, vitest, build) and all Rust tests against a
# real Postgres, Anvil and Garage, then the portal's browser tests (Playwright in Debian's
# Chromium against the whole platform). CI runs exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/postgres.sh
source scripts/lib/native-deps.sh

step() { printf '\n==> %s\n' "$*"; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT

step "system libraries (OpenSSL headers, pkg-config)"
ensure_native_deps

step "rustfmt"
cargo fmt --all --check

step "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "postgres"
ensure_postgres
export PRAMANA_TEST_DATABASE_URL="$PG_SERVER_URL/postgres"
echo "using $PG_SERVER_URL"
# Drop databases left by earlier runs (each test makes its own).
psql_bin=$(pg_find_bin psql)
"$psql_bin" "$PRAMANA_TEST_DATABASE_URL" -Atqc \
  "SELECT datname FROM pg_database WHERE datname LIKE 'pramana\_t\_%'" | while read -r db; do
  "$psql_bin" "$PRAMANA_TEST_DATABASE_URL" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null
done

step "schemathesis (the API against its own OpenAPI document)"
bash scripts/schemathesis.sh 2>&1 | tail -n 25

step "garage (S3-compatible store for the S3 backend tests)"
bash scripts/garage.sh

step "contracts"
bash scripts/check-contracts.sh 2>&1 | tee -a "$log"

step "web client (typecheck, vitest, build)"
# (Vitest's "Test Files N passed" line is left out of the closing count, which counts tests.)
NO_COLOR=1 bash scripts/web.sh 2>&1 | tee >(grep -v 'Test Files' >> "$log")

step "rust tests"
# A real SMTP server for the notification mail tests (aiosmtpd in a cached virtualenv; the
# harness starts one per test, and would install it itself if this step were skipped).
bash scripts/smtp.sh >/dev/null
cargo test --workspace --locked 2>&1 | tee -a "$log"

step "browser tests (the portal in Chromium against the whole platform)"
bash scripts/browser.sh 2>&1 | tee -a "$log"

# One closing line for the whole run, summed over every test binary and forge suite.
passed=$( { grep -Eo '[0-9]+ passed' "$log" || true; } | awk '{s+=$1} END {print s+0}')
failed=$( { grep -Eo '[0-9]+ failed' "$log" || true; } | awk '{s+=$1} END {print s+0}')
echo
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
