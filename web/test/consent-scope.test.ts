// The scope hash a patient signs matches the platform's (the vector in docs/contract.md, checked
// there against Foundry's `cast`).
import { describe, expect, it } from "vitest";
import { scopeHash, sortHiTypes } from "../src/lib/consentScope";

describe("consent scope hash", () => {
  it("reproduces the documented vector", () => {
    const h = scopeHash({
      purpose: "CAREMGT",
      hiTypes: ["Prescription", "DiagnosticReport"],
      accessMode: "VIEW",
      dateFrom: "2025-01-01",
      dateTo: "2026-01-31",
      frequency: { unit: "DAY", value: 1, repeats: 0 },
    });
    expect(h).toBe("0x886c10e5dddbb98e1b90458e2fdff42f46c745b5b672be24d4a627237df74469");
  });

  it("does not depend on the order the types were ticked in", () => {
    const base = { purpose: "CAREMGT", accessMode: "VIEW", dateFrom: "2025-01-01", dateTo: "2026-01-31", frequency: { unit: "DAY", value: 1, repeats: 0 } };
    expect(scopeHash({ ...base, hiTypes: ["DiagnosticReport", "Prescription"] })).toBe(
      scopeHash({ ...base, hiTypes: ["Prescription", "DiagnosticReport", "Prescription"] }),
    );
  });

  it("lists HI types in the vocabulary's order", () => {
    expect(sortHiTypes(["WellnessRecord", "DiagnosticReport", "OPConsultation"])).toEqual([
      "OPConsultation",
      "DiagnosticReport",
      "WellnessRecord",
    ]);
  });
});
