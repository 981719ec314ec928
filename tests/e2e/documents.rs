//! Documents: the real client-side envelope against the real API and local object store.

use pramana_core::envelope::{self, Identity, SealOutput};
use pramana_tests::{Patient, TestApp, assert_error, spawn_app, spawn_app_with};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

fn plaintext(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 253) as u8).collect()
}

use pramana_tests::{register_x25519 as register_key, seal_document as seal};

fn query(info: &SealOutput, hi_type: &str) -> String {
    pramana_tests::upload_query(info, hi_type, "2026-01-15")
}

async fn put(app: &TestApp, token: &str, doc: Uuid, query: &str, body: Vec<u8>) -> reqwest::Response {
    app.http.put(app.url(&format!("/v1/documents/{doc}?{query}"))).bearer_auth(token).body(body).send().await.unwrap()
}

async fn upload(app: &TestApp, p: &Patient, key: &Identity, data: &[u8]) -> (Uuid, Vec<u8>, SealOutput) {
    let doc = Uuid::new_v4();
    let (file, info) = seal(doc, &[key.recipient()], data);
    let r = put(app, &p.access, doc, &query(&info, "DiagnosticReport"), file.clone()).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    (doc, file, info)
}

#[tokio::test]
async fn upload_list_metadata_download_and_decrypt() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let key = register_key(&app, &p.access).await;
    let data = plaintext(3 * envelope::CHUNK_SIZE + 123);
    let (doc, file, info) = upload(&app, &p, &key, &data).await;

    let list: Vec<Value> = app.get("/v1/documents", Some(&p.access)).await.json().await.unwrap();
    assert_eq!(list.len(), 1);
    let meta: Value = app.get(&format!("/v1/documents/{doc}"), Some(&p.access)).await.json().await.unwrap();
    assert_eq!(meta["hi_type"], "DiagnosticReport");
    assert_eq!(meta["plaintext_size"], data.len());
    assert_eq!(meta["plaintext_sha256"], hex::encode(Sha256::digest(&data)));
    assert_eq!(meta["leaf"], hex::encode(info.leaf));
    assert!(meta["my_stanza"].is_string(), "the caller's stanza comes with the metadata");

    let r = app.get(&format!("/v1/documents/{doc}/content"), Some(&p.access)).await;
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.unwrap();
    assert_eq!(&body[..], &file[..], "the envelope comes back byte for byte");
    let mut out = Vec::new();
    let opened = envelope::open(doc.as_bytes(), &key, &body[..], &mut out).unwrap();
    assert_eq!(out, data);
    assert_eq!(opened.plaintext_sha256, info.plaintext_sha256);

    let r = app
        .http
        .get(app.url(&format!("/v1/documents/{doc}/content")))
        .bearer_auth(&p.access)
        .header("range", "bytes=100-70000")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.headers()["content-range"], format!("bytes 100-70000/{}", file.len()));
    assert_eq!(&r.bytes().await.unwrap()[..], &file[100..=70000]);
    let r = app
        .http
        .get(app.url(&format!("/v1/documents/{doc}/content")))
        .bearer_auth(&p.access)
        .header("range", format!("bytes={}-", file.len()))
        .send()
        .await
        .unwrap();
    assert_error(r, 416, "range_not_satisfiable").await;

    // The anchor job was written with the row (outbox).
    let leaf: Vec<u8> = sqlx::query_scalar("SELECT leaf FROM anchor_jobs WHERE document_id = $1")
        .bind(doc)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(leaf, info.leaf);
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log WHERE target = $1 ORDER BY seq")
        .bind(format!("document:{doc}"))
        .fetch_all(&app.pool)
        .await
        .unwrap();
    // The refused range is not an access; the two downloads are.
    assert_eq!(actions, ["document.upload", "document.read_metadata", "document.download", "document.download"]);
}

