// The auditor console (/auditor) in the browser: an auditor signs in, the consents' histories are
// rebuilt from the ConsentRegistry's events through the RPC endpoint, and compared with the
// platform's records. The discrepancy is made on purpose as an outsider would: a key the platform
// does not know signs a grant, and anyone relays it to the contract (here Anvil's last
// well-known test account), so the chain holds an active consent the platform never signed; a
// second grant of that key is revoked on chain. CSV export downloads the rows; an endpoint that
// is down or answers for another chain is refused plainly with the table left as it was. Hindi,
// axe, desktop and phone size.
import { expect, test } from "@playwright/test";
import { readFileSync } from "node:fs";
import { createPublicClient, createWalletClient, getAddress, http, keccak256, toHex, type Abi, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { domain, sign } from "../src/crypto/eip712";
import { ADMIN_PASSWORD, RPC_URL, apiCall, expectAccessible, loginAs, screenshot, watchConsole } from "./platform";

const registryAbi = (JSON.parse(readFileSync(new URL("../../abi/ConsentRegistry.json", import.meta.url), "utf8")) as { abi: Abi }).abi;
// Anvil's tenth default account (a published test key): pays for the relayed transactions, so
// the platform's own relayer (the first account) keeps its nonces.
const RELAYER_KEY: Hex = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";

/** Grants (and optionally revokes) a consent on chain signed by `patientKey`, relayed from Node. */
async function onChain(chainId: number, contract: Hex, patientKey: Hex, revoke: boolean): Promise<string> {
  const chain = { id: chainId, name: "test", nativeCurrency: { name: "ETH", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [RPC_URL] } } };
  const pub = createPublicClient({ chain, transport: http(RPC_URL) });
  const wallet = createWalletClient({ chain, account: privateKeyToAccount(RELAYER_KEY), transport: http(RPC_URL) });
  const patient = privateKeyToAccount(patientKey).address;
  const consentId = keccak256(toHex(`auditor-e2e-${patient}-${revoke}`));
  const grantee = getAddress(privateKeyToAccount(generatePrivateKey()).address);
  const scopeHash = keccak256(toHex("scope"));
  const now = BigInt(Math.floor(Date.now() / 1000));
  const d = domain(chainId, contract);
  const split = (sig: Hex) => [`0x${sig.slice(2, 66)}`, `0x${sig.slice(66, 130)}`] as [Hex, Hex];
  const nonce = async () => (await pub.readContract({ address: contract, abi: registryAbi, functionName: "nonces", args: [patient] })) as bigint;
  const grant = { consentId, patient, grantee, scopeHash, validFrom: now - 60n, validUntil: now + 86_400n * 30n, nonce: await nonce(), deadline: now + 3600n };
  const [r, vs] = split(await sign(patientKey, d, { primaryType: "Grant", message: grant }));
  let tx = await wallet.writeContract({ address: contract, abi: registryAbi, functionName: "grantConsent", args: [{ ...grant, signatureR: r, signatureVs: vs }] });
  expect((await pub.waitForTransactionReceipt({ hash: tx })).status).toBe("success");
  if (revoke) {
    const message = { consentId, patient, nonce: await nonce(), deadline: now + 3600n };
    const [rr, rvs] = split(await sign(patientKey, d, { primaryType: "Revoke", message }));
    tx = await wallet.writeContract({
      address: contract,
      abi: registryAbi,
      functionName: "revokeConsent",
      args: [{ consentId, patient, grantee, scopeHash, nonce: message.nonce, deadline: message.deadline, signatureR: rr, signatureVs: rvs }],
    });
    expect((await pub.waitForTransactionReceipt({ hash: tx })).status).toBe("success");
  }
  return consentId;
}

