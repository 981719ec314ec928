// Registration, keys, sign-in and sign-out, and an expired session, in the browser.
import { expect, test } from "@playwright/test";
import { KEY_PASSPHRASE, expectAccessible, newAbhaNumber, screenshot, watchConsole } from "./platform";

test("the browser launches and the page is served with a strict CSP", async ({ page }) => {
  const problems = watchConsole(page);
  const response = await page.goto("/");
  const csp = response?.headers()["content-security-policy"] ?? "";
  expect(csp).toContain("script-src 'self' 'wasm-unsafe-eval'");
  expect(csp).not.toContain("unsafe-inline");
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "login");
  expect(problems).toEqual([]);
});

test("register with an ABHA number, create keys, sign out and in, unlock", async ({ page }) => {
  const problems = watchConsole(page);
  const abha = newAbhaNumber();
  const password = "a long enough password";
  await page.goto("/register");
  const abhaField = page.getByLabel("ABHA number", { exact: true });
  // The Luhn check as they type: a wrong last digit is caught before submitting.
  const wrong = abha.slice(0, 13) + String((Number(abha[13]) + 1) % 10);
  await abhaField.fill(wrong);
  await expect(page.getByText("This is not a valid ABHA number")).toBeVisible();
  await abhaField.fill(`${abha.slice(0, 2)}-${abha.slice(2, 6)}-${abha.slice(6, 10)}-${abha.slice(10)}`);
  await expect(page.getByText("Valid ABHA number.")).toBeVisible();
  await page.getByLabel("ABHA address (optional)").fill(`p${abha.slice(-8)}@sbx`);
  await page.getByLabel("Your name").fill("Asha Kumari");
  await page.getByLabel("Password (12 characters or more)").fill(password);
  await page.getByLabel("Password again").fill(password);
  await expectAccessible(page);
  await screenshot(page, "register");
  await page.getByRole("button", { name: "Create account" }).click();

  // Keys: a short passphrase is refused in the page; then the recovery kit must be saved first.
  await page.getByLabel("Key passphrase (12 characters or more)").fill("short");
  await expect(page.getByText("at least 12 characters")).toBeVisible();
  await page.getByLabel("Key passphrase (12 characters or more)").fill(KEY_PASSPHRASE);
  await page.getByLabel("Key passphrase again").fill(KEY_PASSPHRASE);
  await page.getByRole("button", { name: "Create keys" }).click();
  const finish = page.getByRole("button", { name: "Add keys to my account" });
  await expect(finish).toBeDisabled();
  await screenshot(page, "recovery-kit");
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download recovery kit" }).click();
  const kit = JSON.parse(await (await download).createReadStream().then(streamText));
  expect(kit.version).toBe(1);
  expect(kit.kdf.m_kib).toBe(32768);
  await page.getByLabel("I have saved my recovery kit").check();
  // The 24 words are shown once, with the kit.
  const words = await page.getByRole("list", { name: "Recovery phrase, 24 words in order" }).getByRole("listitem").allTextContents();
  expect(words).toHaveLength(24);
  await expect(finish).toBeDisabled();
  await page.getByLabel("I have written down the 24 words").check();
  await finish.click();
  await expect(page.getByRole("heading", { level: 1, name: "Documents" })).toBeVisible();

  // Sign out, and back in: the keystore stays in this browser, locked, and unlocks.
  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();
  await page.getByLabel("ABHA number or ABHA address").fill(`p${abha.slice(-8)}@sbx`);
  await page.getByLabel("Password", { exact: true }).fill("wrong password!!");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByRole("alert")).toContainText("Wrong ABHA number, address or password");
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByLabel("Key passphrase", { exact: true }).fill("not my passphrase");
  await page.getByRole("button", { name: "Unlock" }).click();
  await expect(page.getByRole("alert")).toContainText("Wrong passphrase");
  await page.getByLabel("Key passphrase", { exact: true }).fill(KEY_PASSPHRASE);
  await page.getByRole("button", { name: "Unlock" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Documents" })).toBeVisible();

  // A reload keeps the session (the refresh cookie), never the keys (unlock again).
  await page.reload();
  await expect(page.getByRole("heading", { name: "Unlock your keys" })).toBeVisible();
  const cookies = await page.context().cookies();
  const refresh = cookies.find((c) => c.name === "pramana_refresh");
  expect(refresh?.httpOnly).toBe(true);
  expect(refresh?.sameSite).toBe("Strict");
  expect(refresh?.path).toBe("/v1/auth");
  expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain("ey"); // no token in storage
  expect(problems).toEqual([]);
});

test("a key file that does not parse gets a clear message", async ({ page }) => {
  const abha = newAbhaNumber();
  const password = "a long enough password";
  await page.request.post("/v1/auth/register", { data: { abha_number: abha, abha_addresses: [], name: "Ravi", password } });
  await page.goto("/");
  await page.getByLabel("ABHA number or ABHA address").fill(abha);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Import a key file" }).click();
  await page.getByLabel("Key file", { exact: true }).setInputFiles({ name: "keys.json", mimeType: "application/json", buffer: Buffer.from("{not json") });
  await page.getByLabel("Key passphrase", { exact: true }).fill(KEY_PASSPHRASE);
  await page.getByLabel("Your account password").fill(password);
  await page.getByRole("button", { name: "Import and unlock" }).click();
  await expect(page.getByRole("alert")).toContainText("not a Pramana key file");
  // Nothing was registered.
  await expect(page.getByRole("heading", { name: "Import a key file" })).toBeVisible();
});

async function streamText(s: NodeJS.ReadableStream): Promise<string> {
  let out = "";
  for await (const c of s) out += c.toString();
  return out;
}
