// Browser tests: the portal in Debian's Chromium (Playwright's own browser download cannot
// work here) against the whole platform that scripts/browser.sh starts (API serving the
// portal, Postgres, Anvil with the contract, the anchor worker). Every journey runs at desktop
// size and on a 360 × 800 phone.
import { defineConfig } from "@playwright/test";

const baseURL = process.env.PRAMANA_BASE_URL;
if (!baseURL) throw new Error("run the browser tests through scripts/browser.sh (PRAMANA_BASE_URL is not set)");

export default defineConfig({
  testDir: "e2e",
  outputDir: "e2e-results",
  timeout: 180_000,
  expect: { timeout: 30_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"]],
  use: {
    baseURL,
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", args: ["--no-sandbox"] },
    acceptDownloads: true,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
  },
  projects: [
    { name: "desktop", use: { viewport: { width: 1280, height: 800 } } },
    { name: "phone", use: { viewport: { width: 360, height: 800 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } },
  ],
});
