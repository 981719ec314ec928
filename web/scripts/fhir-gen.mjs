#!/usr/bin/env node
// Test data: FHIR R4 document bundles shaped as the NRCeS profiles of every ABDM HI type, for
// several made-up patients over years of care (lab values that drift, now and then out of
// range; prescriptions; immunizations; discharge summaries). Deterministic from a seed, no
// dependencies. Nothing here is real patient data.
//
//   node scripts/fhir-gen.mjs <out-dir> [--seed 7] [--patients 3] [--years 4]
//   node scripts/fhir-gen.mjs <out-dir> --sample      (the small set the browser tests upload)
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const SCT = "http://snomed.info/sct";
const LNC = "http://loinc.org";
const UCUM = "http://unitsofmeasure.org";
const NRCES = "https://nrces.in/ndhm/fhir/r4/StructureDefinition/";

/** Composition.type and profile per HI type (see src/lib/fhir/profiles.ts). */
const DOC_TYPES = {
  OPConsultation: { profile: "OPConsultRecord", type: { coding: [{ system: SCT, code: "371530004", display: "Clinical consultation report" }], text: "Clinical consultation report" }, title: "Consultation Report" },
  Prescription: { profile: "PrescriptionRecord", type: { coding: [{ system: SCT, code: "440545006", display: "Prescription record" }], text: "Prescription record" }, title: "Prescription" },
  DischargeSummary: { profile: "DischargeSummaryRecord", type: { coding: [{ system: SCT, code: "373942005", display: "Discharge summary" }], text: "Discharge summary" }, title: "Discharge Summary" },
  DiagnosticReport: { profile: "DiagnosticReportRecord", type: { coding: [{ system: SCT, code: "721981007", display: "Diagnostic studies report" }], text: "Diagnostic studies report" }, title: "Laboratory Report" },
  ImmunizationRecord: { profile: "ImmunizationRecord", type: { coding: [{ system: SCT, code: "41000179103", display: "Immunization record" }], text: "Immunization record" }, title: "Immunization Record" },
  HealthDocumentRecord: { profile: "HealthDocumentRecord", type: { coding: [{ system: SCT, code: "419891008", display: "Record artifact" }], text: "Record artifact" }, title: "Health Document" },
  WellnessRecord: { profile: "WellnessRecord", type: { text: "Wellness Record" }, title: "Wellness Record" },
};

/** The lab panel: LOINC, name, UCUM unit, reference range by sex, typical start and drift per year. */
const LABS = [
  { code: "4548-4", name: "Hemoglobin A1c/Hemoglobin.total in Blood", short: "HbA1c", unit: "%", range: { M: [4, 5.6], F: [4, 5.6] }, start: [5.4, 7.8], drift: [-0.3, 0.4], sd: 0.25, dp: 1 },
  { code: "1558-6", name: "Fasting glucose [Mass/volume] in Serum or Plasma", short: "Fasting glucose", unit: "mg/dL", range: { M: [70, 99], F: [70, 99] }, start: [88, 150], drift: [-6, 10], sd: 9, dp: 0 },
  { code: "2160-0", name: "Creatinine [Mass/volume] in Serum or Plasma", short: "Creatinine", unit: "mg/dL", range: { M: [0.7, 1.3], F: [0.6, 1.1] }, start: [0.7, 1.1], drift: [0, 0.08], sd: 0.07, dp: 2 },
  { code: "718-7", name: "Hemoglobin [Mass/volume] in Blood", short: "Haemoglobin", unit: "g/dL", range: { M: [13, 17], F: [12, 15.5] }, start: [11.5, 15], drift: [-0.2, 0.2], sd: 0.5, dp: 1 },
  { code: "13457-7", name: "Cholesterol in LDL [Mass/volume] in Serum or Plasma by calculation", short: "LDL cholesterol", unit: "mg/dL", range: { M: [0, 100], F: [0, 100] }, start: [90, 165], drift: [-12, 4], sd: 10, dp: 0 },
];

