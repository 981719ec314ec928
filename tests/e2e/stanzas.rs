//! Granting and revoking a whole record, page by page: the grant alone first, then the hospital's
//! stanzas added in pages (each page one transaction, resumable by listing again); documents the
//! hospital holds already skipped, documents changed meanwhile reported, a header that does more
//! than add (or remove) the one stanza refusing its whole page. Documents are seeded straight
//! into the database: a thousand uploads would test uploading.

use alloy::primitives::Address;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::NaiveDate;
use pramana_client::Client;
use pramana_core::HiType;
use pramana_core::envelope::{self, Header, Identity, Recipient, os_rng};
use pramana_tests::consent::{CONTRACT, grant_body, register_eth, request_body, revoke_body};
use pramana_tests::seed::Holder;
use pramana_tests::{TestApp, assert_refused, register_x25519, spawn_app_with};
use pramana_wire::{StanzaChange, StanzaChangePage, StanzaDocument, StanzaQuery};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use uuid::Uuid;

/// A patient (X25519 and Ethereum keys), a hospital (both keys), and the hospital's request.
struct Setup {
    app: TestApp,
    patient: Client,
    patient_id: Uuid,
    patient_key: Identity,
    signer: pramana_core::chain::eip712::ConsentSigner,
    hospital_id: Uuid,
    hospital_key: Identity,
    hospital_address: Address,
    consent: pramana_wire::ConsentView,
}

async fn setup() -> Setup {
    let app = spawn_app_with(json!({"chain": {"contract_address": CONTRACT}})).await;
    let p = app.patient_with_keys().await;
    let (hosp_token, hospital_id) = app.new_hospital("IN2710000001").await;
    let hospital_address = Address::repeat_byte(0x42);
    register_eth(&app, &hosp_token, hospital_address).await;
    let hospital_key = register_x25519(&app, &hosp_token).await;
    let hospital = app.client_as(&hosp_token);
    let consent = hospital.consent_request(&request_body(&p.patient.abha.hyphenated())).await.unwrap();
    Setup {
        patient_id: p.patient.id.parse().unwrap(),
        patient: p.api,
        patient_key: p.x25519,
        signer: p.signer,
        hospital_id: hospital_id.parse().unwrap(),
        hospital_key,
        hospital_address,
        consent,
        app,
    }
}

impl Setup {
    fn patient_holder(&self) -> Holder {
        Holder { key: self.patient_key.recipient(), role: "patient", id: self.patient_id }
    }

    fn hospital_holder(&self) -> Holder {
        Holder { key: self.hospital_key.recipient(), role: "hospital", id: self.hospital_id }
    }

    async fn seed(&self, uploader: &str, holders: &[Holder], hi_type: &str, n: usize) -> Vec<Uuid> {
        let by = if uploader == "hospital" { self.hospital_id } else { self.patient_id };
        let date = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        self.app.seed_documents(self.patient_id, (uploader, by), holders, hi_type, date, n).await
    }

    /// The patient's signed grant of DiagnosticReport records, without headers.
    async fn grant(&self) {
        let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
        let body = grant_body(&self.signer, &self.consent, self.hospital_address, &[HiType::DiagnosticReport], now);
        assert!(body.headers.is_empty());
        let v = self.patient.consent_grant(self.consent.id, &body).await.unwrap();
        assert_eq!(v.status, "GRANTED");
    }

    async fn pending(&self, after: Option<Uuid>, limit: i64) -> pramana_wire::StanzaDocumentPage {
        let q = StanzaQuery { after, limit: Some(limit) };
        self.patient.consent_stanzas_pending(self.consent.id, &q).await.unwrap()
    }

    async fn header(&self, doc: Uuid) -> Vec<u8> {
        sqlx::query_scalar("SELECT header FROM documents WHERE id = $1")
            .bind(doc)
            .fetch_one(&self.app.pool)
            .await
            .unwrap()
    }

    async fn versions(&self, doc: Uuid) -> Vec<String> {
        sqlx::query_scalar("SELECT reason FROM document_header_versions WHERE document_id = $1 ORDER BY version")
            .bind(doc)
            .fetch_all(&self.app.pool)
            .await
            .unwrap()
    }
}

/// The patient's device: the listed header with a stanza added for `to`.
fn added(d: &StanzaDocument, key: &Identity, to: &Recipient) -> StanzaChange {
    let raw = B64.decode(&d.header).unwrap();
    let (old, _) = Header::parse(&raw).unwrap();
    let new = envelope::add_recipient(&old, key, to, &mut os_rng()).unwrap();
    change(d.document_id, &raw, &new)
}

