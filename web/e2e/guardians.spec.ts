// A parent manages their child's record (docs/guardians.md): they add the child on the Family
// page, open the child's account (a banner says whose record it is), create the child's keys
// with the guardian's own password, add a document to the child's record, and go back to their
// own record — where the child now shows as having keys.
import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { KEY_PASSPHRASE, expectAccessible, newAbhaNumber, newPatientAccount, screenshot, signInWithNewKeys, watchConsole } from "./platform";

test("a parent adds a child, keeps the child's record with the child's own keys, and goes back", async ({ page }) => {
  test.setTimeout(240_000);
  const problems = watchConsole(page);
  const parent = await newPatientAccount("Sunita Devi");
  await signInWithNewKeys(page, parent);

  // Add the child: a bad number is refused by name and adds nothing.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Family" }).click();
  const section = page.getByRole("region", { name: "Children you look after" });
  await expect(section.getByText("You have not added a child.")).toBeVisible();
  await section.getByLabel("Child's name").fill("Aarav Kumar");
  await section.getByLabel("Child's ABHA number").fill("12-3456");
  await section.getByRole("button", { name: "Add child" }).click();
  await expect(section.getByRole("alert")).toContainText(/ABHA number/i);
  await expect(section.getByText("You have not added a child.")).toBeVisible();
  await section.getByLabel("Child's ABHA number").fill(newAbhaNumber());
  await section.getByRole("button", { name: "Add child" }).click();
  await expect(section.getByText("Aarav Kumar is added.")).toBeVisible();
  const children = section.getByRole("list", { name: "Children you look after" }).getByRole("listitem");
  await expect(children).toHaveCount(1);
  await expect(children.first()).toContainText("No keys yet");
  await expectAccessible(page);
  await screenshot(page, "guardians-children");

  // Into the child's account: the banner, and keys to create for the child.
  await page.getByRole("button", { name: "Open record: Aarav Kumar" }).click();
  const banner = page.getByRole("region", { name: "Guardian" });
  await expect(banner).toContainText("You are managing Aarav Kumar's record as their guardian.");
  await page.getByLabel("Key passphrase (12 characters or more)").fill(KEY_PASSPHRASE);
  await page.getByLabel("Key passphrase again").fill(KEY_PASSPHRASE);
  await page.getByRole("button", { name: "Create keys" }).click();
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Download recovery kit" }).click();
  const kit = JSON.parse(await readFile((await (await download).path()) ?? "", "utf8")) as { x25519_public: string };
  expect(kit.x25519_public).toMatch(/^[0-9a-f]{64}$/);
  await page.getByLabel("I have saved my recovery kit").check();
  await page.getByLabel("I have written down the 24 words").check();
  await page.getByLabel("Your account password").fill(parent.password);
  await page.getByRole("button", { name: "Add keys to my account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Documents" })).toBeVisible();

  // A document into the child's record, sealed to the child's keys in this browser.
  await page.getByLabel("Type of document", { exact: true }).selectOption({ label: "Immunization record" });
  await page.getByLabel("Date of care").fill("2026-03-01");
  await page.getByLabel("Files to add").setInputFiles({ name: "mmr.txt", mimeType: "text/plain", buffer: Buffer.from("MMR 1st dose") });
  const row = page.getByRole("list", { name: "Files being added" }).getByRole("listitem").filter({ hasText: "mmr.txt" });
  await expect(row.getByRole("link", { name: "Open it" })).toBeVisible();
  await expect(banner).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "guardians-child-record");

  // The child's account page has no devices or sign-in settings of its own.
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Account" })).toBeVisible();
  await expect(page.getByRole("heading", { name: /devices/i })).toHaveCount(0);

  // Back to the parent's own record: their keys unlock again, the child now has keys.
  await banner.getByRole("button", { name: "Back to my own record" }).click();
  await page.getByLabel("Key passphrase", { exact: true }).fill(KEY_PASSPHRASE);
  await page.getByRole("button", { name: "Unlock" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Documents" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Guardian" })).toHaveCount(0);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Family" }).click();
  await expect(children.first()).toContainText("Aarav Kumar");
  await expect(children.first()).not.toContainText("No keys yet");
  expect(problems).toEqual([]);
});
