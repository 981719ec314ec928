//! The checker and the summaries against the fixtures the portal's tests use
//! (`web/test/fixtures/fhir-checks/expected.json`, written by `web/test/fhir-shared.test.ts`),
//! and the portal's unit cases (`web/test/fhir.test.ts`) again here.

use serde_json::{Value, json};

use super::check::{Problem, check_document};
use super::extract::extract;
use super::records::{self, ReadDocument};

fn web(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../web").join(path)
}

fn expected() -> Value {
    serde_json::from_slice(&std::fs::read(web("test/fixtures/fhir-checks/expected.json")).unwrap()).unwrap()
}

fn texts(bytes: &[u8], hi_type: &str) -> Vec<String> {
    check_document(bytes, hi_type).iter().map(ToString::to_string).collect()
}

#[test]
fn names_the_same_issues_as_the_portal_for_every_shared_fixture() {
    let expected = expected();
    let cases = expected["cases"].as_array().unwrap();
    assert!(cases.len() >= 15);
    for c in cases {
        let file = c["file"].as_str().unwrap();
        let hi_type = c["hi_type"].as_str().unwrap();
        let mut want: Vec<String> =
            c["issues"].as_array().unwrap().iter().map(|i| i.as_str().unwrap().to_owned()).collect();
        let mut got = texts(&std::fs::read(web(file)).unwrap(), hi_type);
        // Object keys are walked in the parser's order, which need not be the file's: compare
        // the issues, not their order.
        want.sort();
        got.sort();
        assert_eq!(got, want, "{file} as {hi_type}");
    }
}

/// Numbers compared as numbers (the portal writes 7 where Rust has 7.0).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-9,
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

