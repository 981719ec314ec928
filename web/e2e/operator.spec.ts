// The operator console (/operator) in the browser: sign-in (a wrong password and a patient's
// account are turned away), platform health with its charts, registering a hospital (a bad HFR
// id refused in plain words with nothing created; the API secret shown once and working),
// creating an auditor (the password shown once and working), keyboard only where it matters,
// Hindi, axe on every page, at desktop and phone size.
import { expect, test } from "@playwright/test";
import { generateKeyPairSync } from "node:crypto";
import {
  ADMIN_PASSWORD,
  apiCall,
  expectAccessible,
  loginAs,
  newHfrId,
  newPatientAccount,
  screenshot,
  watchConsole,
} from "./platform";

test("the operator registers a hospital and an auditor and reads the platform's health", async ({ page, context }) => {
  const problems = watchConsole(page);
  await context.grantPermissions(["clipboard-read", "clipboard-write"]);
  const admin = await loginAs("admin", ADMIN_PASSWORD);

  // Sign-in: the console is a separate door; a wrong password is said plainly.
  await page.goto("/operator");
  await expect(page.getByRole("heading", { level: 1, name: "Operator sign-in" })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "operator-login");
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toHaveText("Wrong username or password.");
  // A patient's account gets nothing here, and is signed out again.
  const patient = await newPatientAccount();
  await page.getByLabel("Username").fill(patient.abha);
  await page.getByLabel("Password").fill(patient.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("This account is not the operator's");
  await expect(page.getByRole("heading", { level: 1, name: "Operator sign-in" })).toBeVisible();
  // The keyboard alone: type, Enter.
  await page.getByLabel("Username").fill("admin");
  await page.getByLabel("Password").fill(ADMIN_PASSWORD);
  await page.getByLabel("Password").press("Enter");

  // Health: the numbers now and the last 24 hours as charts, with the same numbers as a table.
  await expect(page.getByRole("heading", { level: 1, name: "Platform health" })).toBeVisible();
  await expect(page.getByText(/^Read at /)).toBeVisible();
  for (const chart of [
    "Waiting to be anchored, at the end of each hour",
    "Longest anchoring lag per hour",
    "Failed relays per hour",
    "Failed webhook attempts per hour",
  ]) {
    await expect(page.getByRole("img", { name: new RegExp(`^${chart}: `) })).toBeVisible();
  }
  await expect(page.getByRole("heading", { name: "Failing webhooks" })).toBeVisible();
  await screenshot(page, "operator-health");
  await page.getByText("The same numbers as a table").click();
  await expect(page.getByRole("table").getByRole("row")).toHaveCount(25);
  await expectAccessible(page);

  // Hospitals: a bad HFR id is refused with a clear message, and nothing is created.
  await page.getByRole("link", { name: "Hospitals" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Hospitals" })).toBeVisible();
  await expect(page.getByText("Pramana checks only the shape of an HFR id")).toBeVisible();
  const before = await apiCall<unknown[]>("GET", "/v1/admin/hospitals", undefined, admin);
  const hfrField = page.getByLabel("HFR id");
  await hfrField.fill("IN27100");
  await page.getByLabel("Hospital name").fill("Sunrise Multispeciality Hospital");
  await page.getByRole("button", { name: "Register hospital" }).click();
  await expect(page.getByRole("alert")).toHaveText(
    "This is not an HFR id: it is IN followed by 10 digits, for example IN2710000123. Nothing was registered.",
  );
  await expect(hfrField).toHaveAttribute("aria-invalid", "true");
  expect(await apiCall<unknown[]>("GET", "/v1/admin/hospitals", undefined, admin)).toHaveLength(before.length);
  await expectAccessible(page);
  await screenshot(page, "operator-hospital-refused");

  // A good one, by keyboard: the API secret is shown once, copies, and signs the hospital in.
  const hfrId = newHfrId();
  const name = `Sunrise Hospital ${hfrId.slice(-4)}`;
  await hfrField.fill("");
  await hfrField.focus();
  await page.keyboard.type(hfrId.toLowerCase());
  await page.keyboard.press("Tab");
  await page.keyboard.press("ControlOrMeta+a");
  await page.keyboard.type(name);
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: `${name} is registered.` })).toBeFocused();
  const secret = (await page.getByTestId("one-time-secret").textContent()) ?? "";
  expect(secret).toMatch(/^prm_/);
  await expect(page.getByText("This secret is shown only now")).toBeVisible();
  await page.getByRole("button", { name: "Copy" }).click();
  await expect(page.getByText("Copied.")).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
  await expectAccessible(page);
  await screenshot(page, "operator-hospital-secret");
  const hospitalToken = await loginAs(hfrId, secret);
  await page.getByRole("button", { name: "I have saved it" }).click();
  await expect(page.getByTestId("one-time-secret")).toHaveCount(0);
  const row = page.locator(`li[data-hfr="${hfrId}"]`);
  await expect(row).toContainText(name);
  await expect(row).toContainText("Encryption key: not registered");
  // Once the hospital registers its key, the list says so.
  const { publicKey } = generateKeyPairSync("x25519");
  const x25519 = (publicKey.export({ format: "der", type: "spki" }) as Buffer).subarray(-32).toString("hex");
  await apiCall("POST", "/v1/keys", { kind: "x25519", public_key: x25519, password: secret }, hospitalToken);
  await page.reload();
  await expect(page.locator(`li[data-hfr="${hfrId}"]`)).toContainText("Encryption key: registered");
  await expect(page.locator(`li[data-hfr="${hfrId}"]`)).toContainText("Signing key: not registered");
  await screenshot(page, "operator-hospitals");

  // Auditors: a username shaped like an HFR id is refused; a good one gets a password once.
  await page.getByRole("link", { name: "Auditors" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Auditors" })).toBeVisible();
  await page.getByLabel("Username").fill("IN2710000123");
  await page.getByLabel("Full name").fill("Meera Iyer");
  await page.getByRole("button", { name: "Create auditor" }).click();
  await expect(page.getByRole("alert")).toContainText("A username is 3 to 64 of a–z");
  const username = `audit.${hfrId.slice(-6)}`;
  await page.getByLabel("Username").fill(username);
  await page.getByRole("button", { name: "Create auditor" }).click();
  await expect(page.getByRole("heading", { name: `The account ${username} is created.` })).toBeVisible();
  const password = (await page.getByTestId("one-time-secret").textContent()) ?? "";
  await loginAs(username, password);
  await expectAccessible(page);
  await screenshot(page, "operator-auditor-password");
  await page.getByRole("button", { name: "I have saved it" }).click();
  await expect(page.getByRole("listitem").filter({ hasText: username })).toContainText("Meera Iyer");

  // Hindi: the same console in the other language.
  await page.getByLabel("Language").selectOption("hi");
  await page.getByRole("link", { name: "प्लेटफ़ॉर्म की स्थिति" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "प्लेटफ़ॉर्म की स्थिति" })).toBeVisible();
  await expect(page.getByRole("img", { name: /^हर घंटे विफल रिले: / })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "operator-health-hi");
  await page.getByLabel("भाषा").selectOption("en");

  // Signing out leaves the console at its sign-in.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Operator sign-in" })).toBeVisible();
  expect(problems).toEqual([]);
});