const VITALS = [
  { code: "8480-6", name: "Systolic blood pressure", unit: "mm[Hg]", unitText: "mmHg", start: [118, 148], sd: 7, dp: 0 },
  { code: "8462-4", name: "Diastolic blood pressure", unit: "mm[Hg]", unitText: "mmHg", start: [74, 94], sd: 5, dp: 0 },
  { code: "8867-4", name: "Heart rate", unit: "/min", unitText: "beats/min", start: [64, 88], sd: 5, dp: 0 },
  { code: "29463-7", name: "Body weight", unit: "kg", unitText: "kg", start: [54, 88], sd: 1.2, dp: 1 },
];

const HOSPITALS = [
  { name: "AIIMS New Delhi", city: "New Delhi", hfr: "IN0710000001" },
  { name: "Sassoon General Hospital", city: "Pune", hfr: "IN2710000002" },
  { name: "Narayana Health City", city: "Bengaluru", hfr: "IN2910000003" },
  { name: "Government General Hospital", city: "Chennai", hfr: "IN3310000004" },
];

const DOCTORS = [
  { prefix: "Dr.", given: "Meera", family: "Iyer" },
  { prefix: "Dr.", given: "Arjun", family: "Malhotra" },
  { prefix: "Dr.", given: "Farah", family: "Siddiqui" },
  { prefix: "Dr.", given: "Rakesh", family: "Patil" },
];

const PATIENTS = [
  { given: "Asha", family: "Rao", sex: "F", birth: "1968-04-12" },
  { given: "Vikram", family: "Singh", sex: "M", birth: "1959-09-30" },
  { given: "Lakshmi", family: "Narayanan", sex: "F", birth: "1975-01-22" },
  { given: "Imran", family: "Qureshi", sex: "M", birth: "1982-11-05" },
  { given: "Gurpreet", family: "Kaur", sex: "F", birth: "1990-06-17" },
];

const MEDICINES = [
  { name: "Metformin 500 mg tablet", dose: "1 tablet twice a day after meals" },
  { name: "Atorvastatin 10 mg tablet", dose: "1 tablet at night" },
  { name: "Telmisartan 40 mg tablet", dose: "1 tablet in the morning" },
  { name: "Glimepiride 1 mg tablet", dose: "1 tablet before breakfast" },
  { name: "Ferrous sulphate 200 mg tablet", dose: "1 tablet a day for 3 months" },
];

const VACCINES = [
  { code: "1119305005", display: "COVID-19 antigen vaccine", text: "COVISHIELD (COVID-19 vaccine)" },
  { code: "1181000221105", display: "Influenza virus antigen only vaccine product", text: "Influenza vaccine (seasonal)" },
  { code: "871875004", display: "Tetanus and diphtheria vaccine", text: "Td (tetanus, diphtheria) booster" },
  { code: "836374004", display: "Hepatitis B virus antigen vaccine", text: "Hepatitis B vaccine" },
];

const CONDITIONS = [
  { code: "44054006", display: "Diabetes mellitus type 2" },
  { code: "38341003", display: "Hypertensive disorder" },
  { code: "55822004", display: "Hyperlipidemia" },
  { code: "87522002", display: "Iron deficiency anemia" },
];

const ALLERGIES = [
  { code: "764146007", display: "Penicillin" },
  { code: "256349002", display: "Peanut" },
  { code: "387458008", display: "Aspirin" },
];

/** mulberry32: a small seeded PRNG, so a seed always gives the same documents. */
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const between = ([lo, hi]) => lo + (hi - lo) * next();
  const pick = (list) => list[Math.floor(next() * list.length)];
  const normal = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const uuid = () => {
    const hex = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16)).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
  };
  return { next, between, pick, normal, uuid };
}

const round = (v, dp) => Math.round(v * 10 ** dp) / 10 ** dp;
const day = (d) => d.toISOString().slice(0, 10);
const addDays = (d, n) => new Date(d.getTime() + n * 86400000);

