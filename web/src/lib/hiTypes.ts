// ABDM's seven HI types, in the vocabulary's order (how the platform stores and lists them).
export const HI_TYPES = [
  "OPConsultation",
  "Prescription",
  "DischargeSummary",
  "DiagnosticReport",
  "ImmunizationRecord",
  "HealthDocumentRecord",
  "WellnessRecord",
] as const;
export type HiType = (typeof HI_TYPES)[number];
