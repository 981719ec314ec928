// The auditor console's port of `pramana audit-log verify`: the RFC 9162 tree math against the
// RFC 6962 / RFC 9162 reference data core's `auditlog` tests use, the entry encoding against
// cli/testdata/audit-entry-vectors.json (leaf hashes written by the CLI's test
// `auditlog::tests::committed_entry_vectors`), and the whole check on a small log, honest and
// tampered with.
import { hexToBytes, toBytes } from "viem";
import { describe, expect, it } from "vitest";
import {
  canonicalJson,
  CompactRange,
  contentHash,
  headLeaf,
  leafHash,
  microsOf,
  nodeHash,
  root,
  verifyConsistency,
  verifyInclusion,
  verifyLog,
  type Hash,
  type LogEntry,
  type LogSources,
  type TreeHead,
} from "../src/lib/auditLog";
import { repoFile } from "./helpers";

const h = (s: string): Hash => hexToBytes(`0x${s}`);
const hex = (b: Hash) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

const INPUTS = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"];
const ROOTS = [
  "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
const leaves = INPUTS.map((i) => leafHash(i === "" ? new Uint8Array() : h(i)));

describe("RFC 9162 tree (reference data)", () => {
  it("gives the reference root at every size, whole and appended", () => {
    const c = new CompactRange();
    ROOTS.forEach((want, n) => {
      expect(hex(root(leaves.slice(0, n)))).toBe(want);
      expect(hex(c.root())).toBe(want);
      if (n < leaves.length) c.append(leaves[n]!);
    });
  });

  it("verifies the reference inclusion proofs and refuses a flipped bit or a wrong position", () => {
    const cases: [number, number, string[]][] = [
      [0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]],
      [5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]],
      [0, 1, []],
    ];
    for (const [i, n, proof] of cases) {
      const p = proof.map(h);
      expect(verifyInclusion(i, n, leaves[i]!, p, h(ROOTS[n]!))).toBeNull();
      if (p.length > 0) {
        const bad = p.map((x) => new Uint8Array(x));
        bad[0]![0]! ^= 1;
        expect(verifyInclusion(i, n, leaves[i]!, bad, h(ROOTS[n]!))).not.toBeNull();
        expect(verifyInclusion(i + 1, n, leaves[i]!, p, h(ROOTS[n]!))).not.toBeNull();
      }
    }
    expect(verifyInclusion(8, 8, leaves[0]!, [], h(ROOTS[8]!))).toMatch(/not in a tree/);
  });

  it("verifies the reference consistency proofs and refuses a rewritten history", () => {
    const cases: [number, number, string[]][] = [
      [1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]],
      [6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]],
      [2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]],
      [2, 8, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]],
    ];
    for (const [m, n, proof] of cases) {
      expect(verifyConsistency(m, n, h(ROOTS[m]!), h(ROOTS[n]!), proof.map(h))).toBeNull();
      expect(verifyConsistency(m, n, h(ROOTS[m - 1]!), h(ROOTS[n]!), proof.map(h))).not.toBeNull();
    }
    expect(verifyConsistency(3, 3, h(ROOTS[3]!), h(ROOTS[3]!), [])).toBeNull();
    expect(verifyConsistency(0, 3, h(ROOTS[0]!), h(ROOTS[3]!), [])).toMatch(/not in a tree/);
  });

  it("anchors a head as a leaf that differs by size and by root", () => {
    const r = h(ROOTS[4]!);
    expect(hex(headLeaf(4, r))).not.toBe(hex(headLeaf(5, r)));
    expect(hex(headLeaf(4, r))).not.toBe(hex(headLeaf(4, h(ROOTS[5]!))));
  });
});

const vectors = JSON.parse(repoFile("cli/testdata/audit-entry-vectors.json")) as { entries: LogEntry[] };

describe("entries (cli/testdata/audit-entry-vectors.json)", () => {
  it("give the CLI's leaf hash from their content", () => {
    for (const e of vectors.entries) expect(hex(contentHash(e))).toBe(e.leaf_hash);
  });

  it("sort keys at every level, with serde_json's escapes", () => {
    expect(canonicalJson({ b: 1, a: [{ d: null, c: "x\n\u0001" }] })).toBe('{"a":[{"c":"x\\n\\u0001","d":null}],"b":1}');
  });

  it("count time in microseconds", () => {
    expect(microsOf("1970-01-01T00:00:01.000002Z")).toBe(1_000_002n);
    expect(microsOf("1970-01-01T05:30:00+05:30")).toBe(0n);
    expect(microsOf("1969-12-31T23:59:59.5Z")).toBe(-500_000n);
  });
});