#[tokio::test]
async fn bad_uploads_are_refused_and_leave_nothing() {
    let app =
        spawn_app_with(json!({"storage": {"max_document_bytes": 200_000, "quota_bytes_per_patient": 300_000}})).await;
    let p = app.new_patient().await;
    let doc = Uuid::new_v4();
    let (file, info) = seal(doc, &[Identity::generate(&mut envelope::os_rng()).recipient()], b"hello");
    // No key registered yet.
    let r = put(&app, &p.access, doc, &query(&info, "Prescription"), file.clone()).await;
    assert_error(r, 422, "no_patient_key").await;
    let key = register_key(&app, &p.access).await;
    let before = app.table_counts().await;

    // Sealed to someone else: the patient could not read it.
    assert_error(put(&app, &p.access, doc, &query(&info, "Prescription"), file).await, 422, "missing_stanza").await;
    let (file, info) = seal(doc, &[key.recipient()], b"hello");
    let q = query(&info, "Prescription");
    assert_error(put(&app, &p.access, doc, &query(&info, "XRay"), file.clone()).await, 422, "invalid_hi_type").await;
    let bad_date = q.replace("2026-01-15", "2999-01-01");
    assert_error(put(&app, &p.access, doc, &bad_date, file.clone()).await, 422, "invalid_care_date").await;
    assert_error(put(&app, &p.access, doc, "hi_type=Prescription", file.clone()).await, 400, "invalid_query").await;
    assert_error(
        put(&app, &p.access, doc, &q, b"definitely not an envelope".to_vec()).await,
        422,
        "malformed_envelope",
    )
    .await;
    assert_error(put(&app, &p.access, Uuid::new_v4(), &q, file.clone()).await, 422, "malformed_envelope").await;
    let mut flipped = file.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    assert_error(put(&app, &p.access, doc, &q, flipped).await, 422, "hash_mismatch").await;
    let mut cut = file.clone();
    cut.truncate(file.len() - 3);
    let r = put(&app, &p.access, doc, &q, cut).await;
    assert_eq!(r.status(), 422, "a payload whose length breaks the chunk framing");
    let other = app.new_patient().await;
    let before_other = app.table_counts().await;
    let r = put(&app, &p.access, doc, &format!("{q}&patient_id={}", other.id), file.clone()).await;
    assert_error(r, 404, "not_found").await;
    // Oversize: refused from Content-Length before reading the body.
    let (big, big_info) = seal(doc, &[key.recipient()], &plaintext(250_000));
    assert_error(put(&app, &p.access, doc, &query(&big_info, "Prescription"), big).await, 413, "body_too_large").await;
    assert_eq!(app.table_counts().await, before_other, "nothing stored");
    assert_ne!(before, before_other);
    assert_eq!(app.object_counts(), (0, 0), "no orphan object, nothing left in staging");

    // The good upload, then a duplicate id, then the quota.
    assert_eq!(put(&app, &p.access, doc, &q, file.clone()).await.status(), 201);
    assert_error(put(&app, &p.access, doc, &q, file).await, 409, "document_exists").await;
    let (_, _, _) = upload(&app, &p, &key, &plaintext(150_000)).await;
    let doc3 = Uuid::new_v4();
    let (f3, i3) = seal(doc3, &[key.recipient()], &plaintext(150_000));
    let before = app.table_counts().await;
    assert_error(put(&app, &p.access, doc3, &query(&i3, "Prescription"), f3).await, 413, "quota_exceeded").await;
    assert_eq!(app.table_counts().await, before);
    assert_eq!(app.object_counts(), (2, 0));
}

