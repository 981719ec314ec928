#!/usr/bin/env bash
# A resumable (tus) upload of SIZE_MIB (default 1024) MiB with `pramana upload`, killed twice
# (SIGKILL once a third, then two thirds, of the envelope is on the server) and run again until
# it finishes, next to the same upload uninterrupted, in the same run: release builds, the API
# and the client on loopback, local storage. The interrupted time runs from the first start to
# the end of the last run. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/postgres.sh
source scripts/lib/bench.sh
size_mib=${SIZE_MIB:-1024}
port=${BENCH_PORT:-18081}
work=$(mktemp -d)
api_pid=
cleanup() { [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

bench_platform pramana_bench_tus
head -c "$((size_mib * 1048576))" /dev/urandom > "$work/a"
head -c "$((size_mib * 1048576))" /dev/urandom > "$work/b"
now() { date +%s.%N; }
staged() { find "$work/objects/resumable" -type f -printf '%s\n' 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
upload() { target/release/pramana --json upload "$1" --type DiagnosticReport --date 2026-01-01; }

# Uninterrupted.
start=$(now)
upload "$work/a" > "$work/a.json"
plain=$(awk -v a="$(now)" -v b="$start" 'BEGIN {print a - b}')

# Interrupted twice: SIGKILL at a third and at two thirds of the envelope, then run to the end.
envelope=$((size_mib * 1048576))
start=$(now)
for third in 1 2; do
  # Started directly (not through the function), so `$!` is the client itself.
  target/release/pramana --json upload "$work/b" --type DiagnosticReport --date 2026-01-01 > /dev/null 2>&1 &
  pid=$!
  while [ "$(staged)" -lt $((envelope * third / 3)) ]; do
    kill -0 "$pid" 2>/dev/null || { echo "the upload ended before it was interrupted" >&2; exit 1; }
    sleep 0.05
  done
  kill -KILL "$pid"
  wait "$pid" 2>/dev/null || true
  echo "killed at $(staged) bytes staged" >&2
done
upload "$work/b" > "$work/b.json"
resumed=$(awk -v a="$(now)" -v b="$start" 'BEGIN {print a - b}')
[ "$(staged)" = 0 ] || { echo "staged bytes left behind" >&2; exit 1; }
docs=$(target/release/pramana --json ls | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).length')
[ "$docs" = 2 ] || { echo "expected 2 documents, found $docs" >&2; exit 1; }

echo "| ${size_mib} MiB, \`pramana upload\` over tus | wall time |"
echo "|---|---:|"
printf '| uninterrupted | %.1f s |\n' "$plain"
printf '| killed twice (at 1/3 and 2/3), run again to the end | %.1f s |\n' "$resumed"
