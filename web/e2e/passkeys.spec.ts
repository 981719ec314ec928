// Passkeys and the second factor in every portal (docs/two-factor.md), with Chromium's virtual
// authenticator over CDP: a patient adds a passkey on the account page, signs out, signs in
// with it; then the clone attack — the passkey copied into another authenticator whose
// signature counter is behind — is refused with a clear message. A hospital staff member turns
// on the authenticator app from the hospital portal's own page and signs in with a code.
// WebAuthn needs a secure context and a domain (not an IP address): these pages are opened on
// localhost, the relying party scripts/browser.sh configures.
import { randomBytes } from "node:crypto";
import { expect, test, type CDPSession, type Page } from "@playwright/test";
import {
  ADMIN_PASSWORD,
  BASE,
  KEY_PASSPHRASE,
  apiCall,
  base32Decode,
  expectAccessible,
  loginAs,
  newHfrId,
  newPatientAccount,
  screenshot,
  signInWithNewKeys,
  totp,
  watchConsole,
} from "./platform";

test.use({ baseURL: BASE.replace("127.0.0.1", "localhost") });

const AUTHENTICATOR = {
  protocol: "ctap2",
  transport: "internal",
  hasResidentKey: true,
  hasUserVerification: true,
  isUserVerified: true,
} as const;

async function virtualAuthenticator(cdp: CDPSession): Promise<string> {
  const { authenticatorId } = await cdp.send("WebAuthn.addVirtualAuthenticator", { options: AUTHENTICATOR });
  return authenticatorId;
}

async function passwordStep(page: Page, abha: string, password: string) {
  await page.getByLabel("ABHA number or ABHA address").fill(abha);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("add a passkey, sign in with it, and a copied passkey whose counter is behind is refused", async ({ page }) => {
  const problems = watchConsole(page);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  const authenticatorId = await virtualAuthenticator(cdp);
  const patient = await newPatientAccount();
  await signInWithNewKeys(page, patient);

  await page.getByRole("link", { name: "Account", exact: true }).click();
  await expect(page.getByRole("heading", { name: "Passkeys" })).toBeVisible();
  await expect(page.getByText("No passkeys yet.")).toBeVisible();
  await page.getByLabel("Name for the new passkey").fill("This laptop");
  await page.getByRole("button", { name: "Add a passkey" }).click();
  await expect(page.getByText("Passkey “This laptop” added.")).toBeVisible();
  await expect(page.getByTestId("passkey")).toContainText("This laptop");
  await expect(page.getByTestId("passkey")).toContainText("not used yet");
  await expectAccessible(page);
  await screenshot(page, "passkeys-added");

  // Sign out; the password now asks for the passkey (no code: no authenticator app here).
  await page.getByRole("button", { name: "Sign out" }).click();
  await passwordStep(page, patient.abha, patient.password);
  await expect(page.getByRole("button", { name: "Use a passkey" })).toBeVisible();
  await expect(page.getByLabel("Code", { exact: true })).toHaveCount(0);
  await expectAccessible(page);
  await screenshot(page, "passkeys-sign-in");
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await page.getByLabel("Key passphrase", { exact: true }).fill(KEY_PASSPHRASE);
  await page.getByRole("button", { name: "Unlock" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Documents" })).toBeVisible();

  // The clone attack: the passkey's private key, copied into another authenticator whose
  // signature counter is behind the one the server has seen.
  const { credentials } = await cdp.send("WebAuthn.getCredentials", { authenticatorId });
  expect(credentials).toHaveLength(1);
  const original = credentials[0]!;
  expect(original.signCount).toBeGreaterThan(0);
  await cdp.send("WebAuthn.removeVirtualAuthenticator", { authenticatorId });
  const copyId = await virtualAuthenticator(cdp);
  await cdp.send("WebAuthn.addCredential", { authenticatorId: copyId, credential: { ...original, signCount: 0 } });

  await page.getByRole("button", { name: "Sign out" }).click();
  await passwordStep(page, patient.abha, patient.password);
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expect(page.getByRole("alert")).toContainText("its counter went backwards, so it may have been copied");
  await expectAccessible(page);
  await screenshot(page, "passkeys-copied-refused");
  // Blocked for good: the next try says so, and no session was opened.
  await page.getByRole("button", { name: "Use a passkey" }).click();
  await expect(page.getByRole("alert")).toContainText("no passkey that can sign in");
  await expect(page.getByRole("heading", { level: 1, name: "Documents" })).toHaveCount(0);
  expect(problems).toEqual([]);
});

test("a staff member turns on two-factor sign-in in the hospital portal and signs in with a code", async ({ page }) => {
  const problems = watchConsole(page);
  const admin = await loginAs("admin", ADMIN_PASSWORD);
  const hfrId = newHfrId();
  const { api_secret: secret } = await apiCall<{ api_secret: string }>(
    "POST",
    "/v1/admin/hospitals",
    { hfr_id: hfrId, name: `Lotus Two-Factor Hospital ${Date.now() % 100000}` },
    admin,
  );
  const hospital = await loginAs(hfrId, secret);
  const { invite_code: code } = await apiCall<{ invite_code: string }>(
    "POST",
    "/v1/hospitals/me/staff",
    { name: "Meera Nair", role: "administrator" },
    hospital,
  );
  const password = "meera's own password";
  await apiCall("POST", "/v1/auth/staff-invitations/accept", {
    code,
    username: "meera",
    password,
    public_key: randomBytes(32).toString("hex"),
  });

  const staffSignIn = async () => {
    await page.goto("/hospital");
    await page.getByRole("link", { name: "Staff: sign in with your own account" }).click();
    await page.getByLabel("HFR id").fill(hfrId);
    await page.getByLabel("Username").fill("meera");
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
  };
  await staffSignIn();
  await page.getByRole("button", { name: "Continue without the hospital's keys" }).click();
  await page.getByRole("link", { name: "My sign-in" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "My sign-in" })).toBeVisible();
  await page.getByRole("button", { name: "Set up two-factor sign-in" }).click();
  const key = base32Decode((await page.getByTestId("totp-secret").textContent()) ?? "");
  expect(key.length).toBe(20);
  await expectAccessible(page);
  await screenshot(page, "staff-two-factor-enrol");
  const step = Math.floor(Date.now() / 30_000);
  await page.getByLabel("Code from the app").fill(totp(key, step));
  await page.getByRole("button", { name: "Confirm and turn on" }).click();
  await expect(page.getByRole("list", { name: "Recovery codes" }).getByRole("listitem")).toHaveCount(10);
  await page.getByRole("button", { name: "I have saved them" }).click();
  await expect(page.getByText("Two-factor sign-in is on. 10 recovery codes left.")).toBeVisible();

  // Sign out; the password now asks for a code.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("button", { name: "Sign out" })).toHaveCount(0);
  await staffSignIn();
  await expect(page.getByText("Your account has two-factor sign-in.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Use a passkey" })).toHaveCount(0);
  await expectAccessible(page);
  await screenshot(page, "staff-two-factor-sign-in");
  await page.getByLabel("Code", { exact: true }).fill(totp(key, step + 1));
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("button", { name: "Continue without the hospital's keys" })).toBeVisible();
  expect(problems).toEqual([]);
});
