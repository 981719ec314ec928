#!/usr/bin/env bash
# The auditor console's reconciliation over N consents on Anvil (web/e2e/auditor-bench.spec.ts
# through scripts/browser.sh, desktop size): N grants made on chain from Node, then the console in
# Chromium (time to the first row and to the full table) and `pramana audit` on the same data in
# the same run. With PRAMANA_DEV_PREBUILT=1 it uses the binaries already built. Writes
# web/e2e-results/auditor-bench.json.
set -euo pipefail
cd "$(dirname "$0")/../.."
PRAMANA_BENCH_AUDIT=${1:-10000} bash scripts/browser.sh e2e/auditor-bench.spec.ts --project desktop
