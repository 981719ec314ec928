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

test("a download that breaks half-way resumes from where it stopped", async ({ page }) => {
  const problems = watchConsole(page);
  const patient = await newPatientAccount();
  await signInWithNewKeys(page, patient);
  const me = await signIn(patient.abha, patient.password);
  const doc = await uploadDocument(me.token, [await x25519Of(me.token)], { hiType: "Prescription", careDate: "2026-03-02", text: "Amoxicillin ".repeat(5000) });

  // The first answer is cut off half-way (as a dropped mobile connection would); the page asks
  // for the rest with a Range header.
  const ranges: string[] = [];
  let cut = false;
  await page.route("**/v1/patients/me/exports/*", async (route) => {
    ranges.push(route.request().headers()["range"] ?? "");
    if (cut) return route.continue();
    cut = true;
    const whole = await route.fetch();
    const body = await whole.body();
    await route.fulfill({ status: 200, headers: { "content-type": "application/x-tar" }, body: body.subarray(0, body.length >> 1) });
  });
  await page.getByRole("link", { name: "Account", exact: true }).click();
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download all my records" }).click();
  const tar = await readFile((await (await download).path())!);
  expect(ranges).toHaveLength(2);
  expect(ranges[0]).toBe("");
  expect(ranges[1]).toMatch(/^bytes=\d+-$/);
  const size = parseInt(tar.subarray(124, 136).toString().replace(/\0.*$/, "").trim(), 8);
  const manifest = JSON.parse(tar.subarray(512, 512 + size).toString());
  const envelopeSize = manifest.documents[0].envelope_size as number;
  expect(manifest.documents[0].id).toBe(doc);
  expect(tar.includes(Buffer.from(`documents/${doc}.envelope`))).toBe(true);
  // Every byte is there: the archive ends with its two zero blocks after the last file.
  expect(tar.length).toBeGreaterThan(envelopeSize + 2048);
  expect(tar.subarray(-1024).every((b) => b === 0)).toBe(true);
  expect(problems).toEqual([]);
});
