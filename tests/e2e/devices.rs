//! Devices (docs/devices.md): a new device of the same account pairs by a code that commits to
//! its public key, a device with the keys seals them to it (here with the `hpke` crate, as a
//! client would) and the server only ever holds the ciphertext, which the new device's own
//! session fetches once. The attacks — an expired code, another account's code, a used pairing,
//! guessing — are refused with stable codes, audited, and change nothing; removing a device ends
//! its sessions; the patient is told of the new device.

use hpke::aead::AesGcm256;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable as _, Kem, OpModeR, OpModeS, Serializable as _};
use pramana_core::envelope::{Identity, os_rng};
use pramana_core::pairing;
use pramana_tests::{PATIENT_PASSWORD, Patient, TestApp, assert_error, spawn_app};
use rand::RngCore as _;
use serde_json::{Value, json};
use uuid::Uuid;

type PublicKey = <X25519HkdfSha256 as Kem>::PublicKey;
type PrivateKey = <X25519HkdfSha256 as Kem>::PrivateKey;
type EncappedKey = <X25519HkdfSha256 as Kem>::EncappedKey;

/// A second device of `patient`'s account, signed in with the password: (access, refresh).
async fn second_device(app: &TestApp, patient: &Patient) -> (String, String) {
    app.login(patient.abha.as_digits(), PATIENT_PASSWORD).await
}

/// The new device asks to be paired with a fresh key: (its identity, the pairing's JSON).
async fn start_pairing(app: &TestApp, token: &str) -> (Identity, Value) {
    let identity = Identity::generate(&mut os_rng());
    let body = json!({"public_key": hex::encode(identity.recipient().0), "name": "Asha's phone"});
    let r = app.post("/v1/devices/pairings", Some(token), &body).await;
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    // The new device derives the code itself; the server's must be the same.
    assert_eq!(created["code"], pairing::code_for(&identity.recipient().0));
    (identity, created)
}

async fn find(app: &TestApp, token: &str, code: &str) -> reqwest::Response {
    app.post("/v1/devices/pairings/find", Some(token), &json!({"code": code})).await
}

/// The two secrets as an old device holds them.
fn secrets() -> Vec<u8> {
    let mut s = vec![0u8; 64];
    rand::thread_rng().fill_bytes(&mut s);
    s
}

/// Seals `plaintext` to `public_key` for pairing `id`, as the old device does: hex of enc ‖ ct.
fn seal(public_key: &[u8; 32], id: &str, plaintext: &[u8]) -> String {
    let pk = PublicKey::from_bytes(public_key).unwrap();
    let id = Uuid::parse_str(id).unwrap();
    let (enc, ct) = hpke::single_shot_seal_with_rng::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
        &OpModeS::Base,
        &pk,
        &pairing::seal_info(id.as_bytes()),
        plaintext,
        b"",
        &mut os_rng(),
    )
    .unwrap();
    hex::encode([enc.to_bytes().as_slice(), &ct].concat())
}

fn open(identity: &Identity, id: &str, sealed_hex: &str) -> Vec<u8> {
    let sealed = hex::decode(sealed_hex).unwrap();
    let sk = PrivateKey::from_bytes(&identity.secret_bytes()).unwrap();
    let enc = EncappedKey::from_bytes(&sealed[..32]).unwrap();
    let id = Uuid::parse_str(id).unwrap();
    hpke::single_shot_open::<AesGcm256, HkdfSha256, X25519HkdfSha256>(
        &OpModeR::Base,
        &sk,
        &enc,
        &pairing::seal_info(id.as_bytes()),
        &sealed[32..],
        b"",
    )
    .unwrap()
}

async fn seal_post(app: &TestApp, token: &str, id: &str, sealed: &str) -> reqwest::Response {
    app.post(&format!("/v1/devices/pairings/{id}/seal"), Some(token), &json!({"sealed": sealed})).await
}

async fn poll(app: &TestApp, token: &str, id: &str) -> reqwest::Response {
    app.get(&format!("/v1/devices/pairings/{id}"), Some(token)).await
}

