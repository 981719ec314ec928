import { describe, expect, it } from "vitest";
import { lostKeysSummary, stanzaCount } from "../src/lib/lostKeys";

const header = (stanzas: number) => btoa(String.fromCharCode(...new Uint8Array(78 + 97 * stanzas)));

describe("lost keys summary", () => {
  it("counts stanzas from a header's length", () => {
    expect(stanzaCount(header(1))).toBe(1);
    expect(stanzaCount(header(3))).toBe(3);
    expect(stanzaCount(null)).toBe(0);
    expect(stanzaCount(btoa("not a header"))).toBe(0);
  });

  it("splits documents into lost and shared, skips deleted ones and counts consents in force", () => {
    const docs = [
      { header: header(1), deleted_at: null },
      { header: header(2), deleted_at: null },
      { header: header(4), deleted_at: null },
      { header: null, deleted_at: "2026-11-30T10:00:00Z" },
    ];
    const consents = [{ status: "GRANTED" }, { status: "REVOKED" }, { status: "GRANTED" }, { status: "REQUESTED" }];
    expect(lostKeysSummary(docs, consents as never)).toEqual({ onlyYours: 1, shared: 2, consentsInForce: 2 });
  });
});
