//! Caregivers and family: a patient gives another patient account rights over their record (HI
//! types, a period, optionally denying consent requests); the patient's device adds the
//! caregiver's stanzas page by page as for a consent; the caregiver reads in scope with their own
//! key; every proxy action is in the patient's access history naming the caregiver; and the
//! attacks: outside the HI types, outside the period, after revocation, signing for the patient,
//! a third account using the grant — each refused with a stable code, audited, nothing changed.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{Duration, Utc};
use pramana_client::Client;
use pramana_core::envelope::{self, Header, Identity, Recipient, os_rng};
use pramana_tests::consent::request_body;
use pramana_tests::fixtures::PatientWithKeys;
use pramana_tests::{TestApp, assert_refused, register_x25519, seal_document, spawn_app, upload_params};
use pramana_wire::{AuditQuery, CaregiverCreate, CaregiverView, StanzaChange, StanzaChangePage, StanzaQuery};
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

/// A patient with two uploaded documents (a prescription and a lab report), the caregiver they
/// name, and a third account that has no rights.
struct Family {
    app: TestApp,
    patient: PatientWithKeys,
    caregiver: PatientWithKeys,
    stranger: PatientWithKeys,
    prescription: Uuid,
    lab_report: Uuid,
}

const PRESCRIPTION: &[u8] = b"Tab. Metformin 500 mg twice daily";

async fn family() -> Family {
    let app = spawn_app().await;
    let patient = app.patient_with_keys().await;
    let caregiver = app.patient_with_keys().await;
    let stranger = app.patient_with_keys().await;
    let prescription = upload(&patient, "Prescription", PRESCRIPTION).await;
    let lab_report = upload(&patient, "DiagnosticReport", b"HbA1c 7.1 %").await;
    Family { app, patient, caregiver, stranger, prescription, lab_report }
}

async fn upload(p: &PatientWithKeys, hi_type: &str, data: &[u8]) -> Uuid {
    let doc = Uuid::new_v4();
    let (file, info) = seal_document(doc, &[p.x25519.recipient()], data);
    let q = upload_params(&info, hi_type, "2026-02-01");
    p.api.document_upload(doc, &q, file.clone(), file.len() as u64).await.unwrap();
    doc
}

fn rights(who: &str, hi_types: &[&str], manage_consents: bool) -> CaregiverCreate {
    CaregiverCreate {
        caregiver: who.to_owned(),
        manage_consents,
        hi_types: hi_types.iter().map(|t| (*t).to_owned()).collect(),
        valid_from: None,
        valid_until: Utc::now() + Duration::days(30),
    }
}

impl Family {
    async fn grant(&self, hi_types: &[&str], manage_consents: bool) -> CaregiverView {
        let body = rights(&self.caregiver.patient.abha.hyphenated(), hi_types, manage_consents);
        self.patient.api.caregiver_create(&body).await.unwrap()
    }

    /// The patient's device: every pending document gets the caregiver's stanza.
    async fn add_stanzas(&self, grant: Uuid) -> usize {
        let page = self.patient.api.caregiver_stanzas_pending(grant, &StanzaQuery::default()).await.unwrap();
        if page.documents.is_empty() {
            return 0;
        }
        let to = self.caregiver.x25519.recipient();
        let headers: Vec<StanzaChange> =
            page.documents.iter().map(|d| added(d.document_id, &d.header, &self.patient.x25519, &to)).collect();
        let out = self.patient.api.caregiver_stanzas_add(grant, &StanzaChangePage { headers }).await.unwrap();
        assert_eq!(out.remaining, 0);
        out.changed.len()
    }

    /// Row counts without the access log (refusals are audited, nothing else may change).
    async fn counts(&self) -> Vec<(String, i64)> {
        self.app.table_counts().await.into_iter().filter(|(t, _)| !t.starts_with("audit")).collect()
    }

    /// The patient's access-history entries that name the caregiver as proxy: (action, outcome).
    async fn proxy_history(&self) -> Vec<(String, String)> {
        let page = self.patient.api.access_log(&AuditQuery { after: None, limit: Some(500) }).await.unwrap();
        let caregiver = self.caregiver.patient.id.clone();
        page.events
            .into_iter()
            .filter(|e| e.details["proxy_account_id"].as_str() == Some(caregiver.as_str()))
            .map(|e| {
                assert_eq!(e.actor_id.map(|a| a.to_string()), Some(caregiver.clone()), "the caregiver acted");
                (e.action, e.outcome)
            })
            .collect()
    }
}

