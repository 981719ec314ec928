//! Key registration and rotation.

use pramana_tests::{assert_error, assert_refused, spawn_app};
use pramana_wire::{KeyCreate, KeyKind};
use serde_json::json;

const X1: &str = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
const X2: &str = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";

fn key(kind: KeyKind, public_key: &str, password: Option<&str>) -> KeyCreate {
    KeyCreate { kind, public_key: public_key.to_owned(), password: password.map(str::to_owned), rotation: None }
}

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
    let keys = app.client_as(&p.access).keys().await.unwrap();
    assert_eq!(keys.len(), 3);
    let x: Vec<_> = keys.iter().filter(|k| k.kind == "x25519").collect();
    assert_eq!(x[0].public_key, X2);
    assert!(x[0].retired_at.is_none());
    assert_eq!(x[1].public_key, X1);
    assert!(x[1].retired_at.is_some(), "the old key is kept, retired");
    let eth = keys.iter().find(|k| k.kind == "ethereum").unwrap();
    assert_eq!(eth.public_key, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");

    // Another patient does not see these keys.
    let q = app.new_patient().await;
    assert!(app.client_as(&q.access).keys().await.unwrap().is_empty());
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
    // A kind there is no such key for: the client cannot even say it.
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
        let api = app.client_as(token);
        let before = app.table_counts().await;
        for (kind, public_key) in
            [(KeyKind::X25519, X1), (KeyKind::Ethereum, "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")]
        {
            let r = api.key_create(&key(kind, public_key, None)).await;
            assert_refused(r, 403, "reauthentication_required");
            for wrong in ["", "not the password", "correct horse battery stapl"] {
                let r = api.key_create(&key(kind, public_key, Some(wrong))).await;
                assert_refused(r, 403, "reauthentication_required");
            }
        }
        assert_eq!(app.table_counts().await, before, "nothing changed");
        assert_eq!(app.post_key(token, "x25519", X1).await.status(), 201, "with the password");
    }
    // One account's password does not unlock another's.
    let q = app.new_patient().await;
    let r = app.client_as(&q.access).key_create(&key(KeyKind::X25519, X2, Some(&app.password_of(&hospital)))).await;
    assert_refused(r, 403, "reauthentication_required");
}
