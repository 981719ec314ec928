// The verify page, signed out: a document and its proof bundle checked in the browser and on
// chain through the RPC endpoint; a changed file, an altered proof and a proof naming another
// contract are refused with plain messages.
import { expect, test, type Page } from "@playwright/test";
import { anchoredDocumentWithProof, expectAccessible, screenshot, watchConsole } from "./platform";

const REPORT = "HbA1c 5.6 %\nFasting glucose 92 mg/dL\n";

async function check(page: Page, doc: Buffer, proof: string): Promise<void> {
  await page.getByLabel("Document file").setInputFiles({ name: "report.txt", mimeType: "text/plain", buffer: doc });
  await page.getByLabel("Proof file").setInputFiles({ name: "report.proof.json", mimeType: "application/json", buffer: Buffer.from(proof) });
  await page.getByRole("button", { name: "Verify" }).click();
}

test("a document and its proof verify on chain; a changed file, an altered proof, another contract do not", async ({ page }) => {
  const problems = watchConsole(page);
  const { text: proof, bundle } = await anchoredDocumentWithProof(page, REPORT);
  expect(bundle.format).toBe("pramana-proof");

  // Signed out: the page still works, and says what it trusts and how it checks.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.goto("/verify");
  await expect(page.getByRole("heading", { level: 1, name: "Verify a document" })).toBeVisible();
  await expect(page.getByText("not through Pramana's servers")).toBeVisible();
  await expect(page.getByText(bundle.anchor.contract)).toBeVisible();
  // The platform pins its contract in /pramana-chain.json, which the page reads first.
  await expect(page.getByText("Pinned by this site's deployment file (pramana-chain.json).")).toBeVisible();
  const pinned = (await (await page.request.get("/pramana-chain.json")).json()) as { chain_id: number; contract_address: string };
  expect(pinned).toMatchObject({ chain_id: bundle.anchor.chain_id, contract_address: bundle.anchor.contract });

  await check(page, Buffer.from(REPORT), proof);
  const ok = page.getByRole("status").filter({ hasText: "Verified" });
  await expect(ok).toContainText("Verified: this is the recorded document.");
  await expect(ok).toContainText(`block ${bundle.anchor.block_number}`);
  await expectAccessible(page);
  await screenshot(page, "verify");

  // One character changed in the file.
  await check(page, Buffer.from(REPORT.replace("5.6", "5.9")), proof);
  await expect(page.getByRole("alert")).toContainText("Does not match.");

  // The proof's root altered.
  const altered = structuredClone(bundle);
  const root: string = altered.merkle.root;
  altered.merkle.root = root.slice(0, -1) + (root.endsWith("0") ? "1" : "0");
  await check(page, Buffer.from(REPORT), JSON.stringify(altered));
  await expect(page.getByRole("alert")).toContainText("The proof was altered or is damaged.");

  // A proof naming another contract is not taken at its word.
  const elsewhere = structuredClone(bundle);
  elsewhere.anchor.contract = "0x000000000000000000000000000000000000dEaD";
  await check(page, Buffer.from(REPORT), JSON.stringify(elsewhere));
  await expect(page.getByRole("alert")).toContainText("the proof names another contract");

  // Not a proof at all.
  await check(page, Buffer.from(REPORT), "{not json");
  await expect(page.getByRole("alert")).toContainText("The proof file is not readable");
  // JSON, but not a proof.
  await check(page, Buffer.from(REPORT), JSON.stringify({ hello: "world" }));
  await expect(page.getByRole("alert")).toContainText("This is not a proof file.");
  expect(problems).toEqual([]);
});
