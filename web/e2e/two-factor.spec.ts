// Two-factor sign-in in the patient portal: enrol an authenticator app from the account page
// (QR code and typed key, first code, recovery codes shown once), sign out, sign in with a code
// computed here, a wrong code refused, a recovery code working once.
import { expect, test, type Page } from "@playwright/test";
import {
  KEY_PASSPHRASE,
  base32Decode,
  expectAccessible,
  newPatientAccount,
  screenshot,
  signInWithNewKeys,
  totp,
  watchConsole,
} from "./platform";

const nowStep = () => Math.floor(Date.now() / 30_000);

async function signIn(page: Page, abha: string, password: string) {
  await page.getByLabel("ABHA number or ABHA address").fill(abha);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Your account has two-factor sign-in")).toBeVisible();
}

test("enrol an authenticator app, then sign in with a code or a recovery code", async ({ page }) => {
  const problems = watchConsole(page);
  const patient = await newPatientAccount();
  await signInWithNewKeys(page, patient);
  await page.getByRole("link", { name: "Account", exact: true }).click();
  await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  await expect(page.getByRole("img", { name: "QR code to add Pramana to an authenticator app" })).toBeVisible();
  const secret = base32Decode((await page.getByTestId("totp-secret").textContent()) ?? "");
  expect(secret.length).toBe(20);
  await expectAccessible(page);
  await screenshot(page, "two-factor-enrol");
  const step = nowStep();
  await page.getByLabel("Code from the app").fill(totp(secret, step));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  const codes = page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem");
  await expect(codes).toHaveCount(10);
  const recovery = (await codes.first().textContent()) ?? "";
  await expectAccessible(page);
  await screenshot(page, "two-factor-recovery-codes");
  await page.getByRole("button", { name: "I have saved them" }).click();
  await expect(page.getByText("Two-factor sign-in is on. 10 recovery codes left.")).toBeVisible();
  await expect(page.getByRole("list", { name: "Recovery codes" })).toHaveCount(0);

  // Sign out; the password now asks for a code. A wrong one is refused.
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, patient.abha, patient.password);
  await expectAccessible(page);
  await screenshot(page, "two-factor-sign-in");
  const near = [step - 1, step, step + 1, step + 2].map((s) => totp(secret, s));
  const wrong = ["123456", "654321", "111222"].find((c) => !near.includes(c)) ?? "000001";
  await page.getByLabel("Code", { exact: true }).fill(wrong);
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("That code is not right");
  // The next step's code (the enrolment's own is spent).
  await page.getByLabel("Code", { exact: true }).fill(totp(secret, step + 1));
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  await page.getByLabel("Key passphrase", { exact: true }).fill(KEY_PASSPHRASE);
  await page.getByRole("button", { name: "Unlock" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Documents" })).toBeVisible();

  // A recovery code signs in once.
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, patient.abha, patient.password);
  await page.getByLabel("Code", { exact: true }).fill(recovery);
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  await expect(page.getByRole("heading", { name: "Unlock your keys" })).toBeVisible();
  await page.getByLabel("Key passphrase", { exact: true }).fill(KEY_PASSPHRASE);
  await page.getByRole("button", { name: "Unlock" }).click();
  await page.getByRole("button", { name: "Sign out" }).click();
  await signIn(page, patient.abha, patient.password);
  await page.getByLabel("Code", { exact: true }).fill(recovery);
  await page.getByRole("button", { name: "Verify and sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("That recovery code was already used");
  expect(problems).toEqual([]);
});
