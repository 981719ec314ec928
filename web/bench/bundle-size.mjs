// The login page's weight: the JavaScript and CSS that dist/index.html loads (the crypto workers
// load only when keys or documents are used), gzipped. Fails above the budget (250 KB).
// Run after a build: node bench/bundle-size.mjs
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

const BUDGET = 250 * 1000;
const html = readFileSync("dist/index.html", "utf8");
const assets = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
let total = 0;
for (const a of assets) {
  const gz = gzipSync(readFileSync(`dist/${a}`), { level: 9 }).length;
  total += gz;
  console.log(`${a.padEnd(40)} ${(gz / 1000).toFixed(1).padStart(7)} KB gzipped`);
}
console.log(`login page: ${(total / 1000).toFixed(1)} KB gzipped (budget ${BUDGET / 1000} KB)`);
if (total > BUDGET) process.exit(1);
