//! Hospital staff accounts: an invitation accepted, the hospital's keys sealed in an
//! administrator's client to the member's own key (the server only ever holds ciphertext), the
//! member reading a consented document for the hospital with every access naming them, the role
//! matrix, disabling that ends a live session at once, single-use expiring invitations, and
//! hospitals kept apart.

use chrono::Utc;
use pramana_core::HiType;
use pramana_core::chain::eip712::ConsentSigner;
use pramana_core::envelope::{Identity, os_rng, staff_keys};
use pramana_tests::{TestApp, assert_error, register_x25519, seal_document, spawn_app, spawn_app_with, upload_query};
use serde_json::{Value, json};

use crate::consents::grants::{CONTRACT, headers_for, register_eth, sign_grant};
use crate::consents::request;

const PASSWORD: &str = "a long staff password";

/// A member invited by the holder of `inviter` (API secret or an administrator), who accepted
/// with a fresh key of their own and signed in.
struct Member {
    id: String,
    key: Identity,
    access: String,
    refresh: String,
}

async fn invite(app: &TestApp, inviter: &str, name: &str, role: &str) -> (String, String) {
    let r = app.post("/v1/hospitals/me/staff", Some(inviter), &json!({"name": name, "role": role})).await;
    assert_eq!(r.status(), 201, "invited");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["member"]["status"], "invited");
    (body["member"]["id"].as_str().unwrap().to_owned(), body["invite_code"].as_str().unwrap().to_owned())
}

async fn accept(app: &TestApp, code: &str, username: &str, key: &Identity) -> reqwest::Response {
    let body = json!({"code": code, "username": username, "password": PASSWORD,
                      "public_key": hex::encode(key.recipient().0)});
    app.post("/v1/auth/staff-invitations/accept", None, &body).await
}

async fn member(app: &TestApp, inviter: &str, hfr: &str, username: &str, role: &str) -> Member {
    let (id, code) = invite(app, inviter, username, role).await;
    let key = Identity::generate(&mut os_rng());
    let r = accept(app, &code, username, &key).await;
    assert_eq!(r.status(), 201, "accepted");
    let accepted: Value = r.json().await.unwrap();
    assert_eq!(accepted["login"], format!("{hfr}/{username}"));
    assert_eq!(accepted["member"]["status"], "active");
    let (access, refresh) = app.login(&format!("{hfr}/{username}"), PASSWORD).await;
    Member { id, key, access, refresh }
}

/// What an administrator's client seals: the hospital's X25519 secret, then its secp256k1 one.
fn hospital_secrets(x25519: &Identity, eth_secret: &[u8; 32]) -> [u8; 64] {
    let mut out = [0u8; 64];
    out[..32].copy_from_slice(&x25519.secret_bytes());
    out[32..].copy_from_slice(eth_secret);
    out
}

fn seal_for(m: &Member, secrets: &[u8; 64]) -> Value {
    let id = uuid::Uuid::parse_str(&m.id).unwrap();
    let sealed = staff_keys::seal(secrets, &m.key.recipient(), id.as_bytes(), &mut os_rng()).unwrap();
    json!({"sealed_keys": hex::encode(sealed), "public_key": hex::encode(m.key.recipient().0)})
}

