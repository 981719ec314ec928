// Devices in the patient portal (docs/devices.md): device A creates keys and adds a document;
// device B (a second browser, same account, no keys) asks to be added and shows a code; A types
// it, sees which device asked and sends the keys sealed to B's key; B chooses a passphrase of its
// own and opens A's document. A lists both devices and removes B, which is signed out.
import { expect, test } from "@playwright/test";
import { expectAccessible, newPatientAccount, screenshot, signInWithNewKeys, watchConsole } from "./platform";

const B_PASSPHRASE = "second device passphrase";

test("add a second device from the first, open a document there, then remove it", async ({ page, browser }) => {
  test.setTimeout(240_000);
  const problems = watchConsole(page);
  const patient = await newPatientAccount();

  // Device A: keys and a document.
  await signInWithNewKeys(page, patient);
  const content = "Haemoglobin 13.2 g/dL — seen on device A";
  await page.getByLabel("Type of document", { exact: true }).selectOption({ label: "Diagnostic report" });
  await page.getByLabel("Date of care").fill("2026-03-03");
  await page.getByLabel("Files to add").setInputFiles({ name: "cbc.txt", mimeType: "text/plain", buffer: Buffer.from(content) });
  const opened = page.getByRole("link", { name: "Open it" });
  await expect(opened).toBeVisible();
  const docId = (await opened.getAttribute("href"))!.split("/").pop()!;

  // Device B: signed in to the same account, no keys; it asks to be added.
  const bContext = await browser.newContext({ viewport: page.viewportSize() ?? undefined });
  const b = await bContext.newPage();
  const bProblems = watchConsole(b);
  await b.goto("/");
  await b.getByLabel("ABHA number or ABHA address").fill(patient.abha);
  await b.getByLabel("Password", { exact: true }).fill(patient.password);
  await b.getByRole("button", { name: "Sign in" }).click();
  await b.getByRole("button", { name: "Add this device from another one" }).click();
  await b.getByLabel("Name for this device (optional)").fill("Asha's phone");
  await b.getByRole("button", { name: "Show a code" }).click();
  const codeText = b.getByTestId("pairing-code");
  await expect(codeText).toHaveText(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
  const code = (await codeText.textContent()) ?? "";
  await expect(b.getByRole("img", { name: "QR code with the pairing code and this device's key" })).toBeVisible();
  await expect(b.getByText("Waiting for your other device…")).toBeVisible();
  await expectAccessible(b);
  await screenshot(b, "device-pairing-code");

  // Device A: the code, the device that asked, and the keys sent.
  await page.getByRole("link", { name: "Account", exact: true }).click();
  await expect(page.getByRole("heading", { level: 2, name: "Devices" })).toBeVisible();
  await page.getByLabel("Code from the new device").fill(code.toLowerCase());
  await page.getByRole("button", { name: "Find the device" }).click();
  await expect(page.getByRole("heading", { name: "Give your keys to Asha's phone?" })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "device-give-keys");
  await page.getByRole("button", { name: "Send my keys" }).click();
  await expect(page.getByText("Asha's phone has your keys now.")).toBeVisible();

  // Device B: the keys arrive; a passphrase of its own; A's document opens here.
  await expect(b.getByRole("heading", { name: "Your keys have arrived" })).toBeVisible({ timeout: 30_000 });
  await b.getByLabel("Passphrase for this device").fill(B_PASSPHRASE);
  await b.getByLabel("Passphrase again").fill(B_PASSPHRASE);
  await b.getByRole("button", { name: "Save the keys on this device" }).click();
  await expect(b.getByRole("heading", { name: "Your keys have arrived" })).toHaveCount(0);
  // A reload locks the keys: B's own passphrase unlocks the keystore it saved.
  await b.goto(`/documents/${docId}`);
  await b.getByLabel("Key passphrase", { exact: true }).fill(B_PASSPHRASE);
  await b.getByRole("button", { name: "Unlock" }).click();
  await expect(b.locator("pre.preview-text")).toContainText(content);

  // Device A: A and B, this one marked (the third is the harness's own sign-in through the API,
  // which verified the ABHA number: a sign-in is a device); B removed after the confirmation.
  await page.reload();
  await page.getByLabel("Key passphrase", { exact: true }).fill("my key passphrase 1");
  await page.getByRole("button", { name: "Unlock" }).click();
  const devices = page.getByRole("list", { name: "Devices" }).getByRole("listitem");
  await expect(devices).toHaveCount(3);
  await expect(devices.filter({ hasText: "This device" })).toHaveCount(1);
  await expect(devices.filter({ hasText: "Asha's phone" })).toHaveCount(1);
  await expectAccessible(page);
  await screenshot(page, "devices-list");
  await page.getByRole("button", { name: "Remove Asha's phone" }).click();
  const dialog = page.getByRole("dialog", { name: "Remove Asha's phone?" });
  await expect(dialog).toContainText("Keys it saved stay on it");
  await expectAccessible(page);
  await dialog.getByRole("button", { name: "Remove device" }).click();
  await expect(page.getByText("Asha's phone was removed and signed out.")).toBeVisible();
  await expect(devices).toHaveCount(2);
  await expect(devices.filter({ hasText: "Asha's phone" })).toHaveCount(0);

  // Device B is signed out.
  await b.reload();
  await expect(b.getByLabel("ABHA number or ABHA address")).toBeVisible();

  // A was told of the new device.
  await page.getByRole("link", { name: /^Notifications/ }).click();
  await expect(page.getByText("A new device was given your keys")).toBeVisible();

  expect(problems).toEqual([]);
  expect(bProblems).toEqual([]);
  await bContext.close();
});