test("the auditor reads every consent's history from the chain and finds the one the platform never signed", async ({ page }) => {
  test.setTimeout(240_000);
  const problems = watchConsole(page);
  const admin = await loginAs("admin", ADMIN_PASSWORD);
  const username = `audit.e2e${Date.now() % 1_000_000}`;
  const { password } = await apiCall<{ password: string }>("POST", "/v1/admin/auditors", { username, name: "Meera Iyer" }, admin);
  const pinned = await apiCall<{ chain_id: number; contract_address: Hex }>("GET", "/v1/chain");
  const stranger = generatePrivateKey();
  const active = await onChain(pinned.chain_id, pinned.contract_address, stranger, false);
  const revoked = await onChain(pinned.chain_id, pinned.contract_address, stranger, true);

  await page.goto("/auditor");
  await expect(page.getByRole("heading", { level: 1, name: "Auditor sign-in" })).toBeVisible();
  await expectAccessible(page);
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("Password").press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: "Consent audit" })).toBeVisible();
  const rpc = page.getByLabel("RPC endpoint");
  if ((await rpc.inputValue()) === "") await rpc.fill(RPC_URL);
  const rpcUrl = await rpc.inputValue();
  await page.getByRole("button", { name: "Read the chain and compare" }).click();

  // The histories, from the events: the granted consent active, the other revoked (with its block).
  const history = page.getByRole("region", { name: /^Consent histories from the chain/ });
  await expect(history.locator(`tr[data-consent="${active}"]`)).toHaveAttribute("data-status", "active");
  await expect(history.locator(`tr[data-consent="${revoked}"]`)).toHaveAttribute("data-status", "revoked");
  await expect(history.locator(`tr[data-consent="${revoked}"] td`).last()).toHaveText(/^\d+$/);
  // The discrepancy: active on chain, unknown to the platform; the revoked one is none.
  const table = page.getByRole("region", { name: "Discrepancies" });
  await expect(table.locator(`tr[data-kind="unknown_to_platform"]`).filter({ hasText: active })).toHaveCount(1);
  await expect(table.locator("tr").filter({ hasText: revoked })).toHaveCount(0);
  await expectAccessible(page);
  await screenshot(page, "auditor-console");

  // Filter by text and by kind; then export what is shown.
  await page.getByLabel("Search", { exact: true }).fill(active.slice(2, 14).toUpperCase());
  await expect(table.locator("tbody tr")).toHaveCount(1);
  await page.getByLabel("Kind").selectOption({ label: "Records differ" });
  await expect(page.getByText(/^0 of \d+ shown/)).toBeVisible();
  await page.getByLabel("Kind").selectOption({ label: "Unknown to the platform" });
  const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export as CSV" }).click()]);
  expect(download.suggestedFilename()).toBe("pramana-discrepancies.csv");
  const csv = readFileSync((await download.path())!, "utf8").trimEnd().split("\r\n");
  expect(csv[0]).toBe("kind,consent_id,platform_id,detail");
  expect(csv.slice(1)).toEqual([`unknown_to_platform,${active},,chain active; the platform has no such signed consent`]);

  // Every history is reachable: filtered by status or by any id, and exported.
  await page.getByLabel("Status now").selectOption({ label: "revoked" });
  await expect(history.locator(`tr[data-consent="${revoked}"]`)).toHaveCount(1);
  await expect(history.locator(`tr[data-consent="${active}"]`)).toHaveCount(0);
  await expect(history.locator('tbody tr:not([data-status="revoked"])')).toHaveCount(0);
  await page.getByLabel("Status now").selectOption({ label: "Every status" });
  await page.getByLabel("Search the histories").fill(revoked.slice(2, 14).toUpperCase());
  await expect(history.locator("tbody tr")).toHaveCount(1);
  const [histories] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Export these as CSV" }).click()]);
  expect(histories.suggestedFilename()).toBe("pramana-consent-histories.csv");
  const rows = readFileSync((await histories.path())!, "utf8").trimEnd().split("\r\n");
  expect(rows[0]).toBe("consent_id,status,patient,grantee,scope_hash,valid_from,valid_until,granted_block,granted_tx,revoked_block,revoked_tx");
  expect(rows).toHaveLength(2);
  expect(rows[1]).toMatch(new RegExp(`^${revoked},revoked,.*,\\d+,0x[0-9a-f]{64}$`));
  await page.getByLabel("Search the histories").fill("");

  // An endpoint that answers for another chain, then one that is down: refused plainly, and the
  // results already shown stay as they were.
  await page.route(`${rpcUrl.replace(/\/$/, "")}/**`, async (route) => {
    const body = JSON.parse(route.request().postData() ?? "{}") as { id: number } | { id: number }[];
    const answer = (m: { id: number }) => ({ jsonrpc: "2.0", id: m.id, result: "0x1" });
    await route.fulfill({ contentType: "application/json", body: JSON.stringify(Array.isArray(body) ? body.map(answer) : answer(body)) });
  });
  await page.getByRole("button", { name: "Read the chain and compare" }).click();
  await expect(page.getByRole("alert")).toContainText(`The RPC endpoint is on chain 1, not on chain ${pinned.chain_id} this site pins.`);
  await expect(table.locator(`tr[data-kind="unknown_to_platform"]`)).toHaveCount(1);
  await expectAccessible(page);
  await screenshot(page, "auditor-wrong-chain");
  await page.unroute(`${rpcUrl.replace(/\/$/, "")}/**`);
  await page.route(`${rpcUrl.replace(/\/$/, "")}/**`, (route) => route.abort("connectionrefused"));
  await page.getByRole("button", { name: "Read the chain and compare" }).click();
  await expect(page.getByRole("alert")).toContainText("did not answer. Nothing was read");
  await expect(history.locator(`tr[data-consent="${active}"]`)).toHaveCount(1);
  await page.unroute(`${rpcUrl.replace(/\/$/, "")}/**`);

  // The access log, checked here against its heads and the chain.
  await page.getByRole("button", { name: "Check the access log" }).click();
  await expect(page.getByText(/^\d+ entries, \d+ heads \(\d+ anchored on chain\); verified up to tree size \d+\.$/)).toBeVisible({ timeout: 60_000 });
  await expect(page.getByText("Verified: every entry fits every head anchored on chain.")).toBeVisible();
  await expectAccessible(page);

  // Hindi.
  await page.getByLabel("Language").selectOption("hi");
  await expect(page.getByRole("heading", { level: 1, name: "सहमति ऑडिट" })).toBeVisible();
  await expect(page.getByRole("button", { name: "चेन पढ़ें और तुलना करें" })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "auditor-console-hi");
  await page.getByLabel(/भाषा|Language/).selectOption("en");

  // Proof checks are the verify page's.
  await page.getByRole("link", { name: "Open the verify page" }).click();
  await expect(page).toHaveURL(/\/verify$/);
  expect(problems).toEqual([]);
});
