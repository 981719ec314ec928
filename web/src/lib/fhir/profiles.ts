// What each ABDM HI type's NRCeS profile fixes for the document's Composition, so a bundle
// can be checked on the patient's device before it is sealed (the server never reads it).
import type { HiType } from "../hiTypes";

export const SNOMED = "http://snomed.info/sct";
export const LOINC = "http://loinc.org";

/** One accepted form of Composition.type: a SNOMED CT code, or (where the profile fixes only text) a text. */
export interface CompositionType {
  code?: string;
  text?: string;
  display: string;
}

/**
 * Composition.type per HI type, from the NRCeS FHIR IG (nrces.in/ndhm/fhir/r4). Where
 * implementations in the wild disagree (WellnessRecord: a fixed text "Wellness Record" in the
 * IG, "Record artifact" 419891008 in some senders) every form seen is accepted: the check
 * exists to catch a document of the wrong kind, not to reject a hospital's spelling.
 */
export const COMPOSITION_TYPES: Record<HiType, CompositionType[]> = {
  OPConsultation: [{ code: "371530004", display: "Clinical consultation report" }],
  Prescription: [{ code: "440545006", display: "Prescription record" }],
  DischargeSummary: [{ code: "373942005", display: "Discharge summary" }],
  DiagnosticReport: [{ code: "721981007", display: "Diagnostic studies report" }],
  ImmunizationRecord: [{ code: "41000179103", display: "Immunization record" }],
  HealthDocumentRecord: [{ code: "419891008", display: "Record artifact" }],
  WellnessRecord: [
    { text: "Wellness Record", display: "Wellness Record" },
    { code: "419891008", display: "Record artifact" },
  ],
};

/** The NRCeS profile URL of each HI type's Composition (what the generator declares in meta). */
export const PROFILE_NAMES: Record<HiType, string> = {
  OPConsultation: "OPConsultRecord",
  Prescription: "PrescriptionRecord",
  DischargeSummary: "DischargeSummaryRecord",
  DiagnosticReport: "DiagnosticReportRecord",
  ImmunizationRecord: "ImmunizationRecord",
  HealthDocumentRecord: "HealthDocumentRecord",
  WellnessRecord: "WellnessRecord",
};

/** Which HI type a Composition.type names, if any (for the timeline of documents stored as another type). */
export function hiTypeOfComposition(type: { coding?: { system?: string; code?: string }[]; text?: string } | undefined): HiType | null {
  if (!type) return null;
  for (const [hi, forms] of Object.entries(COMPOSITION_TYPES) as [HiType, CompositionType[]][]) {
    if (forms.some((f) => typeMatches(type, f))) return hi;
  }
  return null;
}

export function typeMatches(type: { coding?: { system?: string; code?: string }[]; text?: string }, form: CompositionType): boolean {
  if (form.code) return (type.coding ?? []).some((c) => c.code === form.code && (!c.system || c.system === SNOMED));
  return !!form.text && (type.text ?? "").trim().toLowerCase() === form.text.toLowerCase();
}
