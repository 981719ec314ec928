//! Profiles: own data only; another patient's id is a 404 with no data.

use pramana_tests::{assert_error, spawn_app};
use serde_json::json;

#[tokio::test]
async fn me_get_and_patch() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let me: serde_json::Value = app.get("/v1/patients/me", Some(&p.access)).await.json().await.unwrap();
    assert_eq!(me["id"], p.id);
    assert_eq!(me["abha_number"], p.abha.hyphenated());

    let r = app
        .patch("/v1/patients/me", &p.access, &json!({"name": "Asha R.", "abha_addresses": ["asha@abdm", "asha@sbx"]}))
        .await;
    assert_eq!(r.status(), 200);
    let me: serde_json::Value = r.json().await.unwrap();
    assert_eq!(me["name"], "Asha R.");
    assert_eq!(me["abha_addresses"], json!(["asha@abdm", "asha@sbx"]));

    let before = app.table_counts().await;
    let r = app.patch("/v1/patients/me", &p.access, &json!({"abha_addresses": ["asha@abdm", ".bad@abdm"]})).await;
    assert_error(r, 422, "invalid_abha_addresses").await;
    let r = app.patch("/v1/patients/me", &p.access, &json!({"abha_number": "123"})).await;
    assert_error(r, 422, "invalid_body").await;
    // Someone else's address: 409, and the first patient's addresses stay.
    let q = app.new_patient().await;
    let before_q = app.table_counts().await;
    let r = app.patch("/v1/patients/me", &q.access, &json!({"abha_addresses": ["asha@abdm"]})).await;
    assert_error(r, 409, "abha_address_taken").await;
    assert_eq!(app.table_counts().await, before_q);
    assert_ne!(before, before_q);
    let me: serde_json::Value = app.get("/v1/patients/me", Some(&p.access)).await.json().await.unwrap();
    assert_eq!(me["abha_addresses"], json!(["asha@abdm", "asha@sbx"]));
}

#[tokio::test]
async fn another_patients_data_is_404() {
    let app = spawn_app().await;
    let a = app.new_patient().await;
    let b = app.new_patient().await;
    let r = app.get(&format!("/v1/patients/{}", a.id), Some(&a.access)).await;
    assert_eq!(r.status(), 200);
    let before = app.table_counts().await;
    let r = app.get(&format!("/v1/patients/{}", a.id), Some(&b.access)).await;
    let body = assert_error(r, 404, "not_found").await;
    assert!(!body.to_string().contains(a.abha.as_digits()));
    assert_error(app.get(&format!("/v1/patients/{}", uuid::Uuid::new_v4()), Some(&b.access)).await, 404, "not_found")
        .await;
    assert_error(app.get("/v1/patients/not-a-uuid", Some(&b.access)).await, 404, "not_found").await;
    assert_eq!(app.table_counts().await, before);

    // The operator may read it, and that read is audited for the patient.
    let admin = app.admin_token().await;
    assert_eq!(app.get(&format!("/v1/patients/{}", a.id), Some(&admin)).await.status(), 200);
    let log: serde_json::Value = app.get("/v1/audit", Some(&a.access)).await.json().await.unwrap();
    assert!(log["events"].as_array().unwrap().iter().any(|e| e["action"] == "patient.read"));
}
