// Caregivers and family (docs/caregivers.md): the patient adds a prescription and a lab report,
// gives a caregiver (another account, in a second browser) the right to read prescriptions, and
// this browser shares the prescription with them; the caregiver opens it with their own key,
// is refused the lab report, and after the patient revokes is refused everything. The patient's
// access history names the caregiver.
import { expect, test, type Page } from "@playwright/test";
import { apiCall, expectAccessible, loginAs, newPatientAccount, screenshot, signInWithNewKeys, watchConsole } from "./platform";

async function add(page: Page, type: string, name: string, body: string, date = "2026-03-03"): Promise<string> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Documents" }).click();
  await page.getByLabel("Type of document", { exact: true }).selectOption({ label: type });
  await page.getByLabel("Date of care").fill(date);
  await page.getByLabel("Files to add").setInputFiles({ name, mimeType: "text/plain", buffer: Buffer.from(body) });
  const row = page.getByRole("list", { name: "Files being added" }).getByRole("listitem").filter({ hasText: name });
  const opened = row.getByRole("link", { name: "Open it" });
  await expect(opened).toBeVisible();
  return (await opened.getAttribute("href"))!.split("/").pop()!;
}

test("a caregiver opens what the patient shares, nothing else, and nothing after revocation", async ({ page, browser }) => {
  test.setTimeout(240_000);
  const problems = watchConsole(page);
  const patient = await newPatientAccount("Asha Kumari");
  const helper = await newPatientAccount("Ravi Kumar");

  // The caregiver's own account, with keys, in a second browser.
  const cContext = await browser.newContext({ viewport: page.viewportSize() ?? undefined });
  const c = await cContext.newPage();
  const cProblems = watchConsole(c);
  await signInWithNewKeys(c, helper);

  // The patient: two documents, then the caregiver given prescriptions only.
  await signInWithNewKeys(page, patient);
  const prescription = "Tab. Metformin 500 mg twice daily — for Asha";
  const prescriptionId = await add(page, "Prescription", "rx.txt", prescription);
  const labId = await add(page, "Diagnostic report", "lab.txt", "HbA1c 7.1 %");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Family" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Caregivers and family" })).toBeVisible();
  await page.getByLabel("Their ABHA number or ABHA address").fill(helper.abha);
  const preview = page.getByRole("region", { name: "What this gives" });
  await expect(preview).toContainText("They can read your Prescriptions until");
  await expect(preview).toContainText("They cannot see or answer your consent requests.");
  await expectAccessible(page);
  await screenshot(page, "caregivers-give");
  await page.getByRole("button", { name: "Give access" }).click();
  await expect(page.getByText("Ravi Kumar can now read 1 of your documents.")).toBeVisible({ timeout: 30_000 });
  const given = page.getByRole("list", { name: "People who can act for you" }).getByRole("listitem");
  await expect(given).toHaveCount(1);
  await expect(given.first()).toContainText("Ravi Kumar");
  await expect(given.first()).toContainText("Active");

  // A prescription added afterwards is counted as not shared yet, and shared on request.
  await add(page, "Prescription", "rx2.txt", "Tab. Amlodipine 5 mg once daily", "2026-03-10");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Family" }).click();
  await expect(given.first()).toContainText("1 of your documents they may read are not shared with them yet");
  await expectAccessible(page);
  await screenshot(page, "caregivers-list");
  await page.getByRole("button", { name: "Share new documents with Ravi Kumar" }).click();
  await expect(page.getByText("Shared 1 more documents with Ravi Kumar.")).toBeVisible();
  await expect(given.first()).not.toContainText("not shared with them yet");

  // The caregiver: Asha is someone they care for; the prescription opens with their own key.
  await c.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Family" }).click();
  const caredFor = c.getByRole("list", { name: "People you care for" }).getByRole("listitem");
  await expect(caredFor).toHaveCount(1);
  await c.getByRole("link", { name: "Open records: Asha Kumari" }).click();
  await expect(c.getByRole("heading", { level: 1, name: "Asha Kumari (you care for)" })).toBeVisible();
  const docs = c.getByRole("list", { name: "Documents" }).getByRole("listitem");
  await expect(docs).toHaveCount(2);
  await c.getByRole("button", { name: /^Open Prescription of 3 Mar 2026/ }).click();
  await expect(c.locator("pre.preview-text")).toContainText(prescription);
  await expectAccessible(c);
  await screenshot(c, "caregivers-cared-for");
  const grantId = c.url().split("/").pop()!;

  // The lab report is not listed, and asking for it anyway (the caregiver's own session, through
  // the API) is refused with its code.
  await expect(docs.filter({ hasText: "Diagnostic" })).toHaveCount(0);
  const token = await loginAs(helper.abha, helper.password);
  await expect(apiCall("GET", `/v1/caregivers/${grantId}/documents/${labId}/content`, undefined, token)).rejects.toThrow(
    /403 .*"proxy_scope"/,
  );

  // The patient revokes: the caregiver is refused at once.
  await page.getByRole("button", { name: "Revoke now: Ravi Kumar" }).click();
  await expect(page.getByText("Ravi Kumar can no longer reach your record.")).toBeVisible();
  await expect(given.first()).toContainText("Revoked");
  await c.getByRole("link", { name: "Back to Family" }).click();
  await expect(caredFor.first()).toContainText("Revoked");
  await c.goto(`/caregivers/${grantId}`);
  await c.getByLabel("Key passphrase", { exact: true }).fill("my key passphrase 1");
  await c.getByRole("button", { name: "Unlock" }).click();
  await expect(c.getByText("The person revoked your access to their record.")).toBeVisible();
  await expect(c.getByRole("list", { name: "Documents" })).toHaveCount(0);
  await expectAccessible(c);
  await screenshot(c, "caregivers-revoked");

  // The patient's access history names the caregiver, allowed and refused.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Access history" }).click();
  const entries = page.locator(".access-item").filter({ hasText: "Ravi Kumar (caregiver)" });
  await expect(entries.filter({ hasText: "Downloaded a document" }).first()).toBeVisible();
  await expect(entries.filter({ hasText: "Refused" }).first()).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "caregivers-access-history");
  // The page in Hindi.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Family" }).click();
  await page.getByLabel("Language").selectOption("hi");
  await expect(page.getByRole("heading", { level: 1, name: "देखभालकर्ता और परिवार" })).toBeVisible();
  await expect(page.getByText("वापस लिया गया")).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "caregivers-hindi");
  await page.getByLabel(/भाषा|Language/).selectOption("en");

  // No document carries the caregiver's key any more: the patient's browser took it out.
  const patientToken = await loginAs(patient.abha, patient.password);
  const stale = await apiCall<{ remaining: number }>("GET", `/v1/caregivers/${grantId}/stanzas/stale?limit=1`, undefined, patientToken);
  expect(stale.remaining).toBe(0);
  void prescriptionId;

  expect(problems).toEqual([]);
  expect(cProblems).toEqual([]);
  await cContext.close();
});
