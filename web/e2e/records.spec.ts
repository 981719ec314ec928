// Health records in the browser: FHIR bundles from the generator's sample set uploaded through
// the page (each checked against its HI type first), then read on this device in /records —
// a lab trend with its points and out-of-range flags, medicines, the timeline across
// hospitals — and a malformed bundle that names its broken element and is stored as plain.
import { expect, test, type Page } from "@playwright/test";
import { readFile } from "node:fs/promises";
import { generate } from "../scripts/fhir-gen.mjs";
import { apiCall, expectAccessible, loginAs, newPatientAccount, screenshot, signInWithNewKeys, watchConsole } from "./platform";

const FIXTURES = "e2e/fixtures/fhir";

/** The sample set (web/scripts/fhir-gen.mjs --sample): file, type label in the form, date of care. */
const GOOD = [
  { file: "2025-09-28-DiagnosticReport.json", type: "Diagnostic report", date: "2025-09-28" },
  { file: "2026-01-18-DiagnosticReport.json", type: "Diagnostic report", date: "2026-01-18" },
  { file: "2026-06-12-DiagnosticReport.json", type: "Diagnostic report", date: "2026-06-12" },
  { file: "2026-02-27-Prescription.json", type: "Prescription", date: "2026-02-27" },
  { file: "2026-02-27-OPConsultation.json", type: "OP consultation", date: "2026-02-27" },
];

const uploadRow = (page: Page, name: string) => page.getByRole("list", { name: "Files being added" }).getByRole("listitem").filter({ hasText: name });

async function upload(page: Page, file: string, type: string, date: string): Promise<void> {
  await page.getByLabel("Type of document", { exact: true }).selectOption({ label: type });
  await page.getByLabel("Date of care").fill(date);
  const buffer = await readFile(`${FIXTURES}/${file}`);
  await page.getByLabel("Files to add").setInputFiles([{ name: file, mimeType: "application/json", buffer }]);
}

