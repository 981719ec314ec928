//! Export archives (docs/export.md): frozen when made, streamed in constant memory, resumable at
//! any byte with `Range`, the patient's alone, dropped when a document in them is crypto-shredded.

use pramana_core::envelope::Identity;
use pramana_tests::{Patient, TestApp, assert_error, register_x25519, seal_document, spawn_app, upload_query};
use serde_json::Value;
use uuid::Uuid;

async fn upload(app: &TestApp, p: &Patient, key: &Identity, plain: &[u8]) -> Uuid {
    let doc = Uuid::new_v4();
    let (env, info) = seal_document(doc, &[key.recipient()], plain);
    let q = upload_query(&info, "DiagnosticReport", "2025-06-01");
    let r = app.http.put(app.url(&format!("/v1/documents/{doc}?{q}"))).bearer_auth(&p.access).body(env).send().await;
    assert_eq!(r.unwrap().status(), 201);
    doc
}

async fn create(app: &TestApp, token: &str) -> Value {
    let r = app.http.post(app.url("/v1/patients/me/exports")).bearer_auth(token).send().await.unwrap();
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

async fn get_range(app: &TestApp, token: &str, path: &str, range: Option<&str>) -> reqwest::Response {
    let mut rb = app.http.get(app.url(path)).bearer_auth(token);
    if let Some(r) = range {
        rb = rb.header("range", r);
    }
    rb.send().await.unwrap()
}

/// The archive's files, in order.
fn entries(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut archive = tar::Archive::new(bytes);
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut body).unwrap();
            (e.path().unwrap().to_string_lossy().into_owned(), body)
        })
        .collect()
}

#[tokio::test]
async fn an_export_is_frozen_and_any_byte_range_of_it_streams() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let key = register_x25519(&app, &p.access).await;
    // Sizes around the tar's 512-byte blocks and the storage reader's chunks.
    let mut docs = Vec::new();
    for n in [1usize, 511, 3_000_000] {
        docs.push(upload(&app, &p, &key, &vec![b'x'; n]).await);
    }
    let made = create(&app, &p.access).await;
    assert_eq!((made["documents"].clone(), made["consents"].clone()), (3.into(), 0.into()), "{made}");
    let path = made["download"].as_str().unwrap().to_owned();
    let size = made["size"].as_u64().unwrap();

    let r = get_range(&app, &p.access, &path, None).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-tar");
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    assert_eq!(r.headers()["content-length"].to_str().unwrap(), size.to_string());
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let whole = r.bytes().await.unwrap().to_vec();
    assert_eq!(whole.len() as u64, size);

    // Manifest first (version 2: sizes, no hashes), each envelope byte for byte as stored.
    let files = entries(&whole);
    assert_eq!(files[0].0, "manifest.json");
    assert_eq!(files[1].0, "consents.json");
    let manifest: Value = serde_json::from_slice(&files[0].1).unwrap();
    assert_eq!(manifest["version"], 2);
    for (i, doc) in docs.iter().enumerate() {
        let d = &manifest["documents"][i];
        assert_eq!(d["id"], doc.to_string());
        assert!(d.get("envelope_sha256").is_none(), "{d}");
        let stored = app.get(&format!("/v1/documents/{doc}/content"), Some(&p.access)).await.bytes().await.unwrap();
        let (_, envelope) = files.iter().find(|(n, _)| *n == format!("documents/{doc}.envelope")).unwrap();
        assert_eq!(envelope[..], stored[..]);
        assert_eq!(d["envelope_size"], stored.len());
    }

    // Any range is exactly those bytes of the whole: a broken download resumes anywhere.
    let n = size - 1;
    for (range, a, b) in [
        ("bytes=0-0".to_owned(), 0, 0),
        ("bytes=511-512".to_owned(), 511, 512),
        ("bytes=1000-".to_owned(), 1000, n),
        (format!("bytes={}-{}", size / 2, size / 2 + 70_000), size / 2, size / 2 + 70_000),
        ("bytes=-100".to_owned(), size - 100, n),
        (format!("bytes={n}-"), n, n),
    ] {
        let r = get_range(&app, &p.access, &path, Some(&range)).await;
        assert_eq!(r.status(), 206, "{range}");
        assert_eq!(r.headers()["content-range"].to_str().unwrap(), format!("bytes {a}-{b}/{size}"));
        let got = r.bytes().await.unwrap();
        assert_eq!(got[..], whole[a as usize..=b as usize], "{range}");
    }
    // A range past the end, or several at once: 416 with the error body.
    for range in [format!("bytes={size}-"), "bytes=0-1,5-6".to_owned(), "lines=1-2".to_owned()] {
        assert_error(get_range(&app, &p.access, &path, Some(&range)).await, 416, "range_not_satisfiable").await;
    }
    // `If-Range` naming something else: the whole archive.
    let r = app.http.get(app.url(&path)).bearer_auth(&p.access).header("range", "bytes=5-").header("if-range", "\"x\"");
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), 200);
    // Frozen: a document uploaded later changes nothing of it.
    upload(&app, &p, &key, b"later").await;
    let r = app.http.get(app.url(&path)).bearer_auth(&p.access).header("if-range", etag).header("range", "bytes=0-");
    let again = r.send().await.unwrap().bytes().await.unwrap();
    assert_eq!(again[..], whole[..]);

    // The one-request export is a new export of everything.
    let r = app.get("/v1/patients/me/export", Some(&p.access)).await;
    assert_eq!(r.status(), 200);
    let fresh: Value = serde_json::from_slice(&entries(&r.bytes().await.unwrap())[0].1).unwrap();
    assert_eq!(fresh["documents"].as_array().unwrap().len(), 4);

    // Each one made is audited; a patient keeps at most three.
    let audited: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'patient.export'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(audited, 2);
    for _ in 0..3 {
        create(&app, &p.access).await;
    }
    let live: i64 = sqlx::query_scalar("SELECT count(*) FROM patient_exports").fetch_one(&app.pool).await.unwrap();
    assert_eq!(live, 3);
    assert_error(get_range(&app, &p.access, &path, None).await, 404, "export_not_found").await;
}