fn change(doc: Uuid, base: &[u8], new: &Header) -> StanzaChange {
    StanzaChange {
        document_id: doc,
        base_sha256: hex::encode(Sha256::digest(base)),
        header: B64.encode(new.to_bytes()),
    }
}

#[tokio::test]
async fn a_thousand_documents_are_granted_in_pages_and_a_stopped_grant_resumes() {
    let s = setup().await;
    let mine = s.seed("patient", &[s.patient_holder()], "DiagnosticReport", 1000).await;
    // Out of the narrowed scope: never listed.
    let out = s.seed("patient", &[s.patient_holder()], "Prescription", 3).await;
    // Uploaded by the hospital: it holds a stanza already, nothing to add.
    let theirs = s.seed("hospital", &[s.patient_holder(), s.hospital_holder()], "DiagnosticReport", 5).await;
    // Sealed to a key the patient had before: this device cannot open it.
    let old_key = Identity::generate(&mut os_rng());
    let old = s
        .seed(
            "patient",
            &[Holder { key: old_key.recipient(), role: "patient", id: s.patient_id }],
            "DiagnosticReport",
            1,
        )
        .await;

    // Before the grant there is nothing to add stanzas for.
    let q = StanzaQuery::default();
    let r = s.patient.consent_stanzas_pending(s.consent.id, &q).await;
    assert_refused(r, 409, "invalid_transition");

    // The grant alone: a small body whatever the record's size.
    s.grant().await;
    let page = s.pending(None, 100).await;
    assert_eq!((page.total, page.remaining), (1006, 1001), "1000 + 1 lack the stanza; the hospital's 5 do not");
    assert_eq!(page.documents.len(), 100);
    let listed: Vec<Uuid> = page.documents.iter().map(|d| d.document_id).collect();
    let mut expected: Vec<Uuid> = mine.iter().chain(&old).copied().collect();
    expected.sort();
    assert_eq!(listed, expected[..100], "keyset order by document id");
    assert!(listed.iter().all(|d| !out.contains(d) && !theirs.contains(d)));

    // A page whose one header also drops the patient's stanza is refused whole: nothing changes.
    let to = s.hospital_key.recipient();
    let mut changes: Vec<StanzaChange> = page.documents.iter().map(|d| added(d, &s.patient_key, &to)).collect();
    let before = s.app.table_counts().await;
    let bad = {
        let d = &page.documents[7];
        let raw = B64.decode(&d.header).unwrap();
        let mut new = Header::parse(&B64.decode(&changes[7].header).unwrap()).unwrap().0;
        new.stanzas.remove(0);
        change(d.document_id, &raw, &new)
    };
    let good = std::mem::replace(&mut changes[7], bad);
    let r = s.patient.consent_stanzas_add(s.consent.id, &StanzaChangePage { headers: changes.clone() }).await;
    assert_refused(r, 422, "invalid_headers");
    // So is one for another key, a truncated one, a page listing a document twice, too big a page.
    let other = Identity::generate(&mut os_rng()).recipient();
    changes[7] = added(&page.documents[7], &s.patient_key, &other);
    let r = s.patient.consent_stanzas_add(s.consent.id, &StanzaChangePage { headers: changes.clone() }).await;
    assert_refused(r, 422, "invalid_headers");
    let mut truncated = good.clone();
    let raw = B64.decode(&good.header).unwrap();
    truncated.header = B64.encode(&raw[..raw.len() - 1]);
    changes[7] = truncated;
    let r = s.patient.consent_stanzas_add(s.consent.id, &StanzaChangePage { headers: changes.clone() }).await;
    assert_refused(r, 422, "invalid_headers");
    changes[7] = changes[8].clone();
    let r = s.patient.consent_stanzas_add(s.consent.id, &StanzaChangePage { headers: changes.clone() }).await;
    assert_refused(r, 422, "invalid_headers");
    changes[7] = good;
    let mut big = changes.clone();
    big.push(added(&s.pending(Some(listed[99]), 1).await.documents[0], &s.patient_key, &to));
    let r = s.patient.consent_stanzas_add(s.consent.id, &StanzaChangePage { headers: big }).await;
    assert_refused(r, 422, "invalid_headers");
    assert_eq!(s.app.table_counts().await, before, "refused pages wrote nothing");

    // The page, with a document that changed since it was listed and one the hospital holds.
    let moved = listed[3];
    sqlx::query("UPDATE documents SET header = header || '\\x00'::bytea WHERE id = $1")
        .bind(moved)
        .execute(&s.app.pool)
        .await
        .unwrap();
    let held_raw = s.header(theirs[0]).await;
    let (held, _) = Header::parse(&held_raw).unwrap();
    changes.push(change(theirs[0], &held_raw, &held));
    changes.remove(0);
    let first = listed[0];
    let out1 = s.patient.consent_stanzas_add(s.consent.id, &StanzaChangePage { headers: changes }).await.unwrap();
    assert_eq!(out1.changed.len(), 98);
    assert_eq!(out1.changed_meanwhile, [moved], "reported, not fatal");
    assert_eq!(out1.already_done, [theirs[0]], "already held: skipped");
    assert_eq!(out1.remaining, 1001 - 98);
    sqlx::query("UPDATE documents SET header = substring(header FROM 1 FOR length(header) - 1) WHERE id = $1")
        .bind(moved)
        .execute(&s.app.pool)
        .await
        .unwrap();
    // Each change is a header version by the patient, with a MAC the hospital's key verifies.
    let done = listed[10];
    assert_eq!(s.versions(done).await, ["upload", "grant"]);
    let (h, _) = Header::parse(&s.header(done).await).unwrap();
    envelope::verify_header(&h, &s.hospital_key).unwrap();
    assert_eq!(s.versions(theirs[0]).await, ["upload"], "nothing written for a held one");

    // Stopped here (a page listed, never sent). Resuming is listing again: what is left, from the
    // start, the two skipped above first.
    let _abandoned = s.pending(Some(listed[99]), 100).await;
    let resumed = s.pending(None, 100).await;
    assert_eq!(resumed.remaining, 903);
    assert_eq!(resumed.documents[0].document_id, first);
    assert!(resumed.documents.iter().any(|d| d.document_id == moved));
    assert!(!resumed.documents.iter().any(|d| d.document_id == done));

    // The rest, page by page, as a client does it; the old-key document is skipped by the device.
    let mut after = None;
    let mut skipped = Vec::new();
    let mut requests = 0;
    loop {
        let page = s.pending(after, 250).await;
        requests += 1;
        let mut batch = Vec::new();
        for d in &page.documents {
            let raw = B64.decode(&d.header).unwrap();
            let (old_h, _) = Header::parse(&raw).unwrap();
            match envelope::add_recipient(&old_h, &s.patient_key, &to, &mut os_rng()) {
                Ok(new) => batch.push(change(d.document_id, &raw, &new)),
                Err(_) => skipped.push(d.document_id),
            }
        }
        for chunk in batch.chunks(100) {
            let out = s
                .patient
                .consent_stanzas_add(s.consent.id, &StanzaChangePage { headers: chunk.to_vec() })
                .await
                .unwrap();
            requests += 1;
            assert!(out.changed_meanwhile.is_empty());
        }
        match page.next_after {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    assert_eq!(skipped, old, "the document sealed to an older key is reported, not fatal");
    let last = s.pending(None, 100).await;
    assert_eq!((last.total, last.remaining), (1006, 1));
    assert_eq!(last.documents.iter().map(|d| d.document_id).collect::<Vec<_>>(), old);
    assert!(requests < 20, "{requests} requests");
    let indexed: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM document_stanzas WHERE key_id = $1 AND holder_id = $2 AND holder_role = 'hospital'",
    )
    .bind(&to.key_id()[..])
    .bind(s.hospital_id)
    .fetch_one(&s.app.pool)
    .await
    .unwrap();
    assert_eq!(indexed, 1005);

    // Revoked: access ends at once; no more stanzas are added.
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let r = s.patient.consent_stanzas_stale(s.consent.id, &StanzaQuery::default()).await;
    assert_refused(r, 409, "grant_in_force");
    s.patient.consent_revoke(s.consent.id, &revoke_body(&s.signer, &s.consent, now)).await.unwrap();
    let r = s.patient.consent_stanzas_pending(s.consent.id, &StanzaQuery::default()).await;
    assert_refused(r, 409, "invalid_transition");

    // The stanza bytes come out page by page: the 1000 given and the hospital's own 5.
    let stale =
        s.patient.consent_stanzas_stale(s.consent.id, &StanzaQuery { after: None, limit: Some(100) }).await.unwrap();
    assert_eq!(stale.remaining, 1005);
    let removals: Vec<StanzaChange> = stale
        .documents
        .iter()
        .map(|d| {
            let raw = B64.decode(&d.header).unwrap();
            let (h, _) = Header::parse(&raw).unwrap();
            change(d.document_id, &raw, &envelope::remove_recipient(&h, &s.patient_key, &to.key_id()).unwrap())
        })
        .collect();
    // Adding through the removal endpoint (or the other way round) is refused whole.
    let mut wrong = removals.clone();
    let d0 = &stale.documents[0];
    let raw0 = B64.decode(&d0.header).unwrap();
    let (h0, _) = Header::parse(&raw0).unwrap();
    wrong[0] =
        change(d0.document_id, &raw0, &envelope::add_recipient(&h0, &s.patient_key, &other, &mut os_rng()).unwrap());
    let before = s.app.table_counts().await;
    let r = s.patient.consent_stanzas_remove(s.consent.id, &StanzaChangePage { headers: wrong }).await;
    assert_refused(r, 422, "invalid_headers");
    assert_eq!(s.app.table_counts().await, before);
    let out = s.patient.consent_stanzas_remove(s.consent.id, &StanzaChangePage { headers: removals }).await.unwrap();
    assert_eq!((out.changed.len(), out.remaining), (100, 905));
    let gone = stale.documents[0].document_id;
    assert_eq!(s.versions(gone).await, ["upload", "grant", "remove_recipient"]);
    let (h, _) = Header::parse(&s.header(gone).await).unwrap();
    assert!(h.stanza(&to.key_id()).is_none());
    envelope::verify_header(&h, &s.patient_key).unwrap();
}

#[tokio::test]
async fn only_the_patient_lists_and_changes_stanzas_and_pages_have_limits() {
    let s = setup().await;
    s.seed("patient", &[s.patient_holder()], "DiagnosticReport", 2).await;
    s.grant().await;
    let q = |limit| StanzaQuery { after: None, limit: Some(limit) };
    assert_refused(s.patient.consent_stanzas_pending(s.consent.id, &q(0)).await, 422, "invalid_limit");
    assert_refused(s.patient.consent_stanzas_pending(s.consent.id, &q(501)).await, 422, "invalid_limit");
    let empty = StanzaChangePage { headers: Vec::new() };
    assert_refused(s.patient.consent_stanzas_add(s.consent.id, &empty).await, 422, "invalid_headers");
    // Another patient: not found; a hospital: forbidden.
    let stranger = s.app.patient_with_keys().await;
    assert_refused(stranger.api.consent_stanzas_pending(s.consent.id, &q(10)).await, 404, "not_found");
    let (hosp, _) = s.app.new_hospital("IN2710000002").await;
    let hosp = s.app.client_as(&hosp);
    assert_refused(hosp.consent_stanzas_pending(s.consent.id, &q(10)).await, 403, "forbidden");
    // A stranger's page naming the patient's documents changes nothing: they are not its own.
    let page = s.pending(None, 10).await;
    let to = s.hospital_key.recipient();
    let changes: Vec<StanzaChange> = page.documents.iter().map(|d| added(d, &s.patient_key, &to)).collect();
    let r = stranger.api.consent_stanzas_add(s.consent.id, &StanzaChangePage { headers: changes.clone() }).await;
    assert_refused(r, 404, "not_found");
    let out =
        s.patient.consent_stanzas_add(s.consent.id, &StanzaChangePage { headers: changes.clone() }).await.unwrap();
    assert_eq!((out.changed.len(), out.remaining), (2, 0));
    // Sent again (a retry after a lost answer): already held, nothing written.
    let again = s.patient.consent_stanzas_add(s.consent.id, &StanzaChangePage { headers: changes }).await.unwrap();
    assert_eq!((again.changed.len(), again.already_done.len()), (0, 2));
}

#[tokio::test]
async fn a_small_record_still_grants_in_one_request_and_skips_what_the_hospital_holds() {
    let s = setup().await;
    let mine = s.seed("patient", &[s.patient_holder()], "DiagnosticReport", 3).await;
    // The hospital uploaded this one: it needs no header (before, the grant could not be made).
    s.seed("hospital", &[s.patient_holder(), s.hospital_holder()], "DiagnosticReport", 1).await;
    let to = s.hospital_key.recipient();
    let mut headers = Vec::new();
    for doc in &mine {
        let (h, _) = Header::parse(&s.header(*doc).await).unwrap();
        let new = envelope::add_recipient(&h, &s.patient_key, &to, &mut os_rng()).unwrap();
        headers.push(pramana_wire::HeaderUpdate { document_id: *doc, header: B64.encode(new.to_bytes()) });
    }
    let now = u64::try_from(chrono::Utc::now().timestamp()).unwrap();
    let mut body = grant_body(&s.signer, &s.consent, s.hospital_address, &[HiType::DiagnosticReport], now);
    body.headers = headers;
    let v = s.patient.consent_grant(s.consent.id, &body).await.unwrap();
    assert_eq!(v.status, "GRANTED");
    assert_eq!(s.pending(None, 10).await.remaining, 0);
    assert_eq!(s.versions(mine[0]).await, ["upload", "grant"]);
}
