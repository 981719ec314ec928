#!/usr/bin/env bash
# Peak resident memory of the `pramana` client and of the API for one upload and one download of
# a SIZE_MIB (default 1024) MiB file, release builds, local storage. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/lib/postgres.sh
source scripts/lib/bench.sh
size_mib=${SIZE_MIB:-1024}
port=${BENCH_PORT:-18080}
work=$(mktemp -d)
api_pid=
cleanup() { [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

bench_platform pramana_bench
head -c "$((size_mib * 1048576))" /dev/urandom > "$work/input"

rss_of() { grep -E '^\s*Maximum resident set size' "$1" | awk '{print int($NF / 1024)}'; }
/usr/bin/time -v -o "$work/up.time" target/release/pramana --json upload "$work/input" --type DiagnosticReport --date 2026-01-01 > "$work/up.json"
id=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).id' "$work/up.json")
up_s=$(grep -E 'Elapsed \(wall clock\)' "$work/up.time" | awk '{print $NF}')
api_after_up=$(grep VmHWM "/proc/$api_pid/status" | awk '{print int($2 / 1024)}')
/usr/bin/time -v -o "$work/down.time" target/release/pramana --json download "$id" -o "$work/output" >/dev/null
down_s=$(grep -E 'Elapsed \(wall clock\)' "$work/down.time" | awk '{print $NF}')
api_after_down=$(grep VmHWM "/proc/$api_pid/status" | awk '{print int($2 / 1024)}')
cmp -s "$work/input" "$work/output" || { echo "round trip differs" >&2; exit 1; }

echo "| ${size_mib} MiB | peak RSS (MiB) | wall time |"
echo "|---|---:|---:|"
echo "| \`pramana upload\` (seal to temp file, stream up) | $(rss_of "$work/up.time") | $up_s |"
echo "| \`pramana download\` (stream down, open, check SHA-256) | $(rss_of "$work/down.time") | $down_s |"
echo "| \`pramana-api\` after the upload (high-water mark) | $api_after_up | |"
echo "| \`pramana-api\` after the download (high-water mark) | $api_after_down | |"

# For comparison, the same file through rage (age in Rust), file to file, when it is installed
# (`cargo install rage`; set RAGE_BIN_DIR if it is not on PATH).
rage_dir=${RAGE_BIN_DIR:-$(dirname "$(command -v rage 2>/dev/null || echo /nonexistent/rage)")}
if [ -x "$rage_dir/rage" ]; then
  "$rage_dir/rage-keygen" -o "$work/rage.key" 2>/dev/null
  recipient=$(grep -o 'age1[0-9a-z]*' "$work/rage.key" | head -1)
  /usr/bin/time -v -o "$work/rage-enc.time" "$rage_dir/rage" -r "$recipient" -o "$work/input.age" "$work/input"
  /usr/bin/time -v -o "$work/rage-dec.time" "$rage_dir/rage" -d -i "$work/rage.key" -o "$work/output.rage" "$work/input.age"
  cmp -s "$work/input" "$work/output.rage" || { echo "rage round trip differs" >&2; exit 1; }
  wall() { grep -E 'Elapsed \(wall clock\)' "$1" | awk '{print $NF}'; }
  echo "| \`rage\` encrypt, file to file (no network) | $(rss_of "$work/rage-enc.time") | $(wall "$work/rage-enc.time") |"
  echo "| \`rage -d\` decrypt, file to file (no network) | $(rss_of "$work/rage-dec.time") | $(wall "$work/rage-dec.time") |"
fi