async fn devices(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app.get("/v1/devices", Some(token)).await;
    assert_eq!(r.status(), 200);
    let list: Value = r.json().await.unwrap();
    list["items"].as_array().unwrap().clone()
}

async fn denied(app: &TestApp, action: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT details->>'reason' FROM audit_log WHERE action = $1 AND outcome = 'denied' ORDER BY seq")
        .bind(action)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

/// Every table's rows except the audit log's (refusals are audited) and the count of wrong codes.
async fn counts(app: &TestApp) -> Vec<(String, i64)> {
    app.table_counts().await.into_iter().filter(|(t, _)| t != "audit_log" && t != "device_code_attempts").collect()
}

async fn pairing_row(app: &TestApp, id: &str) -> (Option<Vec<u8>>, bool, bool) {
    sqlx::query_as("SELECT sealed, sealed_at IS NOT NULL, fetched_at IS NOT NULL FROM device_pairings WHERE id = $1")
        .bind(Uuid::parse_str(id).unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_new_device_gets_the_keys_sealed_to_it_and_the_server_never_reads_them() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let (new_access, _) = second_device(&app, &patient).await;
    let (identity, created) = start_pairing(&app, &new_access).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let code = created["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 12);

    // Nothing to fetch yet.
    let r = poll(&app, &new_access, &id).await;
    assert_eq!(r.status(), 200);
    let waiting: Value = r.json().await.unwrap();
    assert_eq!(waiting["state"], "waiting");
    assert!(waiting["sealed"].is_null());

    // The old device types the code as a person would (lower case, dashes) and checks that the
    // key it is given is the one the code commits to.
    let typed = format!("{}-{}-{}", &code[..4], &code[4..8], &code[8..]).to_lowercase();
    let r = find(&app, &patient.access, &typed).await;
    assert_eq!(r.status(), 200);
    let found: Value = r.json().await.unwrap();
    assert_eq!(found["id"], id.as_str());
    assert_eq!(found["device_name"], "Asha's phone");
    let key: [u8; 32] = hex::decode(found["public_key"].as_str().unwrap()).unwrap().try_into().unwrap();
    assert_eq!(pairing::code_for(&key), code);
    assert_eq!(key, identity.recipient().0);

    let plaintext = secrets();
    let sealed = seal(&key, &id, &plaintext);
    let r = seal_post(&app, &patient.access, &id, &sealed).await;
    assert_eq!(r.status(), 204);

    // The server holds exactly the ciphertext: neither secret appears in it or in the log.
    let (stored, is_sealed, fetched) = pairing_row(&app, &id).await;
    let stored = stored.unwrap();
    assert!(is_sealed && !fetched);
    assert_eq!(hex::encode(&stored), sealed);
    let log: Vec<String> =
        sqlx::query_scalar("SELECT coalesce(details::text, '') FROM audit_log").fetch_all(&app.pool).await.unwrap();
    for secret in [&plaintext[..32], &plaintext[32..]] {
        assert!(!stored.windows(32).any(|w| w == secret));
        assert!(log.iter().all(|l| !l.contains(&hex::encode(secret))));
    }

    // Another session of the account (the old device) cannot fetch it.
    assert_eq!(poll(&app, &patient.access, &id).await.status(), 404);

    // The new device fetches it once and opens it; then it is gone.
    let r = poll(&app, &new_access, &id).await;
    assert_eq!(r.status(), 200);
    let got: Value = r.json().await.unwrap();
    assert_eq!(got["state"], "sealed");
    assert_eq!(open(&identity, &id, got["sealed"].as_str().unwrap()), plaintext);
    let again: Value = poll(&app, &new_access, &id).await.json().await.unwrap();
    assert_eq!(again["state"], "fetched");
    assert!(again["sealed"].is_null());
    let (stored, _, fetched) = pairing_row(&app, &id).await;
    assert!(stored.is_none() && fetched);

    // Both devices are listed, each marked current on its own side.
    let list = devices(&app, &patient.access).await;
    assert_eq!(list.len(), 2);
    assert_eq!(list.iter().filter(|d| d["current"] == true).count(), 1);
    let new_device = list.iter().find(|d| d["name"] == "Asha's phone").unwrap();
    assert_eq!(new_device["current"], false);
    let from_new = devices(&app, &new_access).await;
    assert_eq!(from_new.iter().find(|d| d["current"] == true).unwrap()["id"], new_device["id"]);

    // The patient is told, about the new device.
    let r = app.get("/v1/patients/me/notifications", Some(&patient.access)).await;
    let page: Value = r.json().await.unwrap();
    let note = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "new_device")
        .expect("a new_device notification");
    assert_eq!(note["subject_id"], new_device["id"]);

    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE action LIKE 'device.%' AND outcome = 'ok' ORDER BY seq")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(
        actions,
        ["device.pairing.create", "device.pairing.find", "device.pairing.seal", "device.pairing.fetch"]
    );
}

#[tokio::test]
async fn the_new_device_notification_is_mailed_to_a_verified_address() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    sqlx::query("INSERT INTO patient_emails (patient_id, email, verified_at, updated_at) VALUES ($1, 'asha@example.in', now(), now())")
        .bind(Uuid::parse_str(&patient.id).unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    let (new_access, _) = second_device(&app, &patient).await;
    let (identity, created) = start_pairing(&app, &new_access).await;
    let id = created["id"].as_str().unwrap();
    let r = seal_post(&app, &patient.access, id, &seal(&identity.recipient().0, id, &secrets())).await;
    assert_eq!(r.status(), 204);
    let mails: Vec<(String, String, String)> =
        sqlx::query_as("SELECT kind, to_address, body FROM mail_outbox").fetch_all(&app.pool).await.unwrap();
    assert_eq!(mails.len(), 1);
    assert_eq!((mails[0].0.as_str(), mails[0].1.as_str()), ("new_device", "asha@example.in"));
    assert!(mails[0].2.contains("new device"), "{}", mails[0].2);
}

#[tokio::test]
async fn an_expired_code_is_refused_audited_and_changes_nothing() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let (new_access, _) = second_device(&app, &patient).await;
    let (identity, created) = start_pairing(&app, &new_access).await;
    let id = created["id"].as_str().unwrap();
    let code = created["code"].as_str().unwrap();
    sqlx::query("UPDATE device_pairings SET expires_at = now() - interval '1 second' WHERE id = $1")
        .bind(Uuid::parse_str(id).unwrap())
        .execute(&app.pool)
        .await
        .unwrap();
    let before = counts(&app).await;

    assert_error(find(&app, &patient.access, code).await, 422, "device_code_expired").await;
    let sealed = seal(&identity.recipient().0, id, &secrets());
    assert_error(seal_post(&app, &patient.access, id, &sealed).await, 422, "device_code_expired").await;

    assert_eq!(counts(&app).await, before);
    assert_eq!(pairing_row(&app, id).await, (None, false, false));
    assert_eq!(denied(&app, "device.pairing.find").await, ["device_code_expired"]);
    assert_eq!(denied(&app, "device.pairing.seal").await, ["device_code_expired"]);
    let expired: Value = poll(&app, &new_access, id).await.json().await.unwrap();
    assert_eq!(expired["state"], "expired");
}

