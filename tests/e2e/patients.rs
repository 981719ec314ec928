//! Profiles: own data only; another patient's id is a 404 with no data.

use pramana_tests::{assert_error, assert_refused, spawn_app};
use pramana_wire::{AuditQuery, PatientPatch};
use serde_json::json;

fn addresses(list: &[&str]) -> Option<Vec<String>> {
    Some(list.iter().map(|a| (*a).to_owned()).collect())
}

#[tokio::test]
async fn me_get_and_patch() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let api = app.client_as(&p.access);
    let me = api.patient_me().await.unwrap();
    assert_eq!(me.id.to_string(), p.id);
    assert_eq!(me.abha_number, p.abha.hyphenated());

    let patch =
        PatientPatch { name: Some("Asha R.".to_owned()), abha_addresses: addresses(&["asha@abdm", "asha@sbx"]) };
    let me = api.patient_me_update(&patch).await.unwrap();
    assert_eq!(me.name, "Asha R.");
    assert_eq!(me.abha_addresses, ["asha@abdm", "asha@sbx"]);

    let before = app.table_counts().await;
    let bad = PatientPatch { name: None, abha_addresses: addresses(&["asha@abdm", ".bad@abdm"]) };
    assert_refused(api.patient_me_update(&bad).await, 422, "invalid_abha_addresses");
    // A field a patient may not change: the client cannot even say it.
    let r = app.patch("/v1/patients/me", &p.access, &json!({"abha_number": "123"})).await;
    assert_error(r, 422, "invalid_body").await;
    // Someone else's address: 409, and the first patient's addresses stay.
    let q = app.new_patient().await;
    let before_q = app.table_counts().await;
    let taken = PatientPatch { name: None, abha_addresses: addresses(&["asha@abdm"]) };
    assert_refused(app.client_as(&q.access).patient_me_update(&taken).await, 409, "abha_address_taken");
    assert_eq!(app.table_counts().await, before_q);
    assert_ne!(before, before_q);
    assert_eq!(api.patient_me().await.unwrap().abha_addresses, ["asha@abdm", "asha@sbx"]);
}

#[tokio::test]
async fn another_patients_data_is_404() {
    let app = spawn_app().await;
    let a = app.new_patient().await;
    let b = app.new_patient().await;
    let a_id: uuid::Uuid = a.id.parse().unwrap();
    let (as_a, as_b) = (app.client_as(&a.access), app.client_as(&b.access));
    as_a.patient(a_id).await.unwrap();
    let before = app.table_counts().await;
    let body = assert_refused(as_b.patient(a_id).await, 404, "not_found");
    assert!(!serde_json::to_string(&body).unwrap().contains(a.abha.as_digits()));
    assert_refused(as_b.patient(uuid::Uuid::new_v4()).await, 404, "not_found");
    assert_error(app.get("/v1/patients/not-a-uuid", Some(&b.access)).await, 404, "not_found").await;
    assert_eq!(app.table_counts().await, before);

    // The operator may read it, and that read is audited for the patient.
    let admin = app.client_as(&app.admin_token().await);
    admin.patient(a_id).await.unwrap();
    let log = as_a.audit(&AuditQuery::default()).await.unwrap();
    assert!(log.events.iter().any(|e| e.action == "patient.read"));
}
