// Notifications: the header's unread count, the notifications page in the patient's words, and
// reading them clears the count; the email address is verified with a code mailed through a
// real SMTP server, and each kind can be switched off (mail delivery itself is also tested in the
// Rust suite, tests/e2e/notifications.rs).
import { expect, test, type Page } from "@playwright/test";
import { requestConsent } from "./consent-fixtures";
import { expectAccessible, mailedMatch, newHospital, newPatientAccount, screenshot, signInWithNewKeys, watchConsole } from "./platform";

const bell = (page: Page) => page.getByRole("banner").getByRole("link", { name: /^Notifications/ });

test("an unread count that clears once read; email verified by a mailed code", async ({ page }) => {
  const problems = watchConsole(page);
  const patient = await newPatientAccount("Asha Kumari");
  await signInWithNewKeys(page, patient);

  // Verifying the number at the desk was itself a notification.
  await expect(page.getByTestId("unread-count")).toHaveText("1", { timeout: 15_000 });
  await expect(bell(page)).toHaveAccessibleName(/Notifications\s*,\s*1 unread/);
  await bell(page).click();
  await expect(page.getByRole("heading", { name: "Notifications", level: 1 })).toBeVisible();
  await expect(page.getByText("Your ABHA number is verified")).toBeVisible();
  await page.getByRole("button", { name: "Mark all as read" }).click();
  await expect(page.getByTestId("unread-count")).toHaveCount(0);

  // A hospital asks for consent: the notifications page shows it, and the header counts it.
  const hospital = await newHospital("Lotus Clinic");
  await requestConsent(hospital, patient.abha);
  await page.getByRole("link", { name: "Documents", exact: true }).click();
  await bell(page).click();
  await expect(page.getByText("Lotus Clinic asks for your consent")).toBeVisible();
  await expect(page.getByTestId("unread-count")).toHaveText("1");
  await expectAccessible(page);
  await screenshot(page, "notifications");
  await page.getByRole("button", { name: "Mark all as read" }).click();
  await expect(page.getByTestId("unread-count")).toHaveCount(0);
  await expect(bell(page)).toHaveAccessibleName(/Notifications\s*,\s*0 unread/);

  // Account settings: a wrong code is refused; the mailed one verifies; a kind switched off.
  await page.getByRole("link", { name: "Account", exact: true }).click();
  const section = page.getByRole("region", { name: "Email notifications" });
  const email = `asha.${patient.abha.slice(-6)}@example.in`;
  await section.getByLabel("Email address").fill(email);
  await section.getByRole("button", { name: "Send a code" }).click();
  await expect(section.getByText("Not verified yet")).toBeVisible();
  const code = await mailedMatch(email, /verification code is (\d{6})/);
  await section.getByLabel("Code from the email").fill(code === "000000" ? "111111" : "000000");
  await section.getByRole("button", { name: "Verify" }).click();
  await expect(section.getByText(/not the code we sent/)).toBeVisible();
  await section.getByLabel("Code from the email").fill(code);
  await section.getByRole("button", { name: "Verify" }).click();
  await expect(section.getByText("Verified: mail goes to this address.")).toBeVisible();
  const box = section.getByRole("checkbox", { name: "a hospital asks for consent" });
  await expect(box).toBeChecked();
  await box.uncheck();
  await expect(box).not.toBeChecked();
  await expectAccessible(page);
  await screenshot(page, "notification-settings");
  expect(problems).toEqual([]);
});