fn added(doc: Uuid, header_b64: &str, key: &Identity, to: &Recipient) -> StanzaChange {
    let raw = B64.decode(header_b64).unwrap();
    let (old, _) = Header::parse(&raw).unwrap();
    let new = envelope::add_recipient(&old, key, to, &mut os_rng()).unwrap();
    StanzaChange {
        document_id: doc,
        base_sha256: hex::encode(Sha256::digest(&raw)),
        header: B64.encode(new.to_bytes()),
    }
}

async fn open_as(api: &Client, grant: Uuid, doc: Uuid, key: &Identity) -> Vec<u8> {
    let bytes = api.caregiver_document_content(grant, doc).await.unwrap().bytes().await.unwrap();
    let mut out = Vec::new();
    envelope::open(doc.as_bytes(), key, &bytes[..], &mut out).unwrap();
    out
}

#[tokio::test]
async fn a_caregiver_reads_what_the_rights_cover_with_their_own_key_until_revoked() {
    let f = family().await;
    let g = f.grant(&["Prescription"], false).await;
    assert_eq!((g.state.as_str(), g.caregiver_name.as_str()), ("active", "Asha Rao"));

    // Both sides list it.
    let given = f.patient.api.caregivers().await.unwrap().items;
    assert_eq!(given.iter().map(|x| x.id).collect::<Vec<_>>(), [g.id]);
    let cared_for = f.caregiver.api.caregivers_cared_for().await.unwrap().items;
    assert_eq!(cared_for.iter().map(|x| x.id).collect::<Vec<_>>(), [g.id]);
    assert!(f.stranger.api.caregivers_cared_for().await.unwrap().items.is_empty());

    // Only the prescription is listed; no stanza for the caregiver yet.
    let docs = f.caregiver.api.caregiver_documents(g.id).await.unwrap();
    assert_eq!(docs.iter().map(|d| d.id).collect::<Vec<_>>(), [f.prescription]);
    assert!(docs[0].my_stanza.is_none());

    // The patient's device adds the caregiver's stanza to the one document in scope.
    assert_eq!(f.add_stanzas(g.id).await, 1);
    let view = f.caregiver.api.caregiver_document(g.id, f.prescription).await.unwrap();
    assert!(view.my_stanza.is_some(), "the caregiver's own stanza");
    assert_eq!(open_as(&f.caregiver.api, g.id, f.prescription, &f.caregiver.x25519).await, PRESCRIPTION);

    // Attacks, each refused, audited, nothing changed.
    let before = f.counts().await;
    // Outside the HI types given.
    let r = f.caregiver.api.caregiver_document(g.id, f.lab_report).await;
    assert_refused(r, 403, "proxy_scope");
    let r = f.caregiver.api.caregiver_document_content(g.id, f.lab_report).await;
    assert_refused(r, 403, "proxy_scope");
    // The patient's own routes do not open to the caregiver.
    assert_refused(f.caregiver.api.document(f.prescription).await, 404, "not_found");
    // Managing consents was not given.
    assert_refused(f.caregiver.api.caregiver_consents(g.id).await, 403, "proxy_scope");
    // A third account cannot use the grant, nor change its stanzas or revoke it.
    assert_refused(f.stranger.api.caregiver_documents(g.id).await, 404, "not_found");
    assert_refused(f.stranger.api.caregiver_document_content(g.id, f.prescription).await, 404, "not_found");
    assert_refused(f.stranger.api.caregiver_revoke(g.id).await, 404, "not_found");
    let q = StanzaQuery::default();
    assert_refused(f.stranger.api.caregiver_stanzas_pending(g.id, &q).await, 404, "not_found");
    // Nor can the caregiver revoke it or manage its stanzas (the patient's side).
    assert_refused(f.caregiver.api.caregiver_revoke(g.id).await, 404, "not_found");
    assert_refused(f.caregiver.api.caregiver_stanzas_pending(g.id, &q).await, 404, "not_found");
    // A page naming a document with a header not its own (another's, for another key) changes
    // nothing.
    let other = Identity::generate(&mut os_rng()).recipient();
    let lab = f.patient.api.document(f.lab_report).await.unwrap();
    let bad = added(f.prescription, lab.header.as_deref().unwrap(), &f.patient.x25519, &other);
    let r = f.patient.api.caregiver_stanzas_add(g.id, &StanzaChangePage { headers: vec![bad] }).await;
    assert!(r.is_ok_and(|o| o.changed.is_empty()), "a header not the document's own changed nothing");
    assert_eq!(f.counts().await, before, "refusals changed nothing");

    // The patient revokes: refused at once.
    let revoked = f.patient.api.caregiver_revoke(g.id).await.unwrap();
    assert_eq!(revoked.state, "revoked");
    assert_refused(f.caregiver.api.caregiver_documents(g.id).await, 403, "proxy_revoked");
    assert_refused(f.caregiver.api.caregiver_document_content(g.id, f.prescription).await, 403, "proxy_revoked");
    assert_refused(f.patient.api.caregiver_revoke(g.id).await, 409, "caregiver_revoked");

    // Then the stanza comes out of the header.
    let stale = f.patient.api.caregiver_stanzas_stale(g.id, &q).await.unwrap();
    assert_eq!(stale.documents.iter().map(|d| d.document_id).collect::<Vec<_>>(), [f.prescription]);
    let d = &stale.documents[0];
    let raw = B64.decode(&d.header).unwrap();
    let (old, _) = Header::parse(&raw).unwrap();
    let key_id = f.caregiver.x25519.recipient().key_id();
    let new = envelope::remove_recipient(&old, &f.patient.x25519, &key_id).unwrap();
    let change = StanzaChange {
        document_id: d.document_id,
        base_sha256: hex::encode(Sha256::digest(&raw)),
        header: B64.encode(new.to_bytes()),
    };
    let out = f.patient.api.caregiver_stanzas_remove(g.id, &StanzaChangePage { headers: vec![change] }).await.unwrap();
    assert_eq!((out.changed.len(), out.remaining), (1, 0));
    let header = f.patient.api.document(f.prescription).await.unwrap().header.unwrap();
    let (now, _) = Header::parse(&B64.decode(header).unwrap()).unwrap();
    assert!(now.stanza(&key_id).is_none(), "the caregiver's stanza is gone");
    assert!(now.stanza(&f.patient.x25519.recipient().key_id()).is_some(), "the patient's stays");

    // Every proxy action, allowed or refused, is in the patient's history naming the caregiver.
    let history = f.proxy_history().await;
    let has = |action: &str, outcome: &str| history.iter().any(|(a, o)| a == action && o == outcome);
    assert!(has("document.list", "ok"), "{history:?}");
    assert!(has("document.read_metadata", "ok"));
    assert!(has("document.download", "ok"));
    assert!(has("document.read_metadata", "denied"), "outside the HI types");
    assert!(has("consent.list", "denied"));
    assert!(has("document.list", "denied"), "after revocation");
    // The stranger's attempts are there too (as denials under the patient).
    let all = f.patient.api.access_log(&AuditQuery { after: None, limit: Some(500) }).await.unwrap().events;
    let stranger = f.stranger.patient.id.clone();
    assert!(all.iter().any(|e| e.actor_id.map(|a| a.to_string()) == Some(stranger.clone()) && e.outcome == "denied"));
}

