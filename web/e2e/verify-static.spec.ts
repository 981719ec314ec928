// The verify page with the platform's API switched off: the built portal (dist/) served by a
// plain static file server started here, with only a pramana-chain.json next to index.html and
// no /v1 at all, verifies a real document's file and proof against the test chain's Anvil. The
// bad cases (wrong file, foreign proof, an endpoint that is down or on another chain, no
// deployment file) get plain messages, and no request goes anywhere but the static host and
// the RPC endpoint.
import { expect, test, type Page } from "@playwright/test";
import { readFile, stat } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize, resolve } from "node:path";
import { BASE, RPC_URL, anchoredDocumentWithProof, expectAccessible, screenshot, watchConsole, type DownloadedProof } from "./platform";

const REPORT = "Lipid profile\nLDL 96 mg/dL\nHDL 52 mg/dL\n";
const DIST = resolve("dist");
const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".map": "application/json",
};

/** What the static host serves as /pramana-chain.json; `null` serves none (the SPA fallback). */
let chainFile: unknown = null;

/** A static host as a hospital might run one: files, index.html for any other path, nothing else. */
function staticHost(): Server {
  return createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    void (async () => {
      if (path === "/pramana-chain.json" && chainFile !== null) {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(chainFile));
        return;
      }
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405).end();
        return;
      }
      const file = normalize(join(DIST, path));
      const found = file.startsWith(DIST + "/") && (await stat(file).catch(() => null))?.isFile();
      const served = found ? file : join(DIST, "index.html");
      res.writeHead(200, { "content-type": TYPES[extname(served)] ?? "application/octet-stream" });
      res.end(await readFile(served));
    })();
  });
}

