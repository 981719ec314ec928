//! The patient's records across documents, as the portal's records page sorts them
//! (`web/src/lib/records.ts`): lab values grouped by test into series in one unit, medicines
//! split into current and past, and one timeline of care across hospitals. Pure.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;

use super::extract::{Extracted, Measurement, Medication};
use super::units::unit_label;

/// A document that was decrypted and read.
#[derive(Debug, Clone)]
pub struct ReadDocument {
    /// Document id.
    pub id: String,
    /// The HI type it was stored as.
    pub hi_type: String,
    /// Its care date (YYYY-MM-DD).
    pub care_date: String,
    /// What it says.
    pub x: Extracted,
}

/// One value of a series, with the document it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Point {
    /// The value.
    #[serde(flatten)]
    pub m: Measurement,
    /// The document.
    pub doc_id: String,
}

/// One test's values over time, in one unit, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// LOINC code (or `text:<name>`).
    pub code: String,
    /// The test's name (from its first value).
    pub name: String,
    /// The unit, as people write it.
    pub unit: String,
    /// Vital sign rather than lab value.
    pub vital: bool,
    /// The values, oldest first.
    pub points: Vec<Point>,
    /// The range of the most recent value that has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low: Option<f64>,
    /// The range of the most recent value that has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub high: Option<f64>,
}

/// A medicine, with the document it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MedicationEntry {
    /// The medicine.
    #[serde(flatten)]
    pub m: Medication,
    /// The document.
    pub doc_id: String,
}

/// Current and past medicines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Medications {
    /// The newest active order or statement per medicine.
    pub current: Vec<MedicationEntry>,
    /// Everything else, newest first.
    pub past: Vec<MedicationEntry>,
}

/// One document on the timeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineEntry {
    /// The document.
    pub doc_id: String,
    /// Composition.date's day, else the care date.
    pub date: String,
    /// The custodian.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hospital: Option<String>,
    /// The HI type it was stored as.
    pub hi_type: String,
    /// Composition.title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

fn day(iso: Option<&str>) -> &str {
    let s = iso.unwrap_or("");
    s.get(..10).unwrap_or(s)
}

/// Lab values (`vital` false) and vital signs (`vital` true) grouped by test and unit, each
/// group's values oldest first; labs then vitals, each by name.
pub fn series(docs: &[ReadDocument]) -> Vec<Series> {
    let mut order: Vec<(String, String)> = Vec::new();
    let mut groups: BTreeMap<(String, String), Series> = BTreeMap::new();
    for d in docs {
        for m in &d.x.measurements {
            let key = (m.code.clone(), m.unit.clone());
            let s = groups.entry(key.clone()).or_insert_with(|| {
                order.push(key);
                Series {
                    code: m.code.clone(),
                    name: m.name.clone(),
                    unit: unit_label(&m.unit).to_owned(),
                    vital: m.vital,
                    points: Vec::new(),
                    low: None,
                    high: None,
                }
            });
            let mut m = m.clone();
            let date = day(Some(&m.date)).to_owned();
            m.date = if date.is_empty() { d.care_date.clone() } else { date };
            s.points.push(Point { m, doc_id: d.id.clone() });
        }
    }
    let mut all: Vec<Series> = order.iter().filter_map(|k| groups.remove(k)).collect();
    for s in &mut all {
        s.points.sort_by(|a, b| a.m.date.cmp(&b.m.date));
        if let Some(p) = s.points.iter().rev().find(|p| p.m.low.is_some() || p.m.high.is_some()) {
            (s.low, s.high) = (p.m.low, p.m.high);
        }
    }
    all.sort_by(|a, b| a.vital.cmp(&b.vital).then_with(|| by_name(&a.name, &b.name)));
    all
}

/// Names in about the order the portal's `localeCompare` gives: case first ignored.
fn by_name(a: &str, b: &str) -> std::cmp::Ordering {
    a.to_lowercase().cmp(&b.to_lowercase()).then_with(|| a.cmp(b))
}

/// Medicines newest first: the newest current entry per name, and every other entry as past.
pub fn medications(docs: &[ReadDocument]) -> Medications {
    let mut all: Vec<MedicationEntry> = docs
        .iter()
        .flat_map(|d| d.x.medications.iter().map(|m| MedicationEntry { m: m.clone(), doc_id: d.id.clone() }))
        .collect();
    all.sort_by(|a, b| b.m.date.as_deref().unwrap_or("").cmp(a.m.date.as_deref().unwrap_or("")));
    let mut seen = HashSet::new();
    let current = all.iter().filter(|e| e.m.is_current() && seen.insert(e.m.name.to_lowercase())).cloned().collect();
    let past = all.into_iter().filter(|e| !e.m.is_current()).collect();
    Medications { current, past }
}

/// Every document, newest first.
pub fn timeline(docs: &[ReadDocument]) -> Vec<TimelineEntry> {
    let mut out: Vec<TimelineEntry> = docs
        .iter()
        .map(|d| {
            let date = day(d.x.date.as_deref());
            TimelineEntry {
                doc_id: d.id.clone(),
                date: if date.is_empty() { d.care_date.clone() } else { date.to_owned() },
                hospital: d.x.hospital.clone(),
                hi_type: d.hi_type.clone(),
                title: d.x.title.clone(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.date.cmp(&a.date));
    out
}
