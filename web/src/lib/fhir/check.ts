// The checks a FHIR document must pass before it is sealed as a structured health record: a
// FHIR R4 Bundle of type "document" shaped as its HI type's NRCeS profile requires. Pure
// functions on parsed JSON; each problem names the element (`entry[3].resource.code: missing`).
import type { HiType } from "../hiTypes";
import { COMPOSITION_TYPES, LOINC, typeMatches } from "./profiles";
import { toChartUnit } from "./units";

/** What is wrong with one element. */
export type Problem =
  | "not_json" // the file is not JSON
  | "not_fhir" // JSON, but no resourceType
  | "not_bundle" // a FHIR resource, but not a Bundle
  | "not_document" // a Bundle whose type is not "document"
  | "missing" // a required element is absent or empty
  | "not_composition" // the first entry is not a Composition
  | "wrong_type" // Composition.type is not the one the HI type's profile fixes
  | "unresolved" // a reference names no entry of the bundle
  | "unit"; // a lab value's unit the charts cannot convert for its test

export interface Issue {
  /** The element, FHIRPath-like from the bundle root: `entry[3].resource.code`. */
  path: string;
  problem: Problem;
  /** What was expected, when that helps (the fixed code, the unit seen). */
  detail?: string;
}

/** An issue as one line, e.g. `entry[3].resource.code: missing`. */
export function issueText(i: Issue): string {
  return `${i.path}: ${i.problem.replace(/_/g, " ")}${i.detail ? ` (${i.detail})` : ""}`;
}

// JSON as parsed: only objects, arrays and scalars; read defensively.
export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Obj = { [k: string]: Json };

export const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (typeof v === "string" && v.trim() !== "" ? v : undefined);
export const arr = (v: unknown): Json[] => (Array.isArray(v) ? (v as Json[]) : []);

/** Parses text as a FHIR resource: the object, or the issue that stops it. */
export function parseFhir(text: string): { resource: Obj } | { issue: Issue } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { issue: { path: "(file)", problem: "not_json" } };
  }
  if (!isObj(json) || !str(json.resourceType)) return { issue: { path: "resourceType", problem: "not_fhir" } };
  return { resource: json };
}

/** Whether text is JSON that says it is a FHIR Bundle (cheap enough to ask of every JSON upload). */
export function looksLikeBundle(text: string): boolean {
  const parsed = parseFhir(text);
  return "resource" in parsed && parsed.resource.resourceType === "Bundle";
}

/** Every problem the document has for this HI type; an empty list means it may be sealed as a record. */
export function checkDocument(text: string, hiType: HiType): Issue[] {
  const parsed = parseFhir(text);
  return "issue" in parsed ? [parsed.issue] : checkBundle(parsed.resource, hiType);
}

export function checkBundle(bundle: Obj, hiType: HiType): Issue[] {
  if (bundle.resourceType !== "Bundle") return [{ path: "resourceType", problem: "not_bundle", detail: String(bundle.resourceType) }];
  const issues: Issue[] = [];
  if (bundle.type !== "document") issues.push({ path: "type", problem: "not_document", detail: str(bundle.type) ?? "" });
  const entries = arr(bundle.entry);
  if (entries.length === 0) return [...issues, { path: "entry", problem: "missing" }];
  entries.forEach((e, i) => {
    if (!isObj(e) || !isObj(e.resource) || !str(e.resource.resourceType)) issues.push({ path: `entry[${i}].resource`, problem: "missing" });
    else if (!str(e.fullUrl)) issues.push({ path: `entry[${i}].fullUrl`, problem: "missing" });
  });
  const first = entries[0];
  const composition = isObj(first) && isObj(first.resource) ? first.resource : null;
  if (composition && composition.resourceType !== "Composition") {
    issues.push({ path: "entry[0].resource.resourceType", problem: "not_composition", detail: str(composition.resourceType) ?? "" });
  } else if (composition) {
    issues.push(...checkComposition(composition, hiType));
  }
  issues.push(...checkReferences(entries));
  entries.forEach((e, i) => {
    if (isObj(e) && isObj(e.resource)) issues.push(...checkResource(e.resource, `entry[${i}].resource`));
  });
  return issues;
}

function checkComposition(c: Obj, hiType: HiType): Issue[] {
  const at = "entry[0].resource";
  const issues: Issue[] = [];
  const forms = COMPOSITION_TYPES[hiType];
  if (!isObj(c.type)) issues.push({ path: `${at}.type`, problem: "missing" });
  else if (!forms.some((f) => typeMatches(c.type as Obj as never, f))) {
    issues.push({ path: `${at}.type`, problem: "wrong_type", detail: forms.map((f) => (f.code ? `SNOMED ${f.code}` : `"${f.text}"`)).join(" or ") });
  }
  for (const field of ["subject", "date", "title"] as const) {
    if (c[field] === undefined || c[field] === null || c[field] === "") issues.push({ path: `${at}.${field}`, problem: "missing" });
  }
  if (arr(c.author).length === 0) issues.push({ path: `${at}.author`, problem: "missing" });
  return issues;
}

