#!/usr/bin/env bash
# Deploys ConsentRegistry (the checked-in bytecode in abi/) to $RPC_URL and records it in
# deployments/<chain id>.json, which the API and the worker read.
#
#   RPC_URL               default http://127.0.0.1:8545
#   DEPLOYER_PRIVATE_KEY  required, except on a local Anvil chain (31337), where Anvil's first
#                         well-known development account is used
#   OWNER_ADDRESS         contract owner (default: the deployer)
#   ANCHORER_ADDRESS      address allowed to anchor roots (default: the deployer); set only when
#                         the deployer is the owner
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/tools.sh
cast=.tools/bin/cast
rpc=${RPC_URL:-http://127.0.0.1:8545}
chain_id=$("$cast" chain-id --rpc-url "$rpc")
key=${DEPLOYER_PRIVATE_KEY:-}
if [ -z "$key" ]; then
  if [ "$chain_id" != 31337 ]; then
    echo "deploy: chain $chain_id is not a local Anvil chain; set DEPLOYER_PRIVATE_KEY" >&2
    exit 1
  fi
  # Anvil's account 0: a public development key, worthless anywhere else.
  key=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
fi
deployer=$("$cast" wallet address --private-key "$key")
owner=${OWNER_ADDRESS:-$deployer}
anchorer=${ANCHORER_ADDRESS:-$deployer}

bytecode=$(node -p 'require("./abi/ConsentRegistry.json").bytecode.object')
ctor=$("$cast" abi-encode "constructor(address)" "$owner")
receipt=$("$cast" send --json --rpc-url "$rpc" --private-key "$key" --create "${bytecode}${ctor#0x}")
field() { node -e 'const r = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(r[process.argv[1]])' "$1"; }
address=$(field contractAddress <<<"$receipt")
tx=$(field transactionHash <<<"$receipt")
block=$("$cast" to-dec "$(field blockNumber <<<"$receipt")")
[ "$(field status <<<"$receipt")" = "0x1" ] || { echo "deploy: transaction $tx failed" >&2; exit 1; }
address=$("$cast" to-check-sum-address "$address")

if [ "${owner,,}" = "${deployer,,}" ]; then
  "$cast" send --rpc-url "$rpc" --private-key "$key" "$address" "setAnchorer(address,bool)" "$anchorer" true >/dev/null
fi

mkdir -p deployments
cat > "deployments/$chain_id.json" <<JSON
{
  "chain_id": $chain_id,
  "address": "$address",
  "deploy_block": $block,
  "deploy_tx": "$tx",
  "owner": "$owner",
  "anchorer": "$anchorer"
}
JSON
echo "ConsentRegistry deployed on chain $chain_id at $address (block $block); anchorer $anchorer"