#[tokio::test]
async fn rights_hold_only_in_their_period() {
    let f = family().await;
    // Not yet begun.
    let mut body = rights(&f.caregiver.patient.abha.hyphenated(), &["Prescription"], false);
    body.valid_from = Some(Utc::now() + Duration::days(1));
    let g = f.patient.api.caregiver_create(&body).await.unwrap();
    assert_eq!(g.state, "not_yet");
    assert_refused(f.caregiver.api.caregiver_documents(g.id).await, 403, "proxy_expired");
    let q = StanzaQuery::default();
    assert_refused(f.patient.api.caregiver_stanzas_pending(g.id, &q).await, 409, "invalid_transition");
    f.patient.api.caregiver_revoke(g.id).await.unwrap();

    // In force, then past its end.
    let g = f.grant(&["Prescription"], false).await;
    f.add_stanzas(g.id).await;
    assert_eq!(open_as(&f.caregiver.api, g.id, f.prescription, &f.caregiver.x25519).await, PRESCRIPTION);
    sqlx::query("UPDATE caregivers SET valid_from = now() - interval '2 days', valid_until = now() - interval '1 day' WHERE id = $1")
        .bind(g.id)
        .execute(&f.app.pool)
        .await
        .unwrap();
    assert_refused(f.caregiver.api.caregiver_document(g.id, f.prescription).await, 403, "proxy_expired");
    assert_refused(f.caregiver.api.caregiver_document_content(g.id, f.prescription).await, 403, "proxy_expired");
    let listed = f.caregiver.api.caregivers_cared_for().await.unwrap().items;
    assert_eq!(listed[0].state, "expired");
    // An ended grant's stanzas may be removed without revoking it.
    let stale = f.patient.api.caregiver_stanzas_stale(g.id, &q).await.unwrap();
    assert_eq!(stale.remaining, 1);
    assert!(f.proxy_history().await.iter().any(|(a, o)| a == "document.download" && o == "denied"));
}

