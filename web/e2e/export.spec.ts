// Export: the account page downloads the data-portability archive (a tar with manifest.json
// first, docs/export.md).
import { expect, test } from "@playwright/test";
import { readFile } from "node:fs/promises";
import { expectAccessible, newPatientAccount, screenshot, signInWithNewKeys, watchConsole } from "./platform";
import { signIn, uploadDocument, x25519Of } from "./consent-fixtures";

test("the account page downloads the export archive", async ({ page }) => {
  const problems = watchConsole(page);
  const patient = await newPatientAccount();
  await signInWithNewKeys(page, patient);
  const me = await signIn(patient.abha, patient.password);
  const doc = await uploadDocument(me.token, [await x25519Of(me.token)], { hiType: "Prescription", careDate: "2026-03-02", text: "Amoxicillin" });

  await page.getByRole("link", { name: "Account", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Take all your records with you" })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "account");
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download all my records" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toMatch(/^pramana-export-\d{8}T\d{6}Z\.tar$/);
  const tar = await readFile((await file.path())!);
  await expect(page.getByText(/Downloaded pramana-export-.*\.tar/)).toBeVisible();

  // ustar: the first member is manifest.json, and the manifest names the document.
  expect(tar.length).toBeGreaterThan(1024);
  expect(tar.subarray(0, 13).toString()).toBe("manifest.json");
  expect(tar.subarray(257, 262).toString()).toBe("ustar");
  const size = parseInt(tar.subarray(124, 136).toString().replace(/\0.*$/, "").trim(), 8);
  const manifest = JSON.parse(tar.subarray(512, 512 + size).toString());
  expect(manifest.format).toBe("pramana-export");
  expect(manifest.documents.map((d: { id: string }) => d.id)).toContain(doc);
  expect(tar.includes(Buffer.from(`documents/${doc}.envelope`))).toBe(true);
  expect(problems).toEqual([]);
});
