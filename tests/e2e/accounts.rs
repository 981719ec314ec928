//! Operator-created accounts: hospitals with API secrets, auditors; roles are enforced.

use pramana_tests::{assert_refused, spawn_app};
use pramana_wire::{AuditQuery, AuditorCreate, HospitalCreate};

fn hospital(hfr_id: &str, name: &str) -> HospitalCreate {
    HospitalCreate { hfr_id: hfr_id.to_owned(), name: name.to_owned() }
}

fn auditor(username: &str, name: &str) -> AuditorCreate {
    AuditorCreate { username: username.to_owned(), name: name.to_owned() }
}

#[tokio::test]
async fn admin_registers_hospitals_that_log_in_with_their_secret() {
    let app = spawn_app().await;
    let admin = app.client_as(&app.admin_token().await);
    let created = admin.hospital_create(&hospital("in2710000123", "City Hospital")).await.unwrap();
    assert_eq!(created.hospital.hfr_id, "IN2710000123");
    let (hospital_token, _) = app.login("IN2710000123", &created.api_secret).await;
    let hosp = app.client_as(&hospital_token);
    assert_eq!(hosp.hospitals().await.unwrap().len(), 1);

    let before = app.table_counts().await;
    assert_refused(admin.hospital_create(&hospital("IN2710000123", "Again")).await, 409, "already_registered");
    assert_refused(admin.hospital_create(&hospital("US2710000123", "X")).await, 422, "invalid_hfr_id");
    // A hospital is not the operator.
    assert_refused(hosp.hospital_create(&hospital("IN2710000999", "X")).await, 403, "forbidden");
    // A hospital cannot read patient profiles or the audit log.
    assert_refused(hosp.patient_me().await, 403, "forbidden");
    assert_refused(hosp.audit(&AuditQuery::default()).await, 403, "forbidden");
    assert_eq!(app.table_counts().await, before);
}

#[tokio::test]
async fn admin_creates_auditors() {
    let app = spawn_app().await;
    let admin = app.client_as(&app.admin_token().await);
    let created = admin.auditor_create(&auditor("Audit.One", "First Auditor")).await.unwrap();
    let (auditor_token, _) = app.login("audit.one", &created.password).await;
    let aud = app.client_as(&auditor_token);
    aud.audit_verify().await.unwrap();
    assert_refused(aud.auditor_create(&auditor("another", "X")).await, 403, "forbidden");
    assert_refused(admin.auditor_create(&auditor("IN2710000123", "X")).await, 422, "invalid_username");
    let p = app.new_patient().await;
    let patient = app.client_as(&p.access);
    assert_refused(patient.auditor_create(&auditor("sneaky", "X")).await, 403, "forbidden");
    assert_refused(patient.audit_verify().await, 403, "forbidden");
}
