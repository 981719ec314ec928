#!/usr/bin/env bash
# Regenerates schema.d.ts from openapi.json (the API's document; tests/e2e/health.rs keeps the
# copy current). `--check` fails when the committed schema.d.ts is not what it generates.
set -euo pipefail
cd "$(dirname "$0")"
out=$(mktemp --suffix=.ts)
trap 'rm -f "$out"' EXIT
../../node_modules/.bin/openapi-typescript openapi.json --output "$out" >/dev/null 2>&1
if [ "${1:-}" = --check ]; then
  diff -u schema.d.ts "$out" >/dev/null || { echo "web/src/api/schema.d.ts is stale: run npm run gen:api in web/" >&2; exit 1; }
else
  cp "$out" schema.d.ts
fi
