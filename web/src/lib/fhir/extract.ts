// What a patient reads in a checked FHIR document: lab and vital-sign values, medicines,
// immunizations, allergies, conditions, attachments, and who wrote it where and when (for the
// timeline). Pure functions on the parsed bundle; missing parts come out empty, never throw.
import type { HiType } from "../hiTypes";
import { arr, isObj, loincCode, str, type Json, type Obj } from "./check";
import { hiTypeOfComposition } from "./profiles";
import { toChartUnit } from "./units";

export interface Measurement {
  /** LOINC code, or the code's text when there is none (then it is never merged with others). */
  code: string;
  name: string;
  /** In the chart unit of the test (see units.ts); `raw` keeps what the document said. */
  value: number;
  unit: string;
  raw: string;
  date: string;
  low?: number;
  high?: number;
  /** "high" / "low" from the document's interpretation, else from the reference range. */
  flag?: "high" | "low" | "abnormal";
  vital: boolean;
}

export interface Medication {
  name: string;
  dosage?: string;
  status: string;
  date?: string;
  kind: "request" | "statement";
}

export interface Immunization {
  vaccine: string;
  date?: string;
  status: string;
  lot?: string;
}

export interface Allergy {
  substance: string;
  criticality?: string;
  status?: string;
  date?: string;
}

export interface Condition {
  name: string;
  status?: string;
  date?: string;
}

export interface Attachment {
  title?: string;
  contentType: string;
  /** Bytes of the decoded data, when it is inline. */
  size?: number;
}

export interface Extracted {
  title?: string;
  date?: string;
  hiType: HiType | null;
  authors: string[];
  hospital?: string;
  measurements: Measurement[];
  medications: Medication[];
  immunizations: Immunization[];
  allergies: Allergy[];
  conditions: Condition[];
  attachments: Attachment[];
}

/** Reads a bundle that passed `checkBundle`; anything unreadable is left out. */
export function extract(bundle: Obj): Extracted {
  const resources = arr(bundle.entry).flatMap((e) => (isObj(e) && isObj(e.resource) ? [{ full: str(e.fullUrl), r: e.resource }] : []));
  const lookup = (ref: Json | undefined): Obj | undefined => {
    const target = isObj(ref) ? str(ref.reference) : undefined;
    if (!target) return undefined;
    return resources.find(({ full, r }) => full === target || `${r.resourceType}/${r.id}` === target || (!!full && full.endsWith(`/${target}`)))?.r;
  };
  const comp = resources[0]?.r.resourceType === "Composition" ? resources[0].r : undefined;
  const out: Extracted = {
    title: str(comp?.title),
    date: str(comp?.date),
    hiType: hiTypeOfComposition(isObj(comp?.type) ? (comp.type as never) : undefined),
    authors: arr(comp?.author).flatMap((a) => nameOf(lookup(a)) ?? (isObj(a) ? str(a.display) ?? [] : [])),
    hospital: nameOf(lookup(comp?.custodian)) ?? (isObj(comp?.custodian) ? str(comp.custodian.display) : undefined),
    measurements: [],
    medications: [],
    immunizations: [],
    allergies: [],
    conditions: [],
    attachments: [],
  };
  for (const { r } of resources) {
    switch (r.resourceType) {
      case "Observation": {
        const m = measurement(r, out.date);
        if (m) out.measurements.push(m);
        break;
      }
      case "MedicationRequest":
      case "MedicationStatement":
        out.medications.push(medication(r, lookup(r.medicationReference)));
        break;
      case "Immunization":
        out.immunizations.push({
          vaccine: text(r.vaccineCode) ?? "?",
          date: str(r.occurrenceDateTime) ?? str(r.occurrenceString),
          status: str(r.status) ?? "",
          lot: str(r.lotNumber),
        });
        break;
      case "AllergyIntolerance":
        out.allergies.push({ substance: text(r.code) ?? "?", criticality: str(r.criticality), status: codeOf(r.clinicalStatus), date: str(r.recordedDate) });
        break;
      case "Condition":
        out.conditions.push({ name: text(r.code) ?? "?", status: codeOf(r.clinicalStatus), date: str(r.onsetDateTime) ?? str(r.recordedDate) });
        break;
      case "DocumentReference":
        for (const c of arr(r.content)) if (isObj(c) && isObj(c.attachment)) out.attachments.push(attachment(c.attachment));
        break;
      case "Binary":
        out.attachments.push({ contentType: str(r.contentType) ?? "", size: base64Size(r.data) });
        break;
    }
  }
  return out;
}

