#!/usr/bin/env bash
# Read throughput of `GET /v1/documents/{id}` (an audited read: one access-log INSERT, committed
# before the response) next to `pgbench -S` (select-only) and `pgbench -N` (simple update) on the
# same Postgres, in one run; then the API's latency at half its measured throughput. Release
# build, local storage, loopback only, every load bounded (BENCH_SECONDS, default 15 s each).
# Prints a Markdown table for docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/postgres.sh
port=${BENCH_PORT:-18082}
secs=${BENCH_SECONDS:-15}
conns=${BENCH_CONNECTIONS:-32}
work=$(mktemp -d)
api_pid=
cleanup() { [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

if ! command -v wrk >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then apt-get install -y -qq wrk >&2; else sudo apt-get install -y -qq wrk >&2; fi
fi
cargo build --release --locked --bin pramana --bin pramana-api >&2
ensure_postgres
psql_bin=$(pg_find_bin psql)
pgbench_bin=$(pg_find_bin pgbench)
"$psql_bin" "$PG_SERVER_URL/postgres" -qc 'DROP DATABASE IF EXISTS pramana_bench' -c 'CREATE DATABASE pramana_bench' \
  -c 'DROP DATABASE IF EXISTS pramana_pgbench' -c 'CREATE DATABASE pramana_pgbench' >&2
"$pgbench_bin" -i -q -s 10 "$PG_SERVER_URL/pramana_pgbench" >&2 2>/dev/null

export PRAMANA_DATABASE__URL="$PG_SERVER_URL/pramana_bench"
export PRAMANA_DATABASE__MAX_CONNECTIONS=${BENCH_API_DB_CONNECTIONS:-$conns}
export PRAMANA_AUTH__JWT_SECRET=bench-secret-bench-secret-bench-secret-0123
export PRAMANA_SERVER__HOST=127.0.0.1 PRAMANA_SERVER__PORT=$port
export PRAMANA_STORAGE__LOCAL_DIR="$work/objects"
export PRAMANA_TELEMETRY__LOG_FILTER=warn
target/release/pramana-api >&2 &
api_pid=$!
for _ in $(seq 1 100); do curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null && break; sleep 0.1; done

export PRAMANA_API="http://127.0.0.1:$port" PRAMANA_HOME="$work/home"
export PRAMANA_PASSPHRASE="bench passphrase 123" PRAMANA_PASSWORD="bench password 123"
abha=91234567890129   # a valid Luhn number
target/release/pramana identity create >/dev/null
target/release/pramana register --abha "$abha" --name Bench >/dev/null
target/release/pramana login --login "$abha" >/dev/null
echo "a small lab report" > "$work/report.txt"
id=$(target/release/pramana --json upload "$work/report.txt" --type DiagnosticReport --date 2026-01-01 \
  | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).id')
token=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).access_token' "$PRAMANA_HOME/session.json")
url="http://127.0.0.1:$port/v1/documents/$id"
curl -fsS -o /dev/null -H "authorization: Bearer $token" "$url"

# wrk: "Requests/sec:" and the "99%" latency line (converted to ms).
rps_of() { awk '/^Requests\/sec:/ {printf "%d", $2}' "$1"; }
p99_of() {
  awk '$1 == "99%" { v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
    if (u == "us") v /= 1000; else if (u == "s") v *= 1000; printf "%.1f", v }' "$1"
}
tps_of() { awk '/^tps = / {printf "%d", $3}' "$1"; }

wrk -t2 -c"$conns" -d"${secs}s" --latency -H "authorization: Bearer $token" "$url" > "$work/full.txt"
"$pgbench_bin" -S -n -c "$conns" -j 2 -T "$secs" "$PG_SERVER_URL/pramana_pgbench" > "$work/select.txt" 2>/dev/null
"$pgbench_bin" -N -n -c "$conns" -j 2 -T "$secs" "$PG_SERVER_URL/pramana_pgbench" > "$work/update.txt" 2>/dev/null
api_rps=$(rps_of "$work/full.txt")
# Half the measured throughput, paced: each of `paced` connections waits `delay` ms after each
# response (wrk's delay() hook), so the offered rate is at most paced * 1000 / delay.
paced=8
half=$((api_rps / 2))
delay=$(( half > 0 ? paced * 1000 / half : 1000 ))
[ "$delay" -lt 1 ] && delay=1
printf 'function delay() return %d end\n' "$delay" > "$work/pace.lua"
wrk -t2 -c"$paced" -d"${secs}s" --latency -s "$work/pace.lua" -H "authorization: Bearer $token" "$url" > "$work/half.txt"
entries=$("$psql_bin" "$PRAMANA_DATABASE__URL" -Atqc "SELECT count(*) FROM audit_log WHERE action = 'document.read_metadata'")
# The same API and session check without an access-log write, for reference.
wrk -t2 -c"$conns" -d"${secs}s" --latency -H "authorization: Bearer $token" "http://127.0.0.1:$port/v1/patients/me" > "$work/me.txt"

select_tps=$(tps_of "$work/select.txt")
update_tps=$(tps_of "$work/update.txt")
echo "| what (${secs} s each, ${conns} connections, loopback) | throughput | p99 latency |"
echo "|---|---:|---:|"
echo "| \`GET /v1/documents/{id}\`, full load | $api_rps req/s | $(p99_of "$work/full.txt") ms |"
echo "| \`GET /v1/documents/{id}\`, paced at half ($paced connections, ${delay} ms pause) | $(rps_of "$work/half.txt") req/s | $(p99_of "$work/half.txt") ms |"
echo "| \`GET /v1/patients/me\` (not audited), full load | $(rps_of "$work/me.txt") req/s | $(p99_of "$work/me.txt") ms |"
echo "| \`pgbench -S\` (select only, scale 10) | $select_tps TPS | |"
echo "| \`pgbench -N\` (simple update, scale 10) | $update_tps TPS | |"
echo
echo "API / pgbench -S: $(awk -v a="$api_rps" -v b="$select_tps" 'BEGIN {printf "%.2f", a / b}');" \
  "API / pgbench -N: $(awk -v a="$api_rps" -v b="$update_tps" 'BEGIN {printf "%.2f", a / b}');" \
  "access-log entries written by the reads: $entries"