/** A JSON-RPC endpoint of another chain (chain id 1): it answers, but for the wrong chain. */
function otherChainRpc(): Server {
  const cors = { "access-control-allow-origin": "*", "access-control-allow-headers": "content-type" };
  return createServer((req, res) => {
    if (req.method === "OPTIONS") {
      res.writeHead(204, cors).end(); // the browser's CORS preflight
      return;
    }
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const answer = (m: { id: number; method: string }) => ({ jsonrpc: "2.0", id: m.id, result: m.method === "eth_chainId" ? "0x1" : "0x" });
      const msg = JSON.parse(body) as { id: number; method: string } | { id: number; method: string }[];
      res.writeHead(200, { "content-type": "application/json", ...cors });
      res.end(JSON.stringify(Array.isArray(msg) ? msg.map(answer) : answer(msg)));
    });
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port nothing listens on: an RPC endpoint that is down. */
async function closedPort(): Promise<string> {
  const s = createServer();
  const url = await listen(s);
  await new Promise<void>((ok) => s.close(() => ok()));
  return url;
}

async function check(page: Page, doc: string, proof: string): Promise<void> {
  await page.getByLabel("Document file").setInputFiles({ name: "report.txt", mimeType: "text/plain", buffer: Buffer.from(doc) });
  await page.getByLabel("Proof file").setInputFiles({ name: "report.proof.json", mimeType: "application/json", buffer: Buffer.from(proof) });
  await page.getByRole("button", { name: "Verify", exact: true }).click();
}

let host: Server;
let other: Server;
let origin = "";
let otherRpc = "";
let doc: DownloadedProof;

test.beforeAll(async ({ browser }) => {
  host = staticHost();
  other = otherChainRpc();
  origin = await listen(host);
  otherRpc = await listen(other);
  // The document and its proof come from the platform, as a patient would hand them over.
  const page = await browser.newPage({ baseURL: BASE, acceptDownloads: true });
  doc = await anchoredDocumentWithProof(page, REPORT);
  await page.close();
});

test.afterAll(async () => {
  await new Promise<void>((ok) => host.close(() => ok()));
  await new Promise<void>((ok) => other.close(() => ok()));
});

test("verifies with only the static page and the RPC endpoint; bad cases get plain messages", async ({ page }) => {
  const problems = watchConsole(page);
  // Every request goes to the static host or to an RPC endpoint the page was given.
  const down = await closedPort();
  const allowed = new Set([origin, new URL(RPC_URL).origin, otherRpc, down]);
  const elsewhere: string[] = [];
  page.on("request", (r) => {
    if (!r.url().startsWith("data:") && !allowed.has(new URL(r.url()).origin)) elsewhere.push(r.url());
  });
  const pinned = { chain_id: doc.bundle.anchor.chain_id, contract_address: doc.bundle.anchor.contract };
  chainFile = { ...pinned, public_rpc_url: RPC_URL };

  await page.goto(`${origin}/verify`);
  await expect(page.getByRole("heading", { level: 1, name: "Verify a document" })).toBeVisible();
  await expect(page.getByText("Pinned by this site's deployment file (pramana-chain.json).")).toBeVisible();
  await expect(page.getByText(doc.bundle.anchor.contract)).toBeVisible();
  await expect(page.getByRole("heading", { name: "What a match proves, and what it does not" })).toBeVisible();
  await expect(page.getByText("that the patient consented to share it with you;")).toBeVisible();

  await check(page, REPORT, doc.text);
  const ok = page.getByRole("status").filter({ hasText: "Verified" });
  await expect(ok).toContainText("Verified: this is the recorded document.");
  await expect(ok).toContainText(`block ${doc.bundle.anchor.block_number}`);
  await expectAccessible(page);
  await screenshot(page, "verify-static");

  // A file that is not the document.
  await check(page, REPORT.replace("96", "69"), doc.text);
  await expect(page.getByRole("alert")).toContainText("Does not match.");

  // A foreign proof: another chain than the one pinned.
  const foreign = JSON.parse(doc.text) as DownloadedProof["bundle"];
  foreign.anchor.chain_id = 137;
  await check(page, REPORT, JSON.stringify(foreign));
  await expect(page.getByRole("alert")).toContainText("the proof is for another blockchain");

  // Not a proof, and not JSON at all.
  await check(page, REPORT, JSON.stringify({ chain_id: 1 }));
  await expect(page.getByRole("alert")).toContainText("This is not a proof file.");
  await check(page, REPORT, "{not json");
  await expect(page.getByRole("alert")).toContainText("The proof file is not readable");

  // The endpoint is down.
  chainFile = { ...pinned, public_rpc_url: down };
  await page.reload();
  await check(page, REPORT, doc.text);
  await expect(page.getByRole("alert")).toContainText("The blockchain could not be reached.");
  await expect(page.getByRole("alert")).toContainText(down);

  // The endpoint answers for another chain.
  chainFile = { ...pinned, public_rpc_url: otherRpc };
  await page.reload();
  await check(page, REPORT, doc.text);
  await expect(page.getByRole("alert")).toContainText("The endpoint is on the wrong blockchain.");

  // The deployment file pins another chain id than the proof's.
  chainFile = { ...pinned, chain_id: 5, public_rpc_url: RPC_URL };
  await page.reload();
  await check(page, REPORT, doc.text);
  await expect(page.getByRole("alert")).toContainText(`The proof names chain ${doc.bundle.anchor.chain_id}`);

  // Another endpoint typed in place of the one that is down: verifies again.
  chainFile = { ...pinned, public_rpc_url: down };
  await page.reload();
  await page.getByText("Use another endpoint").click();
  await page.getByLabel("RPC endpoint").fill(RPC_URL);
  await page.getByRole("button", { name: "Use these" }).click();
  await expect(page.getByText("the endpoint is the one you typed")).toBeVisible();
  await check(page, REPORT, doc.text);
  await expect(page.getByRole("status").filter({ hasText: "Verified" })).toContainText("Verified: this is the recorded document.");
  expect(elsewhere).toEqual([]);
  expect(problems).toEqual([]);
});

test("with no deployment file the visitor names the chain, in English or Hindi", async ({ page }) => {
  const problems = watchConsole(page);
  chainFile = null;
  await page.goto(`${origin}/verify`);
  await expect(page.getByText("This site does not say which blockchain it records documents on.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Verify", exact: true })).toBeDisabled();

  // Wrong values are named, nothing is used.
  await page.getByLabel("RPC endpoint").fill("rpc.example.org");
  await page.getByLabel("Chain id").fill("x");
  await page.getByLabel("Contract address").fill("0x1234");
  await page.getByRole("button", { name: "Use these" }).click();
  await expect(page.getByText("Enter an address starting with http:// or https://.")).toBeVisible();
  await expect(page.getByText("Enter the chain id, a whole number such as 137.")).toBeVisible();
  await expect(page.getByText("Enter the contract address: 0x and 40 hexadecimal digits.")).toBeVisible();
  await expectAccessible(page);

  await page.getByLabel("RPC endpoint").fill(RPC_URL);
  await page.getByLabel("Chain id").fill(String(doc.bundle.anchor.chain_id));
  await page.getByLabel("Contract address").fill(doc.bundle.anchor.contract);
  await page.getByRole("button", { name: "Use these" }).click();
  await expect(page.getByText("Typed by you.")).toBeVisible();
  await check(page, REPORT, doc.text);
  await expect(page.getByRole("status").filter({ hasText: "Verified" })).toContainText(`block ${doc.bundle.anchor.block_number}`);

  // The same page in Hindi.
  await page.getByLabel("Language").selectOption("hi");
  await expect(page.getByRole("heading", { level: 1, name: "दस्तावेज़ सत्यापित करें" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "मिलान क्या सिद्ध करता है, और क्या नहीं" })).toBeVisible();
  await expectAccessible(page);
  await screenshot(page, "verify-static-hi");
  await page.getByLabel("भाषा").selectOption("en");
  expect(problems).toEqual([]);
});
