#!/usr/bin/env bash
# Brings the whole platform up on this machine: Postgres (found or started), a local Anvil chain
# with the ConsentRegistry contract deployed, the API and the anchor worker. Ctrl-C stops it all.
#
# Overrides: PG_SERVER_URL, PRAMANA_DEV_DB (pramana), ANVIL_PORT (8545), PRAMANA_SERVER__PORT
# (8080), PRAMANA_WORKER__HEALTH_PORT (8081). Secrets for local use are generated once into
# .local/dev.env (variables already set win). The web portal is built first (scripts/web.sh build).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/lib/postgres.sh
source scripts/lib/native-deps.sh
mkdir -p .local
pids=()
cleanup() {
  trap - EXIT INT TERM
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

wait_http() { # url seconds
  for _ in $(seq 1 $(( $2 * 10 ))); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2
  return 1
}

echo "==> postgres"
ensure_postgres
psql_bin=$(pg_find_bin psql)
db=${PRAMANA_DEV_DB:-pramana}
if [ "$("$psql_bin" "$PG_SERVER_URL/postgres" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
  "$psql_bin" "$PG_SERVER_URL/postgres" -qc "CREATE DATABASE \"$db\""
fi
export PRAMANA_DATABASE__URL="$PG_SERVER_URL/$db"
echo "database: $PRAMANA_DATABASE__URL"

if [ ! -f .local/dev.env ]; then
  umask 077
  {
    echo "PRAMANA_AUTH__JWT_SECRET=$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')"
    echo "PRAMANA_AUTH__ADMIN_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '\n/+=')"
  } > .local/dev.env
  umask 022
fi
while IFS='=' read -r name value; do
  [ -n "${!name:-}" ] || export "$name=$value"
done < .local/dev.env

echo "==> chain"
bash scripts/tools.sh
anvil_port=${ANVIL_PORT:-8545}
export RPC_URL="http://127.0.0.1:$anvil_port"
export PRAMANA_CHAIN__RPC_URL=$RPC_URL
export PRAMANA_CHAIN__PUBLIC_RPC_URL=${PRAMANA_CHAIN__PUBLIC_RPC_URL:-$RPC_URL}
# One block a second, so anchors gather their confirmations (chain.confirmations, default 2).
.tools/bin/anvil --port "$anvil_port" --block-time 1 --silent > .local/anvil.log 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null -H 'content-type: application/json' \
    -d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$RPC_URL" 2>/dev/null && break
  sleep 0.1
done
bash scripts/deploy.sh
# The worker anchors with Anvil's account 0 (a public development key, worthless elsewhere),
# which deploy.sh made an anchorer. On a real chain use your own key or keystore file.
export PRAMANA_CHAIN__SIGNER_KEY=${PRAMANA_CHAIN__SIGNER_KEY:-0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80}
# Local webhook receivers are plain http on this machine; production accepts only https.
export PRAMANA_WEBHOOKS__ALLOW_HTTP=${PRAMANA_WEBHOOKS__ALLOW_HTTP:-true}

echo "==> build"
bash scripts/web.sh build
# PRAMANA_DEV_PREBUILT=1 uses the binaries already in $CARGO_TARGET_DIR/debug as they are.
bin=${CARGO_TARGET_DIR:-target}/debug
[ "${PRAMANA_DEV_PREBUILT:-}" = 1 ] || ensure_native_deps
[ "${PRAMANA_DEV_PREBUILT:-}" = 1 ] || cargo build --locked --bin pramana-api --bin pramana-anchor-worker --bin pramana

echo "==> start"
"$bin/pramana-api" migrate
"$bin/pramana-api" &
pids+=($!)
"$bin/pramana-anchor-worker" &
pids+=($!)
api_port=${PRAMANA_SERVER__PORT:-8080}
worker_port=${PRAMANA_WORKER__HEALTH_PORT:-8081}
wait_http "http://127.0.0.1:$api_port/readyz" 30
wait_http "http://127.0.0.1:$worker_port/readyz" 30

cat <<INFO

Pramana is running.
  portal       http://127.0.0.1:$api_port/     (patients: register, keys, documents, consents)
  API          http://127.0.0.1:$api_port/v1   (docs: http://127.0.0.1:$api_port/docs)
  worker       http://127.0.0.1:$worker_port/healthz
  chain        $RPC_URL (Anvil, chain id 31337)
  contract     ConsentRegistry at $(node -p 'require("./deployments/31337.json").address')
               (clients pin it once: pramana trust add --deployment deployments/31337.json)
  admin login  admin / \$PRAMANA_AUTH__ADMIN_PASSWORD in $root/.local/dev.env
Ctrl-C stops everything.
INFO
wait -n "${pids[@]}"
