//! What a patient reads in a checked FHIR document: lab and vital-sign values, medicines,
//! immunizations, allergies, conditions, and who wrote it where and when (for the timeline).
//! Pure functions on the parsed bundle; missing parts come out empty, never fail
//! (`web/src/lib/fhir/extract.ts` reads the same).

use serde::Serialize;
use serde_json::{Map, Value};

use super::check::{items, loinc_code, text_of};
use super::profiles::hi_type_of_composition;
use super::units::to_chart_unit;

/// One value of a test.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    /// LOINC code, or `text:<name>` when there is none (then never merged with others).
    pub code: String,
    /// The test's name as the document gives it.
    pub name: String,
    /// In the chart unit of the test; `raw` keeps what the document said.
    pub value: f64,
    /// The chart unit (UCUM).
    pub unit: String,
    /// The value and unit as written.
    pub raw: String,
    /// When measured.
    pub date: String,
    /// Reference range, in the chart unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    /// Reference range, in the chart unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
    /// "high" / "low" from the document's interpretation, else from the range; "abnormal".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<&'static str>,
    /// A vital sign rather than a lab value.
    pub vital: bool,
}

/// A medicine prescribed or taken.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Medication {
    /// Its name.
    pub name: String,
    /// How to take it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dosage: Option<String>,
    /// FHIR status (`active`, `completed`, ...).
    pub status: String,
    /// When prescribed or asserted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// `request` (prescribed) or `statement` (reported).
    pub kind: &'static str,
}

impl Medication {
    /// Still being taken: an active, on-hold or intended order or statement.
    pub fn is_current(&self) -> bool {
        matches!(self.status.as_str(), "active" | "on-hold" | "intended")
    }
}

/// What one checked document says.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Extracted {
    /// Composition.title.
    pub title: Option<String>,
    /// Composition.date.
    pub date: Option<String>,
    /// The HI type the Composition.type names.
    pub hi_type: Option<&'static str>,
    /// The authors' names.
    pub authors: Vec<String>,
    /// The custodian's name.
    pub hospital: Option<String>,
    /// Lab values and vital signs.
    pub measurements: Vec<Measurement>,
    /// Medicines.
    pub medications: Vec<Medication>,
}

/// Reads a bundle that passed `check_bundle`; anything unreadable is left out.
pub fn extract(bundle: &Map<String, Value>) -> Extracted {
    let resources: Vec<(Option<&str>, &Map<String, Value>)> = items(bundle.get("entry"))
        .iter()
        .filter_map(|e| Some((text_of(e.get("fullUrl")), e.get("resource")?.as_object()?)))
        .collect();
    let find = |reference: Option<&Value>| lookup(&resources, reference);
    let comp = resources
        .first()
        .map(|(_, r)| *r)
        .filter(|r| r.get("resourceType").and_then(Value::as_str) == Some("Composition"));
    let get = |field: &str| comp.and_then(|c| c.get(field));
    let mut out = Extracted {
        title: text_of(get("title")).map(str::to_owned),
        date: text_of(get("date")).map(str::to_owned),
        hi_type: hi_type_of_composition(get("type").filter(|t| t.is_object())),
        authors: items(get("author"))
            .iter()
            .filter_map(|a| name_of(find(Some(a))).or_else(|| text_of(a.get("display")).map(str::to_owned)))
            .collect(),
        hospital: name_of(find(get("custodian")))
            .or_else(|| text_of(get("custodian").and_then(|c| c.get("display"))).map(str::to_owned)),
        ..Extracted::default()
    };
    for (_, r) in &resources {
        match r.get("resourceType").and_then(Value::as_str).unwrap_or("") {
            "Observation" => {
                if let Some(m) = measurement(r, out.date.as_deref()) {
                    out.measurements.push(m);
                }
            }
            kind @ ("MedicationRequest" | "MedicationStatement") => {
                let referenced = find(r.get("medicationReference"));
                let dosage =
                    items(r.get("dosageInstruction").or_else(|| r.get("dosage"))).iter().find(|d| d.is_object());
                out.medications.push(Medication {
                    name: text(r.get("medicationCodeableConcept"))
                        .or_else(|| text(referenced.and_then(|m| m.get("code"))))
                        .unwrap_or("?")
                        .to_owned(),
                    dosage: text_of(dosage.and_then(|d| d.get("text"))).map(str::to_owned),
                    status: text_of(r.get("status")).unwrap_or("").to_owned(),
                    date: ["authoredOn", "effectiveDateTime", "dateAsserted"]
                        .into_iter()
                        .find_map(|f| text_of(r.get(f)))
                        .map(str::to_owned),
                    kind: if kind == "MedicationRequest" { "request" } else { "statement" },
                });
            }
            _ => {}
        }
    }
    out
}

