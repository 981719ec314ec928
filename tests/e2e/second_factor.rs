//! The second factor (TOTP): enrolment, sign-in with a code or a recovery code, and the attacks
//! on it — a wrong code, a replayed code, a used recovery code, an expired or used challenge,
//! guessing (locked after five wrong codes) — each refused with a stable code, audited, nothing
//! changed; and the operator setting that requires operators to have one.

use pramana_api::auth::totp;
use pramana_tests::{ADMIN_PASSWORD, PATIENT_PASSWORD, TestApp, assert_error, spawn_app, spawn_app_with};
use serde_json::{Value, json};

fn now_step() -> i64 {
    totp::step_at(chrono::Utc::now().timestamp())
}

/// A 6-digit code that is no code of the steps around now.
fn wrong_code(secret: &[u8]) -> String {
    let s = now_step();
    let near: Vec<String> = (s - 2..=s + 2).map(|st| totp::code(secret, st)).collect();
    (0..).map(|i| format!("{:06}", 123_456 + i)).find(|c| !near.contains(c)).unwrap()
}

/// Starts and confirms enrolment for `token`: (secret, recovery codes, the step used).
async fn enrol(app: &TestApp, token: &str) -> (Vec<u8>, Vec<String>, i64) {
    let r = app.post("/v1/auth/second-factor/setup", Some(token), &json!({})).await;
    assert_eq!(r.status(), 200);
    let setup: Value = r.json().await.unwrap();
    let secret = totp::from_base32(setup["secret"].as_str().unwrap()).unwrap();
    assert_eq!(secret.len(), 20);
    let uri = setup["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Pramana:") && uri.contains("&digits=6&period=30"), "{uri}");
    let step = now_step();
    let r = app.post("/v1/auth/second-factor/enable", Some(token), &json!({"code": totp::code(&secret, step)})).await;
    assert_eq!(r.status(), 200);
    let codes: Value = r.json().await.unwrap();
    let codes: Vec<String> =
        codes["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 10);
    (secret, codes, step)
}

/// A password login that must ask for the second factor: its challenge.
async fn challenge(app: &TestApp, login: &str, password: &str) -> String {
    let r = app.post("/v1/auth/login", None, &json!({"login": login, "password": password})).await;
    let body = assert_error(r, 401, "second_factor_required").await;
    assert!(body.get("refresh_token").is_none() && body.get("access_token").is_none());
    body["challenge"].as_str().unwrap().to_owned()
}

async fn second_step(app: &TestApp, challenge: &str, code: &str) -> reqwest::Response {
    app.post("/v1/auth/login/second-factor", None, &json!({"challenge": challenge, "code": code})).await
}

