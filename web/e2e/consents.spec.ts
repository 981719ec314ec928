// A hospital asks, the patient approves a narrower scope in the browser (documents opened to the
// hospital in the page's crypto worker, the grant signed there), the chain confirms it, the
// hospital reads what was granted and nothing else; the patient takes access back and the chain
// confirms that too; a second request is refused.
import { expect, test } from "@playwright/test";
import { expectAccessible, newPatientAccount, screenshot, signInWithNewKeys, watchConsole } from "./platform";
import { parseHeader } from "../src/crypto/envelope";
import { hospitalReads, newGranteeHospital, requestConsent, signIn, uploadDocument, x25519Of } from "./consent-fixtures";

test("approve with narrowing, confirmed on chain; revoke with progress; refuse a second request", async ({ page }) => {
  test.setTimeout(240_000);
  const problems = watchConsole(page);
  const hospital = await newGranteeHospital(`Sunrise Hospital ${Date.now() % 100000}`);
  const patient = await newPatientAccount();
  await signInWithNewKeys(page, patient);

  // Two documents of the patient's, sealed on "their device" for their own key.
  const me = await signIn(patient.abha, patient.password);
  const myKey = await x25519Of(me.token);
  const report = await uploadDocument(me.token, [myKey], { hiType: "DiagnosticReport", careDate: "2026-01-10", text: "HbA1c 6.1%" });
  const prescription = await uploadDocument(me.token, [myKey], { hiType: "Prescription", careDate: "2026-02-01", text: "Metformin 500 mg" });
  const first = await requestConsent(hospital, patient.abha);

  // The inbox says it in plain words.
  await page.getByRole("link", { name: "Consents", exact: true }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Consents" })).toBeVisible();
  const request = page.locator(".consent-item[data-status=REQUESTED]");
  await expect(request).toContainText(hospital.name);
  await expect(request).toContainText("Your care and treatment");
  await expect(request).toContainText("Test and scan reports");
  await expect(request).toContainText("Prescriptions");
  await expect(request).toContainText("Request lapses on");
  await expectAccessible(page);
  await screenshot(page, "consents-inbox");

  // Approve only the test reports, for a shorter time.
  await request.getByRole("link", { name: `Review request from ${hospital.name}` }).click();
  await expect(page.getByRole("heading", { level: 1, name: hospital.name })).toBeVisible();
  await expect(page.getByText("2 of your documents will be opened")).toBeVisible();
  await page.getByRole("checkbox", { name: "Prescriptions" }).uncheck();
  await expect(page.getByText("1 of your documents will be opened")).toBeVisible();
  const end = new Date(Date.now() + 30 * 86_400_000);
  const endDate = `${end.getFullYear()}-${String(end.getMonth() + 1).padStart(2, "0")}-${String(end.getDate()).padStart(2, "0")}`;
  await page.getByLabel("Access ends on").fill(endDate);
  await page.getByRole("button", { name: "Approve and sign" }).click();
  await expect(page.getByText(`Approved. ${hospital.name} can now read these documents.`)).toBeVisible();
  await expect(page.locator(".badge").first()).toHaveText("Access given");

  // The contract confirms the grant the browser signed (Anvil mines every second).
  const grant = page.locator(".relay").filter({ hasText: "Your approval" });
  await expect(grant.getByText(/Written in block \d+/)).toBeVisible({ timeout: 90_000 });
  await expect(grant.locator(".mono")).toHaveText(/^0x[0-9a-f]{64}$/);
  await expectAccessible(page);
  await screenshot(page, "consent-detail");

  // The hospital can read the granted document (its key is a recipient), not the one left out.
  const granted = await hospitalReads(hospital, report);
  expect(granted.status).toBe(200);
  expect(granted.myStanza).toBeTruthy();
  expect(await hospitalReads(hospital, prescription)).toEqual({ status: 404 });
  const consent = await fetch(`${process.env.PRAMANA_BASE_URL}/v1/consents/${first.id}`, {
    headers: { authorization: `Bearer ${hospital.token}` },
  }).then((r) => r.json());
  expect(consent.hi_types).toEqual(["DiagnosticReport"]);
  expect(Date.parse(consent.data_erase_at)).toBeLessThan(Date.now() + 31 * 86_400_000);

  // An approval that stopped half-way (here: two documents it never reached, one of them with a
  // header whose MAC is broken): the consent offers to finish; the broken one is counted, never
  // built on.
  const later = await uploadDocument(me.token, [myKey], { hiType: "DiagnosticReport", careDate: "2026-01-11", text: "HbA1c 5.9%" });
  await uploadDocument(me.token, [myKey], { hiType: "DiagnosticReport", careDate: "2026-01-12", text: "tampered", breakMac: true });
  await page.getByRole("link", { name: "Consents", exact: true }).click();
  await page.getByRole("link", { name: `Details for ${hospital.name}` }).first().click();
  const finish = page.getByRole("region", { name: "Finish opening your documents to the hospital" });
  await expect(finish).toContainText("Documents in this consent that do not carry the hospital's key yet, so it cannot read them: 2.");
  await screenshot(page, "consent-finish");
  await finish.getByRole("button", { name: "Finish" }).click();
  await expect(page.getByText(`${hospital.name} can now read the documents in this consent.`)).toBeVisible();
  await expect(page.getByText("Documents the keys on this device could not open, so the hospital cannot read them: 1.")).toBeVisible();
  expect((await hospitalReads(hospital, later)).myStanza).toBeTruthy();

  // Take access back: a plain confirmation, then progress while the key comes off the document.
  await page.getByRole("button", { name: "Take back access" }).click();
  const dialog = page.getByRole("dialog");
  await expect(dialog).toContainText("Copies the hospital already downloaded stay with it");
  await dialog.getByRole("button", { name: "Yes, take back access" }).click();
  await expect(page.getByText(`Access taken back from ${hospital.name}.`)).toBeVisible();
  await expect(page.locator(".badge").first()).toHaveText("Access taken back");
  const revoke = page.locator(".relay").filter({ hasText: "Taking back access" });
  await expect(revoke.getByText(/Written in block \d+/)).toBeVisible({ timeout: 90_000 });
  expect(await hospitalReads(hospital, report)).toEqual({ status: 404 });
  const stored = await apiGet<{ header: string }>(`/v1/documents/${report}`, me.token);
  expect(parseHeader(Buffer.from(stored.header, "base64")).header.stanzas).toHaveLength(1); // only the patient's

  // A second request is refused from the inbox.
  await requestConsent(hospital, patient.abha, "PUBHLTH");
  await page.getByRole("link", { name: "Consents", exact: true }).click();
  const second = page.locator(".consent-item[data-status=REQUESTED]");
  await expect(second).toContainText("Public health");
  await second.getByRole("button", { name: "Refuse" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Refuse" }).click();
  await expect(page.getByText("Refused.", { exact: true })).toBeVisible();
  const history = page.getByRole("region", { name: "Past requests" });
  await expect(history.locator(".consent-item[data-status=DENIED]")).toContainText("Refused");
  await expect(history.locator(".consent-item[data-status=REVOKED]")).toContainText("Access taken back");
  await expect(page.getByText("No hospital is asking for your documents right now.")).toBeVisible();
  expect(problems).toEqual([]);
});

async function apiGet<T>(path: string, token: string): Promise<T> {
  const r = await fetch(`${process.env.PRAMANA_BASE_URL}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`${path}: ${r.status}`);
  return (await r.json()) as T;
}
