// Commitments and Merkle proofs against core/testdata/oz-merkle-tree.json (made with
// @openzeppelin/merkle-tree) and the fixed values of core/src/commitment.rs.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../src/crypto/bytes";
import { commitment, documentCommitment, documentLeaf, isConsistent } from "../src/crypto/commitment";
import { keccak256, sha256 } from "../src/crypto/hash";
import { MerkleTree, checkBundleOffline, processProof, verifyProof, type ProofBundle } from "../src/crypto/proof";
import { repoFile } from "./helpers";

interface OzCase {
  n: number;
  values: [string, string][];
  root: string;
  proofs: string[][];
}
const oz = JSON.parse(repoFile("core/testdata/oz-merkle-tree.json")) as { cases: OzCase[] };
const hex0x = (b: Uint8Array) => `0x${toHex(b)}`;

describe("hashes and commitment", () => {
  it("streaming SHA-256 and keccak-256 give the known values", async () => {
    const hello = new TextEncoder().encode("hello\n");
    expect(toHex(await sha256(hello))).toBe("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    expect(toHex(await sha256([hello.subarray(0, 2), hello.subarray(2)]))).toBe(
      createHash("sha256").update(hello).digest("hex"),
    );
    expect(toHex(await keccak256(new Uint8Array(0)))).toBe(
      "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470",
    );
  });

  it("matches core/src/commitment.rs", async () => {
    const zero = new Uint8Array(32);
    expect(toHex(await commitment(zero, zero))).toBe("ad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5");
    const d = await documentCommitment(new Uint8Array(32).fill(0x11), await sha256(new TextEncoder().encode("hello\n")));
    expect(await isConsistent(d)).toBe(true);
    expect(await isConsistent({ ...d, salt: new Uint8Array(32).fill(0x12) })).toBe(false);
    expect(toHex(d.leaf)).toBe(toHex(await keccak256(d.commitment)));
  });
});

describe("Merkle trees (OpenZeppelin layout)", () => {
  for (const c of oz.cases) {
    it(`reproduces the ${c.n}-leaf tree, and every proof verifies`, async () => {
      const leaves = await Promise.all(c.values.map(([salt, sha]) => documentLeaf(fromHex(salt), fromHex(sha))));
      const tree = await MerkleTree.build(leaves);
      expect(hex0x(tree.root)).toBe(c.root);
      for (let i = 0; i < c.n; i++) {
        expect(tree.proof(i).map(hex0x)).toEqual(c.proofs[i]);
        expect(await verifyProof(tree.root, leaves[i]!, c.proofs[i]!.map((h) => fromHex(h)))).toBe(true);
      }
    });
  }

  it("refuses a tampered proof, leaf or root", async () => {
    const c = oz.cases.find((x) => x.n === 13)!;
    const leaves = await Promise.all(c.values.map(([salt, sha]) => documentLeaf(fromHex(salt), fromHex(sha))));
    const root = fromHex(c.root);
    for (let i = 0; i < c.n; i++) {
      const proof = c.proofs[i]!.map((h) => fromHex(h));
      for (let k = 0; k < proof.length; k++) {
        const bad = proof.map((p) => p.slice());
        bad[k]![k % 32]! ^= 1;
        expect(await verifyProof(root, leaves[i]!, bad)).toBe(false);
      }
      expect(await verifyProof(root, leaves[(i + 1) % c.n]!, proof)).toBe(false);
      expect(await verifyProof(root, leaves[i]!, proof.slice(0, -1))).toBe(false);
      expect(toHex(await processProof(leaves[i]!, proof))).toBe(toHex(root));
    }
  });
});

describe("proof bundles, offline", () => {
  async function bundle(): Promise<ProofBundle> {
    const c = oz.cases.find((x) => x.n === 5)!;
    const [salt, sha] = c.values[3]!;
    return {
      format: "pramana-proof",
      version: 1,
      document_id: "5b0b7d0e-2a63-4a5c-8f7e-3a7f2f4f9b10",
      leaf: { sha256: sha, salt, leaf: hex0x(await documentLeaf(fromHex(salt), fromHex(sha))) },
      merkle: { root: c.root, leaf_index: 3, leaf_count: 5, proof: c.proofs[3]! },
      anchor: {
        chain_id: 31337,
        contract: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
        tx_hash: `0x${"ab".repeat(32)}`,
        block_number: 42,
        block_hash: `0x${"cd".repeat(32)}`,
        block_timestamp: 1795384800,
      },
    };
  }

  it("accepts a good bundle, with or without the document's digest", async () => {
    const b = await bundle();
    expect(await checkBundleOffline(b)).toEqual({ ok: true, problems: [], root: b.merkle.root });
    expect((await checkBundleOffline(b, fromHex(b.leaf.sha256))).ok).toBe(true);
  });

  it("refuses tampering and names what failed", async () => {
    const b = await bundle();
    const flip = (h: string) => h.slice(0, -1) + (h.endsWith("0") ? "1" : "0");
    const problems = async (f: (x: ProofBundle) => void, sha?: Uint8Array) => {
      const x = structuredClone(b);
      f(x);
      return (await checkBundleOffline(x, sha)).problems;
    };
    expect(await problems((x) => (x.merkle.proof[0] = flip(x.merkle.proof[0]!)))).toEqual([
      "the Merkle path does not lead to the root",
    ]);
    expect(await problems((x) => (x.merkle.root = flip(x.merkle.root)))).toEqual(["the Merkle path does not lead to the root"]);
    expect(await problems((x) => (x.leaf.salt = flip(x.leaf.salt)))).toContain("the leaf does not follow from salt and SHA-256");
    expect(await problems((x) => (x.leaf.leaf = flip(x.leaf.leaf)))).toEqual(["the leaf does not follow from salt and SHA-256"]);
    expect(await problems((x) => (x.merkle.leaf_index = 5))).toEqual(["the leaf index is not within the leaf count"]);
    expect(await problems(() => {}, new Uint8Array(32))).toEqual(["the document's SHA-256 is not the one in the bundle"]);
    expect(await problems((x) => ((x as { version: number }).version = 2))).toEqual(["unknown proof bundle version 2"]);
    expect(await problems((x) => (x.leaf.sha256 = x.leaf.sha256.toUpperCase()))).toHaveLength(1);
    expect((await checkBundleOffline({ format: "other" })).ok).toBe(false);
  });
});