#[tokio::test]
async fn a_member_gets_the_keys_sealed_to_them_and_reads_a_consented_document_named_in_the_log() {
    let app = spawn_app_with(json!({"chain": {"contract_address": CONTRACT}})).await;
    let (hosp, hosp_id) = app.new_hospital("IN2710000001").await;
    let hosp_addr = alloy::primitives::Address::repeat_byte(0x42);
    register_eth(&app, &hosp, hosp_addr).await;
    let hosp_key = register_x25519(&app, &hosp).await;
    let eth_secret: [u8; 32] = rand::random();
    let secrets = hospital_secrets(&hosp_key, &eth_secret);

    // The API-secret session bootstraps the first administrator; the administrator invites a
    // clinician, who accepts and can sign in, but holds no hospital keys yet.
    let admin = member(&app, &hosp, "IN2710000001", "asha", "administrator").await;
    let ravi = member(&app, &admin.access, "IN2710000001", "ravi", "clinician").await;
    assert_error(app.get("/v1/hospitals/me/staff/me/keys", Some(&ravi.access)).await, 404, "no_staff_keys").await;
    let me: Value = app.get("/v1/hospitals/me/staff/me", Some(&ravi.access)).await.json().await.unwrap();
    assert_eq!((me["role"].as_str(), me["has_keys"].as_bool()), (Some("clinician"), Some(false)));

    // The administrator's client seals the hospital's secrets to Ravi's own key. Bad bundles
    // and a bundle for another key are refused and change nothing.
    let seal_url = format!("/v1/hospitals/me/staff/{}/keys", ravi.id);
    let before = app.table_counts().await;
    let short = json!({"sealed_keys": "00".repeat(50), "public_key": hex::encode(ravi.key.recipient().0)});
    assert_error(app.post(&seal_url, Some(&admin.access), &short).await, 422, "invalid_sealed_keys").await;
    let mut other_key = seal_for(&ravi, &secrets);
    other_key["public_key"] = json!(hex::encode(Identity::generate(&mut os_rng()).recipient().0));
    assert_error(app.post(&seal_url, Some(&admin.access), &other_key).await, 409, "staff_key_mismatch").await;
    let sealed_by_clinician = seal_for(&admin, &secrets);
    let r =
        app.post(&format!("/v1/hospitals/me/staff/{}/keys", admin.id), Some(&ravi.access), &sealed_by_clinician).await;
    assert_error(r, 403, "staff_role_forbidden").await;
    let mut after = app.table_counts().await;
    after.retain(|(t, _)| t != "audit_log");
    let mut before = before;
    before.retain(|(t, _)| t != "audit_log");
    assert_eq!(after, before, "refusals changed nothing but the log");

    let body = seal_for(&ravi, &secrets);
    let r = app.post(&seal_url, Some(&admin.access), &body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["has_keys"], true);

    // The server holds the bundle as posted: ciphertext, with neither secret in it.
    let stored: Vec<u8> = sqlx::query_scalar("SELECT sealed_keys FROM hospital_staff WHERE id = $1::uuid")
        .bind(&ravi.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(hex::encode(&stored), body["sealed_keys"].as_str().unwrap());
    for secret in [&secrets[..32], &secrets[32..]] {
        assert!(!stored.windows(32).any(|w| w == secret), "a secret in the clear");
    }

    // Ravi's client fetches and opens them: exactly the hospital's key.
    let got: Value = app.get("/v1/hospitals/me/staff/me/keys", Some(&ravi.access)).await.json().await.unwrap();
    let opened = staff_keys::open(
        &hex::decode(got["sealed_keys"].as_str().unwrap()).unwrap(),
        &ravi.key,
        uuid::Uuid::parse_str(&ravi.id).unwrap().as_bytes(),
    )
    .unwrap();
    let restored = Identity::from_secret_bytes(&<[u8; 32]>::try_from(&opened[..32]).unwrap()).unwrap();
    assert_eq!(restored.recipient(), hosp_key.recipient());
    assert_eq!(&opened[32..], &eth_secret);
    // Another member cannot open Ravi's bundle with their own key.
    assert!(
        staff_keys::open(&stored, &admin.key, uuid::Uuid::parse_str(&ravi.id).unwrap().as_bytes()).is_err(),
        "sealed to Ravi alone"
    );

    // A patient's report; Ravi requests consent for the hospital, the patient grants it.
    let patient = app.new_patient().await;
    let pkey = register_x25519(&app, &patient.access).await;
    let signer = ConsentSigner::random();
    register_eth(&app, &patient.access, signer.address()).await;
    let doc = uuid::Uuid::new_v4();
    let (env, info) = seal_document(doc, &[pkey.recipient()], b"haemoglobin 13.5 g/dL");
    let q = upload_query(&info, "DiagnosticReport", "2025-06-01");
    let r = app.http.put(app.url(&format!("/v1/documents/{doc}?{q}"))).bearer_auth(&patient.access).body(env);
    assert_eq!(r.send().await.unwrap().status(), 201);
    let r = app.post("/v1/consents", Some(&ravi.access), &request(patient.abha.as_digits())).await;
    assert_eq!(r.status(), 201, "a clinician requests consent for the hospital");
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["hospital_id"].as_str(), Some(hosp_id.as_str()));
    let now = u64::try_from(Utc::now().timestamp()).unwrap();
    let mut grant = sign_grant(&signer, &c, hosp_addr, &[HiType::DiagnosticReport], now);
    grant["headers"] = headers_for(&app, &patient.access, &pkey, &hosp_key.recipient(), &[doc]).await;
    let r = app.post(&format!("/v1/consents/{}/grant", c["id"].as_str().unwrap()), Some(&patient.access), &grant).await;
    assert_eq!(r.status(), 200);

    // Ravi downloads it and opens it with the hospital key his client unsealed.
    let r = app.get(&format!("/v1/documents/{doc}/content"), Some(&ravi.access)).await;
    assert_eq!(r.status(), 200);
    let envelope = r.bytes().await.unwrap();
    let mut plain = Vec::new();
    pramana_core::envelope::open(doc.as_bytes(), &restored, &envelope[..], &mut plain).unwrap();
    assert_eq!(plain, b"haemoglobin 13.5 g/dL");

    // The log names Ravi on the hospital's entries: the request, the read, the sign-in.
    let named: Vec<String> = sqlx::query_scalar(
        "SELECT action FROM audit_log WHERE actor_role = 'hospital' AND actor_id = $1::uuid
            AND details->>'actor_staff_id' = $2 ORDER BY seq",
    )
    .bind(&hosp_id)
    .bind(&ravi.id)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for action in ["auth.login", "staff.keys.read", "consent.request", "document.download"] {
        assert!(named.iter().any(|a| a == action), "{action} names the member: {named:?}");
    }
    // The API-secret session's own entries name nobody.
    let anonymous_staff: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'staff.invite' AND NOT details ? 'actor_staff_id'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(anonymous_staff, 1, "the bootstrap invitation came from the API secret");
    // Every entry still hashes to its stored leaf (the member's id is part of what is hashed).
    let rows = pramana_server::store::audit::find_audit_page(&app.pool, None, 0, 10_000).await.unwrap();
    for row in &rows {
        assert_eq!(row.leaf_hash.as_deref(), Some(&row.content_hash()[..]), "entry {} verifies", row.seq);
    }
}