test("FHIR documents are checked at upload and read as records: lab trend, medicines, timeline", async ({ page }) => {
  const problems = watchConsole(page);
  const who = await newPatientAccount("Asha Rao");
  await signInWithNewKeys(page, who);

  for (const g of GOOD) {
    await upload(page, g.file, g.type, g.date);
    await expect(uploadRow(page, g.file)).toContainText(`Valid FHIR ${g.type} record.`);
    await expect(uploadRow(page, g.file)).toContainText("Added.");
  }

  // A lab report with an Observation missing its code: the element is named, and the patient
  // can still keep it as a plain document.
  await upload(page, "malformed-DiagnosticReport.json", "Diagnostic report", "2025-09-29");
  const broken = uploadRow(page, "malformed-DiagnosticReport.json");
  await expect(broken.getByRole("alert")).toContainText("entry[5].resource.code: missing");
  await expect(broken).not.toContainText("Added.");
  await expectAccessible(page);
  await screenshot(page, "records-upload-check");
  await broken.getByRole("button", { name: "Store it as a plain document anyway" }).click();
  await expect(broken).toContainText("Added.");
  await expect(page.getByRole("list", { name: "Your documents" }).getByRole("listitem")).toHaveCount(6);

  // The records page decrypts the six here and reads the five that pass the checks.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Records" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Health records" })).toBeVisible();
  await expect(page.getByText("1 document(s) are not shown here")).toBeVisible();

  const hba1c = page.getByTestId("test-4548-4");
  await expect(hba1c.getByRole("heading", { name: "HbA1c" })).toBeVisible();
  const chart = hba1c.getByRole("img", { name: /3 results over time; latest 6\.5 %/ });
  await expect(chart).toBeVisible();
  await expect(chart.locator("circle")).toHaveCount(3);
  await expect(chart.locator("text.trend-flag")).toHaveCount(3); // every value above 5.6 %, marked H in the chart
  await expect(hba1c).toContainText("Shaded band: normal range 4–5.6 %.");
  await expect(hba1c).toContainText("3 result(s), 3 outside the normal range");
  await hba1c.getByText("All values (3)").click();
  await expect(hba1c.getByRole("row").filter({ hasText: "High" })).toHaveCount(3);

  const current = page.getByRole("list", { name: "Current medicines" });
  await expect(current).toContainText("Metformin 500 mg tablet");
  await expect(current).toContainText("1 tablet twice a day after meals");

  const timeline = page.getByRole("list", { name: "Timeline of care" }).getByRole("listitem");
  await expect(timeline).toHaveCount(5);
  await expect(timeline.first()).toContainText("12 Jun 2026");
  await expect(timeline.filter({ hasText: "Prescription" })).toContainText("AIIMS New Delhi");
  await expect(page.getByRole("heading", { name: "Vital signs" })).toBeVisible();

  await expectAccessible(page);
  await screenshot(page, "records");

  // Opened again: everything comes from this device's encrypted index, nothing is decrypted.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Documents" }).click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Records" }).click();
  await expect(page.getByTestId("records-indexed")).toContainText("5 record(s) opened from this device's encrypted index");
  await expect(page.getByText(/Reading document/)).toHaveCount(0);
  await expect(page.getByTestId("test-4548-4").getByRole("img", { name: /3 results over time/ })).toBeVisible();
  // A goal for HbA1c, drawn on its chart and kept (encrypted, on this device) for the next visit.
  const card = page.getByTestId("test-4548-4");
  await card.getByText("Set a goal").click();
  await card.getByLabel("Keep it").selectOption({ label: "below the target" });
  await card.getByLabel("Target (%)").fill("7");
  await card.getByRole("button", { name: "Save goal" }).click();
  await expect(page.getByTestId("goal-4548-4")).toContainText("Your goal: below 7 %. The latest value meets it.");
  await expect(card.getByTestId("trend-goal")).toBeVisible();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Documents" }).click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Records" }).click();
  await expect(page.getByTestId("goal-4548-4")).toContainText("Your goal: below 7 %.");
  await expectAccessible(page);
  // At rest the index holds ciphertext only.
  const atRest = await page.evaluate(async () => {
    const names = (await indexedDB.databases()).map((d) => d.name ?? "").filter((n) => n.startsWith("pramana-records:"));
    const out: string[] = [];
    for (const name of names) {
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open(name);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const all = await new Promise<unknown[]>((res) => {
        const r = db.transaction("entries").objectStore("entries").getAll();
        r.onsuccess = () => res(r.result);
      });
      for (const v of all as { ct: Uint8Array }[]) out.push(Array.from(v.ct, (b) => String.fromCharCode(b)).join(""));
      db.close();
    }
    return { n: out.length, text: out.join("") };
  });
  expect(atRest.n).toBe(7); // six documents and the goals
  expect(atRest.text).not.toContain("HbA1c");
  expect(atRest.text).not.toContain("Metformin");

  // Hindi: the same page in the other language.
  await page.getByLabel("Language").selectOption({ label: "हिन्दी" });
  await expect(page.getByRole("heading", { level: 1, name: "स्वास्थ्य रिकॉर्ड" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "इलाज की समय-रेखा" })).toBeVisible();
  expect(problems).toEqual([]);
});