/// The entry a Reference names: by fullUrl, as `Type/id`, or as the tail of a fullUrl.
fn lookup<'a>(
    resources: &[(Option<&'a str>, &'a Map<String, Value>)],
    reference: Option<&Value>,
) -> Option<&'a Map<String, Value>> {
    let target = text_of(reference.filter(|r| r.is_object())?.get("reference"))?;
    resources
        .iter()
        .find(|(full, r)| {
            *full == Some(target)
                || format!("{}/{}", js_string(r.get("resourceType")), js_string(r.get("id"))) == target
                || full.is_some_and(|f| f.ends_with(&format!("/{target}")))
        })
        .map(|(_, r)| *r)
}

/// A value as JavaScript's template string shows it (`undefined` when absent).
fn js_string(v: Option<&Value>) -> String {
    match v {
        None => "undefined".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Display text of a CodeableConcept: its text, else the first coding's display or code.
pub fn text(v: Option<&Value>) -> Option<&str> {
    let v = v.filter(|v| v.is_object())?;
    let first = items(v.get("coding")).iter().find(|c| c.is_object());
    text_of(v.get("text")).or_else(|| first.and_then(|c| text_of(c.get("display")).or_else(|| text_of(c.get("code")))))
}

/// A Patient's, Practitioner's or Organization's name.
fn name_of(r: Option<&Map<String, Value>>) -> Option<String> {
    let r = r?;
    if let Some(Value::String(s)) = r.get("name") {
        return (!s.trim().is_empty()).then(|| s.clone());
    }
    let n = items(r.get("name")).iter().find(|n| n.is_object())?;
    if let Some(t) = text_of(n.get("text")) {
        return Some(t.to_owned());
    }
    let parts: Vec<&str> = items(n.get("prefix"))
        .iter()
        .chain(items(n.get("given")))
        .chain(n.get("family"))
        .filter_map(Value::as_str)
        .filter(|s| !s.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Two decimals, as the portal rounds.
pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

fn measurement(r: &Map<String, Value>, fallback_date: Option<&str>) -> Option<Measurement> {
    let q = r.get("valueQuantity").filter(|q| q.is_object())?;
    let value = q.get("value").and_then(Value::as_f64)?;
    let loinc = loinc_code(r.get("code"));
    let name = text(r.get("code")).or(loinc).unwrap_or("?").to_owned();
    let (code, unit) = (text_of(q.get("code")), text_of(q.get("unit")));
    let (converted, chart_unit) = to_chart_unit(loinc.unwrap_or(""), value, code, unit)?;
    let range = items(r.get("referenceRange")).iter().find(|x| x.is_object());
    let bound = |b: Option<&Value>| -> Option<f64> {
        let b = b.filter(|b| b.is_object())?;
        let v = b.get("value").and_then(Value::as_f64)?;
        let (bc, bu) = (text_of(b.get("code")).or(code), text_of(b.get("unit")).or(unit));
        to_chart_unit(loinc.unwrap_or(""), v, bc, bu).map(|(v, _)| v)
    };
    let low = bound(range.and_then(|x| x.get("low")));
    let high = bound(range.and_then(|x| x.get("high")));
    let vital = items(r.get("category"))
        .iter()
        .any(|c| items(c.get("coding")).iter().any(|x| x.get("code").and_then(Value::as_str) == Some("vital-signs")));
    let period_start = r.get("effectivePeriod").filter(|p| p.is_object()).and_then(|p| text_of(p.get("start")));
    let date = text_of(r.get("effectiveDateTime")).or(period_start).or(text_of(r.get("issued"))).or(fallback_date);
    Some(Measurement {
        code: loinc.map_or_else(|| format!("text:{name}"), str::to_owned),
        raw: format!("{} {}", js_number(value), unit.or(code).unwrap_or("")).trim().to_owned(),
        name,
        value: round2(converted),
        unit: chart_unit,
        date: date.unwrap_or("").to_owned(),
        low: low.map(round2),
        high: high.map(round2),
        flag: flag_of(r.get("interpretation"), converted, low, high),
        vital,
    })
}

/// A number as JavaScript prints it (`7`, not `7.0`).
pub fn js_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 { format!("{}", v as i64) } else { format!("{v}") }
}

fn flag_of(interpretation: Option<&Value>, value: f64, low: Option<f64>, high: Option<f64>) -> Option<&'static str> {
    let codes: Vec<&str> = items(interpretation)
        .iter()
        .flat_map(|i| items(i.get("coding")).iter().filter_map(|c| text_of(c.get("code"))))
        .collect();
    let any = |set: &[&str]| codes.iter().any(|c| set.contains(c));
    if any(&["H", "HH", "HU"]) {
        Some("high")
    } else if any(&["L", "LL", "LU"]) {
        Some("low")
    } else if high.is_some_and(|h| value > h) {
        Some("high")
    } else if low.is_some_and(|l| value < l) {
        Some("low")
    } else if any(&["A", "AA"]) {
        Some("abnormal")
    } else {
        None
    }
}
