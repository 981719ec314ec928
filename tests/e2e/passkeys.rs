//! Passkeys (WebAuthn) as a second factor, with a software authenticator (P-256, "none"
//! attestation) that answers the server's options as a browser and an authenticator would:
//! adding, signing in, the options' shape, and the attacks — a copied passkey whose counter
//! does not go up, a foreign credential, an answer to another challenge, an expired
//! registration, a wrong password for removal, guessing (the lock shared with TOTP) — each
//! refused with a stable code, audited, nothing changed.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openssl::bn::BigNumContext;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::sign::Signer;
use pramana_tests::{PATIENT_PASSWORD, TestApp, assert_error, spawn_app};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The test API's relying party (the default `auth.passkey_origin`).
const ORIGIN: &str = "http://localhost:8080";
const RP_ID: &str = "localhost";

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A CBOR byte or text string header (major type `major`) for `len` bytes.
fn cbor_head(major: u8, len: usize) -> Vec<u8> {
    let m = major << 5;
    match len {
        0..=23 => vec![m | len as u8],
        24..=255 => vec![m | 24, len as u8],
        _ => {
            let mut v = vec![m | 25];
            v.extend_from_slice(&(len as u16).to_be_bytes());
            v
        }
    }
}

fn cbor_bytes(b: &[u8]) -> Vec<u8> {
    let mut v = cbor_head(2, b.len());
    v.extend_from_slice(b);
    v
}

fn cbor_text(s: &str) -> Vec<u8> {
    let mut v = cbor_head(3, s.len());
    v.extend_from_slice(s.as_bytes());
    v
}

/// One passkey in a software authenticator: its key, credential id and signature counter.
#[derive(Clone)]
struct SoftKey {
    key: EcKey<Private>,
    id: Vec<u8>,
    count: u32,
    origin: String,
}

impl SoftKey {
    fn new() -> Self {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let id: [u8; 16] = rand::random();
        Self { key: EcKey::generate(&group).unwrap(), id: id.to_vec(), count: 0, origin: ORIGIN.to_owned() }
    }

    /// The COSE_Key (EC2, ES256) of the public key.
    fn cose(&self) -> Vec<u8> {
        let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap();
        let mut ctx = BigNumContext::new().unwrap();
        let (mut x, mut y) = (openssl::bn::BigNum::new().unwrap(), openssl::bn::BigNum::new().unwrap());
        self.key.public_key().affine_coordinates(&group, &mut x, &mut y, &mut ctx).unwrap();
        let mut v = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21];
        v.extend(cbor_bytes(&x.to_vec_padded(32).unwrap()));
        v.push(0x22);
        v.extend(cbor_bytes(&y.to_vec_padded(32).unwrap()));
        v
    }

    fn client_data(&self, kind: &str, options: &Value) -> Vec<u8> {
        let challenge = options["publicKey"]["challenge"].as_str().unwrap();
        json!({"type": kind, "challenge": challenge, "origin": self.origin, "crossOrigin": false})
            .to_string()
            .into_bytes()
    }

    fn auth_data(&self, flags: u8) -> Vec<u8> {
        let mut v = Sha256::digest(RP_ID.as_bytes()).to_vec();
        v.push(flags);
        v.extend_from_slice(&self.count.to_be_bytes());
        v
    }

    /// The answer of `navigator.credentials.create()` to `options`.
    fn register(&self, options: &Value) -> Value {
        let client_data = self.client_data("webauthn.create", options);
        // User present, user verified, attested credential data.
        let mut auth_data = self.auth_data(0x45);
        auth_data.extend_from_slice(&[0u8; 16]);
        auth_data.extend_from_slice(&(self.id.len() as u16).to_be_bytes());
        auth_data.extend_from_slice(&self.id);
        auth_data.extend(self.cose());
        let mut att = vec![0xa3];
        att.extend(cbor_text("fmt"));
        att.extend(cbor_text("none"));
        att.extend(cbor_text("attStmt"));
        att.push(0xa0);
        att.extend(cbor_text("authData"));
        att.extend(cbor_bytes(&auth_data));
        json!({
            "id": b64(&self.id), "rawId": b64(&self.id), "type": "public-key", "extensions": {},
            "response": {"attestationObject": b64(&att), "clientDataJSON": b64(&client_data)},
        })
    }

    /// The answer of `navigator.credentials.get()` to `options` (the counter goes up first, as
    /// an authenticator that counts does).
    fn sign(&mut self, options: &Value) -> Value {
        self.count += 1;
        let client_data = self.client_data("webauthn.get", options);
        let auth_data = self.auth_data(0x05);
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(&client_data));
        let pkey = PKey::from_ec_key(self.key.clone()).unwrap();
        let mut signer = Signer::new(MessageDigest::sha256(), &pkey).unwrap();
        signer.update(&signed).unwrap();
        let signature = signer.sign_to_vec().unwrap();
        json!({
            "id": b64(&self.id), "rawId": b64(&self.id), "type": "public-key", "extensions": {},
            "response": {
                "authenticatorData": b64(&auth_data), "clientDataJSON": b64(&client_data),
                "signature": b64(&signature), "userHandle": null,
            },
        })
    }
}