async fn status(app: &TestApp, token: &str) -> Value {
    let r = app.get("/v1/auth/second-factor", Some(token)).await;
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

#[tokio::test]
async fn a_patient_enrols_and_signs_in_with_a_code_and_a_wrong_or_replayed_code_is_refused() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let login = patient.abha.as_digits();
    assert_eq!(status(&app, &patient.access).await["enabled"], false);

    // Enrolment needs a right first code; a wrong one changes nothing.
    let r = app.post("/v1/auth/second-factor/enable", Some(&patient.access), &json!({"code": "123456"})).await;
    assert_error(r, 409, "second_factor_not_started").await;
    let r = app.post("/v1/auth/second-factor/setup", Some(&patient.access), &json!({})).await;
    let setup: Value = r.json().await.unwrap();
    let secret = totp::from_base32(setup["secret"].as_str().unwrap()).unwrap();
    let r =
        app.post("/v1/auth/second-factor/enable", Some(&patient.access), &json!({"code": wrong_code(&secret)})).await;
    assert_error(r, 422, "second_factor_invalid").await;
    let s = status(&app, &patient.access).await;
    assert_eq!((s["enabled"].clone(), s["pending"].clone()), (json!(false), json!(true)));
    // Still a plain password login.
    app.login(login, PATIENT_PASSWORD).await;

    let (secret, _codes, step) = enrol(&app, &patient.access).await;
    let s = status(&app, &patient.access).await;
    assert_eq!((s["enabled"].clone(), s["recovery_codes_left"].clone()), (json!(true), json!(10)));
    let r = app.post("/v1/auth/second-factor/setup", Some(&patient.access), &json!({})).await;
    assert_error(r, 409, "second_factor_already_enabled").await;

    // The password alone no longer opens a session.
    let sessions_before: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions").fetch_one(&app.pool).await.unwrap();
    let ch = challenge(&app, login, PATIENT_PASSWORD).await;
    let r = second_step(&app, &ch, &wrong_code(&secret)).await;
    assert_error(r, 401, "second_factor_invalid").await;
    // The enrolment's own code is spent (its step is remembered).
    let r = second_step(&app, &ch, &totp::code(&secret, step)).await;
    assert_error(r, 401, "second_factor_replayed").await;
    let sessions_after: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions").fetch_one(&app.pool).await.unwrap();
    assert_eq!(sessions_before, sessions_after, "no session opened by a refused code");

    // The next step's code (one step of skew) opens the session, with the cookie mode too.
    let next = totp::code(&secret, step + 1);
    let r = app
        .post("/v1/auth/login/second-factor", None, &json!({"challenge": ch, "code": next, "refresh_cookie": true}))
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.headers().get_all("set-cookie").iter().count() >= 2);
    let tokens: Value = r.json().await.unwrap();
    assert_eq!(tokens["role"], "patient");
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(status(&app, access).await["enabled"], true);

    // The challenge is used up; the same code with a fresh challenge is a replay.
    assert_error(second_step(&app, &ch, &next).await, 401, "challenge_invalid").await;
    let ch2 = challenge(&app, login, PATIENT_PASSWORD).await;
    assert_error(second_step(&app, &ch2, &next).await, 401, "second_factor_replayed").await;
    assert_eq!(
        denied(&app, "auth.login_second_factor").await,
        ["second_factor_invalid", "second_factor_replayed", "challenge_invalid", "second_factor_replayed"]
    );
    assert_eq!(denied(&app, "auth.second_factor.enable").await, ["second_factor_invalid"]);
    let logins: Vec<Value> =
        sqlx::query_scalar("SELECT details FROM audit_log WHERE action = 'auth.login' ORDER BY seq DESC LIMIT 1")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert_eq!(logins[0]["second_factor"], "totp");
}

#[tokio::test]
async fn a_recovery_code_works_once_and_regenerating_replaces_them() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let login = patient.abha.as_digits();
    let (secret, codes, step) = enrol(&app, &patient.access).await;

    let ch = challenge(&app, login, PATIENT_PASSWORD).await;
    let r = second_step(&app, &ch, &codes[0].to_uppercase()).await;
    assert_eq!(r.status(), 200, "case does not matter");
    let tokens: Value = r.json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    assert_eq!(status(&app, &access).await["recovery_codes_left"], 9);

    let ch = challenge(&app, login, PATIENT_PASSWORD).await;
    assert_error(second_step(&app, &ch, &codes[0]).await, 401, "recovery_code_used").await;
    assert_eq!(denied(&app, "auth.login_second_factor").await, ["recovery_code_used"]);

    // New codes need a current code; the old ones stop working.
    let r =
        app.post("/v1/auth/second-factor/recovery-codes", Some(&access), &json!({"code": wrong_code(&secret)})).await;
    assert_error(r, 422, "second_factor_invalid").await;
    assert_eq!(status(&app, &access).await["recovery_codes_left"], 9, "nothing changed");
    let r = app
        .post("/v1/auth/second-factor/recovery-codes", Some(&access), &json!({"code": totp::code(&secret, step + 1)}))
        .await;
    assert_eq!(r.status(), 200);
    let fresh: Value = r.json().await.unwrap();
    let fresh: Vec<String> =
        fresh["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(fresh.len(), 10);
    assert!(fresh.iter().all(|c| !codes.contains(c)));
    assert_error(second_step(&app, &ch, &codes[1]).await, 401, "second_factor_invalid").await;
    assert_eq!(second_step(&app, &ch, &fresh[3]).await.status(), 200);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM recovery_codes WHERE code_hash = sha256($1::bytea)")
        .bind(fresh[4].replace('-', "").into_bytes())
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(stored, 1, "only a hash is stored");
    let plain: i64 =
        sqlx::query_scalar("SELECT count(*) FROM recovery_codes WHERE position($1::bytea in code_hash) > 0")
            .bind(fresh[4].as_bytes())
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(plain, 0);
}

