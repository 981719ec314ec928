// Hospital staff in the browser (docs/staff.md): the hospital's API-secret session invites a
// clinician (the code shown once), the clinician accepts in a browser of their own (their own
// key made there), the hospital's browser gives them the hospital's keys (sealed in the page to
// the clinician's key), the clinician signs in with their own account and opens a document a
// patient shared, and once disabled, the clinician's next action says so plainly. Axe on each
// new page, desktop and phone.
import { expect, test, type Page } from "@playwright/test";
import { signIn, uploadDocument, x25519Of } from "./consent-fixtures";
import {
  apiCall,
  expectAccessible,
  newHospitalSignedIn,
  newPatientAccount,
  screenshot,
  signInWithNewKeys,
  watchConsole,
} from "./platform";

const STAFF_PASSWORD = "ravi's own password";
const STAFF_PASSPHRASE = "ravi's key passphrase";
const DAY = 86_400_000;

test("a clinician is invited, given the hospital's keys, reads a shared document, and is disabled", async ({ page, browser }) => {
  test.setTimeout(300_000);
  const problems = watchConsole(page);
  const name = `Lotus Staff Hospital ${Date.now() % 100000}`;
  const hospital = await newHospitalSignedIn(page, name);

  // The hospital invites a clinician: the code is shown once.
  await page.getByRole("link", { name: "Staff" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Staff" })).toBeVisible();
  await expect(page.getByText("Nobody has been invited yet.")).toBeVisible();
  await page.getByLabel("Name").fill("Dr Ravi Rao");
  await page.getByLabel("Role", { exact: true }).selectOption("clinician");
  await page.getByRole("button", { name: "Invite", exact: true }).click();
  const code = (await page.getByTestId("one-time-secret").textContent())?.trim() ?? "";
  expect(code).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){5}$/);
  await expectAccessible(page);
  await page.getByRole("button", { name: "I have saved it" }).click();
  const ravi = page.getByRole("listitem").filter({ hasText: "Dr Ravi Rao" });
  await expect(ravi).toContainText("Invited");

  // The clinician accepts in a browser of their own.
  const staffContext = await browser.newContext();
  const staff = await staffContext.newPage();
  await staff.goto("/hospital");
  await staff.getByRole("link", { name: "Invited? Accept your invitation" }).click();
  await expect(staff.getByRole("heading", { level: 1, name: "Accept an invitation" })).toBeVisible();
  await expectAccessible(staff);
  await staff.getByLabel("Invitation code").fill(code);
  await staff.getByLabel("Username").fill("ravi");
  await staff.getByLabel("Password", { exact: true }).fill(STAFF_PASSWORD);
  await staff.getByLabel("Passphrase for your key in this browser").fill(STAFF_PASSPHRASE);
  await staff.getByRole("button", { name: "Accept the invitation" }).click();
  await expect(staff.getByText(`Your account is ready. Sign in as ${hospital.hfrId}/ravi.`)).toBeVisible();

  // The hospital's browser gives Ravi its keys, sealed to his own key.
  await page.getByRole("link", { name: "Webhooks" }).click();
  await page.getByRole("link", { name: "Staff" }).click();
  await expect(ravi).toContainText("Active");
  await expect(ravi).toContainText("No hospital keys yet");
  await ravi.getByRole("button", { name: "Give keys" }).click();
  await expect(page.getByText("Dr Ravi Rao has the hospital's keys, sealed to their own key.")).toBeVisible();
  await expect(ravi).toContainText("Has the hospital's keys");

  // A patient links the hospital and grants it consent in their own portal.
  const patient = await newPatientAccount("Asha Kumari");
  const patientContext = await browser.newContext();
  const patientPage = await patientContext.newPage();
  await signInWithNewKeys(patientPage, patient);
  const me = await signIn(patient.abha, patient.password);
  await uploadDocument(me.token, [await x25519Of(me.token)], { hiType: "DiagnosticReport", careDate: "2026-01-10", text: "HbA1c 6.1%" });
  const link = await apiCall<{ id: string }>("POST", "/v1/links", { patient_abha_number: patient.abha }, hospital.token);
  await apiCall("POST", `/v1/links/${link.id}/approve`, {}, me.token);
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
  await patientPage.getByRole("link", { name: "Consents", exact: true }).click();
  await patientPage.getByRole("link", { name: `Review request from ${name}` }).click();
  await patientPage.getByRole("button", { name: "Approve and sign" }).click();
  await expect(patientPage.getByText(`Approved. ${name} can now read these documents.`)).toBeVisible();

  // Ravi signs in with his own account, unlocks his key, and opens the shared document.
  await staff.getByRole("link", { name: "Go to the sign-in" }).click();
  await staff.getByRole("link", { name: "Staff: sign in with your own account" }).click();
  await expect(staff.getByRole("heading", { level: 1, name: "Staff sign-in" })).toBeVisible();
  await expectAccessible(staff);
  await screenshot(staff, "staff-sign-in");
  await staff.getByLabel("HFR id").fill(hospital.hfrId);
  await staff.getByLabel("Username").fill("ravi");
  await staff.getByLabel("Password").fill(STAFF_PASSWORD);
  await staff.getByRole("button", { name: "Sign in" }).click();
  await staff.getByLabel("Passphrase for your key").fill(STAFF_PASSPHRASE);
  await staff.getByRole("button", { name: "Unlock" }).click();
  await expect(staff.getByRole("heading", { level: 1, name: "Verify a patient's ABHA number" })).toBeVisible();
  await expect(staff.getByRole("link", { name: "Staff" })).toHaveCount(0);
  await staff.getByRole("link", { name: "Patients" }).click();
  const card = staff.getByRole("list", { name: "Patients" }).getByRole("listitem").first();
  await expect(card).toContainText("Asha Kumari");
  await card.getByRole("link", { name: /^Open record/ }).click();
  await staff.getByRole("list", { name: "Documents" }).getByRole("listitem").first().getByRole("link").click();
  await expect(staff.getByLabel("Preview of the document")).toHaveText("HbA1c 6.1%");

  await screenshot(staff, "staff-clinician-document");

  // The hospital makes Ravi a records clerk: from his next step he may not open content.
  await ravi.getByLabel("Role of Dr Ravi Rao").selectOption("records_clerk");
  await ravi.getByRole("button", { name: "Change role" }).click();
  await expect(page.getByText("Dr Ravi Rao is now: Records clerk.")).toBeVisible();
  await expect(ravi).toContainText("Records clerk");
  await expectAccessible(page);
  await screenshot(page, "staff");
  await staff.goBack();
  await staff.getByRole("list", { name: "Documents" }).getByRole("listitem").first().getByRole("link").click();
  await expect(staff.getByRole("alert")).toContainText("Your role at the hospital does not allow this. Nothing was changed.");

  // The hospital disables Ravi, after a confirmation.
  await ravi.getByRole("button", { name: "Disable" }).click();
  await expect(ravi.getByRole("alertdialog")).toContainText("They are signed out at once");
  await expectAccessible(page);
  await ravi.getByRole("button", { name: "Disable Dr Ravi Rao" }).click();
  await expect(page.getByText("Dr Ravi Rao is disabled.")).toBeVisible();
  await expect(ravi).toContainText("Disabled");

  // Ravi's next action: a clear message, nothing shown.
  await staff.getByRole("link", { name: "Requests" }).click();
  await expect(staff.getByRole("alert")).toContainText("Your staff account has been disabled by the hospital's administrator.");

  // Hindi on the Staff page.
  await page.getByLabel("Language").selectOption("hi");
  await expect(page.getByRole("heading", { level: 1, name: "स्टाफ़" })).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel("भाषा").selectOption("en");
  await staffContext.close();
  await patientContext.close();
  expect(problems).toEqual([]);
});
