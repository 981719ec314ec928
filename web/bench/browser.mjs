// Seal and open throughput in Chromium (Debian's, as the browser tests use) next to raw
// WebCrypto AES-256-GCM (1 MiB calls) and raw SHA-256 (one-shot) on the same data in the same
// run, and a large seal + open into Blobs with the page's peak JavaScript heap and the renderer
// process's peak RSS (which also holds the worker's heap).
// Run: npm run bench:browser -- [MiB] [large MiB]   (defaults 64 and 500)
import { chromium } from "@playwright/test";
import { readFileSync, readdirSync } from "node:fs";
import { createServer } from "vite";

const mib = Number(process.argv[2] ?? 64);
const big = Number(process.argv[3] ?? 500);
const server = await createServer({ logLevel: "silent", server: { host: "127.0.0.1", port: 0 } });
await server.listen();
const { port } = server.httpServer.address();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--enable-precise-memory-info"],
});
const page = await browser.newPage();

// Peak RSS of Chromium's renderer processes, sampled from /proc while the benchmark runs.
let rssPeak = 0;
const rss = () => {
  let total = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
      if (!cmd.includes("--type=renderer")) continue;
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      total = Math.max(total, Number(m?.[1] ?? 0) * 1024);
    } catch {}
  }
  rssPeak = Math.max(rssPeak, total);
};
const timer = setInterval(rss, 100);
await page.goto(`http://127.0.0.1:${port}/bench/browser/index.html?mib=${mib}&big=${big}`);
await page.waitForFunction(() => window.benchResult !== undefined, null, { timeout: 0, polling: 500 });
const result = await page.evaluate(() => window.benchResult);
clearInterval(timer);
result.renderer_rss_peak_mib = rssPeak / 1024 / 1024;
await browser.close();
await server.close();
if (result.error) {
  console.error(result.error);
  process.exit(1);
}
for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(26)} ${typeof v === "number" ? v.toFixed(2) : v}`);
