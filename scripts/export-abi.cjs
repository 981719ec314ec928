#!/usr/bin/env node
// Writes abi/<Contract>.json from Forge's build output: a trimmed Foundry artifact
// ({abi, bytecode: {object}, deployedBytecode: {object}}) that alloy's `sol!` reads.
// Usage: node scripts/export-abi.cjs <forge-out-dir> <dest-dir> Contract...
"use strict";
const fs = require("fs");
const path = require("path");
const [outDir, destDir, ...names] = process.argv.slice(2);
fs.mkdirSync(destDir, { recursive: true });
for (const name of names) {
  const artifact = JSON.parse(fs.readFileSync(path.join(outDir, `${name}.sol`, `${name}.json`), "utf8"));
  const trimmed = {
    abi: artifact.abi,
    bytecode: { object: artifact.bytecode.object },
    deployedBytecode: { object: artifact.deployedBytecode.object },
  };
  fs.writeFileSync(path.join(destDir, `${name}.json`), JSON.stringify(trimmed, null, 2) + "\n");
}
