//! Uploads over slow and broken networks: a body that keeps trickling outlasts the request
//! timeout, one that stalls is ended with `408 body_idle_timeout`, a dropped connection leaves
//! nothing staged, uploads in flight count against the quota, and the start-up sweep removes
//! what a crash left. Bodies are written by hand on a TCP stream, so the test decides when
//! each byte goes (and when the connection dies).

use std::time::Duration;

use pramana_core::envelope::{self, Identity, SealOutput};
use pramana_tests::{Patient, TestApp, assert_error, register_x25519, seal_document, spawn_app_with, upload_query};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use uuid::Uuid;

fn plaintext(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 13 % 251) as u8).collect()
}

/// A document sealed to `key`: (id, envelope, upload query).
fn sealed(key: &Identity, n: usize) -> (Uuid, Vec<u8>, String) {
    let doc = Uuid::new_v4();
    let (file, info): (Vec<u8>, SealOutput) = seal_document(doc, &[key.recipient()], &plaintext(n));
    (doc, file, upload_query(&info, "DiagnosticReport", "2026-01-15"))
}

/// An upload written by hand: the request head declaring `Content-Length`, then the body in
/// whatever pieces and at whatever pace the test sends it.
struct RawUpload {
    stream: TcpStream,
}

impl RawUpload {
    async fn start(app: &TestApp, token: &str, doc: Uuid, query: &str, len: usize) -> Self {
        Self::request(app, "PUT", &format!("/v1/documents/{doc}?{query}"), token, "application/octet-stream", len).await
    }

    async fn request(app: &TestApp, method: &str, path: &str, token: &str, content_type: &str, len: usize) -> Self {
        let host = app.base.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).await.unwrap();
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: {host}\r\nauthorization: Bearer {token}\r\n\
             content-type: {content_type}\r\ncontent-length: {len}\r\nconnection: close\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        Self { stream }
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    /// Sends `bytes` in `pieces` parts with `pause` before each.
    async fn trickle(&mut self, bytes: &[u8], pieces: usize, pause: Duration) {
        for piece in bytes.chunks(bytes.len().div_ceil(pieces)) {
            tokio::time::sleep(pause).await;
            self.send(piece).await;
        }
    }

    /// The answer: status and JSON body (the server closes the connection after it).
    async fn response(mut self) -> (u16, Value) {
        let mut raw = Vec::new();
        self.stream.read_to_end(&mut raw).await.unwrap();
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP response");
        let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line");
        let request_id = head
            .lines()
            .find_map(|l| l.to_ascii_lowercase().strip_prefix("x-request-id: ").map(str::to_owned))
            .expect("x-request-id");
        let body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        if status >= 400 {
            assert_eq!(body["request_id"], request_id.as_str(), "an error body names the request");
            assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()), "{body}");
        }
        (status, body)
    }
}

