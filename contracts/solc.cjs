#!/usr/bin/env node
// A `solc` command for Forge on top of the npm solcjs package (WebAssembly): no native solc can
// be installed from a package registry. Supports `--version` and `--standard-json` (input on
// stdin), resolving imports against --base-path and every --include-path / --allow-paths root.
"use strict";
const fs = require("fs");
const path = require("path");

const toolsDir = path.resolve(__dirname, "..", ".tools", "node_modules");
const solc = require(path.join(toolsDir, "solc"));

const args = process.argv.slice(2);
if (args.includes("--version") || args.includes("-v")) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`);
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write("solc.cjs: only --version and --standard-json are supported\n");
  process.exit(2);
}

const roots = [process.cwd()];
for (let i = 0; i < args.length; i++) {
  if (["--base-path", "--include-path", "--allow-paths"].includes(args[i]) && args[i + 1]) {
    for (const p of args[i + 1].split(",")) roots.push(path.resolve(p));
    i++;
  }
}

function findImports(importPath) {
  const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((r) => path.join(r, importPath));
  for (const c of candidates) {
    if (fs.existsSync(c)) return { contents: fs.readFileSync(c, "utf8") };
  }
  return { error: `File not found: ${importPath}` };
}

const input = fs.readFileSync(0, "utf8");
let out = solc.compile(input, { import: findImports });
// solcjs may print a note before the JSON; keep only the JSON object.
const start = out.indexOf("{");
if (start > 0) out = out.slice(start);
process.stdout.write(out);