#[test]
fn summarises_the_sample_set_as_the_portal_does() {
    let mut docs = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(web("e2e/fixtures/fhir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    for name in names {
        let hi_type = name.trim_end_matches(".json").rsplit('-').next().unwrap().to_owned();
        let bytes = std::fs::read(web(&format!("e2e/fixtures/fhir/{name}"))).unwrap();
        let Ok(bundle) = super::parse_fhir(&bytes) else { continue };
        if !super::check_bundle(&bundle, &hi_type).is_empty() {
            continue;
        }
        docs.push(ReadDocument { id: name.clone(), hi_type, care_date: name[..10].to_owned(), x: extract(&bundle) });
    }
    let labs: Vec<Value> = records::series(&docs)
        .into_iter()
        .map(|s| {
            json!({
                "code": s.code, "unit": s.unit, "vital": s.vital, "low": s.low, "high": s.high,
                "points": s.points.iter().map(|p| json!([p.m.date, p.m.value, p.m.flag, p.doc_id])).collect::<Vec<_>>(),
            })
        })
        .collect();
    let meds = records::medications(&docs);
    let row = |e: &records::MedicationEntry| json!([e.m.name, e.m.status, e.doc_id]);
    let got = json!({
        "labs": labs,
        "medications": {"current": meds.current.iter().map(row).collect::<Vec<_>>(), "past": meds.past.iter().map(row).collect::<Vec<_>>()},
        "timeline": records::timeline(&docs).iter().map(|e| json!([e.date, e.hi_type, e.hospital, e.title, e.doc_id])).collect::<Vec<_>>(),
    });
    let want = &expected()["records"];
    assert!(same(&got, want), "got {got:#}\nwant {want:#}");
}

/// A small DiagnosticReportRecord: composition, patient, hospital, doctor, one HbA1c in mmol/mol.
fn lab_bundle() -> Value {
    let sct = "http://snomed.info/sct";
    let lnc = "http://loinc.org";
    json!({
        "resourceType": "Bundle", "type": "document",
        "entry": [
            {"fullUrl": "urn:uuid:c1", "resource": {
                "resourceType": "Composition", "status": "final",
                "type": {"coding": [{"system": sct, "code": "721981007", "display": "Diagnostic studies report"}]},
                "subject": {"reference": "urn:uuid:p1"}, "date": "2024-03-05T10:00:00+05:30",
                "author": [{"reference": "urn:uuid:d1"}], "custodian": {"reference": "urn:uuid:o1"},
                "title": "Diagnostic Report", "section": [{"entry": [{"reference": "urn:uuid:ob1"}]}]}},
            {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1", "name": [{"text": "Asha Rao"}]}},
            {"fullUrl": "urn:uuid:o1", "resource": {"resourceType": "Organization", "id": "o1", "name": "City Hospital, Pune"}},
            {"fullUrl": "urn:uuid:d1", "resource": {"resourceType": "Practitioner", "id": "d1",
                "name": [{"prefix": ["Dr."], "given": ["Meera"], "family": "Iyer"}]}},
            {"fullUrl": "urn:uuid:ob1", "resource": {
                "resourceType": "Observation", "status": "final",
                "code": {"coding": [{"system": lnc, "code": "4548-4", "display": "Hemoglobin A1c/Hemoglobin.total in Blood"}], "text": "HbA1c"},
                "subject": {"reference": "urn:uuid:p1"}, "effectiveDateTime": "2024-03-04",
                "valueQuantity": {"value": 58, "unit": "mmol/mol", "system": "http://unitsofmeasure.org", "code": "mmol/mol"},
                "referenceRange": [{"high": {"value": 5.7, "unit": "%", "code": "%"}}]}},
        ],
    })
}

fn check(b: &Value, hi_type: &str) -> Vec<String> {
    texts(&serde_json::to_vec(b).unwrap(), hi_type)
}

#[test]
fn accepts_a_well_formed_record_and_says_when_a_file_is_not_fhir() {
    assert_eq!(check(&lab_bundle(), "DiagnosticReport"), Vec::<String>::new());
    assert_eq!(check_document(b"{not json", "Prescription")[0].problem, Problem::NotJson);
    assert_eq!(check_document(br#"{"hello":1}"#, "Prescription")[0].problem, Problem::NotFhir);
    assert_eq!(check_document(br#"{"resourceType":"Patient"}"#, "Prescription")[0].problem, Problem::NotBundle);
}

#[test]
fn names_the_element_that_is_wrong() {
    let mut b = lab_bundle();
    b["entry"][4]["resource"].as_object_mut().unwrap().remove("code");
    b["entry"][0]["resource"].as_object_mut().unwrap().remove("subject");
    assert_eq!(
        check(&b, "DiagnosticReport"),
        ["entry[0].resource.subject: missing", "entry[4].resource.code: missing"]
    );
    assert_eq!(check(&lab_bundle(), "Prescription"), ["entry[0].resource.type: wrong type (SNOMED 440545006)"]);
    let mut c = lab_bundle();
    c["type"] = json!("collection");
    assert_eq!(check(&c, "DiagnosticReport"), ["type: not document (collection)"]);
    let mut r = lab_bundle();
    r["entry"].as_array_mut().unwrap().reverse();
    assert_eq!(check(&r, "DiagnosticReport")[0], "entry[0].resource.resourceType: not composition (Observation)");
}

#[test]
fn resolves_references_by_full_url_or_type_and_id() {
    let mut b = lab_bundle();
    b["entry"][4]["resource"]["performer"] = json!([{"reference": "Organization/nowhere"}]);
    assert_eq!(
        check(&b, "DiagnosticReport"),
        ["entry[4].resource.performer[0].reference: unresolved (Organization/nowhere)"]
    );
    b["entry"][4]["resource"]["performer"] = json!([{"reference": "Organization/o1"}]);
    assert!(check(&b, "DiagnosticReport").is_empty());
    // The tail of an http fullUrl names the entry too.
    b["entry"][2]["fullUrl"] = json!("https://hip.example/fhir/Organization/city-1");
    b["entry"][2]["resource"].as_object_mut().unwrap().remove("id");
    b["entry"][0]["resource"]["custodian"] = json!({"reference": "Organization/city-1"});
    b["entry"][4]["resource"].as_object_mut().unwrap().remove("performer");
    assert!(check(&b, "DiagnosticReport").is_empty());
}

#[test]
fn refuses_a_unit_the_charts_cannot_convert_and_requires_each_resources_codes() {
    let mut b = lab_bundle();
    b["entry"][4]["resource"]["valueQuantity"] = json!({"value": 7, "unit": "furlongs", "code": "[fur_us]"});
    assert_eq!(
        check(&b, "DiagnosticReport"),
        ["entry[4].resource.valueQuantity.unit: unit ([fur_us] for LOINC 4548-4)"]
    );
    let mut b = lab_bundle();
    let entries = b["entry"].as_array_mut().unwrap();
    entries.push(json!({"fullUrl": "urn:uuid:m1", "resource": {"resourceType": "MedicationRequest", "status": "active", "subject": {"reference": "urn:uuid:p1"}}}));
    entries.push(json!({"fullUrl": "urn:uuid:i1", "resource": {"resourceType": "Immunization", "status": "completed", "occurrenceDateTime": "2024-01-01"}}));
    assert_eq!(
        check(&b, "DiagnosticReport"),
        ["entry[5].resource.medication[x]: missing", "entry[6].resource.vaccineCode: missing"]
    );
}

#[test]
fn reads_a_lab_value_in_the_chart_unit_with_its_range_and_flag() {
    let b = lab_bundle();
    let x = extract(b.as_object().unwrap());
    assert_eq!(x.hi_type, Some("DiagnosticReport"));
    assert_eq!(x.hospital.as_deref(), Some("City Hospital, Pune"));
    assert_eq!(x.authors, ["Dr. Meera Iyer"]);
    let m = &x.measurements[0];
    assert_eq!(
        (m.code.as_str(), m.unit.as_str(), m.value, m.high, m.flag),
        ("4548-4", "%", 7.46, Some(5.7), Some("high"))
    );
    assert_eq!((m.date.as_str(), m.raw.as_str()), ("2024-03-04", "58 mmol/mol"));
}