/** A log of `n` entries (the vector entries, repeated with new ids and positions). */
function log(n: number): LogEntry[] {
  return Array.from({ length: n }, (_, i) => {
    const base = vectors.entries[i % vectors.entries.length]!;
    const e: LogEntry = { ...base, seq: 100 + i, position: i, id: `0192f7a4-1c2b-7d3e-8f40-${String(i).padStart(12, "0")}` };
    return { ...e, leaf_hash: hex(contentHash(e)) };
  });
}

/** Heads at `sizes`, each anchored alone in a batch of one leaf. */
function sources(entries: LogEntry[], sizes: number[], onChain = true): LogSources {
  const ls = entries.map((e) => h(e.leaf_hash!));
  const heads: TreeHead[] = sizes.map((n) => {
    const r = root(ls.slice(0, n));
    const leaf = `0x${hex(headLeaf(n, r))}`;
    return { tree_size: n, root: hex(r), anchor: { tree_size: n, root: `0x${hex(r)}`, leaf, merkle: { root: leaf, leaf_index: 0, leaf_count: 1, proof: [] } } };
  });
  const roots = new Set(heads.map((x) => x.anchor!.merkle.root.slice(2)));
  return {
    entries,
    heads,
    anchoredAt: async (b) => (onChain && roots.has(hex(b)) ? { blockNumber: 7, leafCount: 1 } : { blockNumber: 0, leafCount: 0 }),
    // An honest platform's proofs, from its own stored leaves.
    consistency: async (m, n) => consistencyFrom(ls.slice(0, n), m),
    inclusion: async (i, n) => inclusionFrom(ls.slice(0, n), i),
  };
}

function inclusionFrom(ls: Hash[], i: number): string[] {
  if (ls.length <= 1) return [];
  let k = 1;
  while (k * 2 < ls.length) k *= 2;
  return i < k ? [...inclusionFrom(ls.slice(0, k), i), hex(root(ls.slice(k)))] : [...inclusionFrom(ls.slice(k), i - k), hex(root(ls.slice(0, k)))];
}

function consistencyFrom(ls: Hash[], m: number, whole = true): string[] {
  const n = ls.length;
  if (m === n) return whole ? [] : [hex(root(ls))];
  let k = 1;
  while (k * 2 < n) k *= 2;
  return m <= k ? [...consistencyFrom(ls.slice(0, k), m, whole), hex(root(ls.slice(k)))] : [...consistencyFrom(ls.slice(k), m - k, false), hex(root(ls.slice(0, k)))];
}

describe("the whole check", () => {
  it("verifies an honest log up to its last anchored head", async () => {
    const r = await verifyLog(sources(log(7), [2, 5, 7]));
    expect(r).toEqual({ entries: 7, heads: 3, anchoredHeads: 3, verifiedSize: 7, firstMisfit: null, problems: [] });
  });

  it("names an entry whose content was changed", async () => {
    const entries = log(7);
    entries[3] = { ...entries[3]!, outcome: "ok", action: "document.list" };
    const r = await verifyLog({ ...sources(log(7), [2, 5, 7]), entries });
    expect(r.firstMisfit).toEqual({ position: 3, seq: 103, reason: "its content does not give the leaf hash stored with it" });
  });

  it("names an entry rewritten with its leaf hash, by the anchored head's inclusion proof", async () => {
    const honest = sources(log(7), [2, 5, 7]);
    const entries = log(7);
    const changed = { ...entries[3]!, target: "document:someone-else" };
    entries[3] = { ...changed, leaf_hash: hex(contentHash(changed)) };
    const r = await verifyLog({ ...honest, entries });
    expect(r.firstMisfit).toEqual({ position: 3, seq: 103, reason: "the anchored head 5 does not hold this entry as it is now" });
    expect(r.verifiedSize).toBe(2);
  });

  it("notices entries missing under an anchored head, and heads the chain does not have", async () => {
    const honest = sources(log(7), [2, 5, 7]);
    const r = await verifyLog({ ...honest, entries: honest.entries.slice(0, 6) });
    expect(r.firstMisfit?.reason).toBe("missing: anchored head 7 holds 7 entries, the platform serves 6");
    const off = await verifyLog(sources(log(3), [2], false));
    expect(off.anchoredHeads).toBe(0);
    expect(off.problems).toEqual(["head 2: its batch root is not anchored in the pinned contract"]);
  });

  it("refuses a consistency proof that does not hold", async () => {
    const honest = sources(log(7), [2, 5, 7]);
    const r = await verifyLog({ ...honest, consistency: async () => [hex(nodeHash(new Uint8Array(32), toBytes("x", { size: 32 })))] });
    expect(r.problems.some((p) => p.startsWith("consistency proof 2 -> 5"))).toBe(true);
  });
});