/** Every `reference` in the bundle must name an entry: by fullUrl, or as Type/id of one. */
function checkReferences(entries: Json[]): Issue[] {
  const known = new Set<string>();
  for (const e of entries) {
    if (!isObj(e)) continue;
    const full = str(e.fullUrl);
    if (full) {
      known.add(full);
      const m = /([A-Za-z]+\/[A-Za-z0-9\-.]{1,64})$/.exec(full);
      if (m?.[1] && !full.startsWith("urn:")) known.add(m[1]);
    }
    if (isObj(e.resource) && str(e.resource.resourceType) && str(e.resource.id)) known.add(`${e.resource.resourceType}/${e.resource.id}`);
  }
  const issues: Issue[] = [];
  const walk = (v: Json, path: string) => {
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else if (isObj(v)) {
      for (const [k, x] of Object.entries(v)) {
        if (k === "reference" && typeof x === "string") {
          if (!x.startsWith("#") && !known.has(x)) issues.push({ path: `${path}.reference`, problem: "unresolved", detail: x });
        } else walk(x, path ? `${path}.${k}` : k);
      }
    }
  };
  entries.forEach((e, i) => isObj(e) && walk(e.resource ?? null, `entry[${i}].resource`));
  return issues;
}

const hasCoded = (v: unknown): boolean =>
  isObj(v) && (arr(v.coding).some((c) => isObj(c) && !!str(c.code)) || !!str(v.text));

/** The codes each clinical resource needs to mean anything on a chart or a list. */
function checkResource(r: Obj, at: string): Issue[] {
  const need = (ok: boolean, field: string): Issue[] => (ok ? [] : [{ path: `${at}.${field}`, problem: "missing" }]);
  switch (r.resourceType) {
    case "Observation":
      return [...need(hasCoded(r.code), "code"), ...need(!!str(r.status), "status"), ...checkUnit(r, at)];
    case "MedicationRequest":
      return [
        ...need(hasCoded(r.medicationCodeableConcept) || isObj(r.medicationReference), "medication[x]"),
        ...need(!!str(r.status), "status"),
        ...need(isObj(r.subject), "subject"),
      ];
    case "MedicationStatement":
      return [...need(hasCoded(r.medicationCodeableConcept) || isObj(r.medicationReference), "medication[x]"), ...need(!!str(r.status), "status")];
    case "Immunization":
      return [
        ...need(hasCoded(r.vaccineCode), "vaccineCode"),
        ...need(!!str(r.status), "status"),
        ...need(!!str(r.occurrenceDateTime) || !!str(r.occurrenceString), "occurrence[x]"),
      ];
    case "AllergyIntolerance":
    case "Condition":
      return need(hasCoded(r.code), "code");
    case "DiagnosticReport":
      return [...need(hasCoded(r.code), "code"), ...need(!!str(r.status), "status")];
    case "DocumentReference":
      return need(arr(r.content).length > 0, "content");
    case "Binary":
      return need(!!str(r.contentType), "contentType");
    default:
      return [];
  }
}

/** A lab value in a unit the charts cannot convert for its LOINC code. */
function checkUnit(r: Obj, at: string): Issue[] {
  const q = r.valueQuantity;
  const loinc = loincCode(r.code);
  if (!isObj(q) || !loinc || typeof q.value !== "number") return [];
  const unit = { code: str(q.code), unit: str(q.unit) };
  return toChartUnit(loinc, q.value, unit) ? [] : [{ path: `${at}.valueQuantity.unit`, problem: "unit", detail: `${unit.code ?? unit.unit ?? "none"} for LOINC ${loinc}` }];
}

/** The LOINC code of a CodeableConcept, if it has one. */
export function loincCode(v: unknown): string | undefined {
  if (!isObj(v)) return undefined;
  for (const c of arr(v.coding)) if (isObj(c) && c.system === LOINC && str(c.code)) return c.code as string;
  return undefined;
}

/** FHIR files are checked when at most this large (a visit's bundle is tens of KB). */
export const CHECK_BYTES = 2 << 20;

/**
 * The checks' findings for a file chosen for upload that is a FHIR Bundle; null when it is not
 * one (then it is stored as it is, like any PDF or image) or too large to read here.
 */
export async function fileIssues(file: Blob, hiType: HiType): Promise<Issue[] | null> {
  if (file.size > CHECK_BYTES) return null;
  const head = (await file.slice(0, 64).text()).trimStart();
  if (!head.startsWith("{")) return null;
  const text = await file.text();
  return looksLikeBundle(text) ? checkDocument(text, hiType) : null;
}
