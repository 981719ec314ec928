// The access history: a hospital's reads of a document and another hospital's refused attempt,
// in plain words, filtered by hospital.
import { expect, test } from "@playwright/test";
import { expectAccessible, newHospital, newPatientAccount, screenshot, signInWithNewKeys, watchConsole } from "./platform";
import { hospitalReads, requestLink, signIn, uploadDocument, x25519Of } from "./consent-fixtures";

test("access history shows who read what, a refused attempt, and filters by hospital", async ({ page }) => {
  const problems = watchConsole(page);
  const suffix = Date.now() % 100000;
  const lab = await newHospital(`City Lab ${suffix}`);
  const other = await newHospital(`Other Clinic ${suffix}`);
  const patient = await newPatientAccount();
  await signInWithNewKeys(page, patient);
  const me = await signIn(patient.abha, patient.password);

  // The lab may add documents only once the patient lets it: it asks, the patient approves on
  // the Consents page. An unlinked upload is refused.
  await expect(
    uploadDocument(lab.token, [await x25519Of(me.token), lab.x25519Public], {
      hiType: "DiagnosticReport",
      careDate: "2026-01-10",
      text: "junk",
      patientId: me.subjectId,
    }),
  ).rejects.toThrow(/not_linked/);
  await requestLink(lab, patient.abha);
  await page.getByRole("link", { name: "Consents", exact: true }).click();
  const asking = page.locator(".consent-item").filter({ hasText: lab.name }).filter({ hasText: "Asking to add documents" });
  await expect(asking).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "links-request");
  await asking.getByRole("button", { name: "Let it add documents" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Let it add documents" }).click();
  await expect(page.getByText(`${lab.name} can now add documents to your record.`)).toBeVisible();
  await expect(page.locator(".consent-item").filter({ hasText: lab.name })).toContainText("Can add documents");

  // The lab puts a report into the patient's record and reads it back; the other clinic, with
  // no consent, is refused.
  const report = await uploadDocument(lab.token, [await x25519Of(me.token), lab.x25519Public], {
    hiType: "DiagnosticReport",
    careDate: "2026-01-10",
    text: "Lipid profile",
    patientId: me.subjectId,
  });
  expect((await hospitalReads(lab, report)).status).toBe(200);
  const content = await fetch(`${process.env.PRAMANA_BASE_URL}/v1/documents/${report}/content`, {
    headers: { authorization: `Bearer ${lab.token}` },
  });
  expect(content.status).toBe(200);
  expect(await hospitalReads(other, report)).toEqual({ status: 404 });

  await page.getByRole("link", { name: "Access history", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Access history" })).toBeVisible();
  const items = page.locator(".access-item");
  const download = items.filter({ hasText: lab.name }).filter({ hasText: "Downloaded a document" });
  await expect(download).toContainText("Test and scan reports from");
  await expect(download).toContainText("Allowed");
  const refused = items.filter({ hasText: other.name });
  await expect(refused).toHaveCount(1);
  await expect(items.filter({ hasText: "Let a hospital add documents" })).toHaveCount(1);
  await expect(refused).toContainText("Looked at a document's details");
  await expect(refused).toContainText("Refused");
  await expectAccessible(page);
  await screenshot(page, "access-history");

  // Filter: only the other clinic's entries, then only the lab's, then only refusals.
  const filter = page.getByLabel("Show");
  await filter.selectOption({ label: other.name });
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText(other.name);
  await filter.selectOption({ label: lab.name });
  await expect(items.filter({ hasText: other.name })).toHaveCount(0);
  await expect(items.filter({ hasText: "Downloaded a document" })).toHaveCount(1);
  await expect(items.filter({ hasText: "Added a document" })).toHaveCount(1);
  await filter.selectOption({ label: "Only refused attempts" });
  await expect(items).toHaveCount(1);
  await expect(items.first()).toContainText(other.name);
  await filter.selectOption({ label: "Only you" });
  await expect(items.filter({ hasText: lab.name })).toHaveCount(0);
  await expect(items.filter({ hasText: other.name })).toHaveCount(0);
  expect(problems).toEqual([]);
});
