//! The checks a FHIR document passes before it is sealed as a structured health record: a FHIR
//! R4 Bundle of type "document" shaped as its HI type's NRCeS profile requires (Composition
//! first with the profile's type, references that resolve, the codes each resource needs, lab
//! units the charts convert). Pure functions on parsed JSON; each problem names the element
//! (`entry[3].resource.code: missing`), as `web/src/lib/fhir/check.ts` does.

use std::collections::HashSet;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};

use super::profiles::{self, CompositionType, LOINC};
use super::units::to_chart_unit;

/// What is wrong with one element.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The file is not JSON.
    NotJson,
    /// JSON, but no resourceType.
    NotFhir,
    /// A FHIR resource, but not a Bundle.
    NotBundle,
    /// A Bundle whose type is not "document".
    NotDocument,
    /// A required element is absent or empty.
    Missing,
    /// The first entry is not a Composition.
    NotComposition,
    /// Composition.type is not the one the HI type's profile fixes.
    WrongType,
    /// A reference names no entry of the bundle.
    Unresolved,
    /// A lab value's unit the charts cannot convert for its test.
    Unit,
}

impl Problem {
    fn words(self) -> &'static str {
        match self {
            Self::NotJson => "not json",
            Self::NotFhir => "not fhir",
            Self::NotBundle => "not bundle",
            Self::NotDocument => "not document",
            Self::Missing => "missing",
            Self::NotComposition => "not composition",
            Self::WrongType => "wrong type",
            Self::Unresolved => "unresolved",
            Self::Unit => "unit",
        }
    }
}

/// One problem with one element.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// The element, FHIRPath-like from the bundle root: `entry[3].resource.code`.
    pub path: String,
    /// What is wrong with it.
    pub problem: Problem,
    /// What was expected or seen, when that helps (the fixed code, the unit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Issue {
    fn new(path: impl Into<String>, problem: Problem) -> Self {
        Self { path: path.into(), problem, detail: None }
    }

    fn with(path: impl Into<String>, problem: Problem, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        Self { path: path.into(), problem, detail: (!detail.is_empty()).then_some(detail) }
    }
}

/// `entry[3].resource.code: missing`, `type: not document (collection)`.
impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.problem.words())?;
        if let Some(d) = &self.detail {
            write!(f, " ({d})")?;
        }
        Ok(())
    }
}

/// A string that is not blank.
pub(crate) fn text_of(v: Option<&Value>) -> Option<&str> {
    v.and_then(Value::as_str).filter(|s| !s.trim().is_empty())
}

/// An array's items; nothing for anything else.
pub(crate) fn items(v: Option<&Value>) -> &[Value] {
    v.and_then(Value::as_array).map_or(&[], Vec::as_slice)
}

/// Parses bytes as a FHIR resource: the object, or the issue that stops it.
pub fn parse_fhir(bytes: &[u8]) -> Result<Map<String, Value>, Issue> {
    let Ok(json) = serde_json::from_slice::<Value>(bytes) else {
        return Err(Issue::new("(file)", Problem::NotJson));
    };
    match json {
        Value::Object(o) if text_of(o.get("resourceType")).is_some() => Ok(o),
        _ => Err(Issue::new("resourceType", Problem::NotFhir)),
    }
}

/// Every problem the document has for this HI type; an empty list means it may be sealed as a
/// record.
pub fn check_document(bytes: &[u8], hi_type: &str) -> Vec<Issue> {
    match parse_fhir(bytes) {
        Ok(resource) => check_bundle(&resource, hi_type),
        Err(issue) => vec![issue],
    }
}