async fn reservations(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM upload_reservations").fetch_one(&app.pool).await.unwrap()
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

async fn patient_with_key(app: &TestApp) -> (Patient, Identity) {
    let p = app.new_patient().await;
    let key = register_x25519(app, &p.access).await;
    (p, key)
}

#[tokio::test]
async fn a_trickled_upload_outlasts_the_request_timeout() {
    let app = spawn_app_with(json!({"server": {"request_timeout_secs": 2, "body_idle_timeout_secs": 5}})).await;
    let (p, key) = patient_with_key(&app).await;
    let (doc, file, q) = sealed(&key, 3 * envelope::CHUNK_SIZE + 99);

    // About 6 s in all, never more than 0.6 s without a byte.
    let mut up = RawUpload::start(&app, &p.access, doc, &q, file.len()).await;
    up.trickle(&file, 10, Duration::from_millis(600)).await;
    let (status, body) = up.response().await;
    assert_eq!(status, 201, "{body}");
    let stored = app.get(&format!("/v1/documents/{doc}/content"), Some(&p.access)).await.bytes().await.unwrap();
    assert_eq!(&stored[..], &file[..]);
    assert_eq!(app.object_counts(), (1, 0));
    assert_eq!(reservations(&app).await, 0, "the reservation went with the upload");

    // Every other route keeps the request timeout: a JSON body that stops halfway is cut off
    // by it (there is no idle timeout there).
    let login = serde_json::to_vec(&json!({"login": p.abha.as_digits(), "password": "not the password"})).unwrap();
    let mut slow = RawUpload::request(&app, "POST", "/v1/auth/login", "none", "application/json", login.len()).await;
    slow.send(&login[..login.len() / 2]).await;
    let (status, body) = slow.response().await;
    assert_eq!((status, body["code"].as_str()), (503, Some("timeout")), "{body}");
}

#[tokio::test]
async fn a_stalled_upload_gets_408_and_leaves_nothing() {
    let app = spawn_app_with(json!({"server": {"body_idle_timeout_secs": 1}})).await;
    let (p, key) = patient_with_key(&app).await;
    let (doc, file, q) = sealed(&key, 2 * envelope::CHUNK_SIZE);
    let before = app.table_counts().await;

    // The header and some payload, then nothing.
    let mut up = RawUpload::start(&app, &p.access, doc, &q, file.len()).await;
    up.send(&file[..file.len() / 2]).await;
    let (status, body) = up.response().await;
    assert_eq!((status, body["code"].as_str()), (408, Some("body_idle_timeout")), "{body}");
    assert_eq!(app.table_counts().await, before, "no row, no reservation");
    assert_eq!(app.object_counts(), (0, 0), "nothing stored, nothing staged");

    // A stall inside the envelope header is the same.
    let mut up = RawUpload::start(&app, &p.access, doc, &q, file.len()).await;
    up.send(&file[..10]).await;
    let (status, body) = up.response().await;
    assert_eq!((status, body["code"].as_str()), (408, Some("body_idle_timeout")), "{body}");
    assert_eq!(app.table_counts().await, before);
    assert_eq!(app.object_counts(), (0, 0));

    // The answer is in the API's description.
    let openapi: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let described = &openapi["paths"]["/v1/documents/{id}"]["put"]["responses"]["408"]["description"];
    assert!(described.as_str().is_some_and(|d| d.contains("body_idle_timeout")), "{described}");
    let unavailable = &openapi["paths"]["/v1/documents/{id}"]["put"]["responses"]["503"]["description"];
    assert!(unavailable.as_str().is_some_and(|d| !d.contains("`timeout`:")), "{unavailable}");
}

#[tokio::test]
async fn a_dropped_connection_leaves_nothing_staged() {
    let app = spawn_app_with(json!({})).await;
    let (p, key) = patient_with_key(&app).await;
    let (doc, file, q) = sealed(&key, 4 * envelope::CHUNK_SIZE);
    let before = app.table_counts().await;

    let mut up = RawUpload::start(&app, &p.access, doc, &q, file.len()).await;
    up.send(&file[..file.len() / 2]).await;
    assert!(eventually(async || app.object_counts() == (0, 1)).await, "the payload is being staged");
    assert_eq!(reservations(&app).await, 1, "and its length reserved");
    drop(up);
    assert!(
        eventually(async || app.object_counts() == (0, 0) && reservations(&app).await == 0).await,
        "the staging file and the reservation go with the connection"
    );
    assert_eq!(app.table_counts().await, before);

    // The same document uploads whole afterwards.
    let mut up = RawUpload::start(&app, &p.access, doc, &q, file.len()).await;
    up.send(&file).await;
    assert_eq!(up.response().await.0, 201);
}

#[tokio::test]
async fn uploads_in_flight_count_against_the_quota() {
    let app =
        spawn_app_with(json!({"storage": {"max_document_bytes": 200_000, "quota_bytes_per_patient": 300_000}})).await;
    let (p, key) = patient_with_key(&app).await;
    let (doc_a, file_a, q_a) = sealed(&key, 150_000);
    let (doc_b, file_b, q_b) = sealed(&key, 150_000);

    // A is in flight (its length reserved) when B, which would fit alone, arrives.
    let mut a = RawUpload::start(&app, &p.access, doc_a, &q_a, file_a.len()).await;
    a.send(&file_a[..1000]).await;
    assert!(
        eventually(async || reservations(&app).await == 1 && app.object_counts() == (0, 1)).await,
        "A reserved its length and is being staged"
    );
    let before = app.table_counts().await;
    let url = app.url(&format!("/v1/documents/{doc_b}?{q_b}"));
    let r = app.http.put(url).bearer_auth(&p.access).body(file_b).send().await.unwrap();
    let refused = assert_error(r, 413, "quota_exceeded").await;
    assert!(refused["message"].as_str().unwrap().contains("quota"), "{refused}");
    assert_eq!(app.table_counts().await, before, "the refusal changed nothing");
    assert_eq!(app.object_counts(), (0, 1), "only A is staged");

    a.send(&file_a[1000..]).await;
    assert_eq!(a.response().await.0, 201);
    assert_eq!(app.object_counts(), (1, 0));
    assert_eq!(reservations(&app).await, 0);
}

#[tokio::test]
async fn the_start_up_sweep_removes_stale_staging() {
    let app = spawn_app_with(json!({})).await;
    let (p, _) = patient_with_key(&app).await;
    let tmp = app.storage_dir.join("tmp");
    let stale = tmp.join(format!("{}.part", Uuid::new_v4()));
    let fresh = tmp.join(format!("{}.part", Uuid::new_v4()));
    let two_days_ago = std::time::SystemTime::now() - Duration::from_secs(2 * 86_400);
    std::fs::File::create(&stale).unwrap().set_modified(two_days_ago).unwrap();
    std::fs::write(&fresh, b"an upload another replica has in flight").unwrap();
    for age in ["2 days", "1 minute"] {
        sqlx::query(&format!(
            "INSERT INTO upload_reservations (id, patient_id, bytes, created_at) VALUES ($1, $2, 1000, now() - interval '{age}')"
        ))
        .bind(Uuid::new_v4())
        .bind(Uuid::parse_str(&p.id).unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    }

    // What a restart does (defaults: staging older than a day is stale).
    let restarted = app.restart_with(json!({})).await;
    assert!(!stale.exists(), "the stale staging file is removed");
    assert!(fresh.exists(), "a recent one may be another replica's upload in flight");
    assert_eq!(reservations(&restarted).await, 1, "only the recent reservation is left");
    let health = restarted.get("/healthz", None).await;
    assert_eq!(health.status(), 200);
}

#[tokio::test]
async fn dropped_and_stale_uploads_leave_nothing_on_garage() {
    use pramana_api::storage::{BlobStore as _, S3Config, S3Store};

    let garage = pramana_tests::spawn_garage().await.unwrap();
    let app = spawn_app_with(json!({"storage": garage.storage_settings()})).await;
    let store = S3Store::new(&S3Config {
        endpoint: &garage.endpoint,
        bucket: &garage.bucket,
        region: "us-east-1",
        access_key_id: &garage.access_key,
        secret_access_key: &garage.secret_key,
    })
    .unwrap();
    let (p, key) = patient_with_key(&app).await;
    let (doc, file, q) = sealed(&key, 4 * envelope::CHUNK_SIZE);

    // A dropped connection aborts its multipart upload.
    let mut up = RawUpload::start(&app, &p.access, doc, &q, file.len()).await;
    up.send(&file[..file.len() / 2]).await;
    assert!(eventually(async || store.staging().await.unwrap().len() == 1).await, "a multipart upload is open");
    drop(up);
    assert!(eventually(async || store.staging().await.unwrap().is_empty()).await, "it is aborted");
    // The reservation goes in the same background clean-up, which may finish a moment later.
    assert!(eventually(async || reservations(&app).await == 0).await, "the reservation is released");

    // A stalled one too, before its answer.
    let app =
        app.restart_with(json!({"server": {"body_idle_timeout_secs": 1}, "storage": garage.storage_settings()})).await;
    let mut up = RawUpload::start(&app, &p.access, doc, &q, file.len()).await;
    up.send(&file[..file.len() / 2]).await;
    let (status, body) = up.response().await;
    assert_eq!((status, body["code"].as_str()), (408, Some("body_idle_timeout")), "{body}");
    assert!(store.staging().await.unwrap().is_empty(), "nothing staged");

    // What a crash leaves (a multipart upload nobody aborts) goes at the sweep.
    let mut orphan = store.begin().await.unwrap();
    orphan.write(b"bytes of an upload whose process died").await.unwrap();
    std::mem::forget(orphan);
    assert_eq!(store.staging().await.unwrap().len(), 1);
    assert_eq!(store.sweep_staging(Duration::from_secs(3600)).await.unwrap(), 0, "too recent to be stale");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(store.sweep_staging(Duration::ZERO).await.unwrap(), 1);
    assert!(store.staging().await.unwrap().is_empty());
}
