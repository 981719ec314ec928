#!/usr/bin/env bash
# Cross-implementation check between the web client's crypto (TypeScript, in Node) and the
# `pramana` CLI (Rust), both ways, with no platform running: a stub of the two API routes the
# CLI's upload and download call (cli-stub.mjs) stands in for it.
#   TypeScript → CLI: a keystore Node created unlocks in `pramana identity check`; an envelope
#                     Node sealed opens in `pramana download`, which checks its SHA-256.
#   CLI → TypeScript: a keystore `pramana identity create` made unlocks in Node; an envelope
#                     `pramana upload` sealed (to the keystore and a second, granted key) opens
#                     in Node.
# Usage: PRAMANA_BIN=path/to/pramana bash web/test/cross-cli.sh
# With WRITE_FIXTURES=1 it also copies the CLI-made keystore and envelope into test/fixtures/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
: "${PRAMANA_BIN:?set PRAMANA_BIN to the pramana CLI binary}"
[ -d "$here/../node_modules" ] || (cd "$here/.." && npm ci --no-audit --no-fund --loglevel=error)

tmp=$(mktemp -d)
stub_pid=
cleanup() { [ -n "$stub_pid" ] && kill "$stub_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
# Test-only passphrase: these keystores protect nothing.
export PRAMANA_PASSPHRASE="test-only passphrase, not a secret"
xc() { node "$here/cross-cli.mjs" "$@"; }
field() { node -e 'const o=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log(o[process.argv[1]])' "$1"; }

# The second recipient of the CLI's upload: the first key of the committed envelope vectors.
grantee_secret=60673fd6af4b9aded1b9adb0954d672298f5e111b6c18c9ec20a8fa9a018de5d
grantee_public=b60009f33fab5d968c71eff23007f7ed5de7acf0ff03d54f955929767085324b

mkdir -p "$tmp/docs" "$tmp/ts-home" "$tmp/cli-home"
node "$here/cli-stub.mjs" "$tmp/docs" "$grantee_public" > "$tmp/port" &
stub_pid=$!
for _ in $(seq 50); do [ -s "$tmp/port" ] && break; sleep 0.1; done
api="http://127.0.0.1:$(cat "$tmp/port")"
echo '{"access_token": "test-only"}' > "$tmp/ts-home/session.json"
echo '{"access_token": "test-only"}' > "$tmp/cli-home/session.json"
# 200,000 bytes: three chunks, the last one short.
node -e 'const b=Buffer.alloc(200000); for (let i=0;i<b.length;i++) b[i]=i%251; process.stdout.write(b)' > "$tmp/doc.bin"

echo "== TypeScript → CLI"
xc keystore "$tmp/ts-home/identity.json" > /dev/null
PRAMANA_HOME="$tmp/ts-home" "$PRAMANA_BIN" identity check
id=5b0b7d0e-2a63-4a5c-8f7e-3a7f2f4f9b10
pk=$(field x25519_public < "$tmp/ts-home/identity.json")
xc seal "$tmp/doc.bin" "$tmp/docs" "$id" "$pk" > /dev/null
PRAMANA_HOME="$tmp/ts-home" "$PRAMANA_BIN" --api "$api" download "$id" -o "$tmp/from-ts.bin"
cmp "$tmp/doc.bin" "$tmp/from-ts.bin"
echo "the CLI opened the TypeScript's keystore and envelope"

echo "== CLI → TypeScript"
PRAMANA_HOME="$tmp/cli-home" "$PRAMANA_BIN" identity create > /dev/null
xc unlock "$tmp/cli-home/identity.json" > /dev/null
PRAMANA_HOME="$tmp/cli-home" "$PRAMANA_BIN" --api "$api" upload "$tmp/doc.bin" --type DiagnosticReport --date 2026-11-30
cli_id=$(ls "$tmp/docs" | grep -v "^$id" | grep '\.env$' | sed 's/\.env$//')
xc open "$tmp/docs/$cli_id.env" "$cli_id" "$tmp/cli-home/identity.json" "$tmp/from-cli.bin" > /dev/null
cmp "$tmp/doc.bin" "$tmp/from-cli.bin"
echo "the TypeScript opened the CLI's keystore and envelope"

if [ "${WRITE_FIXTURES:-}" = 1 ]; then
  cp "$tmp/cli-home/identity.json" "$here/fixtures/cli-keystore.json"
  cp "$tmp/docs/$cli_id.env" "$here/fixtures/cli-envelope.bin"
  node -e '
    const fs = require("fs");
    const [meta, id, grantee] = process.argv.slice(1);
    const m = JSON.parse(fs.readFileSync(meta, "utf8"));
    const out = { document_id: id, plaintext: "200000 bytes: byte i is i mod 251", plaintext_sha256: m.plaintext_sha256,
      salt: m.salt, payload_sha256: m.payload_sha256, grantee_secret_key: grantee };
    fs.writeFileSync(process.argv[4], JSON.stringify(out, null, 2) + "\n");
  ' "$tmp/docs/$cli_id.json" "$cli_id" "$grantee_secret" "$here/fixtures/cli-envelope.json"
  echo "fixtures written to $here/fixtures"
fi