/** One document bundle: the Composition first, then every resource it and they reference. */
function documentBundle(rng, { hiType, date, patient, hospital, doctor, sections, extra }) {
  const spec = DOC_TYPES[hiType];
  const ids = { composition: rng.uuid(), patient: rng.uuid(), org: rng.uuid(), doctor: rng.uuid() };
  const ref = (id) => ({ reference: `urn:uuid:${id}` });
  const patientRef = ref(ids.patient);
  const built = sections.map((s) => ({ title: s.title, code: s.code, resources: s.resources({ patientRef, docRef: ref(ids.doctor), orgRef: ref(ids.org), ref }) }));
  const entries = [
    {
      fullUrl: `urn:uuid:${ids.composition}`,
      resource: {
        resourceType: "Composition",
        id: ids.composition,
        meta: { profile: [NRCES + spec.profile] },
        identifier: { system: "https://ndhm.in/phr", value: rng.uuid() },
        status: "final",
        type: spec.type,
        subject: patientRef,
        date: `${date}T10:30:00+05:30`,
        author: [ref(ids.doctor)],
        title: extra?.title ?? spec.title,
        custodian: ref(ids.org),
        section: built.map((s) => ({ title: s.title, code: s.code, entry: s.resources.map((r) => ref(r.id)) })),
      },
    },
    {
      fullUrl: `urn:uuid:${ids.patient}`,
      resource: {
        resourceType: "Patient",
        id: ids.patient,
        name: [{ text: `${patient.given} ${patient.family}` }],
        gender: patient.sex === "F" ? "female" : "male",
        birthDate: patient.birth,
      },
    },
    {
      fullUrl: `urn:uuid:${ids.org}`,
      resource: {
        resourceType: "Organization",
        id: ids.org,
        identifier: [{ system: "https://facility.ndhm.gov.in", value: hospital.hfr }],
        name: hospital.name,
        address: [{ city: hospital.city, country: "IN" }],
      },
    },
    {
      fullUrl: `urn:uuid:${ids.doctor}`,
      resource: { resourceType: "Practitioner", id: ids.doctor, name: [{ prefix: [doctor.prefix], given: [doctor.given], family: doctor.family }] },
    },
    ...built.flatMap((s) => s.resources.map((r) => ({ fullUrl: `urn:uuid:${r.id}`, resource: r }))),
  ];
  return {
    resourceType: "Bundle",
    id: rng.uuid(),
    meta: { lastUpdated: `${date}T10:30:00+05:30` },
    identifier: { system: "http://hip.in", value: rng.uuid() },
    type: "document",
    timestamp: `${date}T10:30:00+05:30`,
    entry: entries,
  };
}

const cc = (system, code, display, text) => ({ coding: [{ system, code, display }], text: text ?? display });

function observation(rng, { code, name, short, value, unit, unitText, date, range, vital, patientRef, dp }) {
  const v = round(value, dp);
  const out = range && (v < range[0] || v > range[1]);
  return {
    resourceType: "Observation",
    id: rng.uuid(),
    status: "final",
    category: [
      vital
        ? cc("http://terminology.hl7.org/CodeSystem/observation-category", "vital-signs", "Vital Signs")
        : cc("http://terminology.hl7.org/CodeSystem/observation-category", "laboratory", "Laboratory"),
    ],
    code: cc(LNC, code, name, short),
    subject: patientRef,
    effectiveDateTime: date,
    valueQuantity: { value: v, unit: unitText ?? unit, system: UCUM, code: unit },
    ...(range && {
      referenceRange: [
        {
          ...(range[0] > 0 && { low: { value: range[0], unit, system: UCUM, code: unit } }),
          high: { value: range[1], unit, system: UCUM, code: unit },
        },
      ],
    }),
    ...(out && {
      interpretation: [
        cc("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", v > range[1] ? "H" : "L", v > range[1] ? "High" : "Low"),
      ],
    }),
  };
}

