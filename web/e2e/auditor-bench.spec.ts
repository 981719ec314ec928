// Benchmark, not a test (skipped unless PRAMANA_BENCH_AUDIT is set; scripts/bench/auditor.sh):
// the auditor console's reconciliation over N consents on Anvil, next to `pramana audit` on the
// same data in the same run. The N consents are granted on chain from Node (each by its own
// patient key, 100 to a `grantConsents` transaction, relayed by an Anvil test account), so the
// platform holds none of them: every one is read, asked its status and reported "unknown to the
// platform" by both. Times in the page are from the click to the first row of the table and to
// the last (`performance` marks the console sets).
import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createPublicClient, createWalletClient, getAddress, http, keccak256, toHex, type Abi, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { domain, sign } from "../src/crypto/eip712";
import { ADMIN_PASSWORD, BASE, RPC_URL, apiCall, loginAs } from "./platform";

const N = Number(process.env.PRAMANA_BENCH_AUDIT ?? 0);
test.skip(!N, "a benchmark: run scripts/bench/auditor.sh");
test.setTimeout(3_600_000);

const registryAbi = (JSON.parse(readFileSync(new URL("../../abi/ConsentRegistry.json", import.meta.url), "utf8")) as { abi: Abi }).abi;
const RELAYER_KEY: Hex = "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6";

test("reconciliation over N consents: the console in Chromium and pramana audit", async ({ page }) => {
  const pinned = await apiCall<{ chain_id: number; contract_address: Hex }>("GET", "/v1/chain");
  const contract = pinned.contract_address;
  const chain = { id: pinned.chain_id, name: "test", nativeCurrency: { name: "ETH", symbol: "ETH", decimals: 18 }, rpcUrls: { default: { http: [RPC_URL] } } };
  const pub = createPublicClient({ chain, transport: http(RPC_URL) });
  const wallet = createWalletClient({ chain, account: privateKeyToAccount(RELAYER_KEY), transport: http(RPC_URL) });
  const d = domain(pinned.chain_id, contract);
  const now = BigInt(Math.floor(Date.now() / 1000));
  const grantee = getAddress(privateKeyToAccount(generatePrivateKey()).address);
  const seedStart = Date.now();
  for (let done = 0; done < N; done += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, N - done) }, async (_, i) => {
        const key = generatePrivateKey();
        const patient = privateKeyToAccount(key).address;
        const g = { consentId: keccak256(toHex(`bench-${done + i}-${patient}`)), patient, grantee, scopeHash: keccak256(toHex("scope")), validFrom: now - 60n, validUntil: now + 86_400n * 365n, nonce: 0n, deadline: now + 7200n };
        const sig = await sign(key, d, { primaryType: "Grant", message: g });
        return { ...g, signatureR: `0x${sig.slice(2, 66)}` as Hex, signatureVs: `0x${sig.slice(66, 130)}` as Hex };
      }),
    );
    const tx = await wallet.writeContract({ address: contract, abi: registryAbi, functionName: "grantConsents", args: [batch] });
    expect((await pub.waitForTransactionReceipt({ hash: tx })).status).toBe("success");
  }
  const seedSeconds = (Date.now() - seedStart) / 1000;

  const admin = await loginAs("admin", ADMIN_PASSWORD);
  const username = `audit.bench${Date.now() % 1_000_000}`;
  const { password } = await apiCall<{ password: string }>("POST", "/v1/admin/auditors", { username, name: "Bench Auditor" }, admin);
  const token = await loginAs(username, password);

  // The console, in Chromium.
  await page.goto("/auditor");
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.getByLabel("Password").press("Enter");
  await expect(page.getByRole("heading", { level: 1, name: "Consent audit" })).toBeVisible();
  const rpc = page.getByLabel("RPC endpoint");
  if ((await rpc.inputValue()) === "") await rpc.fill(RPC_URL);
  await page.evaluate(() => performance.clearMarks());
  const t0 = await page.evaluate(() => performance.now());
  await page.getByRole("button", { name: "Read the chain and compare" }).click();
  await page.waitForFunction(() => performance.getEntriesByName("audit-done").length > 0, undefined, { timeout: 3_600_000, polling: 200 });
  const marks = await page.evaluate(() => ({
    first: performance.getEntriesByName("audit-first-row")[0]?.startTime ?? NaN,
    done: performance.getEntriesByName("audit-done")[0]?.startTime ?? NaN,
  }));
  const rows = await page.getByRole("region", { name: "Discrepancies" }).locator("tbody tr").count();
  expect(rows).toBeGreaterThanOrEqual(N);

  // `pramana audit` on the same data, in the same run.
  const bin = `${process.env.CARGO_TARGET_DIR ?? "../target"}/debug/pramana`;
  const c0 = Date.now();
  let out = "";
  try {
    out = execFileSync(bin, ["--api", BASE, "--json", "audit", "--rpc", RPC_URL, "--contract", contract, "--token", token], { maxBuffer: 1 << 30, encoding: "utf8" });
  } catch (e) {
    // Exit status 1: discrepancies found (all of them, here).
    out = String((e as { stdout?: string }).stdout ?? "");
  }
  const cliSeconds = (Date.now() - c0) / 1000;
  const report = JSON.parse(out) as { discrepancies: unknown[]; on_chain: number };
  expect(report.discrepancies.length).toBe(rows);

  const result = {
    consents_seeded: N,
    on_chain: report.on_chain,
    discrepancies: rows,
    seed_seconds: seedSeconds,
    console_first_row_seconds: (marks.first - t0) / 1000,
    console_full_table_seconds: (marks.done - t0) / 1000,
    cli_seconds: cliSeconds,
  };
  mkdirSync("e2e-results", { recursive: true });
  writeFileSync("e2e-results/auditor-bench.json", JSON.stringify(result, null, 2));
  console.log(JSON.stringify(result));
});
