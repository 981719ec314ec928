//! Key registration and rotation.

use pramana_tests::{assert_error, spawn_app};
use serde_json::json;

const X1: &str = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const X2: &str = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";

#[tokio::test]
async fn rotation_keeps_history() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    for key in [X1, X2] {
        let r = app.post_key(&p.access, "x25519", &key.to_uppercase()).await;
        assert_eq!(r.status(), 201);
    }
    let r = app.post_key(&p.access, "ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed").await;
    assert_eq!(r.status(), 201);
    let keys: Vec<serde_json::Value> = app.get("/v1/keys", Some(&p.access)).await.json().await.unwrap();
    assert_eq!(keys.len(), 3);
    let x: Vec<_> = keys.iter().filter(|k| k["kind"] == "x25519").collect();
    assert_eq!(x[0]["public_key"], X2);
    assert!(x[0]["retired_at"].is_null());
    assert_eq!(x[1]["public_key"], X1);
    assert!(!x[1]["retired_at"].is_null(), "the old key is kept, retired");
    let eth = keys.iter().find(|k| k["kind"] == "ethereum").unwrap();
    assert_eq!(eth["public_key"], "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");

    // Another patient does not see these keys.
    let q = app.new_patient().await;
    let theirs: Vec<serde_json::Value> = app.get("/v1/keys", Some(&q.access)).await.json().await.unwrap();
    assert!(theirs.is_empty());
}

#[tokio::test]
async fn bad_keys_are_422_and_change_nothing() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let before = app.table_counts().await;
    for (kind, key) in [
        ("x25519", "00".repeat(32)),
        ("x25519", "abcd".to_owned()),
        ("ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD".to_owned()),
        ("ethereum", "0x1234".to_owned()),
    ] {
        let r = app.post_key(&p.access, kind, &key).await;
        assert_error(r, 422, "invalid_public_key").await;
    }
    let r = app.post("/v1/keys", Some(&p.access), &json!({"kind": "rsa", "public_key": X1, "password": "x"})).await;
    assert_error(r, 422, "invalid_body").await;
    assert_eq!(app.table_counts().await, before);
}

/// The attack: a stolen access token (no password) tries to plant its own signing or encryption
/// key. Refused with a stable code, nothing changed; the right password (a hospital's API
/// secret) is enough.
#[tokio::test]
async fn registering_a_key_needs_the_password_not_just_a_token() {
    let app = spawn_app().await;
    let p = app.new_patient().await;
    let (hospital, _) = app.new_hospital("IN2710000001").await;
    for token in [&p.access, &hospital] {
        let before = app.table_counts().await;
        for (kind, key) in [("x25519", X1), ("ethereum", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")] {
            let r = app.post("/v1/keys", Some(token), &json!({"kind": kind, "public_key": key})).await;
            assert_error(r, 403, "reauthentication_required").await;
            for wrong in ["", "not the password", "correct horse battery stapl"] {
                let body = json!({"kind": kind, "public_key": key, "password": wrong});
                let r = app.post("/v1/keys", Some(token), &body).await;
                assert_error(r, 403, "reauthentication_required").await;
            }
        }
        assert_eq!(app.table_counts().await, before, "nothing changed");
        assert_eq!(app.post_key(token, "x25519", X1).await.status(), 201, "with the password");
    }
    // One account's password does not unlock another's.
    let q = app.new_patient().await;
    let body = json!({"kind": "x25519", "public_key": X2, "password": app.password_of(&hospital)});
    assert_error(app.post("/v1/keys", Some(&q.access), &body).await, 403, "reauthentication_required").await;
}
