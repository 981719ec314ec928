// The test-data generator's documents pass the checks for their HI type, and the browser tests'
// sample set holds what they expect (three HbA1c values, one malformed report).
import { describe, expect, it } from "vitest";
import { generate, sample } from "../scripts/fhir-gen.mjs";
import { checkDocument, extract, issueText } from "../src/lib/fhir";

describe("fhir-gen", () => {
  const docs = generate({ seed: 11, patients: 4, years: 5 });

  it("writes every HI type, and every document passes the checks for its type", () => {
    expect(new Set(docs.map((d) => d.hiType)).size).toBe(7);
    const problems = docs.flatMap((d) => checkDocument(JSON.stringify(d.bundle), d.hiType).map((i) => `${d.name}: ${issueText(i)}`));
    expect(problems).toEqual([]);
  });

  it("reads back as the type it was written as, with years of lab values and some out of range", () => {
    const read = docs.map((d) => ({ d, x: extract(d.bundle as never) }));
    for (const { d, x } of read) expect(x.hiType).toBe(d.hiType);
    const hba1c = read.flatMap(({ x }) => x.measurements.filter((m) => m.code === "4548-4"));
    expect(hba1c.length).toBeGreaterThan(40);
    expect(hba1c.some((m) => m.flag === "high")).toBe(true);
    expect(hba1c.every((m) => m.unit === "%" && m.value > 3 && m.value < 15)).toBe(true);
  });

  it("is deterministic from the seed", () => {
    expect(JSON.stringify(generate({ seed: 11, patients: 4, years: 5 }))).toBe(JSON.stringify(docs));
    expect(JSON.stringify(generate({ seed: 12, patients: 4, years: 5 }))).not.toBe(JSON.stringify(docs));
  });

  it("gives the browser tests three HbA1c values and one report with a missing code", () => {
    const set = sample();
    const good = set.filter((d) => !d.name.startsWith("malformed"));
    const hba1c = good.flatMap((d) => extract(d.bundle as never).measurements.filter((m) => m.code === "4548-4"));
    expect(hba1c).toHaveLength(3);
    expect(hba1c.some((m) => m.flag)).toBe(true);
    const broken = set.find((d) => d.name.startsWith("malformed"))!;
    expect(checkDocument(JSON.stringify(broken.bundle), "DiagnosticReport").map(issueText)).toEqual(["entry[5].resource.code: missing"]);
  });
});

describe("records", () => {
  it("groups the sample's lab values by test, splits medicines and orders the timeline newest first", async () => {
    const { collect } = await import("../src/lib/records");
    const read = sample()
      .filter((d) => !d.name.startsWith("malformed"))
      .map((d, i) => ({ id: `d${i}`, hiType: d.hiType, careDate: d.careDate, x: extract(d.bundle as never) }));
    const r = collect(read);
    const hba1c = r.labs.find((s) => s.code === "4548-4")!;
    expect(hba1c.points.map((p) => p.date)).toEqual([...hba1c.points.map((p) => p.date)].sort());
    expect(hba1c.points).toHaveLength(3);
    expect(hba1c.high).toBe(5.6);
    expect(r.vitals.length).toBeGreaterThan(0);
    expect(r.currentMedications.length).toBeGreaterThan(0);
    expect(r.timeline).toHaveLength(5);
    expect(r.timeline[0]!.date >= r.timeline[4]!.date).toBe(true);
    expect(r.timeline.every((e) => e.hospital)).toBe(true);
  });
});
