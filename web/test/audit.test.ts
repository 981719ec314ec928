// The auditor console's port of `pramana audit`: the comparison against the report the Rust CLI
// gives on cli/testdata/audit-compare-vectors.json (written by its test
// `audit::tests::committed_vectors`), the histories rebuilt from events, the streamed
// reconciliation equal to the whole one, and the CSV export.
import { encodeAbiParameters, encodeEventTopics, getAddress, type Hex, type PublicClient } from "viem";
import { describe, expect, it } from "vitest";
import {
  collectHistories,
  compare,
  consentKey,
  decodeRegistryLog,
  reconcile,
  statusFromCode,
  type ConsentHistory,
  type Finding,
  type PlatformConsent,
  type RegistryEvent,
} from "../src/lib/audit";
import { csvCell, discrepanciesCsv, matchesFilter, type Discrepancy } from "../src/lib/auditTable";
import { repoFile } from "./helpers";

interface VectorChain {
  consent_id: string;
  patient: string;
  grantee: string;
  scope_hash: string;
  valid_from: number;
  valid_until: number;
  granted_block: number;
  revoked_block: number | null;
  status: ConsentHistory["status"];
}

const v = JSON.parse(repoFile("cli/testdata/audit-compare-vectors.json")) as {
  now: number;
  platform: PlatformConsent[];
  chain: VectorChain[];
  expected: { in_flight: string[]; foreign: { consent_id: string; patient: string }[]; discrepancies: Discrepancy[] };
};
const zero = `0x${"0".repeat(64)}`;
const chain = (): ConsentHistory[] =>
  v.chain.map((c) => ({
    consentId: c.consent_id,
    patient: c.patient,
    grantee: c.grantee,
    scopeHash: c.scope_hash,
    validFrom: c.valid_from,
    validUntil: c.valid_until,
    granted: { blockNumber: c.granted_block, txHash: zero },
    revoked: c.revoked_block === null ? null : { blockNumber: c.revoked_block, txHash: zero },
    status: c.status,
  }));
const expected = {
  ...v.expected,
  foreign: v.expected.foreign.map((f) => ({ consent_id: f.consent_id, patient: getAddress(f.patient) })),
};

describe("the comparison (cli/testdata/audit-compare-vectors.json)", () => {
  it("gives the CLI's report: kinds, details, in flight, foreign", () => {
    expect(compare(v.platform, chain(), v.now)).toEqual(expected);
  });

  it("covers every kind of discrepancy", () => {
    expect(new Set(v.expected.discrepancies.map((d) => d.kind)).size).toBe(6);
  });

  it("matches a platform consent only with the same patient's record", () => {
    // The stranger's grant of a platform consent's id neither satisfies nor contradicts it.
    const first = v.platform[0]!;
    const other = { ...chain()[0]!, patient: getAddress("0x00000000000000000000000000000000000000aa") };
    const r = compare([first], [other], v.now);
    expect(r.discrepancies.map((d) => d.kind)).toEqual(["absent_on_chain"]);
    expect(r.foreign).toEqual([{ consent_id: other.consentId, patient: other.patient }]);
  });

  it("reads addresses in any case as the same key", () => {
    const lower = v.platform.map((p) => ({ ...p, patient: p.patient.toLowerCase(), grantee: p.grantee.toLowerCase() }));
    expect(compare(lower, chain(), v.now)).toEqual(expected);
  });
});

/** A client answering `consentStatus` from the histories' statuses (the statuses the chain would give). */
function statusClient(statuses: Map<string, ConsentHistory["status"]>): PublicClient {
  const codes = ["unknown", "active", "not_yet_valid", "expired", "revoked"];
  return {
    readContract: async ({ args }: { args: [Hex, Hex] }) => codes.indexOf(statuses.get(consentKey(args[0], args[1])) ?? "unknown"),
  } as unknown as PublicClient;
}

describe("the reconciliation as it is computed", () => {
  it("hands on the same findings as the whole comparison, in batches, and asks each status", async () => {
    const truth = chain();
    const statuses = new Map(truth.map((c) => [consentKey(c.patient, c.consentId), c.status]));
    const fresh = truth.map((c) => ({ ...c, status: "unknown" as const }));
    const found: Finding[] = [];
    const progress: number[] = [];
    await reconcile(statusClient(statuses), "0x5FbDB2315678afecb367f032d93F642f64180aa3", v.platform, fresh, v.now, (f, checked) => {
      found.push(...f);
      progress.push(checked);
    }, 4);
    const discrepancies = found.flatMap((f) => (f.type === "discrepancy" ? [f.discrepancy] : []));
    expect(discrepancies).toEqual(expected.discrepancies);
    expect(found.flatMap((f) => (f.type === "in_flight" ? [f.consent_id] : []))).toEqual(expected.in_flight);
    expect(fresh.map((c) => c.status)).toEqual(truth.map((c) => c.status));
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toBe(v.platform.length + truth.length);
  });
});

