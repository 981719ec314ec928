//! A parent or guardian manages their child's record: they create the child's account, open a
//! session on it from their own (and go back), register the child's keys with their own
//! password, and act as the child, every action recording the guardian. The attacks: a stranger
//! opening the child's account, signing in to it without the guardian, a guardian's session on
//! the child reaching the guardian's sign-in settings or making children of its own — refused
//! with a stable code, nothing changed.

use pramana_client::Client;
use pramana_client::reqwest::Method;
use pramana_core::envelope::{Identity, os_rng};
use pramana_tests::app::{PATIENT_PASSWORD, random_abha};
use pramana_tests::{TestApp, assert_refused, seal_document, spawn_app, upload_params};
use pramana_wire::{AuditQuery, DependentCreate, DependentView, KeyCreate, KeyKind, LoginRequest, RefreshRequest};
use uuid::Uuid;

fn child_body(name: &str) -> DependentCreate {
    DependentCreate { abha_number: random_abha().hyphenated(), abha_addresses: Vec::new(), name: name.to_owned() }
}

fn x25519_key(id: &Identity, password: &str) -> KeyCreate {
    KeyCreate {
        kind: KeyKind::X25519,
        public_key: hex::encode(id.recipient().0),
        password: Some(password.to_owned()),
        rotation: None,
    }
}

async fn guardian_with_child(app: &TestApp) -> (Client, Uuid, DependentView) {
    let guardian = app.patient_with_keys().await;
    let child = guardian.api.dependent_create(&child_body("Aarav Sharma")).await.unwrap();
    (guardian.api, guardian.patient.id.parse().unwrap(), child)
}

#[tokio::test]
async fn a_guardian_acts_on_their_childs_record_and_every_action_names_them() {
    let app = spawn_app().await;
    let (guardian, guardian_id, child) = guardian_with_child(&app).await;
    assert_eq!(child.name, "Aarav Sharma");
    assert!(!child.has_keys);
    assert_eq!(guardian.dependents().await.unwrap().len(), 1);

    // Into the child's account: the guardian's own session ends, the new one names them.
    let tokens = guardian.dependent_session(child.id).await.unwrap();
    assert_eq!((tokens.subject_id, tokens.guardian_id), (child.id, Some(guardian_id)));
    assert_refused(guardian.patient_me().await, 401, "unauthorized");
    let as_child = app.client_as(&tokens.access_token);
    assert_eq!(as_child.patient_me().await.unwrap().id, child.id);

    // The child's keys, made on the guardian's device, registered with the guardian's password.
    let keys = Identity::generate(&mut os_rng());
    assert_refused(
        as_child.key_create(&x25519_key(&keys, "not the guardian's password")).await,
        403,
        "reauthentication_required",
    );
    as_child.key_create(&x25519_key(&keys, PATIENT_PASSWORD)).await.unwrap();

    // A document into the child's record, opened with the child's key.
    let doc = Uuid::new_v4();
    let (file, info) = seal_document(doc, &[keys.recipient()], b"Immunisation card: MMR 1st dose");
    as_child
        .document_upload(
            doc,
            &upload_params(&info, "ImmunizationRecord", "2026-03-01"),
            file.clone(),
            file.len() as u64,
        )
        .await
        .unwrap();

    // The sign-in settings, devices and children are the guardian's own account's.
    for (method, path) in
        [(Method::GET, "/v1/devices"), (Method::POST, "/v1/auth/second-factor/setup"), (Method::GET, "/v1/dependents")]
    {
        let r = as_child.send_raw(as_child.request(method, path).json(&serde_json::json!({}))).await;
        assert_refused(r, 403, "guardian_session_forbidden");
    }
    assert_refused(as_child.dependent_create(&child_body("Grandchild")).await, 403, "guardian_session_forbidden");

    // The child's access history names the guardian on everything done in their session.
    let events = as_child.audit(&AuditQuery { after: None, limit: Some(1000) }).await.unwrap().events;
    let guardian_of = |action: &str| {
        events
            .iter()
            .find(|e| e.action == action && e.outcome == "ok")
            .unwrap_or_else(|| panic!("{action} in {events:#?}"))
            .details
            .get("actor_guardian_id")
            .and_then(|v| v.as_str())
            .map(str::to_owned)
    };
    let g = Some(guardian_id.to_string());
    assert_eq!(guardian_of("key.register"), g);
    assert_eq!(guardian_of("document.upload"), g);
    assert!(events.iter().any(|e| e.action == "guardian.refused" && e.outcome == "denied"));
    assert!(events.iter().any(|e| e.action == "guardian.open_child" && e.actor_id == Some(guardian_id)));

    // A refreshed session still names the guardian.
    let refreshed =
        app.client().refresh(&RefreshRequest { refresh_token: tokens.refresh_token.clone() }).await.unwrap();
    assert_eq!(refreshed.guardian_id, Some(guardian_id));
    let as_child = app.client_as(&refreshed.access_token);

    // Back to the guardian's own account: the child's session ends.
    let back = as_child.dependent_return().await.unwrap();
    assert_eq!((back.subject_id, back.guardian_id), (guardian_id, None));
    assert_refused(as_child.patient_me().await, 401, "unauthorized");
    let guardian = app.client_as(&back.access_token);
    assert!(guardian.dependents().await.unwrap()[0].has_keys);
    assert_refused(guardian.dependent_return().await, 409, "not_a_guardian_session");
}

#[tokio::test]
async fn nobody_but_the_guardian_opens_a_childs_account() {
    let app = spawn_app().await;
    let (guardian, _, child) = guardian_with_child(&app).await;
    let stranger = app.patient_with_keys().await;

    // Another patient: as if there were no such child.
    assert_refused(stranger.api.dependent_session(child.id).await, 404, "not_found");
    assert!(stranger.api.dependents().await.unwrap().is_empty());
    // The child's account has no password: its number signs in to nothing, the guardian's
    // password included.
    let login =
        LoginRequest { login: child.abha_number.clone(), password: PATIENT_PASSWORD.to_owned(), refresh_cookie: false };
    assert_refused(app.client().login(&login).await, 401, "unauthorized");
    // A hospital has no children.
    let (hospital, _) = app.new_hospital("IN0910000077").await;
    assert_refused(app.client_as(&hospital).dependent_create(&child_body("X")).await, 403, "forbidden");

    // Bad input changes nothing.
    let mut bad = child_body("Meera");
    bad.abha_number = "12-3456".into();
    assert_refused(guardian.dependent_create(&bad).await, 422, "invalid_abha_number");
    let mut bad = child_body(" ");
    bad.abha_addresses = vec!["meera@abdm".into()];
    assert_refused(guardian.dependent_create(&bad).await, 422, "invalid_name");
    assert_eq!(guardian.dependents().await.unwrap().len(), 1);
}
