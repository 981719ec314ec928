//! Resumable uploads on the tus 1.0 protocol (docs/uploads.md). The attack they answer: a long
//! upload over a bad network dies near the end and has to start over. Here a `PATCH` is cut
//! off mid-body (the connection dropped), `HEAD` tells what arrived, the rest is sent, and the
//! upload becomes exactly one document, anchored once. Refusals (a wrong offset, content type
//! or protocol version, a full quota, another account) change nothing; termination and expiry
//! release the reservation and the staged bytes.

use std::time::Duration;

use pramana_core::envelope::{self, Identity, SealOutput};
use pramana_tests::{
    TestApp, assert_all_anchored_once, assert_error, register_x25519, run_worker_until_idle, seal_document,
    spawn_app_with, spawn_platform,
};
use serde_json::json;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use uuid::Uuid;

fn plaintext(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 253) as u8).collect()
}

fn b64(s: &str) -> String {
    base64::Engine::encode(&base64::engine::general_purpose::STANDARD, s)
}

/// `Upload-Metadata` for a sealed document.
fn metadata(doc: Uuid, info: &SealOutput) -> String {
    [
        ("document_id", doc.to_string()),
        ("hi_type", "DiagnosticReport".to_owned()),
        ("care_date", "2026-01-15".to_owned()),
        ("plaintext_sha256", hex::encode(info.plaintext_sha256)),
        ("salt", hex::encode(info.salt)),
        ("payload_sha256", hex::encode(info.payload_sha256)),
        ("filename", "report.pdf".to_owned()),
    ]
    .iter()
    .map(|(k, v)| format!("{k} {}", b64(v)))
    .collect::<Vec<_>>()
    .join(",")
}

/// A document sealed to `key`: (id, plaintext, envelope, metadata).
fn sealed(key: &Identity, n: usize) -> (Uuid, Vec<u8>, Vec<u8>, String) {
    let doc = Uuid::new_v4();
    let data = plaintext(n);
    let (file, info) = seal_document(doc, &[key.recipient()], &data);
    let meta = metadata(doc, &info);
    (doc, data, file, meta)
}

async fn create(app: &TestApp, token: &str, len: usize, meta: &str) -> reqwest::Response {
    app.http
        .post(app.url("/v1/uploads"))
        .bearer_auth(token)
        .header("tus-resumable", "1.0.0")
        .header("upload-length", len)
        .header("upload-metadata", meta)
        .send()
        .await
        .unwrap()
}

async fn head(app: &TestApp, token: &str, location: &str) -> reqwest::Response {
    app.http.head(app.url(location)).bearer_auth(token).header("tus-resumable", "1.0.0").send().await.unwrap()
}

async fn patch(app: &TestApp, token: &str, location: &str, offset: usize, bytes: &[u8]) -> reqwest::Response {
    app.http
        .patch(app.url(location))
        .bearer_auth(token)
        .header("tus-resumable", "1.0.0")
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", offset)
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap()
}

async fn delete(app: &TestApp, token: &str, location: &str) -> reqwest::Response {
    app.http.delete(app.url(location)).bearer_auth(token).header("tus-resumable", "1.0.0").send().await.unwrap()
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

async fn offset_of(app: &TestApp, token: &str, location: &str) -> u64 {
    let r = head(app, token, location).await;
    assert_eq!(r.status(), 200);
    header(&r, "upload-offset").parse().unwrap()
}

/// A `PATCH` written by hand that sends `bytes` of a body declared `declared` long, then drops
/// the connection: what a phone leaving coverage does.
async fn patch_and_drop(app: &TestApp, token: &str, location: &str, offset: usize, declared: usize, bytes: &[u8]) {
    let host = app.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).await.unwrap();
    let head = format!(
        "PATCH {location} HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\ntus-resumable: 1.0.0\r\n\
         content-type: application/offset+octet-stream\r\nupload-offset: {offset}\r\ncontent-length: {declared}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(bytes).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(stream);
}

async fn count(app: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM {table}")).fetch_one(&app.pool).await.unwrap()
}

fn staged_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.storage_dir.join("resumable")).map_or(0, Iterator::count)
}

