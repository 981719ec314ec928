//! The IPFS backend's Kubo RPC client. No Kubo node installs on these machines, so this runs
//! against an in-process imitation of `/api/v0/add`, `/cat` and `/pin/rm` — it checks the
//! client's plumbing and its CID check, not Kubo itself (CIDs are checked against Kubo's own
//! output in `core::cid`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use pramana_core::cid::cid_v0_of;
use pramana_core::envelope::{self, Identity};
use pramana_tests::{assert_refused, register_x25519, seal_document, spawn_app_with, upload_params};
use serde_json::json;
use uuid::Uuid;

#[derive(Clone, Default)]
struct FakeKubo {
    pinned: Arc<Mutex<HashMap<String, Vec<u8>>>>,
    lie: bool,
}

/// The file part's bytes of a single-part multipart body.
fn file_part(headers: &HeaderMap, body: &[u8]) -> Vec<u8> {
    let ct = headers["content-type"].to_str().unwrap();
    let boundary = ct.split("boundary=").nth(1).unwrap().trim_matches('"');
    let start = body.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let end_marker = format!("\r\n--{boundary}--");
    let end = body.windows(end_marker.len()).rposition(|w| w == end_marker.as_bytes()).unwrap();
    body[start..end].to_vec()
}

async fn add(State(k): State<FakeKubo>, headers: HeaderMap, body: Bytes) -> String {
    let data = file_part(&headers, &body);
    let cid = if k.lie { "QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG".to_owned() } else { cid_v0_of(&data) };
    k.pinned.lock().unwrap().insert(cid.clone(), data.clone());
    json!({"Name": "payload", "Hash": cid, "Size": data.len().to_string()}).to_string()
}

async fn cat(State(k): State<FakeKubo>, Query(q): Query<HashMap<String, String>>) -> Result<Vec<u8>, StatusCode> {
    let pinned = k.pinned.lock().unwrap();
    let data = pinned.get(&q["arg"]).ok_or(StatusCode::INTERNAL_SERVER_ERROR)?;
    let offset: usize = q["offset"].parse().unwrap();
    let len: usize = q["length"].parse().unwrap();
    Ok(data[offset..(offset + len).min(data.len())].to_vec())
}

async fn pin_rm(State(k): State<FakeKubo>, Query(q): Query<HashMap<String, String>>) -> (StatusCode, String) {
    match k.pinned.lock().unwrap().remove(&q["arg"]) {
        Some(_) => (StatusCode::OK, json!({"Pins": [q["arg"]]}).to_string()),
        None => (StatusCode::INTERNAL_SERVER_ERROR, json!({"Message": "not pinned or pinned indirectly"}).to_string()),
    }
}

async fn spawn_fake_kubo(lie: bool) -> (String, FakeKubo) {
    let kubo = FakeKubo { lie, ..Default::default() };
    let app = Router::new()
        .route("/api/v0/add", post(add))
        .route("/api/v0/cat", post(cat))
        .route("/api/v0/pin/rm", post(pin_rm))
        .with_state(kubo.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, kubo)
}

async fn upload_one(lie: bool) -> (pramana_tests::TestApp, FakeKubo, Option<(Uuid, Vec<u8>, Identity, String)>) {
    let (url, kubo) = spawn_fake_kubo(lie).await;
    let app = spawn_app_with(json!({"storage": {"backend": "ipfs", "ipfs_api_url": url}})).await;
    let p = app.new_patient().await;
    let key = register_x25519(&app, &p.access).await;
    let data: Vec<u8> = (0..700_000u32).map(|i| (i % 199) as u8).collect();
    let doc = Uuid::new_v4();
    let (file, info) = seal_document(doc, &[key.recipient()], &data);
    let q = upload_params(&info, "WellnessRecord", "2026-03-01");
    let r = app.client_as(&p.access).document_upload(doc, &q, file.clone(), file.len() as u64).await;
    if lie {
        assert_refused(r, 500, "internal");
        return (app, kubo, None);
    }
    r.unwrap();
    (app, kubo, Some((doc, file, key, p.access)))
}

#[tokio::test]
async fn objects_are_added_by_cid_read_back_and_unpinned() {
    let (app, kubo, uploaded) = upload_one(false).await;
    let (doc, file, key, token) = uploaded.unwrap();
    let storage_key: String = sqlx::query_scalar("SELECT storage_key FROM documents WHERE id = $1")
        .bind(doc)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let header_len = pramana_core::envelope::Header::parse(&file).unwrap().1;
    assert_eq!(storage_key, cid_v0_of(&file[header_len..]), "the key is the payload's CID");
    let api = app.client_as(&token);
    let body = api.document_content(doc).await.unwrap().bytes().await.unwrap();
    assert_eq!(&body[..], &file[..]);
    let mut out = Vec::new();
    envelope::open(doc.as_bytes(), &key, &body[..], &mut out).unwrap();
    api.document_delete(doc).await.unwrap();
    assert!(kubo.pinned.lock().unwrap().is_empty(), "the payload is unpinned");
}

#[tokio::test]
async fn a_node_that_returns_another_cid_is_refused() {
    let (app, kubo, _) = upload_one(true).await;
    assert_eq!(app.table_counts().await.iter().find(|(t, _)| t == "documents").unwrap().1, 0);
    assert!(kubo.pinned.lock().unwrap().is_empty(), "what the node stored under the wrong CID is unpinned");
    let staged = std::fs::read_dir(app.storage_dir.join("ipfs-staging")).unwrap().count();
    assert_eq!(staged, 0, "nothing left in staging");
}