#[tokio::test]
async fn five_wrong_codes_lock_the_second_factor_even_for_the_right_code() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let login = patient.abha.as_digits();
    let (secret, codes, step) = enrol(&app, &patient.access).await;
    let ch = challenge(&app, login, PATIENT_PASSWORD).await;
    for _ in 0..5 {
        assert_error(second_step(&app, &ch, &wrong_code(&secret)).await, 401, "second_factor_invalid").await;
    }
    let r = second_step(&app, &ch, &totp::code(&secret, step + 1)).await;
    let retry: u64 = r.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=300).contains(&retry), "{retry}");
    assert_error(r, 429, "rate_limited").await;
    // A recovery code too, and a fresh challenge does not help.
    let ch = challenge(&app, login, PATIENT_PASSWORD).await;
    assert_error(second_step(&app, &ch, &codes[0]).await, 429, "rate_limited").await;
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM recovery_codes WHERE used_at IS NULL")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(left, 10, "a locked factor spends no recovery code");
    let reasons = denied(&app, "auth.login_second_factor").await;
    assert_eq!(reasons.iter().filter(|r| *r == "locked").count(), 2);

    // When the lock has passed, the right code works.
    sqlx::query("UPDATE second_factor_attempts SET locked_until = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(second_step(&app, &ch, &totp::code(&secret, step + 1)).await.status(), 200);
}

#[tokio::test]
async fn an_expired_or_unknown_challenge_is_refused() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let login = patient.abha.as_digits();
    let (secret, _, step) = enrol(&app, &patient.access).await;
    let ch = challenge(&app, login, PATIENT_PASSWORD).await;
    sqlx::query("UPDATE login_challenges SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    let code = totp::code(&secret, step + 1);
    assert_error(second_step(&app, &ch, &code).await, 401, "challenge_invalid").await;
    assert_error(second_step(&app, "not-a-challenge", &code).await, 401, "challenge_invalid").await;
    // The code was not spent by the refusals.
    let ch = challenge(&app, login, PATIENT_PASSWORD).await;
    assert_eq!(second_step(&app, &ch, &code).await.status(), 200);
}

#[tokio::test]
async fn turning_it_off_takes_a_right_code_and_then_the_password_alone_signs_in() {
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let login = patient.abha.as_digits();
    let (secret, codes, step) = enrol(&app, &patient.access).await;
    let r =
        app.post("/v1/auth/second-factor/disable", Some(&patient.access), &json!({"code": wrong_code(&secret)})).await;
    assert_error(r, 422, "second_factor_invalid").await;
    let r = app
        .post("/v1/auth/second-factor/disable", Some(&patient.access), &json!({"code": totp::code(&secret, step)}))
        .await;
    assert_error(r, 422, "second_factor_replayed").await;
    assert_eq!(status(&app, &patient.access).await["enabled"], true, "nothing changed");
    challenge(&app, login, PATIENT_PASSWORD).await;

    // A recovery code also turns it off (a lost phone).
    let r = app.post("/v1/auth/second-factor/disable", Some(&patient.access), &json!({"code": codes[2]})).await;
    assert_eq!(r.status(), 204);
    let s = status(&app, &patient.access).await;
    assert_eq!((s["enabled"].clone(), s["recovery_codes_left"].clone()), (json!(false), json!(0)));
    app.login(login, PATIENT_PASSWORD).await;
    let r = app.post("/v1/auth/second-factor/disable", Some(&patient.access), &json!({"code": "123456"})).await;
    assert_error(r, 409, "second_factor_not_enabled").await;
}

#[tokio::test]
async fn hospitals_stay_single_factor_and_auditors_may_enrol() {
    let app = spawn_app().await;
    let (hospital, _) = app.new_hospital("IN2710000001").await;
    let r = app.post("/v1/auth/second-factor/setup", Some(&hospital), &json!({})).await;
    assert_error(r, 403, "forbidden").await;
    let auditor = app.new_auditor("audit.one").await;
    enrol(&app, &auditor).await;
    challenge(&app, "audit.one", &app.password_of(&auditor)).await;
}

