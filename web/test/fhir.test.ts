// The FHIR checks run before a document is sealed, and what the records page reads from a
// document: precise element paths for each problem, unit conversion, flags from ranges.
import { describe, expect, it } from "vitest";
import { checkDocument, extract, fileIssues, issueText, looksLikeBundle, type Issue } from "../src/lib/fhir";
import { toChartUnit } from "../src/lib/fhir/units";

const SCT = "http://snomed.info/sct";
const LNC = "http://loinc.org";

/** A small DiagnosticReportRecord: composition, patient, hospital, doctor, one HbA1c. */
function labBundle(): Record<string, any> {
  return {
    resourceType: "Bundle",
    type: "document",
    entry: [
      {
        fullUrl: "urn:uuid:c1",
        resource: {
          resourceType: "Composition",
          status: "final",
          type: { coding: [{ system: SCT, code: "721981007", display: "Diagnostic studies report" }] },
          subject: { reference: "urn:uuid:p1" },
          date: "2024-03-05T10:00:00+05:30",
          author: [{ reference: "urn:uuid:d1" }],
          custodian: { reference: "urn:uuid:o1" },
          title: "Diagnostic Report",
          section: [{ entry: [{ reference: "urn:uuid:ob1" }] }],
        },
      },
      { fullUrl: "urn:uuid:p1", resource: { resourceType: "Patient", id: "p1", name: [{ text: "Asha Rao" }] } },
      { fullUrl: "urn:uuid:o1", resource: { resourceType: "Organization", id: "o1", name: "City Hospital, Pune" } },
      { fullUrl: "urn:uuid:d1", resource: { resourceType: "Practitioner", id: "d1", name: [{ prefix: ["Dr."], given: ["Meera"], family: "Iyer" }] } },
      {
        fullUrl: "urn:uuid:ob1",
        resource: {
          resourceType: "Observation",
          status: "final",
          code: { coding: [{ system: LNC, code: "4548-4", display: "Hemoglobin A1c/Hemoglobin.total in Blood" }], text: "HbA1c" },
          subject: { reference: "urn:uuid:p1" },
          effectiveDateTime: "2024-03-04",
          valueQuantity: { value: 58, unit: "mmol/mol", system: "http://unitsofmeasure.org", code: "mmol/mol" },
          referenceRange: [{ high: { value: 5.7, unit: "%", code: "%" } }],
        },
      },
    ],
  };
}

const check = (b: unknown, hi = "DiagnosticReport" as const) => checkDocument(JSON.stringify(b), hi).map(issueText);

describe("fhir check", () => {
  it("accepts a well-formed DiagnosticReportRecord", () => {
    expect(check(labBundle())).toEqual([]);
  });

  it("says when a file is not FHIR at all", () => {
    expect(checkDocument("{not json", "Prescription")).toEqual<Issue[]>([{ path: "(file)", problem: "not_json" }]);
    expect(checkDocument('{"hello":1}', "Prescription")[0]?.problem).toBe("not_fhir");
    expect(checkDocument('{"resourceType":"Patient"}', "Prescription")[0]?.problem).toBe("not_bundle");
    expect(looksLikeBundle(JSON.stringify(labBundle()))).toBe(true);
    expect(looksLikeBundle('{"resourceType":"Patient"}')).toBe(false);
  });

  it("names the element that is missing", () => {
    const b = labBundle();
    delete b.entry[4].resource.code;
    delete b.entry[0].resource.subject;
    expect(check(b)).toEqual(["entry[0].resource.subject: missing", "entry[4].resource.code: missing"]);
  });

  it("wants the Composition first, with the type the HI type's profile fixes", () => {
    expect(check(labBundle(), "Prescription" as never)).toEqual(["entry[0].resource.type: wrong type (SNOMED 440545006)"]);
    const b = labBundle();
    b.entry.reverse();
    expect(check(b)[0]).toBe("entry[0].resource.resourceType: not composition (Observation)");
    const c = labBundle();
    c.type = "collection";
    expect(check(c)).toEqual(["type: not document (collection)"]);
  });

  it("finds references that name no entry", () => {
    const b = labBundle();
    b.entry[4].resource.performer = [{ reference: "Organization/nowhere" }];
    expect(check(b)).toEqual(["entry[4].resource.performer[0].reference: unresolved (Organization/nowhere)"]);
    // Type/id references resolve against an entry's id or the tail of its fullUrl.
    b.entry[4].resource.performer = [{ reference: "Organization/o1" }];
    expect(check(b)).toEqual([]);
  });

  it("rejects a lab unit the charts cannot convert for that test", () => {
    const b = labBundle();
    b.entry[4].resource.valueQuantity = { value: 7, unit: "furlongs", code: "[fur_us]" };
    expect(check(b)).toEqual(["entry[4].resource.valueQuantity.unit: unit ([fur_us] for LOINC 4548-4)"]);
  });

  it("requires what each clinical resource needs", () => {
    const b = labBundle();
    b.entry.push(
      { fullUrl: "urn:uuid:m1", resource: { resourceType: "MedicationRequest", status: "active", subject: { reference: "urn:uuid:p1" } } },
      { fullUrl: "urn:uuid:i1", resource: { resourceType: "Immunization", status: "completed", occurrenceDateTime: "2024-01-01" } },
    );
    expect(check(b)).toEqual(["entry[5].resource.medication[x]: missing", "entry[6].resource.vaccineCode: missing"]);
  });
});

describe("fhir upload check", () => {
  it("checks only files that are FHIR Bundles", async () => {
    expect(await fileIssues(new Blob(["%PDF-1.4"]), "Prescription")).toBeNull();
    expect(await fileIssues(new Blob(['{"a":1}']), "Prescription")).toBeNull();
    expect(await fileIssues(new Blob([JSON.stringify(labBundle())]), "DiagnosticReport")).toEqual([]);
    const issues = await fileIssues(new Blob([JSON.stringify(labBundle())]), "Prescription");
    expect(issues?.map(issueText)).toEqual(["entry[0].resource.type: wrong type (SNOMED 440545006)"]);
  });
});

describe("fhir extract", () => {
  it("reads a lab value in the chart unit with its range and flag, and the timeline facts", () => {
    const x = extract(labBundle());
    expect(x.hiType).toBe("DiagnosticReport");
    expect(x.hospital).toBe("City Hospital, Pune");
    expect(x.authors).toEqual(["Dr. Meera Iyer"]);
    expect(x.measurements).toHaveLength(1);
    const m = x.measurements[0]!;
    expect(m.code).toBe("4548-4");
    expect(m.unit).toBe("%");
    expect(m.value).toBeCloseTo(7.46, 1);
    expect(m.high).toBe(5.7);
    expect(m.flag).toBe("high");
    expect(m.date).toBe("2024-03-04");
  });

  it("converts the units it knows and refuses the others", () => {
    expect(toChartUnit("1558-6", 5.5, { code: "mmol/L" })?.value).toBeCloseTo(99.1, 1);
    expect(toChartUnit("2160-0", 88.42, { unit: "µmol/L" })?.value).toBeCloseTo(1, 5);
    expect(toChartUnit("718-7", 130, { code: "g/L" })).toEqual({ value: 13, unit: "g/dL" });
    expect(toChartUnit("718-7", 13, { code: "mmol/L" })).toBeNull();
    expect(toChartUnit("99999-9", 3, { code: "U/L" })).toEqual({ value: 3, unit: "U/L" });
  });
});