#[tokio::test]
async fn other_tenants_get_404_and_hospitals_upload_into_a_record() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let key = register_key(&app, &p.access).await;
    let (doc, _, _) = upload(&app, &p, &key, b"my lab report").await;
    let q = app.new_patient().await;
    for path in [format!("/v1/documents/{doc}"), format!("/v1/documents/{doc}/content")] {
        assert_error(app.get(&path, Some(&q.access)).await, 404, "not_found").await;
    }
    let r = app.http.delete(app.url(&format!("/v1/documents/{doc}"))).bearer_auth(&q.access).send().await.unwrap();
    assert_error(r, 404, "not_found").await;
    let denied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE outcome = 'denied' AND subject_patient_id = $1")
            .bind(Uuid::parse_str(&p.id).unwrap())
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(denied, 3, "each denial is in the owner's audit trail");
    let list: Vec<Value> = app.get("/v1/documents", Some(&q.access)).await.json().await.unwrap();
    assert!(list.is_empty());

    // A hospital uploads into the patient's record, for the patient and itself.
    let admin = app.admin_token().await;
    let h: Value = app
        .post("/v1/admin/hospitals", Some(&admin), &json!({"hfr_id": "IN2710000001", "name": "City"}))
        .await
        .json()
        .await
        .unwrap();
    let (hospital, _) = app.login("IN2710000001", h["api_secret"].as_str().unwrap()).await;
    let hkey = register_key(&app, &hospital).await;
    let hdoc = Uuid::new_v4();
    let (file, info) = seal(hdoc, &[key.recipient(), hkey.recipient()], b"discharge summary");
    // Only once the patient linked it (tests/e2e/links.rs has the rest).
    let before = app.table_counts().await;
    let r =
        put(&app, &hospital, hdoc, &format!("{}&patient_id={}", query(&info, "DischargeSummary"), p.id), file.clone())
            .await;
    assert_error(r, 422, "not_linked").await;
    assert_eq!(app.table_counts().await, before, "the refusal changed nothing");
    app.link(&hospital, &p).await;
    let r =
        put(&app, &hospital, hdoc, &format!("{}&patient_id={}", query(&info, "DischargeSummary"), p.id), file).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    for (token, id) in [(&p.access, &key), (&hospital, &hkey)] {
        let body = app.get(&format!("/v1/documents/{hdoc}/content"), Some(token)).await.bytes().await.unwrap();
        let mut out = Vec::new();
        envelope::open(hdoc.as_bytes(), id, &body[..], &mut out).unwrap();
        assert_eq!(out, b"discharge summary");
    }
    // The hospital sees only what it uploaded; it cannot delete from the patient's record.
    let list: Vec<Value> = app.get("/v1/documents", Some(&hospital)).await.json().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_error(app.get(&format!("/v1/documents/{doc}"), Some(&hospital)).await, 404, "not_found").await;
    let r = app.http.delete(app.url(&format!("/v1/documents/{hdoc}"))).bearer_auth(&hospital).send().await.unwrap();
    assert_error(r, 403, "forbidden").await;
    let r = put(&app, &hospital, Uuid::new_v4(), &query(&info, "DischargeSummary"), vec![]).await;
    assert_error(r, 422, "invalid_patient_id").await;
}

#[tokio::test]
async fn delete_shreds_and_corruption_is_caught() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let key = register_key(&app, &p.access).await;
    let (doc, _, info) = upload(&app, &p, &key, &plaintext(70_000)).await;
    let (doc2, _, info2) = upload(&app, &p, &key, &plaintext(1000)).await;
    assert_eq!(app.object_counts().0, 2);

    let r = app.http.delete(app.url(&format!("/v1/documents/{doc}"))).bearer_auth(&p.access).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(app.object_counts().0, 1, "the ciphertext is gone");
    assert_error(app.get(&format!("/v1/documents/{doc}/content"), Some(&p.access)).await, 404, "not_found").await;
    let meta: Value = app.get(&format!("/v1/documents/{doc}"), Some(&p.access)).await.json().await.unwrap();
    assert!(meta["deleted_at"].is_string());
    assert!(meta["header"].is_null(), "no wrapped keys remain");
    assert_eq!(meta["plaintext_sha256"], hex::encode(info.plaintext_sha256), "the tombstone keeps the hashes");
    let stanzas: i64 = sqlx::query_scalar("SELECT count(*) FROM document_stanzas WHERE document_id = $1")
        .bind(doc)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stanzas, 0);

    // Flip a byte of the remaining object on disk: a full download fails instead of serving it.
    let key_hex = hex::encode(info2.payload_sha256);
    let path = app.storage_dir.join("objects").join(&key_hex[..2]).join(&key_hex);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[10] ^= 1;
    std::fs::write(&path, bytes).unwrap();
    let r = app.http.get(app.url(&format!("/v1/documents/{doc2}/content"))).bearer_auth(&p.access).send().await;
    let whole = match r {
        Ok(r) => r.bytes().await.is_ok(),
        Err(_) => false,
    };
    assert!(!whole, "a corrupt object is never served whole");
}

