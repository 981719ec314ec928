#!/usr/bin/env bash
# The web client's checks: installs its npm dependencies from the committed lock (npm ci, only
# when node_modules is missing or the lock changed), then the TypeScript typecheck, the check that
# the generated API types match the API's OpenAPI document, the vitest suite (envelope, proof,
# keystore, EIP-712 and worker tests, in Node) and the production build.
# `scripts/web.sh build` only installs and builds (what scripts/dev.sh needs).
set -euo pipefail
cd "$(dirname "$0")/../web"

step() { printf '\n==> web: %s\n' "$*"; }
command -v npm >/dev/null || { echo "web: Node.js 20.19+ and npm are required" >&2; exit 1; }

stamp=node_modules/.pramana-lock
want=$(sha256sum package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  step "npm ci"
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi

if [ "${1:-}" = build ]; then
  step "build"
  npm run --silent build
  exit 0
fi

step "generated API types are current"
bash src/api/gen.sh --check

step "typecheck"
npm run --silent typecheck

step "test"
npm test --silent

step "build"
npm run --silent build
node bench/bundle-size.mjs
