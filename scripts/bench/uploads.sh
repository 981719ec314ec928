#!/usr/bin/env bash
# Upload throughput (tests/benches/uploads.rs): 4 KiB envelopes sealed beforehand, uploaded by 32
# concurrent clients to the API on loopback (local disk storage, real Postgres; each upload
# commits its document row, anchor job and access-log entry in one transaction), then
# `pgbench -N` (simple update: one durable commit per transaction) on the same server in the same
# run, for the floor a durable write sets. Release build. Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/postgres.sh
ensure_postgres
export PRAMANA_TEST_DATABASE_URL="$PG_SERVER_URL/postgres"
conns=${BENCH_CONNECTIONS:-32}
secs=${BENCH_SECONDS:-15}
export BENCH_CONNECTIONS=$conns
cargo bench --locked -p pramana-tests --bench uploads
psql_bin=$(pg_find_bin psql)
pgbench_bin=$(pg_find_bin pgbench)
"$psql_bin" "$PG_SERVER_URL/postgres" -qc 'DROP DATABASE IF EXISTS pramana_pgbench' -c 'CREATE DATABASE pramana_pgbench' >&2
"$pgbench_bin" -i -q -s 10 "$PG_SERVER_URL/pramana_pgbench" >/dev/null 2>&1
tps=$("$pgbench_bin" -N -n -c "$conns" -j 2 -T "$secs" "$PG_SERVER_URL/pramana_pgbench" 2>/dev/null | awk '/^tps = / {printf "%d", $3}')
echo "pgbench -N (simple update, scale 10, $conns clients, $secs s): $tps TPS"