/// The checks on a parsed resource.
pub fn check_bundle(bundle: &Map<String, Value>, hi_type: &str) -> Vec<Issue> {
    let resource_type = bundle.get("resourceType").and_then(Value::as_str).unwrap_or("");
    if resource_type != "Bundle" {
        return vec![Issue::with("resourceType", Problem::NotBundle, resource_type)];
    }
    let mut issues = Vec::new();
    if bundle.get("type").and_then(Value::as_str) != Some("document") {
        issues.push(Issue::with("type", Problem::NotDocument, text_of(bundle.get("type")).unwrap_or("")));
    }
    let entries = items(bundle.get("entry"));
    if entries.is_empty() {
        issues.push(Issue::new("entry", Problem::Missing));
        return issues;
    }
    for (i, e) in entries.iter().enumerate() {
        if text_of(e.get("resource").filter(|r| r.is_object()).and_then(|r| r.get("resourceType"))).is_none() {
            issues.push(Issue::new(format!("entry[{i}].resource"), Problem::Missing));
        } else if text_of(e.get("fullUrl")).is_none() {
            issues.push(Issue::new(format!("entry[{i}].fullUrl"), Problem::Missing));
        }
    }
    if let Some(composition) = entries[0].get("resource").and_then(Value::as_object) {
        let ty = composition.get("resourceType");
        if ty.and_then(Value::as_str) != Some("Composition") {
            issues.push(Issue::with(
                "entry[0].resource.resourceType",
                Problem::NotComposition,
                text_of(ty).unwrap_or(""),
            ));
        } else {
            issues.extend(check_composition(composition, hi_type));
        }
    }
    issues.extend(check_references(entries));
    for (i, e) in entries.iter().enumerate() {
        if let Some(r) = e.get("resource").and_then(Value::as_object) {
            issues.extend(check_resource(r, &format!("entry[{i}].resource")));
        }
    }
    issues
}

fn check_composition(c: &Map<String, Value>, hi_type: &str) -> Vec<Issue> {
    let at = "entry[0].resource";
    let mut issues = Vec::new();
    let forms = profiles::composition_types(hi_type).unwrap_or(&[]);
    match c.get("type").filter(|t| t.is_object()) {
        None => issues.push(Issue::new(format!("{at}.type"), Problem::Missing)),
        Some(ty) if !forms.iter().any(|f| profiles::type_matches(ty, *f)) => {
            let expected: Vec<String> = forms
                .iter()
                .map(|f| match f {
                    CompositionType::Code(code) => format!("SNOMED {code}"),
                    CompositionType::Text(text) => format!("\"{text}\""),
                })
                .collect();
            issues.push(Issue::with(format!("{at}.type"), Problem::WrongType, expected.join(" or ")));
        }
        Some(_) => {}
    }
    for field in ["subject", "date", "title"] {
        if matches!(c.get(field), None | Some(Value::Null)) || c.get(field).and_then(Value::as_str) == Some("") {
            issues.push(Issue::new(format!("{at}.{field}"), Problem::Missing));
        }
    }
    if items(c.get("author")).is_empty() {
        issues.push(Issue::new(format!("{at}.author"), Problem::Missing));
    }
    issues
}

/// `Type/id` at the end of a URL (`…/Organization/o1`), as the portal's pattern
/// `([A-Za-z]+\/[A-Za-z0-9\-.]{1,64})$` finds it.
fn type_and_id_tail(url: &str) -> Option<&str> {
    let slash = url.rfind('/')?;
    let id = &url[slash + 1..];
    if id.is_empty() || id.len() > 64 || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
        return None;
    }
    let letters = url[..slash].chars().rev().take_while(char::is_ascii_alphabetic).count();
    (letters > 0).then(|| &url[slash - letters..])
}

/// Every `reference` in the bundle must name an entry: by fullUrl, or as Type/id of one.
fn check_references(entries: &[Value]) -> Vec<Issue> {
    let mut known: HashSet<String> = HashSet::new();
    for e in entries {
        if let Some(full) = text_of(e.get("fullUrl")) {
            known.insert(full.to_owned());
            if !full.starts_with("urn:")
                && let Some(tail) = type_and_id_tail(full)
            {
                known.insert(tail.to_owned());
            }
        }
        let resource = e.get("resource").filter(|r| r.is_object());
        if let (Some(ty), Some(id)) =
            (text_of(resource.and_then(|r| r.get("resourceType"))), text_of(resource.and_then(|r| r.get("id"))))
        {
            known.insert(format!("{ty}/{id}"));
        }
    }
    let mut issues = Vec::new();
    for (i, e) in entries.iter().enumerate() {
        if let Some(r) = e.get("resource") {
            walk(r, &format!("entry[{i}].resource"), &known, &mut issues);
        }
    }
    issues
}

