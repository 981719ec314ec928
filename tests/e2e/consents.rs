//! Consent requests: a hospital asks, the patient sees and denies; validation refuses bad
//! artefacts without writing anything; only the two parties see an artefact; the request's own
//! expiry, not the grant's, ends an unanswered request.

use chrono::{Duration, Utc};
use pramana_tests::{TestApp, assert_error, spawn_app};
use serde_json::{Value, json};

/// Registers a hospital with `hfr_id` and returns its access token and id.
async fn hospital(app: &TestApp, hfr_id: &str) -> (String, String) {
    let admin = app.admin_token().await;
    let h: Value = app
        .post("/v1/admin/hospitals", Some(&admin), &json!({"hfr_id": hfr_id, "name": "City"}))
        .await
        .json()
        .await
        .unwrap();
    let (token, _) = app.login(hfr_id, h["api_secret"].as_str().unwrap()).await;
    (token, h["hospital"]["id"].as_str().unwrap().to_owned())
}

fn request(abha: &str) -> Value {
    let now = Utc::now();
    json!({
        "patient_abha_number": abha,
        "purpose": "CAREMGT",
        "hi_types": ["DiagnosticReport", "Prescription"],
        "access_mode": "VIEW",
        "date_range": {"from": "2025-01-01", "to": "2026-01-31"},
        "data_erase_at": (now + Duration::days(90)).to_rfc3339(),
        "frequency": {"unit": "DAY", "value": 1, "repeats": 0},
        "expires_at": (now + Duration::days(2)).to_rfc3339(),
    })
}

#[tokio::test]
async fn a_hospital_requests_and_the_patient_denies() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let (hosp, hosp_id) = hospital(&app, "IN2710000001").await;

    let r = app.post("/v1/consents", Some(&hosp), &request(&patient.abha.hyphenated())).await;
    assert_eq!(r.status(), 201);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["status"], "REQUESTED");
    assert_eq!(c["patient_id"], patient.id);
    assert_eq!(c["hospital_id"], hosp_id);
    assert_eq!(c["hi_types"], json!(["Prescription", "DiagnosticReport"]), "stored in vocabulary order");
    let id = c["id"].as_str().unwrap().to_owned();

    // One open artefact per hospital and patient.
    let r = app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await;
    assert_error(r, 409, "consent_exists").await;

    // Both parties see it; the patient lists it.
    let list: Value = app.get("/v1/consents", Some(&patient.access)).await.json().await.unwrap();
    assert_eq!(list[0]["id"], id);
    let list: Value = app.get("/v1/consents", Some(&hosp)).await.json().await.unwrap();
    assert_eq!(list[0]["id"], id);

    // Only the patient decides.
    let r = app.post(&format!("/v1/consents/{id}/deny"), Some(&hosp), &json!({})).await;
    assert_error(r, 403, "forbidden").await;
    let r = app.post(&format!("/v1/consents/{id}/deny"), Some(&patient.access), &json!({})).await;
    assert_eq!(r.status(), 200);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["status"], "DENIED");
    assert!(c["decided_at"].is_string());
    let r = app.post(&format!("/v1/consents/{id}/deny"), Some(&patient.access), &json!({})).await;
    assert_error(r, 409, "invalid_transition").await;

    // Denied is closed: the hospital may ask again.
    let r = app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await;
    assert_eq!(r.status(), 201);
    let actions: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE action LIKE 'consent.%' AND outcome = 'ok' ORDER BY seq",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(actions, ["consent.request", "consent.deny", "consent.request"]);
}

#[tokio::test]
async fn strangers_get_404_and_bad_requests_change_nothing() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let (hosp, _) = hospital(&app, "IN2710000001").await;
    let (other_hosp, _) = hospital(&app, "IN2710000002").await;
    let stranger = app.new_patient().await;
    let c: Value =
        app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
    let id = c["id"].as_str().unwrap();

    for token in [&other_hosp, &stranger.access] {
        assert_error(app.get(&format!("/v1/consents/{id}"), Some(token)).await, 404, "not_found").await;
        let list: Value = app.get("/v1/consents", Some(token)).await.json().await.unwrap();
        assert_eq!(list, json!([]), "nothing of another party's");
    }
    let r = app.post(&format!("/v1/consents/{id}/deny"), Some(&stranger.access), &json!({})).await;
    assert_error(r, 404, "not_found").await;
    let r = app.post("/v1/consents", Some(&patient.access), &request(patient.abha.as_digits())).await;
    assert_error(r, 403, "forbidden").await;
    let admin = app.admin_token().await;
    assert_error(app.get("/v1/consents", Some(&admin)).await, 403, "forbidden").await;

    let before = app.table_counts().await;
    let abha = stranger.abha.as_digits().to_owned();
    let now = Utc::now();
    let cases: Vec<(&str, Value)> = vec![
        ("patient_abha_number", json!({"patient_abha_number": "91-2345-6789-0128"})),
        ("patient_abha_number", json!({"patient_abha_number": "91-0000-0000-0000"})),
        ("purpose", json!({"purpose": "MARKETING"})),
        ("hi_types", json!({"hi_types": []})),
        ("hi_types", json!({"hi_types": ["Prescription", "Prescription"]})),
        ("hi_types", json!({"hi_types": ["XRay"]})),
        ("access_mode", json!({"access_mode": "DELETE"})),
        ("date_range", json!({"date_range": {"from": "2026-02-01", "to": "2026-01-01"}})),
        ("data_erase_at", json!({"data_erase_at": (now - Duration::hours(1)).to_rfc3339()})),
        ("expires_at", json!({"expires_at": (now - Duration::hours(1)).to_rfc3339()})),
        ("expires_at", json!({"expires_at": (now + Duration::days(31)).to_rfc3339()})),
        ("frequency", json!({"frequency": {"unit": "FORTNIGHT", "value": 1, "repeats": 0}})),
        ("frequency", json!({"frequency": {"unit": "DAY", "value": 0, "repeats": 0}})),
    ];
    for (field, patch) in cases {
        let mut body = request(&abha);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = app.post("/v1/consents", Some(&hosp), &body).await;
        let err = assert_error(r, 422, &format!("invalid_{field}")).await;
        assert_eq!(err["field"], field, "{err}");
    }
    let mut unknown = request(&abha);
    unknown["surprise"] = json!(1);
    assert_error(app.post("/v1/consents", Some(&hosp), &unknown).await, 422, "invalid_body").await;
    assert_eq!(app.table_counts().await, before, "refused requests wrote nothing");
}

#[tokio::test]
async fn an_unanswered_request_expires_and_makes_room() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let (hosp, _) = hospital(&app, "IN2710000001").await;
    let c: Value =
        app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
    let id = c["id"].as_str().unwrap();
    // The request's own expiry passes (moved into the past behind the API's back).
    sqlx::query("UPDATE consents SET request_expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    let c: Value = app.get(&format!("/v1/consents/{id}"), Some(&patient.access)).await.json().await.unwrap();
    assert_eq!(c["status"], "EXPIRED");
    let r = app.post(&format!("/v1/consents/{id}/deny"), Some(&patient.access), &json!({})).await;
    assert_error(r, 409, "invalid_transition").await;
    // The next request closes the expired one and takes its place.
    let r = app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await;
    assert_eq!(r.status(), 201);
    let stored: Vec<String> =
        sqlx::query_scalar("SELECT status FROM consents ORDER BY created_at").fetch_all(&app.pool).await.unwrap();
    assert_eq!(stored, ["EXPIRED", "REQUESTED"]);
}