#[tokio::test]
async fn each_role_reaches_only_its_part_and_every_refusal_is_logged() {
    let app = spawn_app().await;
    let (hosp, _) = app.new_hospital("IN2710000001").await;
    let admin = member(&app, &hosp, "IN2710000001", "asha", "administrator").await;
    let clinician = member(&app, &admin.access, "IN2710000001", "ravi", "clinician").await;
    let clerk = member(&app, &admin.access, "IN2710000001", "meena", "records_clerk").await;
    let hook = json!({"url": "https://his.example/events"});
    let doc = uuid::Uuid::new_v4();
    let content = format!("/v1/documents/{doc}/content");

    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'staff.refused'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    // Clinicians and clerks manage no staff and no webhook.
    for m in [&clinician, &clerk] {
        let r =
            app.post("/v1/hospitals/me/staff", Some(&m.access), &json!({"name": "X", "role": "administrator"})).await;
        assert_error(r, 403, "staff_role_forbidden").await;
        assert_error(app.get("/v1/hospitals/me/staff", Some(&m.access)).await, 403, "staff_role_forbidden").await;
        let r = app.http.put(app.url("/v1/hospitals/me/webhook")).bearer_auth(&m.access).json(&hook).send().await;
        assert_error(r.unwrap(), 403, "staff_role_forbidden").await;
        let r = app.post(&format!("/v1/hospitals/me/staff/{}/disable", admin.id), Some(&m.access), &json!({})).await;
        assert_error(r, 403, "staff_role_forbidden").await;
    }
    // Administrators and clerks open no document; clerks and clinicians see patients.
    assert_error(app.get(&content, Some(&admin.access)).await, 403, "staff_role_forbidden").await;
    assert_error(app.get(&content, Some(&clerk.access)).await, 403, "staff_role_forbidden").await;
    assert_error(app.get("/v1/documents", Some(&admin.access)).await, 403, "staff_role_forbidden").await;
    assert_error(app.get(&content, Some(&clinician.access)).await, 404, "not_found").await;
    assert_eq!(app.get("/v1/documents", Some(&clerk.access)).await.status(), 200);
    assert_eq!(app.get("/v1/hospitals/me/patients", Some(&clinician.access)).await.status(), 200);
    assert_eq!(app.get("/v1/consents", Some(&clerk.access)).await.status(), 200);
    // Nobody on staff reaches the operator's or a patient's routes.
    assert_error(app.get("/v1/admin/hospitals", Some(&admin.access)).await, 403, "staff_role_forbidden").await;
    assert_error(app.get("/v1/patients/me", Some(&clinician.access)).await, 403, "staff_role_forbidden").await;
    let after: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'staff.refused'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(after - before, 13, "every refusal is in the log");
    let named: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'staff.refused' AND details->>'actor_staff_id' = $1",
    )
    .bind(&clerk.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(named, 5, "with the member who tried");
    assert_error(app.get("/v1/hospitals/me/webhook", Some(&admin.access)).await, 404, "not_found").await;

    // The administrator sets the webhook and lists the staff.
    let r = app.http.put(app.url("/v1/hospitals/me/webhook")).bearer_auth(&admin.access).json(&hook).send().await;
    assert_eq!(r.unwrap().status(), 200);
    let list: Value = app.get("/v1/hospitals/me/staff", Some(&admin.access)).await.json().await.unwrap();
    let roles: Vec<&str> = list.as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["administrator", "clinician", "records_clerk"]);
    // The API secret, a machine client, is not narrowed; it is no staff member.
    assert_eq!(app.get("/v1/hospitals/me/staff", Some(&hosp)).await.status(), 200);
    assert_error(app.get("/v1/hospitals/me/staff/me", Some(&hosp)).await, 403, "not_staff").await;
}

