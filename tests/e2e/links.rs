//! Care-context links: a hospital writes into a patient's record only where the patient linked
//! it. The attack: a hospital uploads junk into a stranger's record (their quota, documents that
//! later sit in grants) — refused, nothing staged; then the lifecycle, the per-link quota, and
//! an unlink that ends writing at once.

#![allow(clippy::unwrap_used, reason = "tests fail loudly on the first surprise")]

use pramana_tests::{TestApp, assert_error, register_x25519, seal_document, spawn_app, spawn_app_with, upload_query};
use serde_json::{Value, json};
use uuid::Uuid;

/// A hospital's upload of `n` bytes into `patient_id`'s record, sealed to `to`.
async fn hospital_put(
    app: &TestApp,
    hospital: &str,
    patient_id: &str,
    to: &[pramana_core::envelope::Recipient],
    n: usize,
) -> reqwest::Response {
    let doc = Uuid::new_v4();
    let data: Vec<u8> = (0..n).map(|i| (i % 251) as u8).collect();
    let (file, info) = seal_document(doc, to, &data);
    let q = format!("{}&patient_id={patient_id}", upload_query(&info, "DischargeSummary", "2025-06-01"));
    app.http.put(app.url(&format!("/v1/documents/{doc}?{q}"))).bearer_auth(hospital).body(file).send().await.unwrap()
}

#[tokio::test]
async fn a_hospital_writes_only_where_the_patient_linked_it() {
    let app =
        spawn_app_with(json!({"storage": {"max_document_bytes": 200_000, "quota_bytes_per_link": 150_000}})).await;
    let p = app.new_patient().await;
    let pkey = register_x25519(&app, &p.access).await;
    let (hospital, _) = app.new_hospital("IN2710000001").await;
    let hkey = register_x25519(&app, &hospital).await;
    let to = [pkey.recipient(), hkey.recipient()];

    // The attack: an unlinked hospital writes into a stranger's record. Refused; nothing stays.
    let before = app.table_counts().await;
    let r = hospital_put(&app, &hospital, &p.id, &to, 1000).await;
    let e = assert_error(r, 422, "not_linked").await;
    assert!(e["message"].as_str().unwrap().contains("linked"), "{e}");
    assert_eq!(app.table_counts().await, before, "no row, no reservation");
    assert_eq!(app.object_counts(), (0, 0), "nothing staged");

    // Asking is answered as a consent request is: an unknown number says no more than today.
    let r = app
        .post("/v1/links", Some(&hospital), &json!({"patient_abha_number": pramana_tests::random_abha().as_digits()}))
        .await;
    assert_error(r, 422, "invalid_patient_abha_number").await;
    let r = app.post("/v1/links", Some(&hospital), &json!({"patient_abha_number": "12"})).await;
    assert_error(r, 422, "invalid_patient_abha_number").await;
    let r = app.post("/v1/links", Some(&p.access), &json!({"patient_abha_number": p.abha.as_digits()})).await;
    assert_error(r, 403, "forbidden").await;

    let r = app.post("/v1/links", Some(&hospital), &json!({"patient_abha_number": p.abha.as_digits()})).await;
    assert_eq!(r.status(), 201);
    let link: Value = r.json().await.unwrap();
    let id = link["id"].as_str().unwrap().to_owned();
    assert_eq!((link["status"].as_str(), link["hospital_hfr_id"].as_str()), (Some("REQUESTED"), Some("IN2710000001")));
    let r = app.post("/v1/links", Some(&hospital), &json!({"patient_abha_number": p.abha.hyphenated()})).await;
    assert_error(r, 409, "link_exists").await;
    // Asked is not linked.
    assert_error(hospital_put(&app, &hospital, &p.id, &to, 1000).await, 422, "not_linked").await;

    // Only the patient decides; anyone else's attempt is a 404 (or 403 for the hospital's role).
    let stranger = app.new_patient().await;
    let approve = format!("/v1/links/{id}/approve");
    assert_error(app.post(&approve, Some(&stranger.access), &json!({})).await, 404, "not_found").await;
    assert_error(app.post(&approve, Some(&hospital), &json!({})).await, 403, "forbidden").await;
    let list: Vec<Value> = app.get("/v1/links", Some(&stranger.access)).await.json().await.unwrap();
    assert!(list.is_empty());
    let list: Vec<Value> = app.get("/v1/links", Some(&p.access)).await.json().await.unwrap();
    assert_eq!((list.len(), list[0]["hospital_name"].as_str()), (1, Some("City Hospital")));

    let r = app.post(&approve, Some(&p.access), &json!({})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "LINKED");
    assert_error(app.post(&approve, Some(&p.access), &json!({})).await, 409, "invalid_transition").await;

    // Linked: the hospital uploads, within its share of the record.
    assert_eq!(hospital_put(&app, &hospital, &p.id, &to, 100_000).await.status(), 201);
    let before = app.table_counts().await;
    let r = hospital_put(&app, &hospital, &p.id, &to, 100_000).await;
    assert_error(r, 413, "link_quota_exceeded").await;
    assert_eq!(app.table_counts().await, before, "the refusal changed nothing");
    assert_eq!(app.object_counts(), (1, 0));
    // Another patient's record is still closed to it.
    assert_error(hospital_put(&app, &hospital, &stranger.id, &to, 1000).await, 422, "not_linked").await;

    // The patient unlinks: writing ends at once; what the hospital added stays the patient's.
    let r = app.post(&format!("/v1/links/{id}/end"), Some(&p.access), &json!({})).await;
    assert_eq!(r.status(), 200);
    let ended: Value = r.json().await.unwrap();
    assert_eq!((ended["status"].as_str(), ended["ended_by"].as_str()), (Some("UNLINKED"), Some("patient")));
    assert_error(hospital_put(&app, &hospital, &p.id, &to, 1000).await, 422, "not_linked").await;
    let docs: Vec<Value> = app.get("/v1/documents", Some(&p.access)).await.json().await.unwrap();
    assert_eq!(docs.len(), 1);
    assert_error(
        app.post(&format!("/v1/links/{id}/end"), Some(&p.access), &json!({})).await,
        409,
        "invalid_transition",
    )
    .await;

    // It may ask again; the patient may deny; each step is in the patient's audit trail.
    let r = app.post("/v1/links", Some(&hospital), &json!({"patient_abha_number": p.abha.as_digits()})).await;
    let again: Value = r.json().await.unwrap();
    let r = app.post(&format!("/v1/links/{}/deny", again["id"].as_str().unwrap()), Some(&p.access), &json!({})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "DENIED");
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE subject_patient_id = $1::uuid AND action LIKE 'link.%' AND outcome = 'ok' ORDER BY seq",
    )
    .bind(&p.id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(actions, ["link.request", "link.approve", "link.end", "link.request", "link.deny"]);
}

