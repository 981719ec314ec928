#!/usr/bin/env bash
# The portal's lab-trend view over N generated FHIR documents (default 500) in Chromium, cold
# and warm (web/e2e/records-bench.spec.ts) against the whole platform that scripts/browser.sh
# starts. Prints the times; the JSON lands in web/e2e-results/records-bench.json.
#   bash scripts/bench/records.sh [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
PRAMANA_BENCH_RECORDS=${1:-500} bash scripts/browser.sh e2e/records-bench.spec.ts --project desktop
