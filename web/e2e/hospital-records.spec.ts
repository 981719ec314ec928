// The hospital portal's record journeys in the browser: webhook settings (a bad URL refused, a
// new secret shown once, the delivery log), a patient who linked the hospital and granted it
// consent in their own portal, the documents that grant covers (and not the one it leaves out),
// one decrypted and shown in the hospital's browser with its proof, a document the hospital adds
// to the linked record (sealed in the page to the patient and the hospital), a handed-over
// document verified against the chain, and the record closing to uploads once the patient
// unlinks. Keyboard, Hindi, axe, desktop and phone.
import { expect, test, type Page } from "@playwright/test";
import { readFile } from "node:fs/promises";
import { signIn, uploadDocument, x25519Of } from "./consent-fixtures";
import {
  KEY_PASSPHRASE,
  apiCall,
  expectAccessible,
  newHospitalSignedIn,
  newPatientAccount,
  screenshot,
  signInWithNewKeys,
  watchConsole,
} from "./platform";

const DAY = 86_400_000;

/** Opens `path` afresh (a new page load), unlocking the keys the page then asks for. */
async function openUnlocked(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await page.getByLabel("Key passphrase", { exact: true }).fill(KEY_PASSPHRASE);
  await page.getByRole("button", { name: "Unlock" }).click();
}

