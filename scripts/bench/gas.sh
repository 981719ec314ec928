#!/usr/bin/env bash
# Gas per ConsentRegistry operation, measured as whole transactions (21k base and calldata
# included) on a fresh local Anvil chain. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/tools.sh
port=${ANVIL_PORT:-8597}
.tools/bin/anvil --port "$port" --silent &
anvil=$!
trap 'kill $anvil 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do .tools/bin/cast chain-id --rpc-url "http://127.0.0.1:$port" >/dev/null 2>&1 && break; sleep 0.1; done
cd contracts
# Anvil's first development account (a public test key).
BENCH_PRIVATE_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 \
  ../.tools/bin/forge script script/GasBench.s.sol:GasBench --rpc-url "http://127.0.0.1:$port" --broadcast --slow >/dev/null
node - broadcast/GasBench.s.sol/31337/run-latest.json <<'JS'
const run = JSON.parse(require("fs").readFileSync(process.argv[2], "utf8"));
const rows = run.transactions.map((t, i) => [t.function || (t.transactionType === "CREATE" ? "deploy" : "?"), parseInt(run.receipts[i].gasUsed, 16)]);
const per = { "grantConsents": 10, "revokeConsents": 10 };
console.log("| transaction | gas used | per item |\n|---|---:|---:|");
for (const [fn, gas] of rows) {
  const name = fn.split("(")[0];
  const n = per[name] || 1;
  console.log(`| ${fn.length > 60 ? name + "(...)" : fn}${n > 1 ? ` ×${n}` : ""} | ${gas} | ${Math.round(gas / n)} |`);
}
JS