function medicationRequest(rng, med, { status, date, patientRef, docRef }) {
  return {
    resourceType: "MedicationRequest",
    id: rng.uuid(),
    status,
    intent: "order",
    medicationCodeableConcept: { text: med.name },
    subject: patientRef,
    authoredOn: date,
    requester: docRef,
    dosageInstruction: [{ text: med.dose }],
  };
}

/** A patient's care over `years`: labs every 3-5 months, yearly prescriptions and visits, a few vaccines, maybe a stay in hospital. */
function patientDocuments(rng, patient, n, years, endDate) {
  const docs = [];
  const home = HOSPITALS[n % HOSPITALS.length];
  const doctor = DOCTORS[n % DOCTORS.length];
  const start = addDays(endDate, -365 * years);
  const conditions = [CONDITIONS[0], rng.pick(CONDITIONS.slice(1))];
  const allergy = rng.next() < 0.6 ? rng.pick(ALLERGIES) : null;
  const meds = [MEDICINES[0], MEDICINES[1], rng.pick(MEDICINES.slice(2))];
  const add = (hiType, date, hospital, sections, extra) =>
    docs.push({ hiType, careDate: day(date), bundle: documentBundle(rng, { hiType, date: day(date), patient, hospital, doctor, sections, extra }) });

  // Lab values: a random walk around a drifting level, the same trend through the years.
  const level = Object.fromEntries(LABS.map((l) => [l.code, rng.between(l.start)]));
  const drift = Object.fromEntries(LABS.map((l) => [l.code, rng.between(l.drift)]));
  for (let d = addDays(start, 20 + Math.floor(rng.next() * 40)); d < endDate; d = addDays(d, 90 + Math.floor(rng.next() * 60))) {
    const date = day(d);
    const lab = rng.next() < 0.8 ? home : rng.pick(HOSPITALS);
    const obs = ({ patientRef }) =>
      LABS.map((l) => {
        level[l.code] += (drift[l.code] * 120) / 365;
        return observation(rng, { ...l, value: level[l.code] + l.sd * rng.normal(), date, range: l.range[patient.sex], patientRef });
      });
    add("DiagnosticReport", d, lab, [
      {
        title: "Laboratory results",
        code: cc(LNC, "30954-2", "Relevant diagnostic tests/laboratory data"),
        resources: (ctx) => {
          const results = obs(ctx);
          const report = {
            resourceType: "DiagnosticReport",
            id: rng.uuid(),
            status: "final",
            code: cc(LNC, "24323-8", "Comprehensive metabolic 2000 panel - Serum or Plasma"),
            subject: ctx.patientRef,
            effectiveDateTime: date,
            performer: [ctx.orgRef],
            resultsInterpreter: [ctx.docRef],
            result: results.map((r) => ctx.ref(r.id)),
            conclusion: "Results reviewed.",
          };
          return [report, ...results];
        },
      },
    ]);
  }

  // Yearly: a consultation with vitals and a prescription; older prescriptions are completed.
  const vitalLevel = Object.fromEntries(VITALS.map((v) => [v.code, rng.between(v.start)]));
  for (let y = 0; y < years; y++) {
    const visit = addDays(start, 365 * y + 30 + Math.floor(rng.next() * 200));
    if (visit >= endDate) break;
    const date = day(visit);
    const last = y === years - 1;
    const vitals = (patientRef) => VITALS.map((v) => observation(rng, { ...v, value: vitalLevel[v.code] + v.sd * rng.normal(), date, vital: true, patientRef }));
    add("OPConsultation", visit, home, [
      { title: "Vital signs", code: cc(LNC, "8716-3", "Vital signs"), resources: ({ patientRef }) => vitals(patientRef) },
      {
        title: "Medical history",
        code: cc(SCT, "371529009", "History and physical report"),
        resources: ({ patientRef }) =>
          conditions.map((c) => ({
            resourceType: "Condition",
            id: rng.uuid(),
            clinicalStatus: cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "active", "Active"),
            code: cc(SCT, c.code, c.display),
            subject: patientRef,
            recordedDate: date,
          })),
      },
      ...(allergy
        ? [
            {
              title: "Allergies",
              code: cc(SCT, "722446000", "Allergy record"),
              resources: ({ patientRef }) => [
                {
                  resourceType: "AllergyIntolerance",
                  id: rng.uuid(),
                  clinicalStatus: cc("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "active", "Active"),
                  criticality: "high",
                  code: cc(SCT, allergy.code, allergy.display),
                  patient: patientRef,
                  recordedDate: date,
                },
              ],
            },
          ]
        : []),
    ]);
    add("Prescription", addDays(visit, 0), home, [
      {
        title: "Prescription record",
        code: cc(SCT, "440545006", "Prescription record"),
        resources: ({ patientRef, docRef }) => meds.slice(0, 2 + (y % 2)).map((m) => medicationRequest(rng, m, { status: last ? "active" : "completed", date, patientRef, docRef })),
      },
    ]);
    add("WellnessRecord", addDays(visit, 7), home, [
      { title: "Vital Signs", code: cc(LNC, "8716-3", "Vital signs"), resources: ({ patientRef }) => vitals(patientRef) },
    ]);
  }

  // Immunizations: a course early on, a booster later.
  const shots = [VACCINES[0], VACCINES[1], rng.pick(VACCINES.slice(2))];
  shots.forEach((v, i) => {
    const d = addDays(start, 60 + i * Math.floor((365 * years) / 4));
    if (d >= endDate) return;
    add("ImmunizationRecord", d, rng.pick(HOSPITALS), [
      {
        title: "Immunization record",
        code: cc(SCT, "41000179103", "Immunization record"),
        resources: ({ patientRef }) => [
          {
            resourceType: "Immunization",
            id: rng.uuid(),
            status: "completed",
            vaccineCode: cc(SCT, v.code, v.display, v.text),
            patient: patientRef,
            occurrenceDateTime: day(d),
            primarySource: true,
            lotNumber: `L${Math.floor(rng.next() * 900000 + 100000)}`,
          },
        ],
      },
    ]);
  });

  // One stay in hospital for some patients.
  if (rng.next() < 0.7) {
    const admitted = addDays(start, Math.floor(rng.next() * 300 * years));
    if (admitted < endDate) {
      const discharged = addDays(admitted, 3 + Math.floor(rng.next() * 5));
      const other = rng.pick(HOSPITALS);
      add(
        "DischargeSummary",
        discharged,
        other,
        [
          {
            title: "Diagnosis",
            code: cc(SCT, "439401001", "Diagnosis"),
            resources: ({ patientRef }) => [
              {
                resourceType: "Condition",
                id: rng.uuid(),
                clinicalStatus: cc("http://terminology.hl7.org/CodeSystem/condition-clinical", "resolved", "Resolved"),
                code: cc(SCT, "233604007", "Pneumonia"),
                subject: patientRef,
                onsetDateTime: day(admitted),
              },
            ],
          },
          {
            title: "Medications",
            code: cc(SCT, "1003606003", "Medication history section"),
            resources: ({ patientRef, docRef }) => [
              medicationRequest(rng, { name: "Amoxicillin + Clavulanic acid 625 mg tablet", dose: "1 tablet three times a day for 5 days" }, { status: "completed", date: day(discharged), patientRef, docRef }),
            ],
          },
        ],
        { title: `Discharge Summary: ${other.name}` },
      );
    }
  }

  // A scanned document carried inside a HealthDocumentRecord.
  const scanned = addDays(start, 100);
  if (scanned < endDate) {
    add("HealthDocumentRecord", scanned, home, [
      {
        title: "Record artifact",
        code: cc(SCT, "419891008", "Record artifact"),
        resources: ({ patientRef }) => [
          {
            resourceType: "DocumentReference",
            id: rng.uuid(),
            status: "current",
            type: cc(SCT, "4241000179101", "Laboratory report"),
            subject: patientRef,
            content: [{ attachment: { contentType: "application/pdf", title: "Old lab report (scan)", data: TINY_PDF } }],
          },
        ],
      },
    ]);
  }
  return docs;
}

