//! The documents API on a real S3-compatible store (Garage): upload, ranged and full download,
//! refused uploads leave no object, delete removes it.

use pramana_core::envelope;
use pramana_tests::{assert_error, register_x25519, seal_document, spawn_app_with, spawn_garage, upload_query};
use serde_json::json;
use uuid::Uuid;

#[tokio::test]
async fn documents_on_garage() {
    let garage = spawn_garage().await.unwrap();
    let app = spawn_app_with(json!({"storage": garage.storage_settings()})).await;
    let p = app.new_patient().await;
    let key = register_x25519(&app, &p.access).await;

    // 6 MiB: more than one multipart part.
    let data: Vec<u8> = (0..6 * 1024 * 1024 + 17).map(|i: usize| (i % 239) as u8).collect();
    let doc = Uuid::new_v4();
    let (file, info) = seal_document(doc, &[key.recipient()], &data);
    let q = upload_query(&info, "DiagnosticReport", "2026-02-01");
    let put = |body: Vec<u8>, doc: Uuid| {
        app.http.put(app.url(&format!("/v1/documents/{doc}?{q}"))).bearer_auth(&p.access).body(body).send()
    };

    // A refused upload (hash mismatch after streaming everything) leaves nothing behind.
    let mut bad = file.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert_error(put(bad, doc).await.unwrap(), 422, "hash_mismatch").await;
    assert_eq!(app.table_counts().await.iter().find(|(t, _)| t == "documents").unwrap().1, 0);

    assert_eq!(put(file.clone(), doc).await.unwrap().status(), 201);
    let body = app.get(&format!("/v1/documents/{doc}/content"), Some(&p.access)).await.bytes().await.unwrap();
    assert_eq!(&body[..], &file[..]);
    let mut out = Vec::new();
    envelope::open(doc.as_bytes(), &key, &body[..], &mut out).unwrap();
    assert_eq!(out, data);
    let r = app
        .http
        .get(app.url(&format!("/v1/documents/{doc}/content")))
        .bearer_auth(&p.access)
        .header("range", "bytes=1000-5999999")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(&r.bytes().await.unwrap()[..], &file[1000..=5_999_999]);

    let r = app.http.delete(app.url(&format!("/v1/documents/{doc}"))).bearer_auth(&p.access).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let store = pramana_api::storage::S3Store::new(&pramana_api::storage::S3Config {
        endpoint: &garage.endpoint,
        bucket: &garage.bucket,
        region: "us-east-1",
        access_key_id: &garage.access_key,
        secret_access_key: &garage.secret_key,
    })
    .unwrap();
    use pramana_api::storage::BlobStore as _;
    let gone = store.read(&hex::encode(info.payload_sha256), 0, 1).await;
    assert_eq!(gone.err().map(|e| e.kind()), Some(std::io::ErrorKind::NotFound), "the object is deleted");
}