/// The owner's device drops a recipient's stanza: exactly that one, never the owner's own, and
/// only the owner; refusals change nothing.
#[tokio::test]
async fn the_owner_drops_a_recipient_and_nothing_else() {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let key = register_key(&app, &patient.access).await;
    let (hosp, _) = app.new_hospital("IN2710000001").await;
    let hosp_key = register_key(&app, &hosp).await;
    let stranger = app.new_patient().await;
    let doc = Uuid::new_v4();
    let (env, info) = seal(doc, &[key.recipient(), hosp_key.recipient()], b"shared record");
    assert_eq!(put(&app, &patient.access, doc, &query(&info, "DiagnosticReport"), env.clone()).await.status(), 201);
    let stored = info.header.clone();
    let url = format!("/v1/documents/{doc}/header");
    let hosp_id = hosp_key.recipient().key_id();
    let without = envelope::remove_recipient(&stored, &key, &hosp_id).unwrap();
    let good = json!({"key_id": hex::encode(hosp_id), "header": b64.encode(without.to_bytes())});

    let before = app.table_counts().await;
    assert_error(app.post(&url, Some(&hosp), &good).await, 403, "forbidden").await;
    assert_error(app.post(&url, Some(&stranger.access), &good).await, 404, "not_found").await;
    let own = json!({"key_id": hex::encode(key.recipient().key_id()), "header": b64.encode(without.to_bytes())});
    assert_error(app.post(&url, Some(&patient.access), &own).await, 422, "own_key").await;
    let unchanged = json!({"key_id": hex::encode(hosp_id), "header": b64.encode(stored.to_bytes())});
    assert_error(app.post(&url, Some(&patient.access), &unchanged).await, 422, "invalid_header").await;
    let bad_id = json!({"key_id": "12", "header": b64.encode(without.to_bytes())});
    assert_error(app.post(&url, Some(&patient.access), &bad_id).await, 422, "invalid_key_id").await;
    let stored_now: Vec<u8> =
        sqlx::query_scalar("SELECT header FROM documents WHERE id = $1").bind(doc).fetch_one(&app.pool).await.unwrap();
    assert_eq!(stored_now, stored.to_bytes(), "refusals change nothing");
    let after = app.table_counts().await;
    assert_eq!(
        after.iter().filter(|(t, _)| t != "audit_log").collect::<Vec<_>>(),
        before.iter().filter(|(t, _)| t != "audit_log").collect::<Vec<_>>()
    );

    assert_eq!(app.post(&url, Some(&patient.access), &good).await.status(), 204);
    let r = app.get(&format!("/v1/documents/{doc}/content"), Some(&patient.access)).await;
    let envelope = r.bytes().await.unwrap();
    let mut plain = Vec::new();
    envelope::open(doc.as_bytes(), &key, &envelope[..], &mut plain).unwrap();
    assert_eq!(plain, b"shared record", "the owner still opens it");
    assert!(envelope::open(doc.as_bytes(), &hosp_key, &envelope[..], &mut Vec::new()).is_err(), "the hospital cannot");
    assert_error(app.post(&url, Some(&patient.access), &good).await, 422, "invalid_header").await;
}
