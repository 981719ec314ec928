#!/usr/bin/env bash
# Anchoring benchmark (tests/benches/anchor.rs): gas per document at batch sizes 1, 64 and 1,024,
# documents per second through the worker, and upload-to-anchored latency at low and high load,
# on a real Postgres and a real Anvil chain. Release build. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/postgres.sh
bash scripts/tools.sh
ensure_postgres
export PRAMANA_TEST_DATABASE_URL="$PG_SERVER_URL/postgres"
cargo bench --locked -p pramana-tests --bench anchor
