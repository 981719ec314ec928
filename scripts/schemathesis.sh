#!/usr/bin/env bash
# Fuzzes the HTTP API against its own OpenAPI document (/openapi.json) with Schemathesis: no
# server error, no status the document does not list, no response off its schema, no
# schema-valid request refused and no schema-violating request accepted. The web portal's
# client is generated from that document, so it has to be exact.
#
# Starts the API on a free port against a throwaway database (dropped at exit) on the Postgres
# that scripts/lib/postgres.sh finds or starts, with no chain configured; registers a patient
# and logs in so the authenticated operations are exercised; then runs a bounded, seeded
# Schemathesis run (scripts/schemathesis.toml and scripts/schemathesis_hooks.py say what is
# adjusted or excluded, and why). Exits non-zero
# on any failure.
#
# Schemathesis is installed once into a virtualenv in the per-user cache, outside the clone:
# ${PRAMANA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pramana}/schemathesis-<version>.
#
# Overrides: SCHEMATHESIS_SEED, SCHEMATHESIS_MAX_EXAMPLES (per operation), PG_SERVER_URL,
# CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/lib/postgres.sh

st_version=4.32.5
seed=${SCHEMATHESIS_SEED:-20261130}
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-8}

step() { printf '\n==> %s\n' "$*"; }

# --- schemathesis, installed once per user --------------------------------------------------
cache=${PRAMANA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pramana}
venv="$cache/schemathesis-$st_version"
if [ ! -f "$venv/.installed" ]; then
  step "installing schemathesis $st_version into $venv"
  rm -rf "$venv"
  mkdir -p "$cache"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$st_version"
  touch "$venv/.installed"
fi
st="$venv/bin/st"

# --- the API, on a throwaway database -------------------------------------------------------
step "build"
cargo build --locked -p pramana-api --bin pramana-api
api_bin="${CARGO_TARGET_DIR:-target}/debug/pramana-api"

step "postgres"
ensure_postgres
psql_bin=$(pg_find_bin psql)
db="pramana_schema_$$"
work=$(mktemp -d)
api_pid=
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$api_pid" ]; then
    kill "$api_pid" 2>/dev/null || true
    wait "$api_pid" 2>/dev/null || true
  fi
  "$psql_bin" "$PG_SERVER_URL/postgres" -qc "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
  if [ "$rc" -ne 0 ] && [ -f "$work/api.log" ]; then
    echo "--- last lines of the API's log" >&2
    tail -n 40 "$work/api.log" >&2
  fi
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
"$psql_bin" "$PG_SERVER_URL/postgres" -qc "CREATE DATABASE \"$db\""
echo "database: $db"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
mkdir -p "$work/deployments" "$work/objects"
: > "$work/pramana.toml"

step "start the API on $base"
(
  export PRAMANA_CONFIG="$work/pramana.toml"
  export PRAMANA_DATABASE__URL="$PG_SERVER_URL/$db"
  export PRAMANA_SERVER__HOST=127.0.0.1
  export PRAMANA_SERVER__PORT="$port"
  PRAMANA_AUTH__JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')
  export PRAMANA_AUTH__JWT_SECRET
  # The fuzzer sends about 1,500 requests from one address with one token, hundreds of them
  # logins: the limiters would answer most of them 429 (documented, but it would hide what the
  # operations do, and a 429 is not the acceptance positive_data_acceptance checks for).
  for limit in LOGIN_PER_ACCOUNT AUTH_PER_IP PER_SUBJECT PER_IP; do
    export "PRAMANA_RATE_LIMIT__${limit}_PER_MINUTE=1000000" "PRAMANA_RATE_LIMIT__${limit}_BURST=1000000"
  done
  # The cheapest Argon2 the configuration accepts: the run hashes every generated password.
  export PRAMANA_AUTH__ARGON2_MEMORY_KIB=8192
  export PRAMANA_AUTH__ARGON2_ITERATIONS=1
  export PRAMANA_STORAGE__LOCAL_DIR="$work/objects"
  # No chain: an empty deployments directory, so no contract is configured.
  export PRAMANA_CHAIN__DEPLOYMENTS_DIR="$work/deployments"
  export PRAMANA_TELEMETRY__LOG_FILTER=warn
  export RUST_LOG=warn
  exec "$api_bin" serve
) > "$work/api.log" 2>&1 &
api_pid=$!
for _ in $(seq 1 300); do
  curl -fsS -o /dev/null "$base/readyz" 2>/dev/null && break
  kill -0 "$api_pid" 2>/dev/null || { echo "the API exited" >&2; exit 1; }
  sleep 0.1
done
curl -fsS -o /dev/null "$base/readyz"

# --- credentials ----------------------------------------------------------------------------
step "register a patient and log in"
# An ABHA number: 13 random digits and their Luhn check digit.
abha=$(python3 - <<'PY'
import random
body = [random.randrange(10) for _ in range(13)]
total = 0
for i, d in enumerate(reversed(body)):
    if i % 2 == 0:
        d *= 2
        if d > 9:
            d -= 9
    total += d
print("".join(map(str, body)) + str((10 - total % 10) % 10))
PY
)
password=$(head -c 24 /dev/urandom | base64 | tr -d '\n/+=')
post_json() { # path body
  curl -fsS -H 'content-type: application/json' -d "$2" "$base$1"
}
json_field() { python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }
post_json /v1/auth/register "{\"abha_number\": \"$abha\", \"name\": \"Schema Fuzz\", \"password\": \"$password\"}" >/dev/null
token=$(post_json /v1/auth/login "{\"login\": \"$abha\", \"password\": \"$password\"}" | json_field access_token)
# A second session for POST /v1/auth/logout, which ends the session of the token it is sent with.
logout_token=$(post_json /v1/auth/login "{\"login\": \"$abha\", \"password\": \"$password\"}" | json_field access_token)
export PRAMANA_ST_LOGOUT_TOKEN="$logout_token"
# A third for POST /v1/dependents/{id}/session, which ends the caller's session when it opens a
# child's account (the run reuses ids from earlier answers, a child's among them).
switch_token=$(post_json /v1/auth/login "{\"login\": \"$abha\", \"password\": \"$password\"}" | json_field access_token)
export PRAMANA_ST_SWITCH_TOKEN="$switch_token"

# --- the run --------------------------------------------------------------------------------
step "schemathesis $st_version (seed $seed, at most $max_examples examples per operation)"
# Reports and caches go to the throwaway directory, not into the clone.
cd "$work"
export SCHEMATHESIS_HOOKS="$root/scripts/schemathesis_hooks.py"
rc=0
"$st" --config-file "$root/scripts/schemathesis.toml" run "$base/openapi.json" \
  --checks not_a_server_error,status_code_conformance,response_schema_conformance,negative_data_rejection,positive_data_acceptance \
  --phases examples,coverage,fuzzing \
  --seed "$seed" \
  --max-examples "$max_examples" \
  --generation-database none \
  --workers 1 \
  --request-timeout 30 \
  -H "Authorization: Bearer $token" \
  --report har --report-har-path "$work/requests.har" \
  --no-color || rc=$?
requests=$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["log"]["entries"]))' "$work/requests.har" 2>/dev/null || echo "?")
echo "schemathesis: $requests requests; exit status $rc"
exit "$rc"