#[tokio::test]
async fn another_accounts_code_is_not_found_and_a_used_pairing_is_refused() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let other = app.new_patient().await;
    let (new_access, _) = second_device(&app, &patient).await;
    let (identity, created) = start_pairing(&app, &new_access).await;
    let id = created["id"].as_str().unwrap();
    let code = created["code"].as_str().unwrap();
    let before = counts(&app).await;

    // Another account: the same answer as a code that does not exist.
    assert_error(find(&app, &other.access, code).await, 404, "device_code_invalid").await;
    assert_error(find(&app, &other.access, "0000-0000-0000").await, 404, "device_code_invalid").await;
    let sealed = seal(&identity.recipient().0, id, &secrets());
    assert_eq!(seal_post(&app, &other.access, id, &sealed).await.status(), 404);
    assert_eq!(poll(&app, &other.access, id).await.status(), 404);
    // The new device cannot give keys to itself.
    assert_error(find(&app, &new_access, code).await, 409, "pairing_same_device").await;
    assert_eq!(counts(&app).await, before);
    assert_eq!(
        denied(&app, "device.pairing.find").await,
        ["device_code_invalid", "device_code_invalid", "pairing_same_device"]
    );

    // Once sealed, the pairing is used: neither looked up nor sealed again.
    assert_eq!(seal_post(&app, &patient.access, id, &sealed).await.status(), 204);
    let before = counts(&app).await;
    let stored = pairing_row(&app, id).await;
    assert_error(find(&app, &patient.access, code).await, 409, "pairing_used").await;
    let other_seal = seal(&identity.recipient().0, id, &secrets());
    assert_error(seal_post(&app, &patient.access, id, &other_seal).await, 409, "pairing_used").await;
    assert_eq!(counts(&app).await, before);
    assert_eq!(pairing_row(&app, id).await, stored);

    // A malformed seal, or a key that is no X25519 point, is refused.
    assert_error(seal_post(&app, &patient.access, id, "abcd").await, 422, "invalid_sealed").await;
    let r = app.post("/v1/devices/pairings", Some(&new_access), &json!({"public_key": "00".repeat(32)})).await;
    assert_error(r, 422, "invalid_public_key").await;
}