/// Adds `key` to the account of `token` under `name`.
async fn add(app: &TestApp, token: &str, name: &str, key: &SoftKey) -> Value {
    let r = app.post("/v1/auth/second-factor/passkeys/start", Some(token), &json!({"name": name})).await;
    assert_eq!(r.status(), 200);
    let options: Value = r.json().await.unwrap();
    let r = app
        .post("/v1/auth/second-factor/passkeys/finish", Some(token), &json!({"credential": key.register(&options)}))
        .await;
    assert_eq!(r.status(), 200, "{:?}", r.text().await);
    r.json().await.unwrap()
}

/// A password login that must ask for a second factor: its challenge and the factors named.
async fn challenge(app: &TestApp, login: &str) -> (String, Value) {
    let r = app.post("/v1/auth/login", None, &json!({"login": login, "password": PATIENT_PASSWORD})).await;
    let body = assert_error(r, 401, "second_factor_required").await;
    (body["challenge"].as_str().unwrap().to_owned(), body["second_factors"].clone())
}

async fn start(app: &TestApp, challenge: &str) -> Value {
    let r = app.post("/v1/auth/login/passkey/start", None, &json!({"challenge": challenge})).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn finish(app: &TestApp, challenge: &str, answer: &Value) -> reqwest::Response {
    app.post("/v1/auth/login/passkey/finish", None, &json!({"challenge": challenge, "credential": answer})).await
}

async fn list(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app.get("/v1/auth/second-factor/passkeys", Some(token)).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn denied(app: &TestApp, action: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT details->>'reason' FROM audit_log WHERE action = $1 AND outcome = 'denied' ORDER BY seq")
        .bind(action)
        .fetch_all(&app.pool)
        .await
        .unwrap()
}

async fn sessions(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM sessions").fetch_one(&app.pool).await.unwrap()
}

#[tokio::test]
async fn a_patient_adds_a_passkey_signs_in_with_it_and_a_copied_passkey_is_refused() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let login = patient.abha.as_digits();

    // The creation options: this relying party, the account as the user, user verification
    // required, ES256 offered.
    let r = app.post("/v1/auth/second-factor/passkeys/start", Some(&patient.access), &json!({"name": "Phone"})).await;
    assert_eq!(r.status(), 200);
    let options: Value = r.json().await.unwrap();
    let pk = &options["publicKey"];
    assert_eq!(pk["rp"]["id"], RP_ID);
    assert_eq!(pk["rp"]["name"], "Pramana");
    assert_eq!(pk["user"]["name"], login);
    assert_eq!(pk["authenticatorSelection"]["userVerification"], "required");
    assert!(pk["pubKeyCredParams"].as_array().unwrap().iter().any(|p| p["alg"] == -7), "{pk}");
    assert!(URL_SAFE_NO_PAD.decode(pk["challenge"].as_str().unwrap()).unwrap().len() >= 16);

    let mut key = SoftKey::new();
    let r = app
        .post(
            "/v1/auth/second-factor/passkeys/finish",
            Some(&patient.access),
            &json!({"credential": key.register(&options)}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let added: Value = r.json().await.unwrap();
    assert_eq!((added["name"].clone(), added["possibly_cloned"].clone()), (json!("Phone"), json!(false)));
    // The registration is used up.
    let r = app
        .post(
            "/v1/auth/second-factor/passkeys/finish",
            Some(&patient.access),
            &json!({"credential": key.register(&options)}),
        )
        .await;
    assert_error(r, 409, "passkey_not_started").await;
    let status: Value = app.get("/v1/auth/second-factor", Some(&patient.access)).await.json().await.unwrap();
    assert_eq!((status["enabled"].clone(), status["passkeys"].clone()), (json!(false), json!(1)));

    // The password alone no longer signs in; the challenge names the passkey.
    let (ch, factors) = challenge(&app, login).await;
    assert_eq!(factors, json!(["passkey"]));
    let options = start(&app, &ch).await;
    let pk = &options["publicKey"];
    assert_eq!(pk["rpId"], RP_ID);
    assert_eq!(pk["userVerification"], "required");
    assert_eq!(pk["allowCredentials"][0]["id"], b64(&key.id));
    let r = finish(&app, &ch, &key.sign(&options)).await;
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();
    assert_eq!(tokens["role"], "patient");
    let login_details: Value =
        sqlx::query_scalar("SELECT details FROM audit_log WHERE action = 'auth.login' ORDER BY seq DESC LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(login_details["second_factor"], "passkey");
    // The challenge is used up.
    assert_error(finish(&app, &ch, &key.sign(&options)).await, 401, "challenge_invalid").await;
    let listed = list(&app, &patient.access).await;
    assert!(listed[0]["last_used_at"].is_string());

    // A copy of the passkey whose counter is behind (the original has signed since it was
    // copied): refused, audited, the passkey blocked, no session.
    let mut copy = key.clone();
    copy.count = 0;
    let (ch, _) = challenge(&app, login).await;
    let options = start(&app, &ch).await;
    let before = sessions(&app).await;
    let stored_before: i64 =
        sqlx::query_scalar("SELECT sign_count FROM credential_passkeys").fetch_one(&app.pool).await.unwrap();
    assert_error(finish(&app, &ch, &copy.sign(&options)).await, 401, "passkey_counter_regressed").await;
    assert_eq!(sessions(&app).await, before);
    let stored_after: i64 =
        sqlx::query_scalar("SELECT sign_count FROM credential_passkeys").fetch_one(&app.pool).await.unwrap();
    assert_eq!(stored_before, stored_after, "the counter is not moved by a refused sign-in");
    assert_eq!(list(&app, &patient.access).await[0]["possibly_cloned"], true);
    // From now on even the original is refused, and the sign-in options leave it out.
    assert_error(finish(&app, &ch, &key.sign(&options)).await, 401, "passkey_possibly_cloned").await;
    let (ch, _) = challenge(&app, login).await;
    let r = app.post("/v1/auth/login/passkey/start", None, &json!({"challenge": ch})).await;
    assert_error(r, 401, "passkey_none").await;
    assert_eq!(
        denied(&app, "auth.login_passkey").await,
        ["challenge_invalid", "passkey_counter_regressed", "passkey_possibly_cloned", "passkey_none"]
    );

    // Removing it takes the password; then the password alone signs in again.
    let id = listed[0]["id"].as_str().unwrap();
    let path = format!("/v1/auth/second-factor/passkeys/{id}/remove");
    let r = app.post(&path, Some(&patient.access), &json!({"password": "not the password at all"})).await;
    assert_error(r, 422, "password_invalid").await;
    assert_eq!(list(&app, &patient.access).await.len(), 1);
    let r = app.post(&path, Some(&patient.access), &json!({"password": PATIENT_PASSWORD})).await;
    assert_eq!(r.status(), 204);
    let r = app.post(&path, Some(&patient.access), &json!({"password": PATIENT_PASSWORD})).await;
    assert_error(r, 404, "not_found").await;
    assert!(list(&app, &patient.access).await.is_empty());
    assert_eq!(denied(&app, "auth.passkey.remove").await, ["password_invalid", "not_found"]);
    app.login(login, PATIENT_PASSWORD).await;
}

#[tokio::test]
async fn foreign_wrong_and_stale_passkey_answers_are_refused_and_count_towards_the_lock() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let login = patient.abha.as_digits();
    let mut key = SoftKey::new();
    add(&app, &patient.access, "Laptop", &key).await;

    // A name is unique per account, and checked.
    let r = app.post("/v1/auth/second-factor/passkeys/start", Some(&patient.access), &json!({"name": "Laptop"})).await;
    assert_error(r, 409, "passkey_name_taken").await;
    let r = app.post("/v1/auth/second-factor/passkeys/start", Some(&patient.access), &json!({"name": " "})).await;
    assert_error(r, 422, "invalid_name").await;

    // A registration older than five minutes is gone; an answer from another origin does not
    // verify; neither adds anything.
    let r = app.post("/v1/auth/second-factor/passkeys/start", Some(&patient.access), &json!({"name": "Tablet"})).await;
    let options: Value = r.json().await.unwrap();
    let mut phished = SoftKey::new();
    phished.origin = "https://pramana.example.net".to_owned();
    let r = app
        .post(
            "/v1/auth/second-factor/passkeys/finish",
            Some(&patient.access),
            &json!({"credential": phished.register(&options)}),
        )
        .await;
    assert_error(r, 422, "passkey_invalid").await;
    sqlx::query("UPDATE passkey_registrations SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    let r = app
        .post(
            "/v1/auth/second-factor/passkeys/finish",
            Some(&patient.access),
            &json!({"credential": SoftKey::new().register(&options)}),
        )
        .await;
    assert_error(r, 409, "passkey_not_started").await;
    // The same authenticator credential cannot be added twice.
    let r = app.post("/v1/auth/second-factor/passkeys/start", Some(&patient.access), &json!({"name": "Again"})).await;
    let options: Value = r.json().await.unwrap();
    assert_eq!(options["publicKey"]["excludeCredentials"][0]["id"], b64(&key.id));
    let r = app
        .post(
            "/v1/auth/second-factor/passkeys/finish",
            Some(&patient.access),
            &json!({"credential": key.register(&options)}),
        )
        .await;
    assert_error(r, 409, "passkey_already_registered").await;
    assert_eq!(list(&app, &patient.access).await.len(), 1);
    assert_eq!(
        denied(&app, "auth.passkey.add").await,
        ["passkey_invalid", "passkey_not_started", "passkey_already_registered"]
    );

    // At sign-in: an unknown challenge, a finish without a start.
    let r = app.post("/v1/auth/login/passkey/start", None, &json!({"challenge": "nonsense"})).await;
    assert_error(r, 401, "challenge_invalid").await;
    let (ch, _) = challenge(&app, login).await;
    assert_error(finish(&app, &ch, &json!({})).await, 401, "passkey_not_started").await;

    let options = start(&app, &ch).await;
    // A passkey of no one here (a foreign credential id).
    let mut foreign = SoftKey::new();
    assert_error(finish(&app, &ch, &foreign.sign(&options)).await, 401, "passkey_unknown").await;
    // The right passkey answering another challenge.
    let (other_ch, _) = challenge(&app, login).await;
    let other = start(&app, &other_ch).await;
    assert_error(finish(&app, &ch, &key.sign(&other)).await, 401, "passkey_invalid").await;
    // Not a WebAuthn answer at all.
    assert_error(finish(&app, &ch, &json!({"id": "x"})).await, 401, "passkey_invalid").await;
    // A TOTP code for an account with passkeys only.
    let r = app.post("/v1/auth/login/second-factor", None, &json!({"challenge": ch, "code": "123456"})).await;
    assert_error(r, 401, "second_factor_invalid").await;
    // The fifth wrong answer locks every second factor of the account for five minutes: even
    // the right passkey.
    assert_error(finish(&app, &ch, &foreign.sign(&options)).await, 401, "passkey_unknown").await;
    let r = finish(&app, &ch, &key.sign(&options)).await;
    assert_error(r, 429, "rate_limited").await;
    assert_eq!(
        denied(&app, "auth.login_passkey").await,
        [
            "challenge_invalid",
            "passkey_not_started",
            "passkey_unknown",
            "passkey_invalid",
            "passkey_invalid",
            "passkey_unknown",
            "locked"
        ]
    );
    sqlx::query("UPDATE second_factor_attempts SET locked_until = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(finish(&app, &ch, &key.sign(&options)).await.status(), 200);
}