#[tokio::test]
async fn the_operator_setting_lets_an_operator_without_a_second_factor_only_enrol() {
    let app = spawn_app_with(json!({"auth": {"require_operator_second_factor": true}})).await;
    let patient = app.new_claimed_patient().await;
    // Patients are not bound by it.
    assert_eq!(app.get("/v1/patients/me", Some(&patient.access)).await.status(), 200);

    let (admin, _) = app.login("admin", ADMIN_PASSWORD).await;
    assert_error(app.get("/v1/admin/hospitals", Some(&admin)).await, 403, "second_factor_enrolment_required").await;
    let r = app.post("/v1/admin/hospitals", Some(&admin), &json!({"hfr_id": "IN2710000001", "name": "City"})).await;
    assert_error(r, 403, "second_factor_enrolment_required").await;
    let hospitals: i64 = sqlx::query_scalar("SELECT count(*) FROM hospitals").fetch_one(&app.pool).await.unwrap();
    assert_eq!(hospitals, 0);
    assert_eq!(status(&app, &admin).await["required"], true);

    let (secret, _, step) = enrol(&app, &admin).await;
    assert_eq!(app.get("/v1/admin/hospitals", Some(&admin)).await.status(), 200);
    let ch = challenge(&app, "admin", ADMIN_PASSWORD).await;
    let r = second_step(&app, &ch, &totp::code(&secret, step + 1)).await;
    assert_eq!(r.status(), 200);
    let tokens: Value = r.json().await.unwrap();
    let fresh = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.get("/v1/admin/hospitals", Some(fresh)).await.status(), 200);
    // Signing out works either way.
    assert_eq!(app.post("/v1/auth/logout", Some(fresh), &json!({})).await.status(), 204);
}

/// The credential row of a patient's TOTP.
async fn stored_secret(app: &TestApp, patient_id: &str) -> (uuid::Uuid, Vec<u8>) {
    sqlx::query_as(
        "SELECT t.credential_id, t.secret FROM credential_totp t JOIN credentials c ON c.id = t.credential_id
          WHERE c.role = 'patient' AND c.subject_id = $1::uuid",
    )
    .bind(patient_id)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn totp_secrets_are_sealed_at_rest_and_one_moved_to_another_account_does_not_open() {
    use pramana_server::store::second_factor::{SEALED_LEN, SecretSeal, seal_plain_secrets};
    let app = spawn_app().await;
    let victim = app.new_patient().await;
    let attacker = app.new_patient().await;
    let (secret, codes, step) = enrol(&app, &victim.access).await;
    let (attacker_secret, _, _) = enrol(&app, &attacker.access).await;

    // What the database holds is sealed: 49 bytes, not the secret.
    let (victim_cred, sealed) = stored_secret(&app, &victim.id).await;
    assert_eq!(sealed.len(), SEALED_LEN);
    assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_slice()), "the secret is not stored in the clear");

    // Someone who can write the database copies the attacker's sealed secret (whose codes the
    // attacker knows) into the victim's row: it does not open there, and signs nobody in.
    let (_, attacker_sealed) = stored_secret(&app, &attacker.id).await;
    sqlx::query("UPDATE credential_totp SET secret = $2 WHERE credential_id = $1")
        .bind(victim_cred)
        .bind(&attacker_sealed)
        .execute(&app.pool)
        .await
        .unwrap();
    let sessions_before: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions").fetch_one(&app.pool).await.unwrap();
    let login = victim.abha.as_digits();
    let c = challenge(&app, login, PATIENT_PASSWORD).await;
    let r = second_step(&app, &c, &totp::code(&attacker_secret, now_step())).await;
    assert_eq!(r.status(), 500, "a secret sealed for another credential is a server fault, never a session");
    let sessions_after: i64 = sqlx::query_scalar("SELECT count(*) FROM sessions").fetch_one(&app.pool).await.unwrap();
    assert_eq!(sessions_after, sessions_before);

    // A secret stored in the clear by an earlier version still works, and start-up seals it.
    sqlx::query("UPDATE credential_totp SET secret = $2 WHERE credential_id = $1")
        .bind(victim_cred)
        .bind(&secret)
        .execute(&app.pool)
        .await
        .unwrap();
    let c = challenge(&app, login, PATIENT_PASSWORD).await;
    assert_eq!(second_step(&app, &c, &totp::code(&secret, step + 1)).await.status(), 200);
    let sealed_now =
        seal_plain_secrets(&app.pool, &SecretSeal::from_key_material(pramana_tests::JWT_SECRET.as_bytes()))
            .await
            .unwrap();
    assert_eq!(sealed_now, 1);
    assert_eq!(stored_secret(&app, &victim.id).await.1.len(), SEALED_LEN);
    let c = challenge(&app, login, PATIENT_PASSWORD).await;
    assert_eq!(second_step(&app, &c, &codes[0]).await.status(), 200, "the sealed secret opens again");
}
