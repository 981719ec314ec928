// The FHIR fixtures both implementations are held to: the portal's checks and summaries here,
// the CLI's (cli/src/fhir/) in its unit tests, against the same `expected.json`. Each case is a
// bundle, the HI type it is checked as and the issues expected, in order; `records` is what the
// sample set (e2e/fixtures/fhir/, the browser tests' uploads) reads back as. After a deliberate
// change to the checks: `PRAMANA_UPDATE_FHIR_CHECKS=1 npx vitest run test/fhir-shared.test.ts`.
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkBundle, checkDocument, extract, issueText, parseFhir } from "../src/lib/fhir";
import type { HiType } from "../src/lib/hiTypes";
import { collect, type ReadDocument } from "../src/lib/records";

const WEB = join(import.meta.dirname, "..");
const EXPECTED = "test/fixtures/fhir-checks/expected.json";
const SAMPLE = "e2e/fixtures/fhir";
const CHECKS = "test/fixtures/fhir-checks";

interface Case {
  file: string;
  hi_type: HiType;
  issues: string[];
}

/** Every fixture and the HI type it is checked as (a sample file's name ends with its type). */
function cases(): Omit<Case, "issues">[] {
  const sample = readdirSync(join(WEB, SAMPLE))
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ file: `${SAMPLE}/${f}`, hi_type: /-([A-Za-z]+)\.json$/.exec(f)![1] as HiType }));
  const broken = readdirSync(join(WEB, CHECKS))
    .filter((f) => f.endsWith(".json") && f !== "expected.json")
    .sort()
    .map((f) => ({ file: `${CHECKS}/${f}`, hi_type: (f.startsWith("prescription") ? "Prescription" : "DiagnosticReport") as HiType }));
  // A document of one kind offered as another.
  return [...sample, ...broken, { file: `${SAMPLE}/2026-02-27-Prescription.json`, hi_type: "DiagnosticReport" }];
}

/** The sample set as the records page and `pramana records` summarise it (doc ids are file names). */
function recordsSummary() {
  const docs: ReadDocument[] = [];
  for (const f of readdirSync(join(WEB, SAMPLE)).filter((f) => f.endsWith(".json")).sort()) {
    const hiType = /-([A-Za-z]+)\.json$/.exec(f)![1] as HiType;
    const parsed = parseFhir(readFileSync(join(WEB, SAMPLE, f), "utf8"));
    if (!("resource" in parsed) || checkBundle(parsed.resource, hiType).length > 0) continue;
    docs.push({ id: f, hiType, careDate: f.slice(0, 10), x: extract(parsed.resource) });
  }
  const r = collect(docs);
  return {
    labs: [...r.labs, ...r.vitals].map((s) => ({
      code: s.code,
      unit: s.unit,
      vital: s.vital,
      low: s.low ?? null,
      high: s.high ?? null,
      points: s.points.map((p) => [p.date, p.value, p.flag ?? null, p.docId]),
    })),
    medications: {
      current: r.currentMedications.map((m) => [m.name, m.status, m.docId]),
      past: r.pastMedications.map((m) => [m.name, m.status, m.docId]),
    },
    timeline: r.timeline.map((e) => [e.date, e.hiType, e.hospital ?? null, e.title ?? null, e.docId]),
  };
}

function actual() {
  return {
    about: "Written by web/test/fhir-shared.test.ts (PRAMANA_UPDATE_FHIR_CHECKS=1); read by it and by cli/src/fhir/tests.rs.",
    cases: cases().map((c) => ({ ...c, issues: checkDocument(readFileSync(join(WEB, c.file), "utf8"), c.hi_type).map(issueText) })),
    records: recordsSummary(),
  };
}

describe("shared FHIR fixtures", () => {
  const now = actual();
  if (process.env.PRAMANA_UPDATE_FHIR_CHECKS) writeFileSync(join(WEB, EXPECTED), JSON.stringify(now, null, 2) + "\n");
  const expected = JSON.parse(readFileSync(join(WEB, EXPECTED), "utf8")) as ReturnType<typeof actual>;

  it("names the same issues for every fixture", () => {
    expect(now.cases).toEqual(expected.cases);
  });

  it("covers every kind of problem, and passes every sample bundle", () => {
    const problems = new Set(expected.cases.flatMap((c) => c.issues.map((i) => i.split(": ")[1]!.replace(/ \(.*$/, ""))));
    for (const p of ["not json", "not fhir", "not bundle", "not document", "missing", "not composition", "wrong type", "unresolved", "unit"]) {
      expect(problems).toContain(p);
    }
    const sample = expected.cases.filter((c) => c.file.startsWith(SAMPLE) && !c.file.includes("malformed") && c.file.endsWith(`-${c.hi_type}.json`));
    expect(sample.length).toBeGreaterThanOrEqual(5);
    for (const c of sample) expect(c.issues).toEqual([]);
  });

  it("summarises the sample set as recorded", () => {
    expect(now.records).toEqual(expected.records);
  });
});
