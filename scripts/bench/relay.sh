#!/usr/bin/env bash
# Consent relay benchmark (tests/benches/relay.rs): gas per grant at batch sizes 1, 16 and 128,
# and grants per second through the worker, on a real Postgres and a real Anvil chain. Release
# build. Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/postgres.sh
bash scripts/tools.sh
ensure_postgres
export PRAMANA_TEST_DATABASE_URL="$PG_SERVER_URL/postgres"
cargo bench --locked -p pramana-tests --bench relay