test("a patient adds a reading, a medicine and an allergy themself; an implausible value is refused", async ({ page }) => {
  const problems = watchConsole(page);
  const who = await newPatientAccount("Gurpreet Kaur");
  await signInWithNewKeys(page, who);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Records" }).click();
  const form = page.getByRole("region", { name: "Add an entry yourself" });
  await form.getByRole("button", { name: "Add an entry" }).click();

  // A value no HbA1c can have: said at the field, nothing stored.
  await form.getByLabel("Test").selectOption({ label: "HbA1c" });
  await form.getByLabel("Value (%)").fill("64");
  await form.getByRole("button", { name: "Save entry" }).click();
  await expect(form.getByText("Between 2 and 20 %.")).toBeVisible();
  const token = await loginAs(who.abha, who.password);
  expect(await apiCall<unknown[]>("GET", "/v1/documents", undefined, token)).toEqual([]);
  await expectAccessible(page);
  await screenshot(page, "records-self-refused");

  await form.getByLabel("Value (%)").fill("6.4");
  await form.getByRole("button", { name: "Save entry" }).click();
  await expect(form.getByText("Saved. It is in your records below")).toBeVisible();
  await expect(page.getByTestId("test-4548-4")).toContainText("6.4 %");
  await expect(page.getByRole("list", { name: "Timeline of care" })).toContainText("Self-reported: HbA1c 6.4 %");

  // A blood pressure reading, by keyboard.
  await form.getByLabel("What to add").selectOption("vital");
  await form.getByLabel("Test").selectOption({ label: "Systolic blood pressure" });
  await form.getByLabel("Value (mmHg)").fill("132");
  await form.getByLabel("Value (mmHg)").press("Enter");
  await expect(page.getByTestId("test-8480-6")).toBeVisible();

  await form.getByLabel("What to add").selectOption("medication");
  await form.getByLabel("Medicine and strength").fill("Levothyroxine 50 mcg");
  await form.getByLabel("How you take it (optional)").fill("1 tablet before breakfast");
  await form.getByRole("button", { name: "Save entry" }).click();
  await expect(page.getByRole("list", { name: "Current medicines" })).toContainText("Levothyroxine 50 mcg");

  await form.getByLabel("What to add").selectOption("allergy");
  await form.getByRole("button", { name: "Save entry" }).click();
  await expect(form.getByText("Fill this in.")).toBeVisible();
  await form.getByLabel("Allergic to").fill("Penicillin");
  await form.getByLabel("How serious").selectOption("high");
  await form.getByRole("button", { name: "Save entry" }).click();
  await expect(page.locator("#allergies")).toContainText("Penicillin");
  await expect(page.locator("#allergies")).toContainText("Serious");
  // The form is ready for the next entry: nothing of the last one is left in it.
  await expect(form.getByLabel("Allergic to")).toHaveValue("");
  await expect(form.getByLabel("How serious")).toHaveValue("");

  // Stored as four wellness records written by the patient, like any document.
  const docs = await apiCall<{ hi_type: string }[]>("GET", "/v1/documents", undefined, token);
  expect(docs.map((d) => d.hi_type)).toEqual(["WellnessRecord", "WellnessRecord", "WellnessRecord", "WellnessRecord"]);
  await expectAccessible(page);
  await screenshot(page, "records-self");
  await page.getByLabel("Language").selectOption({ label: "हिन्दी" });
  await expect(page.getByRole("region", { name: "स्वयं प्रविष्टि जोड़ें" })).toBeVisible();
  await expectAccessible(page);
  expect(problems).toEqual([]);
});

test("a scanned report carried inside a FHIR document is shown, and saved on its own", async ({ page }) => {
  const problems = watchConsole(page);
  const who = await newPatientAccount("Asha Rao");
  await signInWithNewKeys(page, who);
  const doc = generate({ seed: 7, patients: 1, years: 1, end: "2026-09-01" }).find((g) => g.hiType === "HealthDocumentRecord");
  expect(doc).toBeDefined();
  await page.getByLabel("Type of document", { exact: true }).selectOption({ label: "Health document" });
  await page.getByLabel("Date of care").fill(doc!.careDate);
  const buffer = Buffer.from(JSON.stringify(doc!.bundle));
  await page.getByLabel("Files to add").setInputFiles([{ name: "scan.json", mimeType: "application/json", buffer }]);
  await expect(uploadRow(page, "scan.json")).toContainText("Added.");
  await uploadRow(page, "scan.json").getByRole("link", { name: "Open it" }).click();

  // The bundle as text, and the PDF inside it shown as a PDF.
  const inside = page.getByRole("region", { name: "Files inside this record" });
  await expect(inside.locator('iframe[title="Old lab report (scan)"]')).toBeVisible();
  const download = page.waitForEvent("download");
  await inside.getByRole("button", { name: "Save this file" }).click();
  expect((await download).suggestedFilename()).toBe("Old-lab-report-scan.pdf");
  await expectAccessible(page);
  await screenshot(page, "fhir-attachment");
  expect(problems).toEqual([]);
});
