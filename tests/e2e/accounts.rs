//! Operator-created accounts: hospitals with API secrets, auditors; roles are enforced.

use pramana_tests::{ADMIN_PASSWORD, assert_error, spawn_app};
use serde_json::json;

#[tokio::test]
async fn admin_registers_hospitals_that_log_in_with_their_secret() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let r = app
        .post("/v1/admin/hospitals", Some(&admin), &json!({"hfr_id": "in2710000123", "name": "City Hospital"}))
        .await;
    assert_eq!(r.status(), 201);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["hospital"]["hfr_id"], "IN2710000123");
    let secret = body["api_secret"].as_str().unwrap();
    let (hospital_token, _) = app.login("IN2710000123", secret).await;
    let list: Vec<serde_json::Value> = app.get("/v1/hospitals", Some(&hospital_token)).await.json().await.unwrap();
    assert_eq!(list.len(), 1);

    let before = app.table_counts().await;
    let r = app.post("/v1/admin/hospitals", Some(&admin), &json!({"hfr_id": "IN2710000123", "name": "Again"})).await;
    assert_error(r, 409, "already_registered").await;
    let r = app.post("/v1/admin/hospitals", Some(&admin), &json!({"hfr_id": "US2710000123", "name": "X"})).await;
    assert_error(r, 422, "invalid_hfr_id").await;
    // A hospital is not the operator.
    let r =
        app.post("/v1/admin/hospitals", Some(&hospital_token), &json!({"hfr_id": "IN2710000999", "name": "X"})).await;
    assert_error(r, 403, "forbidden").await;
    // A hospital cannot read patient profiles or the audit log.
    assert_error(app.get("/v1/patients/me", Some(&hospital_token)).await, 403, "forbidden").await;
    assert_error(app.get("/v1/audit", Some(&hospital_token)).await, 403, "forbidden").await;
    assert_eq!(app.table_counts().await, before);
}

#[tokio::test]
async fn admin_creates_auditors() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let r =
        app.post("/v1/admin/auditors", Some(&admin), &json!({"username": "Audit.One", "name": "First Auditor"})).await;
    assert_eq!(r.status(), 201);
    let body: serde_json::Value = r.json().await.unwrap();
    let (auditor, _) = app.login("audit.one", body["password"].as_str().unwrap()).await;
    assert_eq!(app.get("/v1/audit/verify", Some(&auditor)).await.status(), 200);
    let r = app.post("/v1/admin/auditors", Some(&auditor), &json!({"username": "another", "name": "X"})).await;
    assert_error(r, 403, "forbidden").await;
    let r = app.post("/v1/admin/auditors", Some(&admin), &json!({"username": "IN2710000123", "name": "X"})).await;
    assert_error(r, 422, "invalid_username").await;
    let p = app.new_patient().await;
    let r = app.post("/v1/admin/auditors", Some(&p.access), &json!({"username": "sneaky", "name": "X"})).await;
    assert_error(r, 403, "forbidden").await;
    assert_error(app.get("/v1/audit/verify", Some(&p.access)).await, 403, "forbidden").await;
    let _ = ADMIN_PASSWORD;
}
