// Entries a patient adds themself — a lab value, a vital sign, a medicine, an allergy — written
// as a small FHIR document (a WellnessRecord-shaped Bundle: Composition, the Patient as subject
// and author, one resource), so they are checked, sealed, listed, charted and exported like any
// record, and any FHIR reader sees who wrote them. Pure functions; the page seals the result.
import type { HiType } from "../hiTypes";
import { LOINC } from "./profiles";

const UCUM = "http://unitsofmeasure.org";
const NRCES = "https://nrces.in/ndhm/fhir/r4/StructureDefinition/";
const CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";
const CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical";

/** The HI type self-reported entries are stored as. */
export const SELF_REPORT_HI_TYPE: HiType = "WellnessRecord";

/** A test or vital a patient may enter, with the unit the entry is in and the plausible range. */
export interface SelfTest {
  code: string;
  /** Key of the test's name in the catalogue (`records.self.test.<code>`), LOINC's name in the document. */
  name: string;
  unit: string;
  /** The unit as people write it. */
  unitText: string;
  vital: boolean;
  min: number;
  max: number;
}

/** The tests of the records' charts (units.ts converts none of these: they are in the chart unit). */
export const SELF_TESTS: SelfTest[] = [
  { code: "4548-4", name: "HbA1c", unit: "%", unitText: "%", vital: false, min: 2, max: 20 },
  { code: "1558-6", name: "Fasting glucose", unit: "mg/dL", unitText: "mg/dL", vital: false, min: 20, max: 700 },
  { code: "718-7", name: "Haemoglobin", unit: "g/dL", unitText: "g/dL", vital: false, min: 2, max: 25 },
  { code: "2160-0", name: "Creatinine", unit: "mg/dL", unitText: "mg/dL", vital: false, min: 0.1, max: 20 },
  { code: "13457-7", name: "LDL cholesterol", unit: "mg/dL", unitText: "mg/dL", vital: false, min: 10, max: 500 },
  { code: "3016-3", name: "TSH", unit: "m[IU]/L", unitText: "mIU/L", vital: false, min: 0.01, max: 100 },
  { code: "8480-6", name: "Systolic blood pressure", unit: "mm[Hg]", unitText: "mmHg", vital: true, min: 50, max: 260 },
  { code: "8462-4", name: "Diastolic blood pressure", unit: "mm[Hg]", unitText: "mmHg", vital: true, min: 30, max: 160 },
  { code: "8867-4", name: "Heart rate", unit: "/min", unitText: "beats/min", vital: true, min: 20, max: 250 },
  { code: "29463-7", name: "Body weight", unit: "kg", unitText: "kg", vital: true, min: 1, max: 400 },
  { code: "8310-5", name: "Body temperature", unit: "Cel", unitText: "°C", vital: true, min: 30, max: 45 },
  { code: "59408-5", name: "Oxygen saturation (SpO2)", unit: "%", unitText: "%", vital: true, min: 50, max: 100 },
];

export type SelfEntry =
  | { kind: "measurement"; code: string; value: number; date: string }
  | { kind: "medication"; name: string; dosage: string; current: boolean; date: string }
  | { kind: "allergy"; substance: string; criticality: "" | "low" | "high"; date: string };

/** What is wrong with an entry, by field; empty when it can be saved. */
export type EntryProblem = { field: "test" | "value" | "name" | "dosage" | "substance" | "date"; problem: "missing" | "range" | "future" | "long" };

/** Checks an entry before it is written; `today` is the patient's date (YYYY-MM-DD). */
export function entryProblems(e: SelfEntry, today: string): EntryProblem[] {
  const out: EntryProblem[] = [];
  if (!/^\d{4}-\d{2}-\d{2}$/.test(e.date)) out.push({ field: "date", problem: "missing" });
  else if (e.date > today) out.push({ field: "date", problem: "future" });
  const text = (field: "name" | "substance", v: string) => {
    if (!v.trim()) out.push({ field, problem: "missing" });
    else if (v.trim().length > 200) out.push({ field, problem: "long" });
  };
  switch (e.kind) {
    case "measurement": {
      const test = SELF_TESTS.find((t) => t.code === e.code);
      if (!test) out.push({ field: "test", problem: "missing" });
      else if (!Number.isFinite(e.value)) out.push({ field: "value", problem: "missing" });
      else if (e.value < test.min || e.value > test.max) out.push({ field: "value", problem: "range" });
      break;
    }
    case "medication":
      text("name", e.name);
      if (e.dosage.trim().length > 200) out.push({ field: "dosage", problem: "long" });
      break;
    case "allergy":
      text("substance", e.substance);
      break;
  }
  return out;
}