describe("histories from events", () => {
  const id = `0x${"11".repeat(32)}`;
  const p = getAddress("0x00000000000000000000000000000000000000a1");
  const q = getAddress("0x00000000000000000000000000000000000000b2");
  const h = getAddress("0x00000000000000000000000000000000000000c3");
  const grant = (patient: string, block: number): RegistryEvent => ({
    kind: "granted",
    consentId: id,
    patient,
    grantee: h,
    scopeHash: `0x${"22".repeat(32)}`,
    validFrom: 1,
    validUntil: 2,
    at: { blockNumber: block, txHash: zero },
  });

  it("pairs a revocation with the grant of the same patient and id only", () => {
    const hs = collectHistories([
      grant(p, 1),
      grant(q, 2),
      { kind: "revoked", consentId: id, patient: q, at: { blockNumber: 3, txHash: zero } },
    ]);
    expect(hs.map((c) => [c.patient, c.granted.blockNumber, c.revoked?.blockNumber ?? null])).toEqual([
      [p, 1, null],
      [q, 2, 3],
    ]);
    expect(hs.every((c) => c.status === "unknown")).toBe(true);
  });

  it("ignores a revocation with no grant, and keeps the order granted", () => {
    const hs = collectHistories([{ kind: "revoked", consentId: id, patient: p, at: { blockNumber: 1, txHash: zero } }, grant(q, 5), grant(p, 7)]);
    expect(hs.map((c) => c.patient)).toEqual([q, p]);
    expect(hs.map((c) => c.revoked)).toEqual([null, { blockNumber: 1, txHash: zero }]);
  });

  it("decodes the contract's events and nothing else", () => {
    const abi = [
      {
        type: "event",
        name: "ConsentGranted",
        inputs: [
          { name: "consentId", type: "bytes32", indexed: true },
          { name: "patient", type: "address", indexed: true },
          { name: "grantee", type: "address", indexed: true },
          { name: "scopeHash", type: "bytes32", indexed: false },
          { name: "validFrom", type: "uint64", indexed: false },
          { name: "validUntil", type: "uint64", indexed: false },
        ],
      },
      {
        type: "event",
        name: "SignerRotated",
        inputs: [
          { name: "account", type: "address", indexed: true },
          { name: "newSigner", type: "address", indexed: true },
          { name: "nonce", type: "uint64", indexed: false },
        ],
      },
    ] as const;
    const topics = encodeEventTopics({ abi, eventName: "ConsentGranted", args: { consentId: id as Hex, patient: p, grantee: h } });
    const data = encodeAbiParameters([{ type: "bytes32" }, { type: "uint64" }, { type: "uint64" }], [`0x${"22".repeat(32)}`, 10n, 20n]);
    const e = decodeRegistryLog({ topics: topics as [Hex, ...Hex[]], data, blockNumber: 9n, transactionHash: `0x${"33".repeat(32)}` });
    expect(e).toEqual({ ...grant(p, 9), validFrom: 10, validUntil: 20, at: { blockNumber: 9, txHash: `0x${"33".repeat(32)}` } });
    const rot = encodeEventTopics({ abi, eventName: "SignerRotated", args: { account: p, newSigner: q } });
    const rotData = encodeAbiParameters([{ type: "uint64" }], [1n]);
    expect(decodeRegistryLog({ topics: rot as [Hex, ...Hex[]], data: rotData, blockNumber: 9n, transactionHash: zero as Hex })).toBeNull();
  });

  it("knows the contract's statuses and no other", () => {
    expect([0, 1, 2, 3, 4].map(statusFromCode)).toEqual(["unknown", "active", "not_yet_valid", "expired", "revoked"]);
    expect(statusFromCode(5)).toBeNull();
  });
});

describe("the CSV export", () => {
  it("quotes commas, quotes and line breaks", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell("a,b")).toBe('"a,b"');
    expect(csvCell('say "x"')).toBe('"say ""x"""');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell(null)).toBe("");
  });

  it("keeps a spreadsheet from running a cell as a formula", () => {
    for (const s of ["=HYPERLINK(\"x\")", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"]) {
      expect(csvCell(s).replace(/^"/, "").startsWith("'")).toBe(true);
    }
    expect(csvCell("=1,2")).toBe("\"'=1,2\"");
    expect(csvCell("0xabc")).toBe("0xabc");
  });

  it("writes a header and one line per row", () => {
    const rows = expected.discrepancies;
    const csv = discrepanciesCsv(rows);
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toBe("kind,consent_id,platform_id,detail");
    expect(lines).toHaveLength(rows.length + 1);
    const first = rows[0]!;
    expect(lines[1]!.startsWith(`${first.kind},${first.consent_id},`)).toBe(true);
  });

  it("filters by kind and by text in any field", () => {
    const rows = expected.discrepancies;
    expect(rows.filter((r) => matchesFilter(r, "record_mismatch", "")).every((r) => r.kind === "record_mismatch")).toBe(true);
    const one = rows[0]!;
    expect(rows.filter((r) => matchesFilter(r, "all", one.consent_id.slice(10, 20).toUpperCase()))).toContainEqual(one);
    expect(rows.filter((r) => matchesFilter(r, "all", "no such text"))).toEqual([]);
  });
});
