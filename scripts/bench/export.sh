#!/usr/bin/env bash
# Peak resident memory of the API and of `pramana export` / `pramana verify --archive` for a
# patient's whole record: DOCS (default 10) documents of DOC_MIB (default 1000) MiB each — just
# under the default 10 GiB quota — release builds, local storage. Also times a download broken
# half-way and resumed. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/postgres.sh
source scripts/lib/bench.sh
docs=${DOCS:-10}
doc_mib=${DOC_MIB:-1000}
port=${BENCH_PORT:-18081}
work=$(mktemp -d)
api_pid=
anvil_pid=
cleanup() {
  [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null
  [ -n "$anvil_pid" ] && kill "$anvil_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

bench_platform pramana_bench_export
bash scripts/tools.sh >&2
# An empty chain for `verify --archive` (nothing is anchored: the envelopes are read, decrypted and
# hashed, no proof is asked for).
.tools/bin/anvil --port $((port + 1)) --silent >/dev/null 2>&1 &
anvil_pid=$!
head -c "$((doc_mib * 1048576))" /dev/urandom > "$work/input"
for i in $(seq 1 "$docs"); do
  target/release/pramana --json upload "$work/input" --type DiagnosticReport --date 2026-01-0$(( (i % 9) + 1 )) >/dev/null
done
rm -f "$work/input"
hwm() { grep VmHWM "/proc/$api_pid/status" | awk '{print int($2 / 1024)}'; }
rss_of() { grep -E '^\s*Maximum resident set size' "$1" | awk '{print int($NF / 1024)}'; }
wall() { grep -E 'Elapsed \(wall clock\)' "$1" | awk '{print $NF}'; }
api_before=$(hwm)

/usr/bin/time -v -o "$work/export.time" target/release/pramana --json export -o "$work/all.tar" > "$work/export.json"
api_after=$(hwm)
bytes=$(stat -c %s "$work/all.tar")

# Broken half-way: keep the first half as the partial file and run the command again.
token=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).access_token' "$work/home/session.json")
made=$(curl -fsS -X POST -H "authorization: Bearer $token" "http://127.0.0.1:$port/v1/patients/me/exports")
node -e 'const m = JSON.parse(process.argv[1]); process.stdout.write(JSON.stringify({api: process.argv[2], export: m.id, size: m.size}))' \
  "$made" "$PRAMANA_API" > "$work/resumed.tar.part.json"
head -c "$((bytes / 2))" "$work/all.tar" > "$work/resumed.tar.part"
/usr/bin/time -v -o "$work/resume.time" target/release/pramana --json export -o "$work/resumed.tar" > /dev/null
rm -f "$work/resumed.tar"

/usr/bin/time -v -o "$work/verify.time" target/release/pramana --json verify --archive "$work/all.tar" \
  --rpc "http://127.0.0.1:$((port + 1))" --contract 0x5FbDB2315678afecb367f032d93F642f64180aa3 > "$work/verify.json" || true
node -e 'const v = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (v.documents.some((d) => d.content !== "checked" || d.problems.length)) { console.error(JSON.stringify(v)); process.exit(1); }' "$work/verify.json"

echo "| ${docs} × ${doc_mib} MiB ($((bytes / 1048576)) MiB archive) | peak RSS (MiB) | wall time |"
echo "|---|---:|---:|"
echo "| \`pramana-api\` after the uploads (high-water mark, before exporting) | $api_before | |"
echo "| \`pramana-api\` after the export (high-water mark) | $api_after | |"
echo "| \`pramana export\` (whole archive) | $(rss_of "$work/export.time") | $(wall "$work/export.time") |"
echo "| \`pramana export\` resumed from half-way | $(rss_of "$work/resume.time") | $(wall "$work/resume.time") |"
echo "| \`pramana verify --archive\` (every envelope read, decrypted and hashed) | $(rss_of "$work/verify.time") | $(wall "$work/verify.time") |"