/** Display text of a CodeableConcept: its text, else the first coding's display or code. */
export function text(v: Json | undefined): string | undefined {
  if (!isObj(v)) return undefined;
  const first = arr(v.coding).find(isObj);
  return str(v.text) ?? (first ? str(first.display) ?? str(first.code) : undefined);
}

const codeOf = (v: Json | undefined): string | undefined => {
  const first = isObj(v) ? arr(v.coding).find(isObj) : undefined;
  return first ? str(first.code) : undefined;
};

function nameOf(r: Obj | undefined): string | undefined {
  if (!r) return undefined;
  if (typeof r.name === "string") return str(r.name);
  const n = arr(r.name).find(isObj);
  if (!n) return undefined;
  return str(n.text) ?? ([...arr(n.prefix), ...arr(n.given), n.family ?? ""].filter((x) => typeof x === "string" && x).join(" ") || undefined);
}

function measurement(r: Obj, fallbackDate: string | undefined): Measurement | null {
  const q = r.valueQuantity;
  if (!isObj(q) || typeof q.value !== "number") return null;
  const loinc = loincCode(r.code);
  const name = text(r.code) ?? loinc ?? "?";
  const given = { code: str(q.code), unit: str(q.unit) };
  const converted = toChartUnit(loinc ?? "", q.value, given);
  if (!converted) return null;
  const range = arr(r.referenceRange).find(isObj);
  const bound = (b: Json | undefined) => {
    if (!isObj(b) || typeof b.value !== "number") return undefined;
    return toChartUnit(loinc ?? "", b.value, { code: str(b.code) ?? given.code, unit: str(b.unit) ?? given.unit })?.value;
  };
  const low = bound(range?.low);
  const high = bound(range?.high);
  const vital = arr(r.category).some((c) => isObj(c) && arr(c.coding).some((x) => isObj(x) && x.code === "vital-signs"));
  return {
    code: loinc ?? `text:${name}`,
    name,
    value: round(converted.value),
    unit: converted.unit,
    raw: `${q.value} ${given.unit ?? given.code ?? ""}`.trim(),
    date: str(r.effectiveDateTime) ?? (isObj(r.effectivePeriod) ? str(r.effectivePeriod.start) : undefined) ?? str(r.issued) ?? fallbackDate ?? "",
    low: low === undefined ? undefined : round(low),
    high: high === undefined ? undefined : round(high),
    flag: flagOf(r.interpretation, converted.value, low, high),
    vital,
  };
}

const round = (v: number) => Math.round(v * 100) / 100;

function flagOf(interpretation: Json | undefined, value: number, low?: number, high?: number): Measurement["flag"] {
  const codes = arr(interpretation).flatMap((i) => (isObj(i) ? arr(i.coding).flatMap((c) => (isObj(c) && str(c.code) ? [c.code as string] : [])) : []));
  if (codes.some((c) => c === "H" || c === "HH" || c === "HU")) return "high";
  if (codes.some((c) => c === "L" || c === "LL" || c === "LU")) return "low";
  if (high !== undefined && value > high) return "high";
  if (low !== undefined && value < low) return "low";
  if (codes.some((c) => c === "A" || c === "AA")) return "abnormal";
  return undefined;
}

function medication(r: Obj, referenced: Obj | undefined): Medication {
  const dosage = arr(r.dosageInstruction ?? r.dosage).find(isObj);
  return {
    name: text(r.medicationCodeableConcept) ?? text(referenced?.code) ?? "?",
    dosage: dosage ? str(dosage.text) : undefined,
    status: str(r.status) ?? "",
    date: str(r.authoredOn) ?? str(r.effectiveDateTime) ?? str(r.dateAsserted),
    kind: r.resourceType === "MedicationRequest" ? "request" : "statement",
  };
}

function attachment(a: Obj): Attachment {
  return { title: str(a.title), contentType: str(a.contentType) ?? "", size: typeof a.size === "number" ? a.size : base64Size(a.data) };
}

function base64Size(data: Json | undefined): number | undefined {
  if (typeof data !== "string") return undefined;
  const clean = data.replace(/\s+/g, "");
  return Math.floor((clean.length * 3) / 4) - (clean.endsWith("==") ? 2 : clean.endsWith("=") ? 1 : 0);
}

/** A medicine still being taken: an active or on-hold order or statement. */
export function isCurrent(m: Medication): boolean {
  return m.status === "active" || m.status === "on-hold" || m.status === "intended";
}