/// Waits until `done` holds (at most 20 s) and says whether it did.
async fn eventually<F: AsyncFn() -> bool>(done: F) -> bool {
    for _ in 0..200 {
        if done().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn a_dropped_upload_resumes_into_one_document_anchored_once() {
    let p = spawn_platform().await;
    let app = &p.app;
    let patient = app.new_patient().await;
    let key = register_x25519(app, &patient.access).await;
    let (doc, data, file, meta) = sealed(&key, 6 * envelope::CHUNK_SIZE + 1234);

    // What the server speaks.
    let r = app.http.request(reqwest::Method::OPTIONS, app.url("/v1/uploads")).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(header(&r, "tus-version"), "1.0.0");
    assert_eq!(header(&r, "tus-extension"), "creation,expiration,termination");
    assert_eq!(header(&r, "tus-max-size"), "1100000000");

    let r = create(app, &patient.access, file.len(), &meta).await;
    assert_eq!(r.status(), 201);
    let location = header(&r, "location");
    assert_eq!(location, format!("/v1/uploads/{doc}"));
    assert_eq!(header(&r, "tus-resumable"), "1.0.0");
    assert!(header(&r, "upload-expires").ends_with(" GMT"), "an HTTP date");
    assert_eq!(count(app, "upload_reservations").await, 1, "the length is reserved at creation");

    // A first piece arrives whole.
    let quarter = file.len() / 4;
    let r = patch(app, &patient.access, &location, 0, &file[..quarter]).await;
    assert_eq!(r.status(), 204);
    assert_eq!(header(&r, "upload-offset"), quarter.to_string());

    // The next one breaks off: the connection drops after another quarter of the envelope.
    let half = file.len() / 2;
    patch_and_drop(app, &patient.access, &location, quarter, file.len() - quarter, &file[quarter..half]).await;
    assert!(
        eventually(async || offset_of(app, &patient.access, &location).await == half as u64).await,
        "what arrived before the drop counts"
    );
    let r = head(app, &patient.access, &location).await;
    assert_eq!(header(&r, "upload-length"), file.len().to_string());
    assert_eq!(header(&r, "cache-control"), "no-store");
    assert_eq!(count(app, "documents").await, 0, "not a document yet");

    // The rest: one document, whose bytes are the envelope, and nothing left of the upload.
    // (The request cut off may still hold the upload for a moment: `409 upload_busy`.)
    let mut r = patch(app, &patient.access, &location, half, &file[half..]).await;
    for _ in 0..50 {
        if r.status() != 409 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        r = patch(app, &patient.access, &location, half, &file[half..]).await;
    }
    assert_eq!(r.status(), 204, "{:?}", r.text().await);
    let api = app.client_as(&patient.access);
    let stored = api.document_content(doc).await.unwrap().bytes().await.unwrap();
    assert_eq!(&stored[..], &file[..]);
    assert_eq!(count(app, "documents").await, 1);
    assert_eq!(count(app, "resumable_uploads").await, 0);
    assert_eq!(count(app, "upload_reservations").await, 0, "the reservation went with the record");
    assert_eq!(staged_files(app), 0, "the staged bytes are gone");
    assert_eq!(app.object_counts(), (1, 0));
    let r = head(app, &patient.access, &location).await;
    assert_eq!(r.status(), 404, "a finished upload is gone");
    let r = patch(app, &patient.access, &location, file.len(), b"").await;
    assert_eq!(r.status(), 404, "and cannot be finished twice");
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'document.upload%' ORDER BY seq")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(actions, ["document.upload_started", "document.upload"]);

    // Anchored once, and its proof verifies on chain.
    let worker = p.worker(json!({})).await;
    run_worker_until_idle(&worker, &p.anvil.url).await;
    assert_all_anchored_once(&p, &[(doc, data)]).await;
}

#[tokio::test]
async fn refusals_change_nothing() {
    let app =
        spawn_app_with(json!({"storage": {"max_document_bytes": 300_000, "quota_bytes_per_patient": 400_000}})).await;
    let patient = app.new_patient().await;
    let key = register_x25519(&app, &patient.access).await;
    let (_, _, file, meta) = sealed(&key, 200_000);

    // Before creation: the protocol version, the length, the metadata, the link, the size.
    let hospital = app.new_hospital("IN2710000001").await.0;
    register_x25519(&app, &hospital).await;
    let before = app.table_counts().await;
    let r = app.http.post(app.url("/v1/uploads")).bearer_auth(&patient.access).header("upload-length", 10).send().await;
    let r = r.unwrap();
    assert_eq!(header(&r, "tus-version"), "1.0.0");
    assert_error(r, 412, "tus_version_unsupported").await;
    let r = create(&app, &patient.access, 0, &meta).await;
    assert_error(r, 400, "invalid_upload_length").await;
    let r = create(&app, &patient.access, file.len(), "document_id !!!").await;
    assert_error(r, 400, "invalid_upload_metadata").await;
    let r = create(&app, &patient.access, file.len(), &meta.replace(&b64("DiagnosticReport"), &b64("Gossip"))).await;
    assert_error(r, 422, "invalid_hi_type").await;
    let without_salt: Vec<&str> = meta.split(',').filter(|p| !p.starts_with("salt ")).collect();
    let r = create(&app, &patient.access, file.len(), &without_salt.join(",")).await;
    assert_error(r, 422, "invalid_salt").await;
    let r = create(&app, &patient.access, 300_001, &meta).await;
    assert_error(r, 413, "body_too_large").await;
    let for_patient = format!("{meta},patient_id {}", b64(&patient.id));
    let r = create(&app, &hospital, file.len(), &for_patient).await;
    assert_error(r, 422, "not_linked").await;
    assert_eq!(app.table_counts().await, before, "nothing recorded, nothing reserved");

    // Over quota at creation: another upload in flight holds most of it.
    let (_, _, other, other_meta) = sealed(&key, 200_000);
    let r = create(&app, &patient.access, other.len(), &other_meta).await;
    assert_eq!(r.status(), 201);
    let before = app.table_counts().await;
    let r = create(&app, &patient.access, file.len(), &meta).await;
    assert_error(r, 413, "quota_exceeded").await;
    assert_eq!(app.table_counts().await, before, "the refused upload reserved nothing");
    let r = create(&app, &patient.access, other.len(), &other_meta).await;
    assert_error(r, 409, "upload_exists").await;
    assert_eq!(app.table_counts().await, before);
    let other_location = format!("/v1/uploads/{}", other_meta_doc(&other_meta));
    assert_eq!(delete(&app, &patient.access, &other_location).await.status(), 204);

    let r = create(&app, &patient.access, file.len(), &meta).await;
    assert_eq!(r.status(), 201);
    let location = header(&r, "location");
    let r = patch(&app, &patient.access, &location, 0, &file[..1000]).await;
    assert_eq!(r.status(), 204);
    let stranger = app.new_patient().await;
    let before = app.table_counts().await;

    // A PATCH at the wrong offset, of the wrong type, or past the length writes nothing.
    let r = patch(&app, &patient.access, &location, 10, &file[10..2000]).await;
    assert_error(r, 409, "offset_mismatch").await;
    let r = app
        .http
        .patch(app.url(&location))
        .bearer_auth(&patient.access)
        .header("tus-resumable", "1.0.0")
        .header("content-type", "application/octet-stream")
        .header("upload-offset", 1000)
        .body(file[1000..2000].to_vec())
        .send()
        .await
        .unwrap();
    assert_error(r, 415, "unsupported_media_type").await;
    let r = app
        .http
        .patch(app.url(&location))
        .bearer_auth(&patient.access)
        .header("content-type", "application/offset+octet-stream")
        .header("upload-offset", 1000)
        .body(file[1000..2000].to_vec())
        .send()
        .await
        .unwrap();
    assert_error(r, 412, "tus_version_unsupported").await;
    assert_eq!(offset_of(&app, &patient.access, &location).await, 1000);

    // Another account cannot see, continue or end it: 404, as if it did not exist.
    assert_eq!(head(&app, &stranger.access, &location).await.status(), 404);
    let r = patch(&app, &stranger.access, &location, 1000, &file[1000..2000]).await;
    assert_error(r, 404, "not_found").await;
    let r = patch(&app, &hospital, &location, 1000, &file[1000..2000]).await;
    assert_error(r, 404, "not_found").await;
    assert_error(delete(&app, &stranger.access, &location).await, 404, "not_found").await;
    assert_eq!(offset_of(&app, &patient.access, &location).await, 1000);
    assert_eq!(app.table_counts().await, before);
    assert_eq!(app.object_counts(), (0, 0));

    // A body declared past the upload's length is refused before a byte is written.
    let r = patch(&app, &patient.access, &location, 1000, &[&file[1000..], b"one byte too many"].concat()).await;
    assert_error(r, 400, "length_mismatch").await;
    assert_eq!(offset_of(&app, &patient.access, &location).await, 1000);
    assert_eq!(count(&app, "documents").await, 0);

    // The description says so.
    let openapi: serde_json::Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let patch_op = &openapi["paths"]["/v1/uploads/{id}"]["patch"]["responses"];
    assert!(patch_op["409"]["description"].as_str().is_some_and(|d| d.contains("offset_mismatch")), "{patch_op}");
}

/// The document id in a metadata header.
fn other_meta_doc(meta: &str) -> Uuid {
    let pair = meta.split(',').find(|p| p.starts_with("document_id ")).unwrap();
    let raw = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, &pair[12..]).unwrap();
    Uuid::parse_str(std::str::from_utf8(&raw).unwrap()).unwrap()
}

#[tokio::test]
async fn a_bad_envelope_ends_the_upload_at_its_last_byte() {
    let app = spawn_app_with(json!({})).await;
    let patient = app.new_patient().await;
    let key = register_x25519(&app, &patient.access).await;
    let (_, _, file, meta) = sealed(&key, 100_000);
    let (_, _, _, other_meta) = sealed(&key, 100_000);
    // Declared with another document's payload hash: the bytes do not match it.
    let hash_of_other = other_meta.split(',').find(|p| p.starts_with("payload_sha256 ")).unwrap();
    let bad: Vec<String> = meta
        .split(',')
        .map(|p| if p.starts_with("payload_sha256 ") { hash_of_other.to_owned() } else { p.to_owned() })
        .collect();
    let r = create(&app, &patient.access, file.len(), &bad.join(",")).await;
    assert_eq!(r.status(), 201);
    let location = header(&r, "location");
    let r = patch(&app, &patient.access, &location, 0, &file).await;
    assert_error(r, 422, "hash_mismatch").await;
    assert_eq!(count(&app, "documents").await, 0);
    assert_eq!(count(&app, "resumable_uploads").await, 0, "the upload ended");
    assert_eq!(count(&app, "upload_reservations").await, 0);
    assert_eq!(staged_files(&app), 0);
    assert_eq!(app.object_counts(), (0, 0));
}

#[tokio::test]
async fn termination_releases_the_reservation_and_the_bytes() {
    let app = spawn_app_with(json!({})).await;
    let patient = app.new_patient().await;
    let key = register_x25519(&app, &patient.access).await;
    let (_, _, file, meta) = sealed(&key, 100_000);
    let before = app.table_counts().await;
    let r = create(&app, &patient.access, file.len(), &meta).await;
    let location = header(&r, "location");
    assert_eq!(patch(&app, &patient.access, &location, 0, &file[..5000]).await.status(), 204);
    assert_eq!((count(&app, "upload_reservations").await, staged_files(&app)), (1, 1));

    let r = delete(&app, &patient.access, &location).await;
    assert_eq!(r.status(), 204);
    assert_eq!(header(&r, "tus-resumable"), "1.0.0");
    assert_eq!((count(&app, "upload_reservations").await, staged_files(&app)), (0, 0));
    assert_eq!(count(&app, "resumable_uploads").await, 0);
    assert_eq!(head(&app, &patient.access, &location).await.status(), 404);
    assert_eq!(delete(&app, &patient.access, &location).await.status(), 404);
    let started_and_ended: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action IN ('document.upload_started', 'document.upload_terminated')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(started_and_ended, 2);
    let mut after = app.table_counts().await;
    let mut expected = before;
    for rows in [&mut after, &mut expected] {
        rows.retain(|(t, _)| !t.starts_with("audit"));
    }
    assert_eq!(after, expected, "nothing else stays");
}

#[tokio::test]
async fn expired_uploads_are_swept_with_their_reservations() {
    let settings = json!({"storage": {"upload_expiry_secs": 1}});
    let app = spawn_app_with(settings.clone()).await;
    let patient = app.new_patient().await;
    let key = register_x25519(&app, &patient.access).await;
    let (_, _, file, meta) = sealed(&key, 100_000);
    let r = create(&app, &patient.access, file.len(), &meta).await;
    let location = header(&r, "location");
    assert_eq!(patch(&app, &patient.access, &location, 0, &file[..5000]).await.status(), 204);
    // A staged file no upload names (a crash between the two removals) goes too.
    std::fs::write(app.storage_dir.join("resumable").join(Uuid::new_v4().to_string()), b"orphan").unwrap();

    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(head(&app, &patient.access, &location).await.status(), 404, "expired");
    let r = patch(&app, &patient.access, &location, 5000, &file[5000..]).await;
    assert_error(r, 404, "not_found").await;

    // What a restart (or the minute's sweep) does.
    let restarted = app.restart_with(settings).await;
    assert_eq!(count(&restarted, "resumable_uploads").await, 0);
    assert_eq!(count(&restarted, "upload_reservations").await, 0, "the reservation is released");
    assert_eq!(staged_files(&restarted), 0, "the staged bytes are removed");
    assert_eq!(count(&restarted, "documents").await, 0);
}

#[tokio::test]
async fn a_stalled_patch_gets_408_and_keeps_what_arrived() {
    let app = spawn_app_with(json!({"server": {"request_timeout_secs": 1, "body_idle_timeout_secs": 2}})).await;
    let patient = app.new_patient().await;
    let key = register_x25519(&app, &patient.access).await;
    let (_, _, file, meta) = sealed(&key, 100_000);
    let r = create(&app, &patient.access, file.len(), &meta).await;
    let location = header(&r, "location");

    // Part of the body, then silence: longer than the request timeout (a PATCH is exempt from
    // it, like a one-shot upload), until the idle timeout ends it.
    let host = app.base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(host).await.unwrap();
    let head = format!(
        "PATCH {location} HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {}\r\ntus-resumable: 1.0.0\r\n\
         content-type: application/offset+octet-stream\r\nupload-offset: 0\r\ncontent-length: {}\r\n\
         connection: close\r\n\r\n",
        patient.access,
        file.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(&file[..30_000]).await.unwrap();
    let mut answer = Vec::new();
    tokio::io::AsyncReadExt::read_to_end(&mut stream, &mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_idle_timeout") && answer.contains("tus-resumable: 1.0.0"), "{answer}");
    assert_eq!(offset_of(&app, &patient.access, &location).await, 30_000, "what arrived is kept");
    let r = patch(&app, &patient.access, &location, 30_000, &file[30_000..]).await;
    assert_eq!(r.status(), 204);
    assert_eq!(count(&app, "documents").await, 1);
}