#[tokio::test]
async fn an_export_is_the_patients_alone_and_goes_with_a_deleted_document() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let key = register_x25519(&app, &p.access).await;
    let doc = upload(&app, &p, &key, b"haemoglobin 13.2 g/dL").await;
    let made = create(&app, &p.access).await;
    let path = made["download"].as_str().unwrap().to_owned();

    // Nobody else: another patient, a hospital, no session.
    let other = app.new_patient().await;
    assert_error(get_range(&app, &other.access, &path, None).await, 404, "export_not_found").await;
    let (hospital, _) = app.new_hospital("IN2710000031").await;
    assert_error(get_range(&app, &hospital, &path, None).await, 403, "forbidden").await;
    let r = app.http.post(app.url("/v1/patients/me/exports")).bearer_auth(&hospital).send().await.unwrap();
    assert_error(r, 403, "forbidden").await;
    assert_error(app.get(&path, None).await, 401, "unauthorized").await;
    let bogus = format!("/v1/patients/me/exports/{}", Uuid::new_v4());
    assert_error(get_range(&app, &p.access, &bogus, None).await, 404, "export_not_found").await;
    assert_error(get_range(&app, &p.access, "/v1/patients/me/exports/nope", None).await, 404, "not_found").await;

    // Expired: gone.
    sqlx::query("UPDATE patient_exports SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_error(get_range(&app, &p.access, &path, None).await, 404, "export_not_found").await;

    // Crypto-shredding a document drops every export holding its header (a wrapped key).
    let made = create(&app, &p.access).await;
    let path = made["download"].as_str().unwrap().to_owned();
    let held = |doc: Uuid| {
        sqlx::query_scalar::<_, i64>("SELECT count(*) FROM patient_export_files WHERE document_id = $1")
            .bind(doc)
            .fetch_one(&app.pool)
    };
    assert_eq!(held(doc).await.unwrap(), 1);
    let r = app.http.delete(app.url(&format!("/v1/documents/{doc}"))).bearer_auth(&p.access).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(held(doc).await.unwrap(), 0, "no copy of the header is left");
    assert_error(get_range(&app, &p.access, &path, None).await, 404, "export_not_found").await;
}

/// A stored payload that no longer matches its hash never reaches the client whole: the body
/// ends short of its length (the download breaks) instead of completing with bad bytes.
#[tokio::test]
async fn a_corrupt_object_breaks_the_download() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let key = register_x25519(&app, &p.access).await;
    let doc = upload(&app, &p, &key, &vec![7u8; 200_000]).await;
    let made = create(&app, &p.access).await;
    let storage_key: String = sqlx::query_scalar("SELECT storage_key FROM documents WHERE id = $1")
        .bind(doc)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let object = app.storage_dir.join("objects").join(&storage_key[..2]).join(&storage_key);
    let mut bytes = std::fs::read(&object).unwrap();
    bytes[100_000] ^= 1;
    std::fs::write(&object, &bytes).unwrap();
    let r = get_range(&app, &p.access, made["download"].as_str().unwrap(), None).await;
    assert_eq!(r.status(), 200);
    let size = made["size"].as_u64().unwrap();
    match r.bytes().await {
        Err(_) => {}
        Ok(b) => assert!((b.len() as u64) < size, "a corrupt archive was sent whole"),
    }
}
