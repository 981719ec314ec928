// The page's file helpers (kind from the first bytes, names, Blob collection) and the verify
// outcomes: those decided before the chain is asked (a changed file, an altered bundle, another
// contract or chain), and those of an endpoint that is down, on the wrong chain or without the
// contract (a stub JSON-RPC server here). A real chain answers in the browser tests
// (e2e/verify.spec.ts, e2e/verify-static.spec.ts).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fromHex, toHex } from "../src/crypto/bytes";
import { documentLeaf } from "../src/crypto/commitment";
import { sha256 } from "../src/crypto/hash";
import type { ProofBundle } from "../src/crypto/proof";
import { formatDay } from "../src/lib/dates";
import { collectToBlob, fileName, sniff, uuidBytes } from "../src/lib/files";
import { verifyDocument } from "../src/lib/verify";

const blob = (...bytes: number[]) => new Blob([new Uint8Array(bytes)]);

/** A proof bundle for `document` alone (a one-leaf tree) at block 7 of chain 31337. */
async function oneLeafBundle(document: Uint8Array, salt: string, contract: string): Promise<ProofBundle> {
  const sha = `0x${toHex(await sha256(document))}`;
  const leaf = `0x${toHex(await documentLeaf(fromHex(salt), fromHex(sha)))}`;
  return {
    format: "pramana-proof",
    version: 1,
    document_id: "5b0b7d0e-2a63-4a5c-8f7e-3a7f2f4f9b10",
    leaf: { sha256: sha, salt, leaf },
    merkle: { root: leaf, leaf_index: 0, leaf_count: 1, proof: [] },
    anchor: { chain_id: 31337, contract, tx_hash: salt, block_number: 7, block_hash: salt, block_timestamp: 1 },
  };
}

describe("files", () => {
  it("tells PDF, images, text and other files apart", async () => {
    expect((await sniff(new Blob(["%PDF-1.4\n"]))).kind).toBe("pdf");
    expect((await sniff(blob(0x89, 0x50, 0x4e, 0x47, 13, 10))).mime).toBe("image/png");
    expect((await sniff(blob(0xff, 0xd8, 0xff, 0xe0))).mime).toBe("image/jpeg");
    expect((await sniff(new Blob(["नमस्ते, plain text\n"]))).kind).toBe("text");
    expect((await sniff(blob(1, 2, 0, 4))).kind).toBe("other");
    expect((await sniff(blob(0xc3, 0x28))).kind).toBe("other"); // not UTF-8
    expect((await sniff(new Blob([]))).kind).toBe("other");
  });

  it("accepts a multi-byte character cut at the end of the sample", async () => {
    const text = "अ".repeat(2000); // 3 bytes each: the 4096-byte sample ends mid-character
    expect((await sniff(new Blob([text]))).kind).toBe("text");
  });

  it("names a decrypted document by type and care date", () => {
    expect(fileName({ hi_type: "DischargeSummary", care_date: "2025-01-15" }, "pdf")).toBe("discharge-summary-2025-01-15.pdf");
    expect(fileName({ hi_type: "OPConsultation", care_date: "2025-01-15" }, "txt")).toBe("opconsultation-2025-01-15.txt");
  });

  it("collects a stream into a Blob in order", async () => {
    const parts = [new Uint8Array(3 << 20).fill(1), new Uint8Array(3 << 20).fill(2), new Uint8Array([3])];
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const p of parts) c.enqueue(p);
        c.close();
      },
    });
    const out = new Uint8Array(await (await collectToBlob(stream)).arrayBuffer());
    expect(out.length).toBe((6 << 20) + 1);
    expect([out[0], out[(3 << 20) - 1], out[3 << 20], out[6 << 20]]).toEqual([1, 1, 2, 3]);
  });

  it("reads a UUID's bytes and formats calendar days in any time zone", () => {
    expect(toHex(uuidBytes("5b0b7d0e-2a63-4a5c-8f7e-3a7f2f4f9b10"))).toBe("5b0b7d0e2a634a5c8f7e3a7f2f4f9b10");
    expect(formatDay("en", "2025-04-04")).toBe("4 Apr 2025");
  });
});

