#!/usr/bin/env bash
# Granting a whole record (cli/tests/consent.rs, `grant_bench`): BENCH_DOCUMENTS (default
# 10,000) in-scope documents seeded straight into a real Postgres, then `pramana consent
# approve` timed end to end against the API and a real Anvil chain (listing, one stanza sealed
# per document on the client, pages of new headers), then `pramana consent revoke` (the
# stanzas taken out again). Release build. Prints the wall times and the request count.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/postgres.sh
bash scripts/tools.sh
ensure_postgres
export PRAMANA_TEST_DATABASE_URL="$PG_SERVER_URL/postgres"
cargo test --release --locked -p pramana-cli --test consent -- --ignored --nocapture grant_bench
