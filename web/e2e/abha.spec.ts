// ABHA ownership: a registered number is only claimed until staff at a hospital desk check the
// card and enter the code the patient's screen shows. The page turns to "Verified" by itself.
import { expect, test } from "@playwright/test";
import {
  apiCall,
  expectAccessible,
  newHospital,
  newPatientAccount,
  screenshot,
  signInWithNewKeys,
  verifyAtDesk,
  watchConsole,
} from "./platform";

test("a patient shows a desk code and the page turns to verified once staff enter it", async ({ page }) => {
  const problems = watchConsole(page);
  const patient = await newPatientAccount("Asha Kumari", { claimedOnly: true });
  await signInWithNewKeys(page, patient);

  // Where hospitals' requests arrive, the patient learns why none can arrive yet.
  await page.getByRole("link", { name: "Consents", exact: true }).click();
  await expect(page.getByText("Hospitals cannot send you requests until your ABHA number is verified")).toBeVisible();
  await page.getByRole("link", { name: "ABHA number", exact: true }).click();

  const section = page.getByRole("region", { name: "ABHA number" });
  await expect(section.getByText("Claimed, not verified")).toBeVisible();
  await section.getByRole("button", { name: "Show a code for the hospital desk" }).click();
  const code = (await section.getByTestId("abha-code").textContent()) ?? "";
  expect(code).toMatch(/^\d{4}-\d{4}$/);
  await expectAccessible(page);
  await screenshot(page, "abha-code");

  // Staff type a wrong code first: nothing changes.
  const desk = await newHospital("Lotus Clinic");
  await expect(verifyAtDesk(patient.abha, "0000-0000", desk)).rejects.toThrow(/abha_code_invalid/);
  await verifyAtDesk(patient.abha, code, desk);
  await expect(section.getByText("Verified", { exact: true })).toBeVisible({ timeout: 15_000 });
  await expect(section.getByText(/Verified in person at Lotus Clinic/)).toBeVisible();
  await expect(section.getByRole("button", { name: /code/ })).toHaveCount(0);
  await screenshot(page, "abha-verified");

  await page.getByRole("link", { name: "Consents", exact: true }).click();
  await expect(page.getByText("Hospitals cannot send you requests")).toHaveCount(0);
  expect(problems).toEqual([]);
});

test("an account whose number another account verified is told, and keeps its sign-in", async ({ page }) => {
  const problems = watchConsole(page);
  const squatter = await newPatientAccount("Not Asha", { claimedOnly: true });
  // The real owner registers the same number and has it verified at a desk.
  const password = "the owner's password";
  await apiCall("POST", "/v1/auth/register", { abha_number: squatter.abha, abha_addresses: [], name: "Asha", password });
  const owner = (await apiCall<{ access_token: string }>("POST", "/v1/auth/login", { login: squatter.abha, password })).access_token;
  const { code } = await apiCall<{ code: string }>("POST", "/v1/patients/me/abha-verification-code", undefined, owner);
  await verifyAtDesk(squatter.abha, code);

  await signInWithNewKeys(page, squatter);
  await page.getByRole("link", { name: "Account", exact: true }).click();
  const section = page.getByRole("region", { name: "ABHA number" });
  await expect(section.getByText("Verified for another account", { exact: true })).toBeVisible();
  await expect(section.getByText(/this ABHA number was verified for another account/)).toBeVisible();
  await expect(section.getByRole("button")).toHaveCount(0);
  await expectAccessible(page);
  await screenshot(page, "abha-displaced");
  expect(problems).toEqual([]);
});
