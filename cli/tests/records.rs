//! `pramana upload --fhir` and `pramana records`, the real binary against the real API: the
//! browser tests' sample bundles (web/e2e/fixtures/fhir/) are checked and uploaded, a malformed
//! one is refused naming its element and then stored as plain with `--plain`, and the summaries
//! read back equal what the portal's code makes of the same files
//! (web/test/fixtures/fhir-checks/expected.json, written by web/test/fhir-shared.test.ts).

#![allow(clippy::unwrap_used, reason = "tests fail loudly on the first surprise")]

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pramana_tests::{random_abha, spawn_app};
use serde_json::{Value, json};

mod common;

async fn run(api: &str, home: &Path, args: &[&str]) -> (i32, Value, String) {
    common::pramana_at(api, home, args).await
}

fn web(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../web").join(path)
}

/// Numbers compared as numbers (the portal's JSON writes 7 where Rust writes 7.0).
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fhir_bundles_are_checked_at_upload_and_read_back_as_the_portal_reads_them() {
    let app = spawn_app().await;
    let api = app.base.clone();
    let home = std::env::temp_dir().join(format!("pramana-records-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&home).unwrap();
    let abha = random_abha();
    for args in [
        vec!["identity", "create"],
        vec!["register", "--abha", &abha.hyphenated(), "--name", "Asha"],
        vec!["login", "--login", abha.as_digits()],
    ] {
        let (code, _, err) = run(&api, &home, &args).await;
        assert_eq!(code, 0, "{args:?}: {err}");
    }

    // Every sample bundle passes; its HI type and care date come from its Composition.
    let mut names = HashMap::new();
    let mut files: Vec<String> = std::fs::read_dir(web("e2e/fixtures/fhir"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") && !n.starts_with("malformed"))
        .collect();
    files.sort();
    for name in &files {
        let path = web(&format!("e2e/fixtures/fhir/{name}"));
        let (code, doc, err) = run(&api, &home, &["upload", "--fhir", path.to_str().unwrap()]).await;
        assert_eq!(code, 0, "{name}: {err}");
        assert_eq!(doc["hi_type"], name.trim_end_matches(".json").rsplit('-').next().unwrap(), "{name}");
        assert_eq!(doc["care_date"], name[..10], "{name}");
        assert_eq!(doc["fhir"]["structured"], true);
        assert_eq!(doc["fhir"]["issues"], json!([]));
        names.insert(doc["id"].as_str().unwrap().to_owned(), name.clone());
    }

    // A malformed report: refused, its element named, nothing stored.
    let broken = web("e2e/fixtures/fhir/malformed-DiagnosticReport.json");
    let broken = broken.to_str().unwrap();
    let (code, out, err) = run(&api, &home, &["upload", "--fhir", broken, "--date", "2025-09-29"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("entry[5].resource.code: missing"), "{err}");
    assert!(err.contains("DiagnosticReportRecord"), "{err}");
    assert_eq!(out["uploaded"], false);
    assert_eq!(out["fhir"]["issues"], json!([{"path": "entry[5].resource.code", "problem": "missing"}]));
    let (_, list, _) = run(&api, &home, &["ls"]).await;
    assert_eq!(list.as_array().unwrap().len(), files.len(), "nothing stored");
    // Offered as another HI type: the wrong Composition.type is named.
    let rx = web("e2e/fixtures/fhir/2026-02-27-Prescription.json");
    let (code, _, err) =
        run(&api, &home, &["upload", "--fhir", rx.to_str().unwrap(), "--type", "DiagnosticReport"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("entry[0].resource.type: wrong type (SNOMED 721981007)"), "{err}");
    // Not JSON at all: named, and without a Composition the HI type must be given.
    let junk = home.join("notes.json");
    std::fs::write(&junk, "{ not json").unwrap();
    let (code, _, err) = run(&api, &home, &["upload", "--fhir", junk.to_str().unwrap()]).await;
    assert_eq!(code, 2);
    assert!(err.contains("give --type"), "{err}");
    // The patient chooses to keep the malformed one: stored, as a plain document.
    let (code, doc, err) = run(&api, &home, &["upload", "--fhir", broken, "--plain", "--date", "2025-09-29"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("entry[5].resource.code: missing") && err.contains("plain document"), "{err}");
    assert_eq!(doc["fhir"]["structured"], false);
    // And a document that is no FHIR at all, uploaded the usual way.
    let pdf = home.join("scan.pdf");
    std::fs::write(&pdf, b"%PDF-1.4 a scanned letter").unwrap();
    let (code, _, err) =
        run(&api, &home, &["upload", pdf.to_str().unwrap(), "--type", "HealthDocumentRecord", "--date", "2025-01-02"])
            .await;
    assert_eq!(code, 0, "{err}");

    // Read back: the plain ones are left out and counted; the summaries are the portal's.
    let expected: Value =
        serde_json::from_slice(&std::fs::read(web("test/fixtures/fhir-checks/expected.json")).unwrap()).unwrap();
    let expected = &expected["records"];
    let name = |id: &Value| json!(names.get(id.as_str().unwrap()).unwrap());

    let (code, labs, err) = run(&api, &home, &["records", "labs"]).await;
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("2 document(s) left out"), "{err}");
    let labs: Vec<Value> = labs
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let points: Vec<Value> = s["points"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| json!([p["date"], p["value"], p["flag"], name(&p["doc_id"])]))
                .collect();
            json!({"code": s["code"], "unit": s["unit"], "vital": s["vital"], "low": s["low"], "high": s["high"], "points": points})
        })
        .collect();
    assert!(same(&json!(labs), &expected["labs"]), "{labs:#?}\nwant {:#}", expected["labs"]);
    let hba1c = labs.iter().find(|s| s["code"] == "4548-4").unwrap();
    assert_eq!(hba1c["points"].as_array().unwrap().len(), 3);

    let (code, meds, err) = run(&api, &home, &["records", "meds"]).await;
    assert_eq!(code, 0, "{err}");
    let rows = |list: &Value| -> Value {
        list.as_array().unwrap().iter().map(|m| json!([m["name"], m["status"], name(&m["doc_id"])])).collect()
    };
    let meds = json!({"current": rows(&meds["current"]), "past": rows(&meds["past"])});
    assert_eq!(meds, expected["medications"]);
    assert!(!meds["current"].as_array().unwrap().is_empty());

    let (code, timeline, err) = run(&api, &home, &["records", "timeline"]).await;
    assert_eq!(code, 0, "{err}");
    let timeline: Value = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| json!([e["date"], e["hi_type"], e["hospital"], e["title"], name(&e["doc_id"])]))
        .collect();
    // Newest first; documents of one day in the order the platform lists them.
    let mut got = timeline.as_array().unwrap().clone();
    assert!(got.windows(2).all(|w| w[0][0].as_str() >= w[1][0].as_str()), "{got:#?}");
    let mut want = expected["timeline"].as_array().unwrap().clone();
    let key = |v: &Value| v.to_string();
    got.sort_by_key(key);
    want.sort_by_key(key);
    assert_eq!(got, want);
    assert_eq!(got.len(), files.len());
}
