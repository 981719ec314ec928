//! Header history: every header a document has had is kept, append-only. A stolen patient
//! session can send a header that passes the server's structural check but carries a bad MAC
//! (the server holds no key to check it) and so makes the document unreadable for everyone; the
//! owner lists the versions, checks one on their device and restores it.

use alloy::primitives::Address;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::Utc;
use pramana_core::HiType;
use pramana_core::chain::eip712::ConsentSigner;
use pramana_core::envelope::{self, Header, Identity};
use pramana_tests::consent::{CONTRACT, register_eth, request, sign_grant};
use pramana_tests::{TestApp, assert_error, register_x25519, seal_document, spawn_app, spawn_app_with, upload_query};
use serde_json::{Value, json};
use uuid::Uuid;

/// Uploads `plain` for `token`'s patient, sealed to `to`.
async fn upload(app: &TestApp, token: &str, to: &[&Identity], plain: &[u8]) -> Uuid {
    let doc = Uuid::new_v4();
    let recipients: Vec<_> = to.iter().map(|i| i.recipient()).collect();
    let (env, info) = seal_document(doc, &recipients, plain);
    let q = upload_query(&info, "DiagnosticReport", "2025-06-01");
    let r = app.http.put(app.url(&format!("/v1/documents/{doc}?{q}"))).bearer_auth(token).body(env).send().await;
    assert_eq!(r.unwrap().status(), 201);
    doc
}

/// Downloads the envelope and opens it with `key`.
async fn open(app: &TestApp, token: &str, doc: Uuid, key: &Identity) -> Result<Vec<u8>, envelope::CryptoError> {
    let r = app.get(&format!("/v1/documents/{doc}/content"), Some(token)).await;
    assert_eq!(r.status(), 200);
    let body = r.bytes().await.unwrap();
    let mut out = Vec::new();
    envelope::open(doc.as_bytes(), key, &body[..], &mut out).map(|_| out)
}

async fn versions(app: &TestApp, token: &str, doc: Uuid) -> Vec<Value> {
    let r = app.get(&format!("/v1/documents/{doc}/headers"), Some(token)).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn stored_header(app: &TestApp, doc: Uuid) -> Option<Vec<u8>> {
    sqlx::query_scalar("SELECT header FROM documents WHERE id = $1").bind(doc).fetch_one(&app.pool).await.unwrap()
}

/// A header as the API lists it, parsed.
fn header_of(v: &Value) -> Header {
    Header::parse(&B64.decode(v["header"].as_str().unwrap()).unwrap()).unwrap().0
}

/// Row counts of every table but the audit log: a refusal changes none of them.
async fn counts(app: &TestApp) -> Vec<(String, i64)> {
    app.table_counts().await.into_iter().filter(|(t, _)| t != "audit_log").collect()
}

/// The attack through the remove-recipient path, then the owner's recovery; refusals change
/// nothing; only the owner may list or restore; the history cannot be rewritten.
#[tokio::test]
async fn a_header_with_a_broken_mac_is_undone_by_restoring_the_previous_version() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let key = register_x25519(&app, &patient.access).await;
    let (hosp, _) = app.new_hospital("IN2710000001").await;
    let hosp_key = register_x25519(&app, &hosp).await;
    let doc = upload(&app, &patient.access, &[&key, &hosp_key], b"shared record").await;
    let v = versions(&app, &patient.access, doc).await;
    assert_eq!(v.len(), 1);
    assert_eq!((v[0]["version"].as_u64(), v[0]["reason"].as_str()), (Some(1), Some("upload")));
    assert_eq!((v[0]["actor_role"].as_str(), v[0]["actor_id"].as_str()), (Some("patient"), Some(&*patient.id)));
    assert_eq!(v[0]["current"], true);
    let original = stored_header(&app, doc).await.unwrap();

    // The attack: a stolen access token sends the header without the hospital's stanza, its MAC
    // byte flipped. The structure is right, so the server (which cannot check a MAC) takes it.
    let (stored, _) = Header::parse(&original).unwrap();
    let hosp_id = hosp_key.recipient().key_id();
    let mut broken = envelope::remove_recipient(&stored, &key, &hosp_id).unwrap();
    broken.mac[7] ^= 0x40;
    let body = json!({"key_id": hex::encode(hosp_id), "header": B64.encode(broken.to_bytes())});
    assert_eq!(app.post(&format!("/v1/documents/{doc}/header"), Some(&patient.access), &body).await.status(), 204);
    assert!(open(&app, &patient.access, doc, &key).await.is_err(), "the owner can no longer open it");

    // The owner sees what happened: version 2, and only version 1 verifies with their key.
    let v = versions(&app, &patient.access, doc).await;
    assert_eq!(v.iter().map(|x| x["version"].as_u64().unwrap()).collect::<Vec<_>>(), [2, 1], "newest first");
    assert_eq!((v[0]["reason"].as_str(), v[0]["current"].as_bool()), (Some("remove_recipient"), Some(true)));
    assert_eq!(v[1]["current"], false);
    assert_eq!(v[0]["header_sha256"], hex::encode(<sha2::Sha256 as sha2::Digest>::digest(broken.to_bytes())));
    assert!(envelope::verify_header(&header_of(&v[0]), &key).is_err());
    assert!(envelope::verify_header(&header_of(&v[1]), &key).is_ok());

    // Refusals: stable codes, nothing changed.
    let stranger = app.new_patient().await;
    let before = counts(&app).await;
    let restore = |n: &str| format!("/v1/documents/{doc}/headers/{n}/restore");
    assert_error(app.post(&restore("99"), Some(&patient.access), &json!({})).await, 404, "version_not_found").await;
    assert_error(app.post(&restore("0"), Some(&patient.access), &json!({})).await, 404, "version_not_found").await;
    assert_error(app.post(&restore("2"), Some(&patient.access), &json!({})).await, 409, "version_is_current").await;
    for token in [&hosp, &stranger.access] {
        assert_error(app.get(&format!("/v1/documents/{doc}/headers"), Some(token)).await, 404, "not_found").await;
        assert_error(app.post(&restore("1"), Some(token), &json!({})).await, 404, "not_found").await;
    }
    let missing = Uuid::new_v4();
    let r = app.get(&format!("/v1/documents/{missing}/headers"), Some(&patient.access)).await;
    assert_error(r, 404, "not_found").await;
    assert_eq!(counts(&app).await, before, "refusals change nothing");
    assert_eq!(stored_header(&app, doc).await.unwrap(), broken.to_bytes());

    // The owner restores version 1: a new version 3, and the document opens again.
    let r = app.post(&restore("1"), Some(&patient.access), &json!({})).await;
    assert_eq!(r.status(), 200);
    let restored: Value = r.json().await.unwrap();
    assert_eq!((restored["version"].as_u64(), restored["reason"].as_str()), (Some(3), Some("restore")));
    assert_eq!(restored["current"], true);
    assert_eq!(stored_header(&app, doc).await.unwrap(), original);
    assert_eq!(open(&app, &patient.access, doc, &key).await.unwrap(), b"shared record");
    // The hospital's stanza is back and sound (it has no grant, so it cannot download).
    let (now_stored, _) = Header::parse(&stored_header(&app, doc).await.unwrap()).unwrap();
    assert!(envelope::verify_header(&now_stored, &hosp_key).is_ok());
    let indexed: i64 = sqlx::query_scalar("SELECT count(*) FROM document_stanzas WHERE document_id = $1")
        .bind(doc)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(indexed, 2, "the stanza index follows the restored header");
    let v = versions(&app, &patient.access, doc).await;
    assert_eq!(v.len(), 3);
    assert_eq!(v.iter().filter(|x| x["current"] == true).count(), 1);
    // Version 1's bytes are current again: restoring it once more is refused.
    assert_error(app.post(&restore("1"), Some(&patient.access), &json!({})).await, 409, "version_is_current").await;
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'document.header.restore' AND outcome = 'ok' AND target = $1",
    )
    .bind(format!("document:{doc}"))
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // Append-only: the history cannot be rewritten or erased behind the API's back.
    for sql in [
        "UPDATE document_header_versions SET header = '\\x00'::bytea WHERE document_id = $1",
        "DELETE FROM document_header_versions WHERE document_id = $1",
    ] {
        assert!(sqlx::query(sql).bind(doc).execute(&app.pool).await.is_err(), "{sql}");
    }
    assert!(sqlx::query("TRUNCATE document_header_versions").execute(&app.pool).await.is_err());
    assert_eq!(versions(&app, &patient.access, doc).await.len(), 3);

    // Deleting crypto-shreds the history too (old headers hold wrapped keys).
    let r = app.http.delete(app.url(&format!("/v1/documents/{doc}"))).bearer_auth(&patient.access).send().await;
    assert_eq!(r.unwrap().status(), 204);
    assert!(versions(&app, &patient.access, doc).await.is_empty());
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM document_header_versions WHERE document_id = $1")
        .bind(doc)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_error(app.post(&restore("1"), Some(&patient.access), &json!({})).await, 409, "document_deleted").await;
}