fn walk(v: &Value, path: &str, known: &HashSet<String>, issues: &mut Vec<Issue>) {
    match v {
        Value::Array(list) => {
            for (i, x) in list.iter().enumerate() {
                walk(x, &format!("{path}[{i}]"), known, issues);
            }
        }
        Value::Object(o) => {
            for (k, x) in o {
                match x {
                    Value::String(target) if k == "reference" => {
                        if !target.starts_with('#') && !known.contains(target) {
                            issues.push(Issue::with(format!("{path}.reference"), Problem::Unresolved, target.as_str()));
                        }
                    }
                    _ => walk(x, &if path.is_empty() { k.clone() } else { format!("{path}.{k}") }, known, issues),
                }
            }
        }
        _ => {}
    }
}

/// A CodeableConcept with a code or a text.
fn has_coded(v: Option<&Value>) -> bool {
    v.is_some_and(|v| {
        v.is_object()
            && (items(v.get("coding")).iter().any(|c| text_of(c.get("code")).is_some())
                || text_of(v.get("text")).is_some())
    })
}

/// The codes each clinical resource needs to mean anything on a chart or a list.
fn check_resource(r: &Map<String, Value>, at: &str) -> Vec<Issue> {
    let mut issues = Vec::new();
    let mut need = |ok: bool, field: &str| {
        if !ok {
            issues.push(Issue::new(format!("{at}.{field}"), Problem::Missing));
        }
    };
    let is_obj = |field: &str| r.get(field).is_some_and(Value::is_object);
    let has_text = |field: &str| text_of(r.get(field)).is_some();
    let medication = has_coded(r.get("medicationCodeableConcept")) || is_obj("medicationReference");
    match r.get("resourceType").and_then(Value::as_str).unwrap_or("") {
        "Observation" => {
            need(has_coded(r.get("code")), "code");
            need(has_text("status"), "status");
            issues.extend(check_unit(r, at));
        }
        "MedicationRequest" => {
            need(medication, "medication[x]");
            need(has_text("status"), "status");
            need(is_obj("subject"), "subject");
        }
        "MedicationStatement" => {
            need(medication, "medication[x]");
            need(has_text("status"), "status");
        }
        "Immunization" => {
            need(has_coded(r.get("vaccineCode")), "vaccineCode");
            need(has_text("status"), "status");
            need(has_text("occurrenceDateTime") || has_text("occurrenceString"), "occurrence[x]");
        }
        "AllergyIntolerance" | "Condition" => need(has_coded(r.get("code")), "code"),
        "DiagnosticReport" => {
            need(has_coded(r.get("code")), "code");
            need(has_text("status"), "status");
        }
        "DocumentReference" => need(!items(r.get("content")).is_empty(), "content"),
        "Binary" => need(has_text("contentType"), "contentType"),
        _ => {}
    }
    issues
}

/// A lab value in a unit the charts cannot convert for its LOINC code.
fn check_unit(r: &Map<String, Value>, at: &str) -> Option<Issue> {
    let q = r.get("valueQuantity").filter(|q| q.is_object())?;
    let loinc = loinc_code(r.get("code"))?;
    let value = q.get("value").and_then(Value::as_f64)?;
    let (code, unit) = (text_of(q.get("code")), text_of(q.get("unit")));
    match to_chart_unit(loinc, value, code, unit) {
        Some(_) => None,
        None => Some(Issue::with(
            format!("{at}.valueQuantity.unit"),
            Problem::Unit,
            format!("{} for LOINC {loinc}", code.or(unit).unwrap_or("none")),
        )),
    }
}

/// The LOINC code of a CodeableConcept, if it has one.
pub fn loinc_code(v: Option<&Value>) -> Option<&str> {
    items(v?.get("coding"))
        .iter()
        .find(|c| c.get("system").and_then(Value::as_str) == Some(LOINC) && text_of(c.get("code")).is_some())
        .and_then(|c| c.get("code")?.as_str())
}
