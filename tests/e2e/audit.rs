//! The audit log: who sees what, and that the hash chain detects edits.

use pramana_tests::spawn_app;
use serde_json::Value;

#[tokio::test]
async fn patients_see_their_own_events_and_auditors_see_all() {
    let app = spawn_app().await;
    let a = app.new_patient().await;
    let b = app.new_patient().await;
    let page: Value = app.get("/v1/audit", Some(&a.access)).await.json().await.unwrap();
    let events = page["events"].as_array().unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["patient.register", "auth.login"]);
    assert!(events.iter().all(|e| e["subject_patient_id"] == a.id.as_str()));
    assert!(!page.to_string().contains(&b.id));

    let admin = app.admin_token().await;
    let all: Value = app.get("/v1/audit?limit=1000", Some(&admin)).await.json().await.unwrap();
    assert!(all["events"].as_array().unwrap().len() >= 5);
    let paged: Value = app.get("/v1/audit?limit=2", Some(&admin)).await.json().await.unwrap();
    assert_eq!(paged["next_after"], 2);
    let r = app.get("/v1/audit?limit=0", Some(&admin)).await;
    pramana_tests::assert_error(r, 422, "invalid_limit").await;
}

#[tokio::test]
async fn the_chain_verifies_and_an_edited_row_is_detected() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.new_patient().await;
    }
    let admin = app.admin_token().await;
    let report: Value = app.get("/v1/audit/verify", Some(&admin)).await.json().await.unwrap();
    assert_eq!(report["first_broken_seq"], Value::Null);
    let checked = report["checked"].as_u64().unwrap();
    assert!(checked >= 7, "{report}");

    // The table refuses edits through normal SQL...
    let err = sqlx::query("UPDATE audit_log SET action = 'nothing' WHERE seq = 3").execute(&app.pool).await;
    assert!(err.is_err(), "audit_log is append-only");
    let err = sqlx::query("DELETE FROM audit_log WHERE seq = 3").execute(&app.pool).await;
    assert!(err.is_err(), "audit_log is append-only");

    // ...and an edit made behind its back (triggers off) is detected at that row.
    let mut conn = app.pool.acquire().await.unwrap();
    sqlx::query("SET session_replication_role = replica").execute(&mut *conn).await.unwrap();
    sqlx::query("UPDATE audit_log SET details = '{\"abha_addresses\": 9}' WHERE seq = 3")
        .execute(&mut *conn)
        .await
        .unwrap();
    sqlx::query("SET session_replication_role = origin").execute(&mut *conn).await.unwrap();
    drop(conn);
    let report: Value = app.get("/v1/audit/verify", Some(&admin)).await.json().await.unwrap();
    assert_eq!(report["first_broken_seq"], 3, "{report}");
    assert_eq!(report["checked"], 2);
}

#[tokio::test]
async fn a_deleted_row_is_detected() {
    let app = spawn_app().await;
    for _ in 0..2 {
        app.new_patient().await;
    }
    let mut conn = app.pool.acquire().await.unwrap();
    sqlx::query("SET session_replication_role = replica").execute(&mut *conn).await.unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = 2").execute(&mut *conn).await.unwrap();
    drop(conn);
    let report = pramana_api::store::audit::verify_audit_chain(&app.pool).await.unwrap();
    assert_eq!(report.first_broken_seq, Some(2));
}
