// The units the charts understand, per LOINC code: each lab value is converted to one unit per
// test so a trend mixes no mg/dL with mmol/L. A unit not listed for a known test cannot be
// charted and the checker says so.

export interface UnitRule {
  /** The unit every value of this test is shown in (UCUM). */
  unit: string;
  /** Other units (normalised spelling) and how to convert a value to `unit`. */
  from: Record<string, (v: number) => number>;
}

const same = (v: number) => v;
const times = (k: number) => (v: number) => v * k;

/** Known tests: lab values (the chronic-care panel) and vital signs. */
export const UNIT_RULES: Record<string, UnitRule> = {
  "4548-4": { unit: "%", from: { "%": same, "mmol/mol": (v) => v * 0.09148 + 2.152 } }, // HbA1c
  "1558-6": { unit: "mg/dL", from: { "mg/dl": same, "mmol/l": times(18.016) } }, // fasting glucose
  "2345-7": { unit: "mg/dL", from: { "mg/dl": same, "mmol/l": times(18.016) } }, // glucose
  "2160-0": { unit: "mg/dL", from: { "mg/dl": same, "umol/l": times(1 / 88.42) } }, // creatinine
  "718-7": { unit: "g/dL", from: { "g/dl": same, "g/l": times(0.1) } }, // haemoglobin
  "13457-7": { unit: "mg/dL", from: { "mg/dl": same, "mmol/l": times(38.67) } }, // LDL (calculated)
  "2089-1": { unit: "mg/dL", from: { "mg/dl": same, "mmol/l": times(38.67) } }, // LDL
  "2085-9": { unit: "mg/dL", from: { "mg/dl": same, "mmol/l": times(38.67) } }, // HDL
  "2093-3": { unit: "mg/dL", from: { "mg/dl": same, "mmol/l": times(38.67) } }, // total cholesterol
  "2571-8": { unit: "mg/dL", from: { "mg/dl": same, "mmol/l": times(88.57) } }, // triglycerides
  "3016-3": { unit: "m[IU]/L", from: { "m[iu]/l": same, "miu/l": same, "uiu/ml": same, "[iu]/ml": times(1e6) } }, // TSH
  "8480-6": { unit: "mm[Hg]", from: { "mm[hg]": same, "mmhg": same } }, // systolic
  "8462-4": { unit: "mm[Hg]", from: { "mm[hg]": same, "mmhg": same } }, // diastolic
  "8867-4": { unit: "/min", from: { "/min": same, "{beats}/min": same, "bpm": same } }, // heart rate
  "29463-7": { unit: "kg", from: { "kg": same, "[lb_av]": times(0.45359237), "lb": times(0.45359237), "g": times(0.001) } },
  "8302-2": { unit: "cm", from: { "cm": same, "m": times(100), "[in_i]": times(2.54) } }, // height
  "39156-5": { unit: "kg/m2", from: { "kg/m2": same } }, // BMI
  "8310-5": { unit: "Cel", from: { "cel": same, "[degf]": (v) => ((v - 32) * 5) / 9 } }, // temperature
  "59408-5": { unit: "%", from: { "%": same } }, // SpO2
};

/** Lower-case, no spaces, µ as u: "mg/dL", "mg / dl" and "MG/DL" are one unit. */
export function normaliseUnit(u: string): string {
  return u.replace(/\s+/g, "").replace(/[µμ]/g, "u").toLowerCase();
}

/**
 * The value in the test's chart unit, or null when the unit is not one the charts know for
 * this test. A test not listed keeps its own unit (grouping by code and unit keeps it honest).
 */
export function toChartUnit(loinc: string, value: number, unit: { code?: string; unit?: string }): { value: number; unit: string } | null {
  const rule = UNIT_RULES[loinc];
  const spelled = unit.code ?? unit.unit ?? "";
  if (!rule) return { value, unit: spelled };
  for (const candidate of [unit.code, unit.unit]) {
    if (!candidate) continue;
    const convert = rule.from[normaliseUnit(candidate)];
    if (convert) return { value: convert(value), unit: rule.unit };
  }
  return null;
}

/** How a UCUM unit is written for people ("mm[Hg]" is "mmHg"). */
export function unitLabel(ucum: string): string {
  const labels: Record<string, string> = { "mm[Hg]": "mmHg", "/min": "beats/min", Cel: "°C", "m[IU]/L": "mIU/L", "kg/m2": "kg/m²" };
  return labels[ucum] ?? ucum;
}