#[tokio::test]
async fn disabling_a_member_ends_their_live_session_at_once_and_nothing_else() {
    let app = spawn_app().await;
    let (hosp, _) = app.new_hospital("IN2710000001").await;
    let admin = member(&app, &hosp, "IN2710000001", "asha", "administrator").await;
    let ravi = member(&app, &admin.access, "IN2710000001", "ravi", "clinician").await;
    let hosp_key = Identity::generate(&mut os_rng());
    let body = seal_for(&ravi, &hospital_secrets(&hosp_key, &[9u8; 32]));
    let r = app.post(&format!("/v1/hospitals/me/staff/{}/keys", ravi.id), Some(&admin.access), &body).await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.get("/v1/consents", Some(&ravi.access)).await.status(), 200);

    // An administrator cannot disable themselves; an unknown member is 404.
    let r = app.post(&format!("/v1/hospitals/me/staff/{}/disable", admin.id), Some(&admin.access), &json!({})).await;
    assert_error(r, 409, "cannot_disable_self").await;
    let r = app
        .post(&format!("/v1/hospitals/me/staff/{}/disable", uuid::Uuid::new_v4()), Some(&admin.access), &json!({}))
        .await;
    assert_error(r, 404, "not_found").await;

    let r = app.post(&format!("/v1/hospitals/me/staff/{}/disable", ravi.id), Some(&admin.access), &json!({})).await;
    assert_eq!(r.status(), 200);
    let disabled: Value = r.json().await.unwrap();
    assert_eq!((disabled["status"].as_str(), disabled["has_keys"].as_bool()), (Some("disabled"), Some(false)));

    // Ravi's live access token, his refresh token and his password: refused, with the code.
    let before = app.table_counts().await;
    assert_error(app.get("/v1/consents", Some(&ravi.access)).await, 403, "staff_disabled").await;
    assert_error(app.get("/v1/hospitals/me/staff/me/keys", Some(&ravi.access)).await, 403, "staff_disabled").await;
    let r = app.post("/v1/auth/refresh", None, &json!({"refresh_token": ravi.refresh})).await;
    assert_error(r, 403, "staff_disabled").await;
    let r = app.post("/v1/auth/login", None, &json!({"login": "IN2710000001/ravi", "password": PASSWORD})).await;
    assert_error(r, 403, "staff_disabled").await;
    // A wrong password learns nothing about the account.
    let r =
        app.post("/v1/auth/login", None, &json!({"login": "IN2710000001/ravi", "password": "not the password"})).await;
    assert_error(r, 401, "unauthorized").await;
    let mut after = app.table_counts().await;
    after.retain(|(t, _)| t != "audit_log");
    let mut before = before;
    before.retain(|(t, _)| t != "audit_log");
    assert_eq!(after, before, "refused calls changed nothing");
    let refusals: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE outcome = 'denied' AND details->>'reason' = 'staff_disabled'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(refusals, 4, "each refusal is logged");
    let sessions: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM sessions WHERE staff_id = $1::uuid AND revoked_reason = 'staff_disabled'",
    )
    .bind(&ravi.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(sessions, 1);

    // Disabling twice is refused; the hospital and its other members carry on.
    let r = app.post(&format!("/v1/hospitals/me/staff/{}/disable", ravi.id), Some(&admin.access), &json!({})).await;
    assert_error(r, 409, "staff_already_disabled").await;
    assert_eq!(app.get("/v1/hospitals/me/staff", Some(&admin.access)).await.status(), 200);
    assert_eq!(app.get("/v1/consents", Some(&hosp)).await.status(), 200);
    let logged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'staff.disable' AND outcome = 'ok' AND target = $1",
    )
    .bind(format!("staff:{}", ravi.id))
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(logged, 1);
}

