#!/usr/bin/env bash
# Installs the chain tooling from npm into .tools/ (git-ignored): Anvil, Forge and Cast (Foundry
# 1.7.1), solcjs 0.8.30, OpenZeppelin Contracts 5.7.0, and forge-std (shipped inside
# @layerzerolabs/toolbox-foundry). Idempotent: a no-op while scripts/tools/package-lock.json is
# unchanged. Exposes .tools/bin/{anvil,forge,cast}.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=.tools
lock=scripts/tools/package-lock.json
stamp="$dir/.installed"
want=$(sha256sum scripts/tools/package.json "$lock" | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -x "$dir/bin/forge" ]; then
  exit 0
fi
command -v npm >/dev/null || { echo "tools: npm is required (install Node.js)" >&2; exit 1; }
echo "tools: installing Foundry, solcjs, OpenZeppelin into $dir" >&2
mkdir -p "$dir/bin"
cp scripts/tools/package.json "$lock" "$dir/"
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
for tool in anvil forge cast; do
  ln -sf "../node_modules/@foundry-rs/$tool-linux-amd64/bin/$tool" "$dir/bin/$tool"
done
"$dir/bin/forge" --version >/dev/null
echo "$want" > "$stamp"