#[tokio::test]
async fn a_hospital_sees_the_patients_it_asked_and_their_key_only_while_linked() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let pkey = register_x25519(&app, &p.access).await;
    let (hospital, _) = app.new_hospital("IN2710000001").await;
    let (other, _) = app.new_hospital("IN2710000002").await;
    let patients = |token: &str| {
        let token = token.to_owned();
        let app = &app;
        async move { app.get("/v1/hospitals/me/patients", Some(&token)).await.json::<Vec<Value>>().await.unwrap() }
    };
    assert!(patients(&hospital).await.is_empty());
    assert_error(app.get("/v1/hospitals/me/patients", Some(&p.access)).await, 403, "forbidden").await;

    // Asked: the number it asked with, no name, no key.
    let link: Value = app
        .post("/v1/links", Some(&hospital), &json!({"patient_abha_number": p.abha.hyphenated()}))
        .await
        .json()
        .await
        .unwrap();
    let list = patients(&hospital).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["patient_id"], p.id.as_str());
    assert_eq!(list[0]["abha_number"], p.abha.as_digits());
    assert_eq!(list[0]["link_status"], "REQUESTED");
    assert!(list[0]["name"].is_null() && list[0]["x25519_public_key"].is_null(), "{list:?}");
    assert!(patients(&other).await.is_empty(), "another hospital sees nothing");

    // Linked: the name and the key to seal uploads to.
    let id = link["id"].as_str().unwrap();
    assert_eq!(app.post(&format!("/v1/links/{id}/approve"), Some(&p.access), &json!({})).await.status(), 200);
    let list = patients(&hospital).await;
    assert_eq!(list[0]["link_status"], "LINKED");
    assert!(list[0]["name"].is_string());
    assert_eq!(list[0]["x25519_public_key"], hex::encode(pkey.recipient().0).as_str());

    // Unlinked: the key goes again.
    assert_eq!(app.post(&format!("/v1/links/{id}/end"), Some(&p.access), &json!({})).await.status(), 200);
    let list = patients(&hospital).await;
    assert_eq!(list[0]["link_status"], "UNLINKED");
    assert!(list[0]["x25519_public_key"].is_null() && list[0]["name"].is_null());
}