#[tokio::test]
async fn an_invitation_works_once_until_it_expires() {
    let app = spawn_app().await;
    let (hosp, _) = app.new_hospital("IN2710000001").await;
    let key = Identity::generate(&mut os_rng());
    let (_, code) = invite(&app, &hosp, "Ravi", "clinician").await;
    let (_, code2) = invite(&app, &hosp, "Ravi Two", "clinician").await;
    let (late_id, late) = invite(&app, &hosp, "Late", "records_clerk").await;

    // Bad input: refused, nothing written.
    let before = app.table_counts().await;
    assert_error(accept(&app, "nope-nope", "ravi", &key).await, 404, "invitation_invalid").await;
    assert_error(accept(&app, &code, "R@vi", &key).await, 422, "invalid_username").await;
    let r = app
        .post(
            "/v1/auth/staff-invitations/accept",
            None,
            &json!({"code": code, "username": "ravi", "password": PASSWORD, "public_key": "00".repeat(32)}),
        )
        .await;
    assert_error(r, 422, "invalid_public_key").await;
    let r = app
        .post(
            "/v1/auth/staff-invitations/accept",
            None,
            &json!({"code": code, "username": "ravi", "password": "short", "public_key": hex::encode(key.recipient().0)}),
        )
        .await;
    assert_error(r, 422, "invalid_password").await;
    let mut after = app.table_counts().await;
    after.retain(|(t, _)| t != "audit_log");
    let mut before = before;
    before.retain(|(t, _)| t != "audit_log");
    assert_eq!(after, before);

    // Case and dashes do not matter; the code works once.
    let spelled = code.replace('-', "").to_uppercase();
    assert_eq!(accept(&app, &spelled, "ravi", &key).await.status(), 201);
    assert_error(accept(&app, &code, "ravi2", &key).await, 404, "invitation_invalid").await;
    // A username is one person's in a hospital.
    assert_error(accept(&app, &code2, "Ravi", &key).await, 409, "username_taken").await;
    assert_eq!(accept(&app, &code2, "ravi.two", &key).await.status(), 201);

    // Expired: refused, and it stays unused.
    sqlx::query("UPDATE hospital_staff SET invite_expires_at = now() - interval '1 minute' WHERE id = $1::uuid")
        .bind(&late_id)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_error(accept(&app, &late, "late", &key).await, 410, "invitation_expired").await;
    let status: String = sqlx::query_scalar("SELECT status FROM hospital_staff WHERE id = $1::uuid")
        .bind(&late_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "invited");
    // A disabled invitation cannot be accepted.
    let (pending_id, pending) = invite(&app, &hosp, "Pending", "clinician").await;
    let r = app.post(&format!("/v1/hospitals/me/staff/{pending_id}/disable"), Some(&hosp), &json!({})).await;
    assert_eq!(r.status(), 200);
    assert_error(accept(&app, &pending, "pending", &key).await, 404, "invitation_invalid").await;
    // Bad roles and names are refused.
    let r = app.post("/v1/hospitals/me/staff", Some(&hosp), &json!({"name": "X", "role": "surgeon"})).await;
    assert_error(r, 422, "invalid_role").await;
    let r = app.post("/v1/hospitals/me/staff", Some(&hosp), &json!({"name": "", "role": "clinician"})).await;
    assert_error(r, 422, "invalid_name").await;
}

