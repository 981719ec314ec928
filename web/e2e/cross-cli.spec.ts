// The browser and the `pramana` CLI are two clients of the same formats: a file the page
// uploaded is downloaded and opened by the CLI with the recovery kit the page saved, and a file
// the CLI uploaded is shown and downloaded in the page, byte for byte.
import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BASE, KEY_PASSPHRASE, newPatientAccount, signInWithNewKeys, watchConsole } from "./platform";

/** The CLI built with the platform (scripts/browser.sh runs from web/). */
const BIN = process.env.PRAMANA_BIN ?? resolve(process.env.CARGO_TARGET_DIR ?? "../target", "debug", "pramana");

test("a browser upload opens in the CLI, and a CLI upload opens in the browser", async ({ page }) => {
  const problems = watchConsole(page);
  const who = await newPatientAccount();
  const kit = await signInWithNewKeys(page, who);
  const home = mkdtempSync(join(tmpdir(), "pramana-cli-"));
  writeFileSync(join(home, "identity.json"), kit, { mode: 0o600 });
  const env = { ...process.env, PRAMANA_PASSWORD: who.password, PRAMANA_PASSPHRASE: KEY_PASSPHRASE };
  const cli = (...args: string[]) => execFileSync(BIN, ["--api", BASE, "--home", home, ...args], { env, encoding: "utf8" });
  cli("login", "--login", who.abha);

  // Browser → CLI.
  const fromBrowser = randomBytes(200_000);
  await page.getByLabel("Type of document", { exact: true }).selectOption({ label: "Discharge summary" });
  await page.getByLabel("Date of care").fill("2025-07-01");
  await page.getByLabel("Files to add").setInputFiles({ name: "discharge.bin", mimeType: "application/octet-stream", buffer: fromBrowser });
  const link = page.getByRole("link", { name: "Open it" });
  await expect(link).toBeVisible();
  const id = (await link.getAttribute("href"))!.split("/").pop()!;
  const out = join(home, "discharge.out");
  cli("download", id, "-o", out);
  expect(readFileSync(out).equals(fromBrowser)).toBe(true);

  // CLI → browser.
  const report = "Ultrasound abdomen: no abnormality detected.\n";
  const src = join(home, "usg.txt");
  writeFileSync(src, report);
  const uploaded = JSON.parse(cli("--json", "upload", src, "--type", "DiagnosticReport", "--date", "2025-07-02")) as { id: string };
  await page.getByRole("link", { name: "Verify" }).click();
  await page.getByRole("link", { name: "Documents" }).click();
  await page.getByRole("link", { name: "Diagnostic report" }).click();
  await expect(page).toHaveURL(new RegExp(`/documents/${uploaded.id}$`));
  await expect(page.locator("pre.preview-text")).toContainText("Ultrasound abdomen: no abnormality detected.");
  const event = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download", exact: true }).click();
  const d = await event;
  expect(readFileSync((await d.path()) ?? "").equals(Buffer.from(report))).toBe(true);
  expect(problems).toEqual([]);
});
