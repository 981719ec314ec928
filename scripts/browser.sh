#!/usr/bin/env bash
# The portal's browser tests (web/e2e, Playwright) in Debian's Chromium against the whole
# platform: scripts/dev.sh on free ports with a throwaway database (dropped at exit), fresh
# secrets and a fresh Anvil chain with the contract, the API serving the built portal and the
# anchor worker. Chromium is installed with apt when missing (Playwright's own browser download
# cannot work on these machines). Screenshots of the main pages land in web/e2e-screenshots/.
# Extra arguments go to `playwright test` (e.g. a file or `--project desktop`).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
source scripts/lib/postgres.sh

step() { printf '\n==> browser: %s\n' "$*"; }

chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
  step "installing Debian's chromium"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium >/dev/null
fi
"$chromium" --version 2>/dev/null | head -n1 || true

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
secret() { head -c 48 /dev/urandom | base64 | tr -d '\n/+='; }

ensure_postgres
export PG_SERVER_URL
export PRAMANA_DEV_DB="pramana_t_browser_$$"
export PRAMANA_SERVER__PORT=$(free_port) PRAMANA_WORKER__HEALTH_PORT=$(free_port) ANVIL_PORT=$(free_port)
export PRAMANA_AUTH__JWT_SECRET=$(secret) PRAMANA_AUTH__ADMIN_PASSWORD=$(secret)
# Passkeys (WebAuthn) need a domain, not an IP address: their pages are opened on localhost.
export PRAMANA_AUTH__PASSKEY_ORIGIN="http://localhost:$PRAMANA_SERVER__PORT"
# The tests sign in many times, as many people, from one address (and one desk verifies them all).
for limit in LOGIN_PER_ACCOUNT AUTH_PER_IP PER_SUBJECT PER_IP ABHA_VERIFY_PER_HOSPITAL; do
  export "PRAMANA_RATE_LIMIT__${limit}_PER_MINUTE=1000000" "PRAMANA_RATE_LIMIT__${limit}_BURST=1000000"
done
export PRAMANA_TELEMETRY__LOG_FORMAT=json PRAMANA_TELEMETRY__LOG_FILTER=warn
# Small enough that the documents tests can try a file over the limit.
export PRAMANA_STORAGE__MAX_DOCUMENT_BYTES=5242880
mkdir -p .local
log=.local/browser-platform.log

# A real SMTP server (aiosmtpd) the worker delivers the portal's mail to (email verification and
# password reset codes, notifications); the tests read what arrived from $PRAMANA_MAIL_DIR.
step "starting an SMTP server for the portal's mail"
smtp_py=$(bash scripts/smtp.sh)
mail_dir=$(mktemp -d)
smtp_port=$(free_port)
"$smtp_py" scripts/smtp_sink.py --port "$smtp_port" --dir "$mail_dir" > .local/browser-smtp.log 2>&1 &
smtp=$!
for _ in $(seq 1 100); do grep -q ready .local/browser-smtp.log && break; sleep 0.1; done
export PRAMANA_SMTP__HOST=127.0.0.1 PRAMANA_SMTP__PORT=$smtp_port PRAMANA_SMTP__TLS=none
export PRAMANA_SMTP__POLL_INTERVAL_MS=200 PRAMANA_SMTP__PORTAL_URL="http://127.0.0.1:$PRAMANA_SERVER__PORT"

step "starting the platform (log: $log)"
bash scripts/dev.sh > "$log" 2>&1 &
platform=$!
cleanup() {
  kill "$platform" 2>/dev/null || true
  wait "$platform" 2>/dev/null || true
  kill "$smtp" 2>/dev/null || true
  rm -rf "$mail_dir"
  psql_bin=$(pg_find_bin psql)
  "$psql_bin" "$PG_SERVER_URL/postgres" -qc "DROP DATABASE IF EXISTS \"$PRAMANA_DEV_DB\"" >/dev/null 2>&1 || true
}
trap cleanup EXIT
for _ in $(seq 1 1800); do
  grep -q "Pramana is running" "$log" && break
  if ! kill -0 "$platform" 2>/dev/null; then
    tail -n 40 "$log" >&2
    echo "browser: the platform did not start" >&2
    exit 1
  fi
  sleep 1
done
grep -q "Pramana is running" "$log" || { tail -n 40 "$log" >&2; echo "browser: the platform did not start in time" >&2; exit 1; }

step "playwright"
cd web
rm -rf e2e-screenshots e2e-results
PRAMANA_BASE_URL="http://127.0.0.1:$PRAMANA_SERVER__PORT" \
  PRAMANA_RPC_URL="http://127.0.0.1:$ANVIL_PORT" \
  PRAMANA_ADMIN_PASSWORD="$PRAMANA_AUTH__ADMIN_PASSWORD" \
  PRAMANA_MAIL_DIR="$mail_dir" \
  CHROMIUM_PATH="$chromium" \
  npx playwright test "$@"