#[tokio::test]
async fn a_member_of_one_hospital_cannot_touch_another() {
    let app = spawn_app().await;
    let (a, _) = app.new_hospital("IN2710000001").await;
    let (b, _) = app.new_hospital("IN2710000002").await;
    let a_admin = member(&app, &a, "IN2710000001", "asha", "administrator").await;
    let b_admin = member(&app, &b, "IN2710000002", "asha", "administrator").await;
    let a_ravi = member(&app, &a_admin.access, "IN2710000001", "ravi", "clinician").await;

    // B's administrator (and B's API secret) find no member of A's.
    for token in [&b_admin.access, &b] {
        let r = app.post(&format!("/v1/hospitals/me/staff/{}/disable", a_ravi.id), Some(token), &json!({})).await;
        assert_error(r, 404, "not_found").await;
        let body = seal_for(&a_ravi, &[1u8; 64]);
        let r = app.post(&format!("/v1/hospitals/me/staff/{}/keys", a_ravi.id), Some(token), &body).await;
        assert_error(r, 404, "not_found").await;
        let list: Value = app.get("/v1/hospitals/me/staff", Some(token)).await.json().await.unwrap();
        assert!(list.as_array().unwrap().iter().all(|m| m["id"] != a_ravi.id.as_str()));
    }
    // Same username, other hospital: a different account; A's password does not open B's.
    let r = app.post("/v1/auth/login", None, &json!({"login": "IN2710000002/ravi", "password": PASSWORD})).await;
    assert_error(r, 401, "unauthorized").await;
    assert_eq!(app.get("/v1/consents", Some(&a_ravi.access)).await.status(), 200, "A's member untouched");
    let status: String = sqlx::query_scalar("SELECT status FROM hospital_staff WHERE id = $1::uuid")
        .bind(&a_ravi.id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(status, "active");
}

#[tokio::test]
async fn a_member_signs_in_with_a_second_factor_which_the_operator_may_require() {
    use pramana_api::auth::totp;
    let app = spawn_app_with(json!({"auth": {"require_staff_second_factor": true}})).await;
    let (hosp, _) = app.new_hospital("IN2710000001").await;
    // The API secret, a machine client, is not asked for one.
    assert_eq!(app.get("/v1/hospitals/me/staff", Some(&hosp)).await.status(), 200);
    let admin = member(&app, &hosp, "IN2710000001", "asha", "administrator").await;

    // Without one, a member may only enrol.
    let r = app.get("/v1/hospitals/me/staff", Some(&admin.access)).await;
    assert_error(r, 403, "second_factor_enrolment_required").await;
    let status: Value = app.get("/v1/auth/second-factor", Some(&admin.access)).await.json().await.unwrap();
    assert_eq!((status["enabled"].as_bool(), status["required"].as_bool()), (Some(false), Some(true)));
    let setup: Value =
        app.post("/v1/auth/second-factor/setup", Some(&admin.access), &json!({})).await.json().await.unwrap();
    let secret = totp::from_base32(setup["secret"].as_str().unwrap()).unwrap();
    let step = totp::step_at(Utc::now().timestamp());
    let r = app
        .post("/v1/auth/second-factor/enable", Some(&admin.access), &json!({"code": totp::code(&secret, step)}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.get("/v1/hospitals/me/staff", Some(&admin.access)).await.status(), 200);

    // Signing in now takes a code; the session names the member.
    let login = json!({"login": "IN2710000001/asha", "password": PASSWORD});
    let body = assert_error(app.post("/v1/auth/login", None, &login).await, 401, "second_factor_required").await;
    let challenge = body["challenge"].as_str().unwrap();
    let r = app
        .post(
            "/v1/auth/login/second-factor",
            None,
            &json!({"challenge": challenge, "code": totp::code(&secret, step + 1)}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    let me: Value = app.get("/v1/hospitals/me/staff/me", Some(&token)).await.json().await.unwrap();
    assert_eq!(me["id"], admin.id.as_str());
    let logged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_log WHERE action = 'auth.login' AND details->>'second_factor' = 'totp'
            AND details->>'actor_staff_id' = $1",
    )
    .bind(&admin.id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(logged, 1);
}

#[tokio::test]
async fn a_role_change_holds_from_the_next_request_and_bad_changes_change_nothing() {
    let app = spawn_app().await;
    let (hosp, _) = app.new_hospital("IN2710000001").await;
    let admin = member(&app, &hosp, "IN2710000001", "asha", "administrator").await;
    let ravi = member(&app, &admin.access, "IN2710000001", "ravi", "clinician").await;
    let meena = member(&app, &admin.access, "IN2710000001", "meena", "records_clerk").await;
    let content = format!("/v1/documents/{}/content", uuid::Uuid::new_v4());
    let role = |id: &str| format!("/v1/hospitals/me/staff/{id}/role");
    assert_error(app.get(&content, Some(&ravi.access)).await, 404, "not_found").await;

    // Refusals: nothing changes, each is logged.
    let before = app.table_counts().await;
    let r = app.post(&role(&ravi.id), Some(&admin.access), &json!({"role": "superuser"})).await;
    assert_error(r, 422, "invalid_role").await;
    let r = app.post(&role(&admin.id), Some(&admin.access), &json!({"role": "clinician"})).await;
    assert_error(r, 409, "cannot_change_own_role").await;
    let r =
        app.post(&role(&uuid::Uuid::new_v4().to_string()), Some(&admin.access), &json!({"role": "clinician"})).await;
    assert_error(r, 404, "not_found").await;
    let r = app.post(&role(&meena.id), Some(&ravi.access), &json!({"role": "administrator"})).await;
    assert_error(r, 403, "staff_role_forbidden").await;
    let r = app.post(&role(&meena.id), Some(&meena.access), &json!({"role": "administrator"})).await;
    assert_error(r, 403, "staff_role_forbidden").await;
    let mut after = app.table_counts().await;
    after.retain(|(t, _)| t != "audit_log");
    let mut before = before;
    before.retain(|(t, _)| t != "audit_log");
    assert_eq!(after, before, "refused changes changed nothing");
    let denied: i64 =
        sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = 'staff.role' AND outcome = 'denied'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(denied, 3, "the administrator's refused changes are logged (the others as staff.refused)");

    // Ravi becomes a records clerk: his live session stops reaching document content at once.
    let r = app.post(&role(&ravi.id), Some(&admin.access), &json!({"role": "records_clerk"})).await;
    assert_eq!(r.status(), 200);
    let changed: Value = r.json().await.unwrap();
    assert_eq!(changed["role"], "records_clerk");
    assert_error(app.get(&content, Some(&ravi.access)).await, 403, "staff_role_forbidden").await;
    assert_eq!(app.get("/v1/documents", Some(&ravi.access)).await.status(), 200);
    // Meena becomes an administrator through the API-secret session, and can manage staff.
    let r = app.post(&role(&meena.id), Some(&hosp), &json!({"role": "administrator"})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.get("/v1/hospitals/me/staff", Some(&meena.access)).await.status(), 200);
    // The same role again changes nothing and logs nothing.
    let r = app.post(&role(&meena.id), Some(&hosp), &json!({"role": "administrator"})).await;
    assert_eq!(r.status(), 200);
    let logged: Vec<Value> =
        sqlx::query_scalar("SELECT details FROM audit_log WHERE action = 'staff.role' AND outcome = 'ok' ORDER BY seq")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(logged.len(), 2);
    assert_eq!((logged[0]["from"].as_str(), logged[0]["to"].as_str()), (Some("clinician"), Some("records_clerk")));
    assert_eq!(logged[0]["actor_staff_id"].as_str(), Some(admin.id.as_str()), "the administrator is named");

    // A disabled member's role cannot be changed.
    let r = app.post(&format!("/v1/hospitals/me/staff/{}/disable", ravi.id), Some(&admin.access), &json!({})).await;
    assert_eq!(r.status(), 200);
    let r = app.post(&role(&ravi.id), Some(&admin.access), &json!({"role": "clinician"})).await;
    assert_error(r, 409, "staff_already_disabled").await;
}
