// Types of fhir-gen.mjs for the tests that run the checker over its output.
export interface Generated {
  name: string;
  hiType: "OPConsultation" | "Prescription" | "DischargeSummary" | "DiagnosticReport" | "ImmunizationRecord" | "HealthDocumentRecord" | "WellnessRecord";
  careDate: string;
  bundle: Record<string, unknown>;
}
export function generate(opts?: { seed?: number; patients?: number; years?: number; end?: string }): Generated[];
export function sample(seed?: number): Generated[];