/// The same attack through the grant path: a grant whose header adds the hospital's stanza but
/// carries a bad MAC. The owner restores the upload's header; the grant itself stands.
#[tokio::test]
async fn a_grant_with_a_broken_mac_is_undone_too() {
    let app = spawn_app_with(json!({"chain": {"contract_address": CONTRACT}})).await;
    let patient = app.new_patient().await;
    let key = register_x25519(&app, &patient.access).await;
    let signer = ConsentSigner::random();
    register_eth(&app, &patient.access, signer.address()).await;
    let (hosp, _) = app.new_hospital("IN2710000001").await;
    register_eth(&app, &hosp, Address::repeat_byte(0x42)).await;
    let hosp_key = register_x25519(&app, &hosp).await;
    let doc = upload(&app, &patient.access, &[&key], b"lab report").await;
    let original = stored_header(&app, doc).await.unwrap();

    let c: Value =
        app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
    let now = Utc::now().timestamp() as u64;
    let mut body = sign_grant(&signer, &c, Address::repeat_byte(0x42), &[HiType::DiagnosticReport], now);
    let (old, _) = Header::parse(&original).unwrap();
    let mut broken = envelope::add_recipient(&old, &key, &hosp_key.recipient(), &mut envelope::os_rng()).unwrap();
    broken.mac[0] ^= 1;
    body["headers"] = json!([{"document_id": doc, "header": B64.encode(broken.to_bytes())}]);
    let r = app.post(&format!("/v1/consents/{}/grant", c["id"].as_str().unwrap()), Some(&patient.access), &body).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    assert!(open(&app, &patient.access, doc, &key).await.is_err());
    assert!(open(&app, &hosp, doc, &hosp_key).await.is_err());

    let v = versions(&app, &patient.access, doc).await;
    assert_eq!(v.iter().map(|x| x["reason"].as_str().unwrap()).collect::<Vec<_>>(), ["grant", "upload"]);
    assert_eq!(v[0]["actor_id"].as_str(), Some(&*patient.id), "the granting patient wrote it");
    let r = app.post(&format!("/v1/documents/{doc}/headers/1/restore"), Some(&patient.access), &json!({})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(open(&app, &patient.access, doc, &key).await.unwrap(), b"lab report");
    // The hospital keeps its grant but has no stanza until the patient adds a good one.
    assert!(open(&app, &hosp, doc, &hosp_key).await.is_err());
}