/** A small one-page PDF (base64) saying what it stands for, so attachments decode and render. */
const TINY_PDF = (() => {
  const text = "BT /F1 14 Tf 24 100 Td (Lab report, scanned: HbA1c 6.4 %) Tj ET";
  const objects = [
    "<</Type/Catalog/Pages 2 0 R>>",
    "<</Type/Pages/Kids[3 0 R]/Count 1>>",
    "<</Type/Page/Parent 2 0 R/MediaBox[0 0 420 200]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>",
    `<</Length ${text.length}>>stream\n${text}\nendstream`,
    "<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>",
  ];
  let pdf = "%PDF-1.4\n";
  const offsets = objects.map((o, i) => {
    const at = pdf.length;
    pdf += `${i + 1} 0 obj${o}\nendobj\n`;
    return at;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, "0")} 00000 n \n`).join("")}`;
  pdf += `trailer<</Size ${objects.length + 1}/Root 1 0 R>>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, "latin1").toString("base64");
})();

/**
 * Every patient's documents: [{ name, hiType, careDate, bundle }], sorted by patient and date.
 * `end` fixes "today" so the same seed gives the same files on any day.
 */
export function generate({ seed = 7, patients = 3, years = 4, end = "2026-10-01" } = {}) {
  const rng = prng(seed);
  const out = [];
  for (let n = 0; n < patients; n++) {
    const patient = PATIENTS[n % PATIENTS.length];
    const docs = patientDocuments(rng, patient, n, years, new Date(`${end}T00:00:00Z`));
    docs.sort((a, b) => a.careDate.localeCompare(b.careDate) || a.hiType.localeCompare(b.hiType));
    docs.forEach((d, i) => out.push({ name: `p${n + 1}-${String(i + 1).padStart(3, "0")}-${d.careDate}-${d.hiType}.json`, ...d }));
  }
  return out;
}

/**
 * The small set the browser tests upload: one patient's three lab reports (one test with three
 * points, flagged values), a prescription, a consultation, and a lab report with a missing code.
 */
export function sample(seed = 7) {
  const all = generate({ seed, patients: 1, years: 1, end: "2026-09-01" });
  const pick = (hi, n) => all.filter((d) => d.hiType === hi).slice(0, n);
  const labs = pick("DiagnosticReport", 3);
  const chosen = [...labs, ...pick("Prescription", 1), ...pick("OPConsultation", 1)].map((d) => ({ ...d, name: `${d.careDate}-${d.hiType}.json` }));
  const broken = structuredClone(labs[0]);
  const obs = broken.bundle.entry.findIndex((e) => e.resource.resourceType === "Observation");
  delete broken.bundle.entry[obs].resource.code;
  chosen.push({ ...broken, name: "malformed-DiagnosticReport.json" });
  return chosen;
}

function main(argv) {
  const dir = argv[0];
  if (!dir || dir.startsWith("--")) {
    console.error("usage: fhir-gen.mjs <out-dir> [--seed N] [--patients N] [--years N] [--sample]");
    process.exit(2);
  }
  const opt = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i > 0 ? Number(argv[i + 1]) : dflt;
  };
  const docs = argv.includes("--sample") ? sample(opt("seed", 7)) : generate({ seed: opt("seed", 7), patients: opt("patients", 3), years: opt("years", 4) });
  mkdirSync(dir, { recursive: true });
  for (const d of docs) writeFileSync(join(dir, d.name), JSON.stringify(d.bundle, null, 2) + "\n");
  console.log(`${docs.length} documents written to ${dir}`);
}

if (import.meta.url === `file://${process.argv[1]}`) main(process.argv.slice(2));
