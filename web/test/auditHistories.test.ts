// The auditor console's table of chain histories: every history reachable a page at a time, the
// filter, and the CSV export (formula cells neutralised as in the discrepancy export).
import { describe, expect, it } from "vitest";
import type { ConsentHistory } from "../src/lib/audit";
import { HISTORY_CSV_COLUMNS, historiesCsv, matchesHistory, pageOf } from "../src/lib/auditTable";

function history(i: number, over: Partial<ConsentHistory> = {}): ConsentHistory {
  const hex = (n: number, len: number) => "0x" + n.toString(16).padStart(len, "0");
  return {
    consentId: hex(i, 64),
    patient: hex(0xaa00 + (i % 3), 40),
    grantee: hex(0xbb00, 40),
    scopeHash: hex(0xcc00 + i, 64),
    validFrom: 1_764_547_200,
    validUntil: 1_796_083_200,
    granted: { blockNumber: 10 + i, txHash: hex(0xdd00 + i, 64) },
    revoked: null,
    status: "active",
    ...over,
  };
}

describe("chain histories", () => {
  it("pages through all of them, clamping a page past the end", () => {
    const all = Array.from({ length: 10_001 }, (_, i) => history(i));
    const first = pageOf(all, 0, 200);
    expect([first.pages, first.first, first.last, first.rows.length]).toEqual([51, 1, 200, 200]);
    const last = pageOf(all, 50, 200);
    expect([last.first, last.last, last.rows[0]!.consentId]).toEqual([10_001, 10_001, all[10_000]!.consentId]);
    expect(pageOf(all, 99, 200).page).toBe(50);
    expect(pageOf([], 3, 200)).toMatchObject({ page: 0, pages: 1, first: 0, last: 0, rows: [] });
  });

  it("filters by status and by any id, key or transaction, in any case", () => {
    const revoked = history(7, { status: "revoked", revoked: { blockNumber: 99, txHash: "0x" + "ef".repeat(32) } });
    expect(matchesHistory(revoked, "revoked", "")).toBe(true);
    expect(matchesHistory(revoked, "active", "")).toBe(false);
    expect(matchesHistory(revoked, "all", "EFEF")).toBe(true);
    expect(matchesHistory(revoked, "all", history(7).patient.slice(10).toUpperCase())).toBe(true);
    expect(matchesHistory(history(1), "all", "not there")).toBe(false);
  });

  it("exports CSV with a header, ISO times and revocations, formulas kept as text", () => {
    const csv = historiesCsv([
      history(1),
      history(2, { status: "revoked", revoked: { blockNumber: 40, txHash: "=HYPERLINK(1)" } }),
    ]);
    const lines = csv.split("\r\n");
    expect(lines[0]).toBe(HISTORY_CSV_COLUMNS.join(","));
    expect(lines[1]).toContain(",active,");
    expect(lines[1]).toContain(",2025-12-01T00:00:00.000Z,2026-12-01T00:00:00.000Z,11,");
    expect(lines[1]!.endsWith(",,")).toBe(true);
    expect(lines[2]!.endsWith(",40,'=HYPERLINK(1)")).toBe(true);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe("");
  });
});