#[tokio::test]
async fn guessing_codes_is_locked_after_five_wrong_ones() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let (new_access, _) = second_device(&app, &patient).await;
    let (_, created) = start_pairing(&app, &new_access).await;
    let code = created["code"].as_str().unwrap();
    let wrong = if code == "000000000000" { "000000000001" } else { "000000000000" };
    for _ in 0..5 {
        assert_error(find(&app, &patient.access, wrong).await, 404, "device_code_invalid").await;
    }
    // Locked: even the right code waits.
    let r = find(&app, &patient.access, code).await;
    assert!(r.headers().get("retry-after").is_some());
    assert_error(r, 429, "rate_limited").await;
    assert_eq!(denied(&app, "device.pairing.find").await.last().map(String::as_str), Some("locked"));
    // Another account is not locked by it.
    let other = app.new_patient().await;
    assert_error(find(&app, &other.access, wrong).await, 404, "device_code_invalid").await;

    sqlx::query("UPDATE device_code_attempts SET locked_until = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(find(&app, &patient.access, code).await.status(), 200);
}

#[tokio::test]
async fn removing_a_device_ends_its_sessions_at_once() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let (new_access, new_refresh) = second_device(&app, &patient).await;
    let list = devices(&app, &patient.access).await;
    assert_eq!(list.len(), 2);
    let new_id = list.iter().find(|d| d["current"] == false).unwrap()["id"].as_str().unwrap().to_owned();

    // Another account cannot remove it (nor tell it exists).
    let other = app.new_patient().await;
    let r = app.http.delete(app.url(&format!("/v1/devices/{new_id}"))).bearer_auth(&other.access).send().await.unwrap();
    assert_eq!(r.status(), 404);

    let r =
        app.http.delete(app.url(&format!("/v1/devices/{new_id}"))).bearer_auth(&patient.access).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(app.get("/v1/devices", Some(&new_access)).await.status(), 401);
    let r = app.post("/v1/auth/refresh", None, &json!({"refresh_token": new_refresh})).await;
    assert_eq!(r.status(), 401);
    let list = devices(&app, &patient.access).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["current"], true);
    let reason: Option<String> = sqlx::query_scalar(
        "SELECT revoked_reason FROM sessions s JOIN devices d ON d.id = s.device_id WHERE d.id = $1",
    )
    .bind(Uuid::parse_str(&new_id).unwrap())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(reason.as_deref(), Some("device_removed"));

    // Removed already: not found, and audited.
    let r =
        app.http.delete(app.url(&format!("/v1/devices/{new_id}"))).bearer_auth(&patient.access).send().await.unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(denied(&app, "device.remove").await, ["not_found", "not_found"]);
}
