// Entries a patient writes themself: each kind comes out as a FHIR document that passes the
// WellnessRecord checks and reads back through the records' extractor as what was entered, with
// the patient as author; implausible or missing values are caught before anything is sealed.
import { describe, expect, it } from "vitest";
import { checkDocument, extract } from "../src/lib/fhir";
import { entryProblems, SELF_REPORT_HI_TYPE, SELF_TESTS, selfReportBundle, type SelfEntry } from "../src/lib/fhir/selfReport";

const NOW = new Date("2026-11-30T09:00:00Z");
let n = 0;
const ids = () => `00000000-0000-4000-8000-${String(++n).padStart(12, "0")}`;

function roundTrip(e: SelfEntry) {
  const text = selfReportBundle(e, "Asha Kumari", NOW, ids);
  expect(checkDocument(text, SELF_REPORT_HI_TYPE)).toEqual([]);
  return extract(JSON.parse(text));
}

describe("self-reported entries", () => {
  it("a lab value and a vital sign chart as the tests they are, written by the patient", () => {
    const lab = roundTrip({ kind: "measurement", code: "4548-4", value: 6.4, date: "2026-11-28" });
    expect(lab.authors).toEqual(["Asha Kumari"]);
    expect(lab.hiType).toBe("WellnessRecord");
    expect(lab.measurements).toEqual([
      expect.objectContaining({ code: "4548-4", value: 6.4, unit: "%", date: "2026-11-28", vital: false }),
    ]);
    // The timeline names what was recorded.
    expect(lab.title).toBe("Self-reported: HbA1c 6.4 %");
    const bp = roundTrip({ kind: "measurement", code: "8480-6", value: 132, date: "2026-11-29" });
    expect(bp.measurements).toEqual([expect.objectContaining({ code: "8480-6", value: 132, unit: "mm[Hg]", vital: true })]);
  });

  it("every test offered charts in its own unit", () => {
    for (const t of SELF_TESTS) {
      const m = roundTrip({ kind: "measurement", code: t.code, value: t.min, date: "2026-01-01" }).measurements;
      expect(m, t.code).toEqual([expect.objectContaining({ code: t.code, value: t.min, vital: t.vital })]);
    }
  });

  it("a medicine and an allergy", () => {
    const med = roundTrip({ kind: "medication", name: " Metformin 500 mg ", dosage: "twice a day", current: true, date: "2026-10-01" });
    expect(med.medications).toEqual([{ name: "Metformin 500 mg", dosage: "twice a day", status: "active", date: "2026-10-01", kind: "statement" }]);
    const past = roundTrip({ kind: "medication", name: "Amoxicillin", dosage: "", current: false, date: "2025-03-01" });
    expect(past.medications[0]?.status).toBe("completed");
    const allergy = roundTrip({ kind: "allergy", substance: "Penicillin", criticality: "high", date: "2020-05-05" });
    expect(allergy.allergies).toEqual([{ substance: "Penicillin", criticality: "high", status: "active", date: "2020-05-05" }]);
    expect(med.title).toBe("Self-reported medicine: Metformin 500 mg, twice a day");
    expect(allergy.title).toBe("Self-reported allergy: Penicillin");
  });

  it("refuses what cannot be right, naming the field", () => {
    const today = "2026-11-30";
    expect(entryProblems({ kind: "measurement", code: "4548-4", value: 64, date: today }, today)).toEqual([{ field: "value", problem: "range" }]);
    expect(entryProblems({ kind: "measurement", code: "4548-4", value: Number.NaN, date: today }, today)).toEqual([{ field: "value", problem: "missing" }]);
    expect(entryProblems({ kind: "measurement", code: "", value: 5, date: today }, today)).toEqual([{ field: "test", problem: "missing" }]);
    expect(entryProblems({ kind: "measurement", code: "8867-4", value: 70, date: "2026-12-01" }, today)).toEqual([{ field: "date", problem: "future" }]);
    expect(entryProblems({ kind: "medication", name: "  ", dosage: "", current: true, date: today }, today)).toEqual([{ field: "name", problem: "missing" }]);
    expect(entryProblems({ kind: "allergy", substance: "x".repeat(201), criticality: "", date: "" }, today)).toEqual([
      { field: "date", problem: "missing" },
      { field: "substance", problem: "long" },
    ]);
    expect(entryProblems({ kind: "allergy", substance: "Peanuts", criticality: "low", date: today }, today)).toEqual([]);
  });
});
