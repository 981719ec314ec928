// The patient's records across documents: lab values grouped by test into series for the
// charts, medicines split into current and past, immunizations, allergies, conditions, and
// one timeline of care across hospitals. Pure: the page decrypts, this only sorts and merges.
import type { Extracted, Measurement } from "./fhir";
import { checkBundle, extract, isCurrent, parseFhir } from "./fhir";
import type { HiType } from "./hiTypes";
import { unitLabel } from "./fhir/units";
import type { Allergy, Condition, Immunization, Medication } from "./fhir/extract";

/** A document the page decrypted and read: its id, HI type, care date and what it says. */
export interface ReadDocument {
  id: string;
  hiType: string;
  careDate: string;
  x: Extracted;
}

/**
 * A decrypted document's text as a record: null when it is not a FHIR document bundle that
 * passes the checks for the HI type it was stored as (one stored "as a plain document anyway").
 */
export function recordOf(text: string, doc: { id: string; hi_type: string; care_date: string }): ReadDocument | null {
  if (!text.trimStart().startsWith("{")) return null;
  const parsed = parseFhir(text);
  if (!("resource" in parsed) || parsed.resource.resourceType !== "Bundle") return null;
  if (checkBundle(parsed.resource, doc.hi_type as HiType).length > 0) return null;
  return { id: doc.id, hiType: doc.hi_type, careDate: doc.care_date, x: extract(parsed.resource) };
}

/** One test's values over time, in one unit, oldest first. */
export interface Series {
  code: string;
  name: string;
  unit: string;
  vital: boolean;
  points: (Measurement & { docId: string })[];
  /** The range of the most recent value that has one (ranges differ a little between labs). */
  low?: number;
  high?: number;
}

export interface TimelineEntry {
  docId: string;
  date: string;
  hospital?: string;
  hiType: string;
  title?: string;
}

export interface Records {
  labs: Series[];
  vitals: Series[];
  currentMedications: (Medication & { docId: string })[];
  pastMedications: (Medication & { docId: string })[];
  immunizations: (Immunization & { docId: string })[];
  allergies: (Allergy & { docId: string })[];
  conditions: (Condition & { docId: string })[];
  timeline: TimelineEntry[];
}

const day = (iso: string | undefined) => (iso ?? "").slice(0, 10);

export function collect(docs: ReadDocument[]): Records {
  const series = new Map<string, Series>();
  for (const d of docs) {
    for (const m of d.x.measurements) {
      const key = `${m.code}|${m.unit}`;
      let s = series.get(key);
      if (!s) series.set(key, (s = { code: m.code, name: m.name, unit: unitLabel(m.unit), vital: m.vital, points: [] }));
      s.points.push({ ...m, date: day(m.date) || d.careDate, docId: d.id });
    }
  }
  for (const s of series.values()) {
    s.points.sort((a, b) => a.date.localeCompare(b.date));
    const ranged = [...s.points].reverse().find((p) => p.low !== undefined || p.high !== undefined);
    s.low = ranged?.low;
    s.high = ranged?.high;
  }
  const byName = (a: Series, b: Series) => a.name.localeCompare(b.name);
  const all = [...series.values()];
  const tag = <T,>(d: ReadDocument, list: T[]) => list.map((v) => ({ ...v, docId: d.id }));
  const newestFirst = <T extends { date?: string }>(list: T[]) => list.sort((a, b) => (b.date ?? "").localeCompare(a.date ?? ""));
  const meds = newestFirst(docs.flatMap((d) => tag(d, d.x.medications)));
  return {
    labs: all.filter((s) => !s.vital).sort(byName),
    vitals: all.filter((s) => s.vital).sort(byName),
    currentMedications: latestBy(meds.filter(isCurrent), (m) => m.name.toLowerCase()),
    pastMedications: meds.filter((m) => !isCurrent(m)),
    immunizations: newestFirst(docs.flatMap((d) => tag(d, d.x.immunizations))),
    allergies: latestBy(newestFirst(docs.flatMap((d) => tag(d, d.x.allergies))), (a) => a.substance.toLowerCase()),
    conditions: latestBy(newestFirst(docs.flatMap((d) => tag(d, d.x.conditions))), (c) => c.name.toLowerCase()),
    timeline: docs
      .map((d) => ({ docId: d.id, date: day(d.x.date) || d.careDate, hospital: d.x.hospital, hiType: d.hiType, title: d.x.title }))
      .sort((a, b) => b.date.localeCompare(a.date)),
  };
}

/** The first (newest) item of each key: one row per medicine, allergy or condition. */
function latestBy<T>(list: T[], key: (v: T) => string): T[] {
  const seen = new Set<string>();
  return list.filter((v) => {
    const k = key(v);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