describe("verify, before the chain", () => {
  const document = new TextEncoder().encode("HbA1c 5.6 %\n");
  const salt = `0x${"11".repeat(32)}`;
  const trusted = { chainId: 31337, contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3", rpcUrl: "http://127.0.0.1:1" };

  const bundle = () => oneLeafBundle(document, salt, trusted.contract);

  it("says a changed file does not match", async () => {
    const other = await sha256(new TextEncoder().encode("HbA1c 5.9 %\n"));
    expect((await verifyDocument(other, await bundle(), trusted)).kind).toBe("mismatch");
  });

  it("refuses an altered bundle", async () => {
    const b = await bundle();
    b.merkle.root = `0x${"22".repeat(32)}`;
    const outcome = await verifyDocument(await sha256(document), b, trusted);
    expect(outcome).toMatchObject({ kind: "tampered", problems: ["the Merkle path does not lead to the root"] });
  });

  it("says JSON that is not a proof bundle is not one", async () => {
    const sha = await sha256(document);
    expect(await verifyDocument(sha, { format: "other" }, trusted)).toEqual({ kind: "not_a_proof" });
    expect(await verifyDocument(sha, [1, 2], trusted)).toEqual({ kind: "not_a_proof" });
    expect(await verifyDocument(sha, null, trusted)).toEqual({ kind: "not_a_proof" });
    expect(await verifyDocument(sha, { ...(await bundle()), version: 2 }, trusted)).toEqual({ kind: "not_a_proof" });
  });

  it("does not take a bundle's word for the contract", async () => {
    const b = await bundle();
    b.anchor.contract = "0x000000000000000000000000000000000000dEaD";
    expect(await verifyDocument(await sha256(document), b, trusted)).toEqual({ kind: "wrong_contract", named: b.anchor.contract });
  });

  it("does not take a bundle's word for the chain", async () => {
    const b = await bundle();
    b.anchor.chain_id = 1;
    expect(await verifyDocument(await sha256(document), b, trusted)).toEqual({ kind: "wrong_chain", named: "1", trusted: 31337 });
  });
});

describe("verify, when the endpoint misbehaves", () => {
  const document = new TextEncoder().encode("HbA1c 5.6 %\n");
  const salt = `0x${"11".repeat(32)}`;
  const contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
  /** What the stub answers: its chain id, and `eth_call`'s result. */
  const stub = { chainId: 31337, call: "0x" };
  let server: Server;
  let url = "";

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const answer = (m: { id: number; method: string }) => ({
          jsonrpc: "2.0",
          id: m.id,
          result: m.method === "eth_chainId" ? `0x${stub.chainId.toString(16)}` : stub.call,
        });
        const msg = JSON.parse(body) as { id: number; method: string } | { id: number; method: string }[];
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify(Array.isArray(msg) ? msg.map(answer) : answer(msg)));
      });
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  const bundle = () => oneLeafBundle(document, salt, contract);

  it("says an endpoint that does not answer is down", async () => {
    const closed = await new Promise<number>((ok) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const port = (s.address() as AddressInfo).port;
        s.close(() => ok(port));
      });
    });
    const rpcUrl = `http://127.0.0.1:${closed}`;
    expect(await verifyDocument(await sha256(document), await bundle(), { chainId: 31337, contract, rpcUrl })).toEqual({
      kind: "rpc_unreachable",
      url: rpcUrl,
    });
  });

  it("says an endpoint on another chain is on the wrong chain", async () => {
    stub.chainId = 1;
    const outcome = await verifyDocument(await sha256(document), await bundle(), { chainId: 31337, contract, rpcUrl: url });
    stub.chainId = 31337;
    expect(outcome).toEqual({ kind: "rpc_wrong_chain", expected: 31337, actual: 1 });
  });

  it("says the contract cannot be read when nothing is at its address", async () => {
    stub.call = "0x";
    expect(await verifyDocument(await sha256(document), await bundle(), { chainId: 31337, contract, rpcUrl: url })).toEqual({
      kind: "no_contract",
      contract,
    });
  });
});
