// FHIR documents on the patient's device: the checks before sealing (check.ts), what a page
// shows from a checked document (extract.ts), the NRCeS profile codes and the chart units.
export { checkBundle, checkDocument, fileIssues, issueText, looksLikeBundle, parseFhir, type Issue, type Problem } from "./check";
export { extract, isCurrent, type Extracted, type Measurement, type Medication } from "./extract";
export { COMPOSITION_TYPES, PROFILE_NAMES } from "./profiles";
