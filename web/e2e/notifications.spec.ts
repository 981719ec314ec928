// Notifications: a hospital's consent request makes the unread count appear in the header; the
// notifications page lists it in the patient's words and reading it clears the count. The email
// address and the per-kind switches sit in account settings (mail itself is tested against a real
// SMTP server in the Rust suite, tests/e2e/notifications.rs).
import { expect, test } from "@playwright/test";
import { requestConsent } from "./consent-fixtures";
import { KEY_PASSPHRASE, expectAccessible, newHospital, newPatientAccount, screenshot, signInWithNewKeys, watchConsole } from "./platform";

test("a consent request shows as an unread count that clears once read", async ({ page }) => {
  const problems = watchConsole(page);
  const patient = await newPatientAccount("Asha Kumari");
  await signInWithNewKeys(page, patient);

  // Verifying the number at the desk was itself a notification: read it first.
  await page.getByRole("link", { name: /^Notifications\s*,\s*\d+ unread$/ }).click();
  await expect(page.getByRole("heading", { name: "Notifications", level: 1 })).toBeVisible();
  await expect(page.getByText("Your ABHA number is verified")).toBeVisible();
  await page.getByRole("button", { name: "Mark all as read" }).click();
  await expect(page.getByTestId("unread-count")).toHaveCount(0);

  const hospital = await newHospital("Lotus Clinic");
  await requestConsent(hospital, patient.abha);
  // The header polls; a reload shows the count at once.
  await page.reload();
  await expect(page.getByTestId("unread-count")).toHaveText("1", { timeout: 15_000 });
  await expect(page.getByRole("link", { name: /^Notifications\s*,\s*1 unread$/ })).toBeVisible();
  await expect(page.getByText("Lotus Clinic asks for your consent")).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "notifications");

  await page.getByRole("button", { name: "Mark all as read" }).click();
  await expect(page.getByTestId("unread-count")).toHaveCount(0);
  await expect(page.getByRole("link", { name: /^Notifications\s*,\s*0 unread$/ })).toBeVisible();

  // Account settings: the address and the switches.
  await page.getByRole("link", { name: "Account", exact: true }).click();
  // (The reload above locked the keys; the account page sits behind them.)
  await page.getByLabel("Key passphrase", { exact: true }).fill(KEY_PASSPHRASE);
  await page.getByRole("button", { name: "Unlock" }).click();
  const section = page.getByRole("region", { name: "Email notifications" });
  await section.getByLabel("Email address").fill("asha@example.in");
  await section.getByRole("button", { name: "Send a code" }).click();
  await expect(section.getByText("Not verified yet")).toBeVisible();
  await section.getByLabel("Code from the email").fill("000000");
  await section.getByRole("button", { name: "Verify" }).click();
  await expect(section.getByText(/not the code we sent|expired/)).toBeVisible();
  const box = section.getByRole("checkbox", { name: "a hospital asks for consent" });
  await expect(box).toBeChecked();
  await box.uncheck();
  await expect(box).not.toBeChecked();
  await expectAccessible(page);
  await screenshot(page, "notification-settings");
  expect(problems).toEqual([]);
});