/** The Composition's title, which the timeline shows: what was recorded, e.g. "Self-reported: HbA1c 6.4 %". */
export function entryTitle(e: SelfEntry): string {
  switch (e.kind) {
    case "measurement": {
      const test = SELF_TESTS.find((t) => t.code === e.code);
      return test ? `Self-reported: ${test.name} ${e.value} ${test.unitText}` : "Self-reported entry";
    }
    case "medication":
      return `Self-reported medicine: ${[e.name.trim(), e.dosage.trim()].filter(Boolean).join(", ")}`;
    case "allergy":
      return `Self-reported allergy: ${e.substance.trim()}`;
  }
}

/** The entry as a FHIR document Bundle (JSON text), the patient (`patientName`) its subject and author. */
export function selfReportBundle(e: SelfEntry, patientName: string, now = new Date(), id: () => string = () => crypto.randomUUID()): string {
  const [bundleId, compId, patientId, itemId] = [id(), id(), id(), id()];
  const patient = { reference: `urn:uuid:${patientId}`, display: patientName };
  const item = itemResource(e, patient, itemId);
  const section = e.kind === "measurement" ? (SELF_TESTS.find((t) => t.code === e.code)?.vital ? "Vital signs" : "Lab results") : e.kind === "medication" ? "Medications" : "Allergies";
  const bundle = {
    resourceType: "Bundle",
    id: bundleId,
    meta: { lastUpdated: now.toISOString(), profile: [`${NRCES}DocumentBundle`] },
    identifier: { system: "urn:ietf:rfc:3986", value: `urn:uuid:${bundleId}` },
    type: "document",
    timestamp: now.toISOString(),
    entry: [
      {
        fullUrl: `urn:uuid:${compId}`,
        resource: {
          resourceType: "Composition",
          id: compId,
          meta: { profile: [`${NRCES}WellnessRecord`] },
          status: "final",
          type: { text: "Wellness Record" },
          subject: patient,
          date: now.toISOString(),
          author: [patient],
          title: entryTitle(e),
          section: [{ title: section, entry: [{ reference: `urn:uuid:${itemId}` }] }],
        },
      },
      { fullUrl: `urn:uuid:${patientId}`, resource: { resourceType: "Patient", id: patientId, name: [{ text: patientName }] } },
      { fullUrl: `urn:uuid:${itemId}`, resource: item },
    ],
  };
  return JSON.stringify(bundle, null, 2);
}

function itemResource(e: SelfEntry, patient: { reference: string; display: string }, id: string): Record<string, unknown> {
  switch (e.kind) {
    case "measurement": {
      const test = SELF_TESTS.find((t) => t.code === e.code);
      if (!test) throw new Error(`unknown test ${e.code}`);
      return {
        resourceType: "Observation",
        id,
        status: "final",
        category: [{ coding: [{ system: CATEGORY, code: test.vital ? "vital-signs" : "laboratory" }] }],
        code: { coding: [{ system: LOINC, code: test.code, display: test.name }], text: test.name },
        subject: patient,
        effectiveDateTime: e.date,
        performer: [patient],
        valueQuantity: { value: e.value, unit: test.unitText, system: UCUM, code: test.unit },
      };
    }
    case "medication":
      return {
        resourceType: "MedicationStatement",
        id,
        status: e.current ? "active" : "completed",
        medicationCodeableConcept: { text: e.name.trim() },
        subject: patient,
        effectiveDateTime: e.date,
        dateAsserted: e.date,
        informationSource: patient,
        ...(e.dosage.trim() ? { dosage: [{ text: e.dosage.trim() }] } : {}),
      };
    case "allergy":
      return {
        resourceType: "AllergyIntolerance",
        id,
        clinicalStatus: { coding: [{ system: CLINICAL, code: "active" }] },
        code: { text: e.substance.trim() },
        patient,
        recordedDate: e.date,
        recorder: patient,
        ...(e.criticality ? { criticality: e.criticality } : {}),
      };
  }
}