test("a hospital reads what a patient shared, adds to the linked record, verifies a document and watches its webhooks", async ({
  page,
  browser,
}) => {
  test.setTimeout(300_000);
  const problems = watchConsole(page);
  const name = `Lotus Care Hospital ${Date.now() % 100000}`;
  const hospital = await newHospitalSignedIn(page, name);

  // Webhooks: a URL that is not one is refused with nothing set; a good one returns a secret once.
  await page.getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();
  await expect(page.getByText("No endpoint is set: events are not sent.")).toBeVisible();
  await expect(page.getByText("No events yet.")).toBeVisible();
  await page.getByLabel("Endpoint URL").fill("ftp://his.lotus.example/events");
  await page.getByRole("button", { name: "Save and get a new secret" }).click();
  await expect(page.getByRole("alert")).toHaveText("The endpoint must be an https:// address of the hospital's system. Nothing was changed.");
  await expect(page.getByText("No endpoint is set: events are not sent.")).toBeVisible();
  await page.getByLabel("Endpoint URL").fill("https://his.lotus.example/pramana/events");
  await page.getByLabel("Endpoint URL").press("Enter");
  await expect(page.getByTestId("one-time-secret")).toHaveText(/^whsec_/);
  await expectAccessible(page);
  await page.getByRole("button", { name: "I have saved it" }).click();
  await expect(page.getByText(/^Events go to https:\/\/his\.lotus\.example\/pramana\/events/)).toBeVisible();

  // The patient: keys in their own browser, two documents of their own, a link and a consent
  // request from the hospital.
  const patient = await newPatientAccount("Asha Kumari");
  const patientContext = await browser.newContext();
  const patientPage = await patientContext.newPage();
  await signInWithNewKeys(patientPage, patient);
  const me = await signIn(patient.abha, patient.password);
  const myKey = await x25519Of(me.token);
  const report = await uploadDocument(me.token, [myKey], { hiType: "DiagnosticReport", careDate: "2026-01-10", text: "HbA1c 6.1%" });
  const prescription = await uploadDocument(me.token, [myKey], { hiType: "Prescription", careDate: "2026-02-01", text: "Metformin 500 mg" });
  // A FHIR lab report the grant covers too: the hospital reads it as lab trends.
  const labBundle = await readFile("e2e/fixtures/fhir/2025-09-28-DiagnosticReport.json", "utf8");
  await uploadDocument(me.token, [myKey], { hiType: "DiagnosticReport", careDate: "2025-09-28", text: labBundle });
  const link = await apiCall<{ id: string }>("POST", "/v1/links", { patient_abha_number: patient.abha }, hospital.token);
  await apiCall(
    "POST",
    "/v1/consents",
    {
      patient_abha_number: patient.abha,
      purpose: "CAREMGT",
      hi_types: ["DiagnosticReport"],
      access_mode: "VIEW",
      date_range: { from: "2025-01-01", to: "2026-06-30" },
      data_erase_at: new Date(Date.now() + 60 * DAY).toISOString(),
      frequency: { unit: "DAY", value: 1, repeats: 0 },
      expires_at: new Date(Date.now() + 7 * DAY).toISOString(),
    },
    hospital.token,
  );

  // Before the patient agrees: the number the hospital asked with, no name, nothing to read.
  await page.getByRole("link", { name: "Patients" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Patients" })).toBeVisible();
  const card = page.getByRole("list", { name: "Patients" }).getByRole("listitem").first();
  await expect(card).toContainText("Name shown once the patient agrees");
  await expect(card).toContainText("Link asked");
  await expect(card).toContainText("No consent in force");

  // The patient approves the link and grants the consent in their portal (signed in the browser;
  // the browser opens the covered document to the hospital's key).
  await apiCall("POST", `/v1/links/${link.id}/approve`, {}, me.token);
  await patientPage.getByRole("link", { name: "Consents", exact: true }).click();
  await patientPage.getByRole("link", { name: `Review request from ${name}` }).click();
  await patientPage.getByRole("button", { name: "Approve and sign" }).click();
  await expect(patientPage.getByText(`Approved. ${name} can now read these documents.`)).toBeVisible();

  // The hospital's view: the name, the link, the grant's scope and end, the covered document only.
  await page.getByRole("link", { name: "Webhooks" }).click();
  await page.getByRole("link", { name: "Patients" }).click();
  await expect(card).toContainText("Asha Kumari");
  await expect(card).toContainText("Linked");
  await expect(card).toContainText("1 consent(s) in force");
  await expectAccessible(page);
  await screenshot(page, "hospital-patients");
  await card.getByRole("link", { name: /^Open record/ }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Asha Kumari" })).toBeVisible();
  const shares = page.getByRole("region", { name: "What this patient shares with you" });
  await expect(shares).toContainText("Diagnostic report: records of care from 1 Jan 2025 to 30 Jun 2026");
  const docs = page.getByRole("list", { name: "Documents" }).getByRole("listitem");
  await expect(docs).toHaveCount(2);
  await expect(docs.first()).toContainText(/Shared under consent until/);
  await expectAccessible(page);
  await screenshot(page, "hospital-patient");

  // The records views over what the grant opened, decrypted here: the FHIR report as lab trends,
  // the plain one left out and said so.
  await page.getByRole("button", { name: "Read health records (2 documents)" }).click();
  const records = page.getByRole("region", { name: "Health records" });
  await expect(records.getByTestId("test-4548-4")).toContainText("HbA1c");
  await expect(records.getByText(/1 documents are not FHIR records/)).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "hospital-records-view");
  await expect(records.getByRole("list", { name: "Timeline of care" }).getByRole("link", { name: "Laboratory Report" })).toHaveAttribute(
    "href",
    /^\/hospital\/documents\//,
  );

  // Decrypted in the hospital's browser with its own key.
  await docs.filter({ hasText: "10 Jan 2026" }).getByRole("link").click();
  await expect(page).toHaveURL(new RegExp(`/hospital/documents/${report}$`));
  await expect(page.getByRole("heading", { level: 1, name: "Diagnostic report" })).toBeVisible();
  await expect(page.getByLabel("Preview of the document")).toHaveText("HbA1c 6.1%");
  await expectAccessible(page);
  await screenshot(page, "hospital-document");
  // The document the grant leaves out is not the hospital's to open, even by its address.
  await openUnlocked(page, `/hospital/documents/${prescription}`);
  await expect(page.getByRole("alert")).toBeVisible();
  await expect(page.getByLabel("Preview of the document")).toHaveCount(0);

  // Adding a discharge summary to the linked record: sealed here to the patient and the hospital.
  await page.getByRole("link", { name: "Patients" }).click();
  await page.getByRole("list", { name: "Patients" }).getByRole("listitem").first().getByRole("link").click();
  await page.getByLabel("Type of document", { exact: true }).selectOption({ label: "Discharge summary" });
  await page.getByLabel("Date of care").fill("2026-03-02");
  const summary = "Discharged in good health. Review in two weeks.";
  await page.getByLabel("Files to add").setInputFiles({ name: "summary.txt", mimeType: "text/plain", buffer: Buffer.from(summary) });
  await page.getByRole("link", { name: "Open it" }).click();
  await expect(page.getByLabel("Preview of the document")).toHaveText(summary);
  // The patient reads it too (their key is a recipient).
  const theirs = await apiCall<{ id: string; uploaded_by_role: string; hi_type: string }[]>("GET", "/v1/documents", undefined, me.token);
  const added = theirs.find((d) => d.uploaded_by_role === "hospital");
  expect(added?.hi_type).toBe("DischargeSummary");
  await openUnlocked(patientPage, `/documents/${added?.id}`);
  await expect(patientPage.getByLabel("Preview of the document")).toHaveText(summary);

  // Once anchored, its proof downloads; the verify page checks a handed-over copy against the chain.
  const proofButton = page.getByRole("button", { name: "Download proof" });
  await expect(proofButton).toBeEnabled({ timeout: 90_000 });
  const download = page.waitForEvent("download");
  await proofButton.click();
  const proof = await readFile((await (await download).path()) ?? "", "utf8");
  await page.getByRole("link", { name: "Verify a document" }).click();
  await page.getByLabel("Document file").setInputFiles({ name: "summary.txt", mimeType: "text/plain", buffer: Buffer.from(summary) });
  await page.getByLabel("Proof file").setInputFiles({ name: "summary.proof.json", mimeType: "application/json", buffer: Buffer.from(proof) });
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Verified" })).toContainText("Verified: this is the recorded document.");
  await page.getByLabel("Document file").setInputFiles({ name: "summary.txt", mimeType: "text/plain", buffer: Buffer.from(`${summary} `) });
  await page.getByRole("button", { name: "Verify", exact: true }).click();
  await expect(page.getByRole("alert")).toContainText("Does not match.");

  // The webhook's log has the grant, with each attempt (the example host does not answer).
  await page.getByRole("link", { name: "Webhooks" }).click();
  const events = page.getByRole("list", { name: "Deliveries" }).getByRole("listitem");
  await expect(events.filter({ hasText: "consent.granted" })).toHaveCount(1);
  await expectAccessible(page);
  await screenshot(page, "hospital-webhooks");

  // The patient unlinks: the record closes to uploads at once, and the page says so.
  await apiCall("POST", `/v1/links/${link.id}/end`, {}, me.token);
  await page.getByRole("link", { name: "Patients" }).click();
  await page.getByRole("list", { name: "Patients" }).getByRole("listitem").first().getByRole("link").click();
  await expect(page.getByText("To add documents to this patient's record, ask to link it")).toBeVisible();
  await expect(page.getByLabel("Files to add")).toHaveCount(0);

  // Hindi.
  await page.getByLabel("Language").selectOption("hi");
  await expect(page.getByRole("region", { name: "यह मरीज़ आपसे क्या साझा करता है" })).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel("भाषा").selectOption("en");
  await patientContext.close();
  expect(problems).toEqual([]);
});