#[tokio::test]
async fn a_caregiver_managing_consents_may_deny_but_never_sign() {
    let f = family().await;
    let (hospital_token, _) = f.app.new_hospital("IN2710000077").await;
    register_x25519(&f.app, &hospital_token).await;
    let hospital = f.app.client_as(&hospital_token);
    let request = hospital.consent_request(&request_body(&f.patient.patient.abha.hyphenated())).await.unwrap();

    // Without the right, not even the list.
    let g = f.grant(&["Prescription"], false).await;
    assert_refused(f.caregiver.api.caregiver_consents(g.id).await, 403, "proxy_scope");
    assert_refused(f.caregiver.api.caregiver_consent_action(g.id, request.id, "deny").await, 403, "proxy_scope");
    f.patient.api.caregiver_revoke(g.id).await.unwrap();

    let g = f.grant(&["Prescription"], true).await;
    let listed = f.caregiver.api.caregiver_consents(g.id).await.unwrap();
    assert_eq!(listed.iter().map(|c| c.id).collect::<Vec<_>>(), [request.id]);
    let other = hospital.consent_request(&request_body(&f.stranger.patient.abha.hyphenated())).await.unwrap();
    let before = f.counts().await;
    // Granting or revoking needs the patient's own signature.
    for action in ["grant", "revoke"] {
        let r = f.caregiver.api.caregiver_consent_action(g.id, request.id, action).await;
        assert_refused(r, 403, "patient_signature_required");
    }
    // The patient's own consent routes stay closed to the caregiver.
    assert_refused(f.caregiver.api.consent_deny(request.id).await, 404, "not_found");
    // Another patient's consent through this grant.
    assert_refused(f.caregiver.api.caregiver_consent_action(g.id, other.id, "deny").await, 404, "not_found");
    assert_eq!(f.counts().await, before, "refusals changed nothing");

    let denied = f.caregiver.api.caregiver_consent_action(g.id, request.id, "deny").await.unwrap();
    assert_eq!(denied.status, "DENIED");
    assert_eq!(f.patient.api.consent(request.id).await.unwrap().status, "DENIED");
    let r = f.caregiver.api.caregiver_consent_action(g.id, request.id, "deny").await;
    assert_refused(r, 409, "invalid_transition");
    let history = f.proxy_history().await;
    assert!(history.contains(&("consent.deny".to_owned(), "ok".to_owned())), "{history:?}");
    assert!(history.contains(&("consent.grant".to_owned(), "denied".to_owned())));

    // After revocation, nothing.
    f.patient.api.caregiver_revoke(g.id).await.unwrap();
    assert_refused(f.caregiver.api.caregiver_consents(g.id).await, 403, "proxy_revoked");
}

#[tokio::test]
async fn giving_rights_is_checked() {
    let f = family().await;
    let api = &f.patient.api;
    let me = f.patient.patient.abha.hyphenated();
    let them = f.caregiver.patient.abha.hyphenated();
    assert_refused(api.caregiver_create(&rights(&me, &["Prescription"], false)).await, 422, "caregiver_self");
    assert_refused(api.caregiver_create(&rights(&them, &[], false)).await, 422, "invalid_hi_types");
    assert_refused(api.caregiver_create(&rights(&them, &["Gossip"], false)).await, 422, "invalid_hi_types");
    let mut past = rights(&them, &["Prescription"], false);
    past.valid_until = Utc::now() - Duration::hours(1);
    assert_refused(api.caregiver_create(&past).await, 422, "invalid_valid_until");
    assert_refused(
        api.caregiver_create(&rights("not-a-number", &["Prescription"], false)).await,
        422,
        "invalid_caregiver",
    );
    let unknown = pramana_tests::random_abha().hyphenated();
    assert_refused(api.caregiver_create(&rights(&unknown, &["Prescription"], false)).await, 404, "caregiver_not_found");
    // An account without an encryption key could be given nothing.
    let keyless = f.app.new_patient().await;
    let r = api.caregiver_create(&rights(&keyless.abha.hyphenated(), &["Prescription"], false)).await;
    assert_refused(r, 422, "no_caregiver_key");
    // One open grant per caregiver.
    f.grant(&["Prescription"], false).await;
    assert_refused(api.caregiver_create(&rights(&them, &["WellnessRecord"], false)).await, 409, "caregiver_exists");
    // Hospitals have no caregivers.
    let (hospital_token, _) = f.app.new_hospital("IN2710000078").await;
    let hospital = f.app.client_as(&hospital_token);
    assert_refused(hospital.caregiver_create(&rights(&them, &["Prescription"], false)).await, 403, "forbidden");
    assert_refused(hospital.caregivers_cared_for().await, 403, "forbidden");
}
