// Recovery, as a patient meets it: a forgotten password is reset with a code mailed (through a
// real SMTP server) to the verified address, which gives back sign-in and not keys; the keys
// come back on a new device from the 24 words shown when they were created; and a patient
// without either sees what is lost and what is not.
import { expect, test, type Page } from "@playwright/test";
import {
  KEY_PASSPHRASE,
  expectAccessible,
  mailedMatch,
  newPatientAccount,
  screenshot,
  signInWithNewKeysAndPhrase,
  watchConsole,
} from "./platform";

const NEW_PASSWORD = "a new password for asha";

async function verifyEmail(page: Page, email: string) {
  await page.getByRole("link", { name: "Account", exact: true }).click();
  const section = page.getByRole("region", { name: "Email notifications" });
  await section.getByLabel("Email address").fill(email);
  await section.getByRole("button", { name: "Send a code" }).click();
  await expect(section.getByText("Not verified yet")).toBeVisible();
  const code = await mailedMatch(email, /verification code is (\d{6})/);
  await section.getByLabel("Code from the email").fill(code);
  await section.getByRole("button", { name: "Verify" }).click();
  await expect(section.getByText("Verified: mail goes to this address.")).toBeVisible();
}

test("a forgotten password comes back by email, keys from the 24 words", async ({ page, browser }) => {
  test.setTimeout(180_000);
  const problems = watchConsole(page);
  const who = await newPatientAccount("Asha Kumari");
  const email = `asha.${who.abha.slice(-6)}@example.in`;
  const { phrase } = await signInWithNewKeysAndPhrase(page, who);
  expect(phrase.split(" ")).toHaveLength(24);
  await page.getByLabel("Type of document", { exact: true }).selectOption({ label: "Diagnostic report" });
  await page.getByLabel("Date of care").fill("2025-08-08");
  await page.getByLabel("Files to add").setInputFiles({ name: "report.txt", mimeType: "text/plain", buffer: Buffer.from("HbA1c 6.1 %") });
  await expect(page.getByRole("link", { name: "Open it" })).toBeVisible();
  await verifyEmail(page, email);

  // Signed out, the password forgotten: the page says first that keys do not come back this way.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Reset your password" })).toBeVisible();
  await expect(page.getByText(/cannot give back your keys/)).toBeVisible();
  await page.getByLabel("ABHA number or ABHA address").fill(who.abha);
  await page.getByLabel("Your verified email address").fill(email);
  await expectAccessible(page);
  await screenshot(page, "password-reset");
  await page.getByRole("button", { name: "Send a code" }).click();
  await expect(page.getByText(/a code is on its way/)).toBeVisible();
  const code = await mailedMatch(email, /reset code is (\d{8})/);

  // A wrong code changes nothing; the right one sets the password.
  const wrong = code === "00000000" ? "11111111" : "00000000";
  await page.getByLabel("Code from the email").fill(wrong);
  await page.getByLabel("New password (12 characters or more)").fill(NEW_PASSWORD);
  await page.getByLabel("New password again").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page.getByRole("alert")).toContainText("not the code we mailed");
  await page.getByLabel("Code from the email").fill(code);
  await page.getByRole("button", { name: "Set the new password" }).click();
  await expect(page.getByText(/Your password is changed/)).toBeVisible();
  await expectAccessible(page);
  await mailedMatch(email, /Subject: Your Pramana password was changed/);

  // Sign-in with the new password; this browser still has the keys, locked as before.
  await page.getByRole("link", { name: "Sign in" }).click();
  await page.getByLabel("ABHA number or ABHA address").fill(who.abha);
  await page.getByLabel("Password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Key passphrase", { exact: true }).fill(KEY_PASSPHRASE);
  await page.getByRole("button", { name: "Unlock" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Documents" })).toBeVisible();

  // A new device: no keys. What is lost without the kit, counted; then the 24 words.
  const device = await browser.newContext();
  const other = await device.newPage();
  const otherProblems = watchConsole(other);
  await other.goto("/");
  await other.getByLabel("ABHA number or ABHA address").fill(who.abha);
  await other.getByLabel("Password", { exact: true }).fill(NEW_PASSWORD);
  await other.getByRole("button", { name: "Sign in" }).click();
  await expect(other.getByRole("heading", { name: "Import a key file" })).toBeVisible();
  await other.getByText("Lost your recovery kit and your 24 words too?").click();
  await expect(other.getByText("Lost — documents only you could open: 1.", { exact: false })).toBeVisible();
  await expect(other.getByText(/Not lost — documents a hospital can also open: 0\./)).toBeVisible();
  await expectAccessible(other);
  await screenshot(other, "lost-keys");

  await other.getByRole("button", { name: "Restore from your recovery phrase" }).click();
  const words = other.getByLabel("Recovery phrase (24 words)");
  await words.fill(phrase.split(" ").slice(0, 23).join(" "));
  await other.getByLabel("New key passphrase for this device (12 characters or more)").fill("another device passphrase");
  await other.getByRole("button", { name: "Restore my keys" }).click();
  await expect(other.getByRole("alert")).toContainText("A recovery phrase has 24 words");
  const list = phrase.split(" ");
  await words.fill([...list.slice(0, 4), "pramana", ...list.slice(5)].join(" "));
  await other.getByRole("button", { name: "Restore my keys" }).click();
  await expect(other.getByRole("alert")).toContainText("Word 5 is not a recovery phrase word");
  await expectAccessible(other);
  await screenshot(other, "restore-phrase");
  await words.fill(phrase.toUpperCase());
  await other.getByRole("button", { name: "Restore my keys" }).click();
  await expect(other.getByRole("heading", { level: 1, name: "Documents" })).toBeVisible();
  // The document opens with the restored keys.
  await other.getByRole("link", { name: "Diagnostic report" }).first().click();
  await expect(other.getByText("HbA1c 6.1 %")).toBeVisible({ timeout: 30_000 });
  expect(problems).toEqual([]);
  expect(otherProblems).toEqual([]);
  await device.close();
});
