// Benchmark, not a test (skipped unless PRAMANA_BENCH_RECORDS is set; scripts/bench/records.sh):
// the lab-trend view over N generated FHIR documents (default 500), opened cold (every
// document downloaded, decrypted, parsed, checked and indexed), warm (again in the same
// session: everything from the encrypted local index) and warm after a reload (keys unlocked
// again, the index key derived again, the index read and decrypted). Times are measured in the
// page, from the click on "Records" to the page having read everything with the HbA1c chart drawn.
import { expect, test, type Page } from "@playwright/test";
import { mkdirSync, writeFileSync } from "node:fs";
import { generate } from "../scripts/fhir-gen.mjs";
import { signIn, uploadDocument, x25519Of } from "./consent-fixtures";
import { KEY_PASSPHRASE, newPatientAccount, signInWithNewKeys } from "./platform";

const N = Number(process.env.PRAMANA_BENCH_RECORDS ?? 0);
test.skip(!N, "a benchmark: run scripts/bench/records.sh");
test.setTimeout(3_600_000);

/**
 * Clicks "Records" and times, in the page (no polling), until everything is read and the HbA1c
 * chart is drawn.
 */
async function openRecords(page: Page): Promise<number> {
  const ms = await page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const link = [...document.querySelectorAll<HTMLAnchorElement>('nav a[href="/records"]')][0]!;
        const done = () => document.querySelector('[data-records-state="done"]') && document.querySelector('[data-testid="test-4548-4"] svg');
        const t0 = performance.now();
        const obs = new MutationObserver(() => {
          if (done()) {
            obs.disconnect();
            resolve(performance.now() - t0);
          }
        });
        obs.observe(document.body, { subtree: true, childList: true, attributes: true });
        link.click();
      }),
  );
  await expect(page.getByTestId("test-4548-4").getByRole("img").first()).toBeVisible();
  return Math.round(ms);
}

async function leave(page: Page): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Documents" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Documents" })).toBeVisible();
}

test(`the lab-trend view over ${N} documents, cold and warm`, async ({ page }) => {
  const who = await newPatientAccount("Bench Patient");
  await signInWithNewKeys(page, who);
  const session = await signIn(who.abha, who.password);
  const pk = await x25519Of(session.token);
  const docs = generate({ seed: 7, patients: 5, years: 20 }).slice(0, N);
  expect(docs).toHaveLength(N);
  const started = Date.now();
  for (let i = 0; i < docs.length; i += 8) {
    await Promise.all(
      docs.slice(i, i + 8).map((d) => uploadDocument(session.token, [pk], { hiType: d.hiType, careDate: d.careDate, text: JSON.stringify(d.bundle) })),
    );
  }
  const uploadMs = Date.now() - started;
  await page.reload();
  await page.getByLabel("Key passphrase", { exact: true }).fill(KEY_PASSPHRASE);
  await page.getByRole("button", { name: "Unlock" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Documents" })).toBeVisible();

  const cold = await openRecords(page);
  const warm: number[] = [];
  for (let i = 0; i < 3; i++) {
    await leave(page);
    warm.push(await openRecords(page));
  }
  await expect(page.getByTestId("records-indexed")).toContainText(`opened from this device's encrypted index`);
  const reloaded: number[] = [];
  for (let i = 0; i < 3; i++) {
    await page.reload();
    await page.getByLabel("Key passphrase", { exact: true }).fill(KEY_PASSPHRASE);
    await page.getByRole("button", { name: "Unlock" }).click();
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    if (await page.getByRole("heading", { level: 1, name: "Health records" }).isVisible()) await leave(page);
    reloaded.push(await openRecords(page));
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const result = {
    documents: N,
    bytes: docs.reduce((n, d) => n + JSON.stringify(d.bundle).length, 0),
    upload_ms: uploadMs,
    cold_ms: cold,
    warm_ms: warm,
    warm_median_ms: median(warm),
    warm_after_reload_ms: reloaded,
    warm_after_reload_median_ms: median(reloaded),
  };
  mkdirSync("e2e-results", { recursive: true });
  writeFileSync("e2e-results/records-bench.json", JSON.stringify(result, null, 2) + "\n");
  console.log(`records bench: ${JSON.stringify(result)}`);
});
