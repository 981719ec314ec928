//! Password reset against a real SMTP server: the code goes only to the account's verified
//! address, the answer never says whether an account matched, and a reset restores sign-in only
//! — the registered keys stay as they were (the server holds no private key to give back) and
//! every session ends. The attacks: another account's code, a wrong code, guessing (the code is
//! void after five), an expired code, a replayed code and a flood of requests (three mails an
//! hour) — each refused with a stable code, audited, and the password unchanged.

use chrono::Utc;
use pramana_anchor_worker::Mailer;
use pramana_tests::{PATIENT_PASSWORD, Patient, TestApp, assert_error, spawn_app, spawn_smtp};
use serde_json::{Value, json};

use super::notifications::{settings, verified_email};

const NEW_PASSWORD: &str = "a brand new password for asha";

/// The eight-digit code in a reset mail.
fn code_in(mail: &str) -> String {
    let at = mail.find("reset code is ").expect("the mail states the code") + "reset code is ".len();
    mail[at..at + 8].to_owned()
}

async fn ask(app: &TestApp, login: &str, email: &str) -> reqwest::Response {
    app.post("/v1/auth/password-reset", None, &json!({"login": login, "email": email})).await
}

async fn confirm(app: &TestApp, login: &str, code: &str, password: &str) -> reqwest::Response {
    app.post("/v1/auth/password-reset/confirm", None, &json!({"login": login, "code": code, "password": password}))
        .await
}

async fn login_status(app: &TestApp, login: &str, password: &str) -> u16 {
    let r = app.post("/v1/auth/login", None, &json!({"login": login, "password": password})).await;
    r.status().as_u16()
}

async fn audited(app: &TestApp, patient: &Patient, action: &str, outcome: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE action = $1 AND outcome = $2 AND actor_id = $3::uuid")
        .bind(action)
        .bind(outcome)
        .bind(&patient.id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn keys(app: &TestApp, token: &str) -> Value {
    let r = app.get("/v1/keys", Some(token)).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_reset_restores_sign_in_only_and_ends_every_session() {
    let smtp = spawn_smtp().await.unwrap();
    let app = spawn_app().await;
    let mailer = Mailer::new(app.pool.clone(), &settings(smtp.port)).unwrap();
    let patient = app.new_patient().await;
    let other = app.new_patient().await;
    let email = verified_email(&app, &mailer, &smtp, &patient).await;
    let other_email = verified_email(&app, &mailer, &smtp, &other).await;
    let x25519 = "11".repeat(32);
    assert_eq!(app.post_key(&patient.access, "x25519", &x25519).await.status(), 201);
    let keys_before = keys(&app, &patient.access).await;
    let login = patient.abha.as_digits();

    // Nothing tells an asker whether an account matched: a wrong address, an unknown number and
    // an unverified account all get the same answer, and no mail.
    let mails = smtp.messages().len();
    assert_eq!(ask(&app, login, "someone@else.in").await.status(), 202);
    assert_eq!(ask(&app, "12-3456-7890-1234", &email).await.status(), 202);
    assert_eq!(mailer.step(Utc::now()).await.unwrap().sent, 0);
    assert_eq!(smtp.messages().len(), mails);
    assert_error(ask(&app, login, "not an address").await, 422, "invalid_email").await;
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM password_resets").fetch_one(&app.pool).await.unwrap();
    assert_eq!(pending, 0);

    // The right address (in any letter case) gets a code, and the mail says keys do not come back.
    assert_eq!(ask(&app, login, &email.to_uppercase()).await.status(), 202);
    assert_eq!(ask(&app, other.abha.as_digits(), &other_email).await.status(), 202);
    assert_eq!(mailer.step(Utc::now()).await.unwrap().sent, 2);
    let mails = smtp.messages();
    let reset_to = |to: &str| {
        let to = format!("X-Envelope-To: {to}");
        mails.iter().find(|m| m.contains(&to) && m.contains("reset code is")).expect("a reset mail").clone()
    };
    let (mine, theirs) = (reset_to(&email), reset_to(&other_email));
    assert!(mine.contains("it does not bring back your keys"), "{mine}");
    let (code, other_code) = (code_in(&mine), code_in(&theirs));
    assert_ne!(email, other_email);

    // Another account's code, a wrong one and a weak password change nothing.
    if other_code != code {
        assert_error(confirm(&app, login, &other_code, NEW_PASSWORD).await, 422, "reset_code_invalid").await;
    }
    let wrong = if code == "00000000" { "11111111" } else { "00000000" };
    assert_error(confirm(&app, login, wrong, NEW_PASSWORD).await, 422, "reset_code_invalid").await;
    assert_error(confirm(&app, login, &code, "short").await, 422, "invalid_password").await;
    assert_eq!(login_status(&app, login, PATIENT_PASSWORD).await, 200);

    // The right code sets the password and ends every session, the new one included.
    let r = confirm(&app, login, &code, NEW_PASSWORD).await;
    assert_eq!(r.status(), 204);
    assert_eq!(app.get("/v1/patients/me", Some(&patient.access)).await.status(), 401);
    let r = app.post("/v1/auth/refresh", None, &json!({"refresh_token": patient.refresh})).await;
    assert_eq!(r.status(), 401);
    assert_eq!(login_status(&app, login, PATIENT_PASSWORD).await, 401);
    let (access, _) = app.login(login, NEW_PASSWORD).await;
    // Sign-in only: the keys are the same keys, none retired, none added.
    assert_eq!(keys(&app, &access).await, keys_before);
    // The other account is untouched.
    assert_eq!(app.get("/v1/patients/me", Some(&other.access)).await.status(), 200);

    // The owner is told by mail; the code is spent.
    assert_eq!(mailer.step(Utc::now()).await.unwrap().sent, 1);
    let notice = smtp.messages().last().unwrap().clone();
    assert!(notice.contains("Subject: Your Pramana password was changed"), "{notice}");
    assert!(!notice.contains(&code));
    assert_error(confirm(&app, login, &code, "yet another password here").await, 422, "reset_code_invalid").await;
    assert_eq!(audited(&app, &patient, "auth.password_reset", "ok").await, 1);
    assert!(audited(&app, &patient, "auth.password_reset", "denied").await >= 2);
}

#[tokio::test]
async fn reset_codes_are_void_after_guesses_expire_and_are_rate_limited() {
    let smtp = spawn_smtp().await.unwrap();
    let app = spawn_app().await;
    let mailer = Mailer::new(app.pool.clone(), &settings(smtp.port)).unwrap();
    let patient = app.new_patient().await;
    let email = verified_email(&app, &mailer, &smtp, &patient).await;
    let login = patient.abha.as_digits();
    let next_code = async || {
        assert_eq!(mailer.step(Utc::now()).await.unwrap().sent, 1);
        code_in(smtp.messages().last().unwrap())
    };

    // Five wrong codes void the code: the right one is then refused as expired.
    assert_eq!(ask(&app, login, &email).await.status(), 202);
    let code = next_code().await;
    let wrong = if code == "00000000" { "11111111" } else { "00000000" };
    for _ in 0..5 {
        assert_error(confirm(&app, login, wrong, NEW_PASSWORD).await, 422, "reset_code_invalid").await;
    }
    assert_error(confirm(&app, login, &code, NEW_PASSWORD).await, 422, "reset_code_expired").await;

    // A code past its fifteen minutes is refused.
    assert_eq!(ask(&app, login, &email).await.status(), 202);
    let code = next_code().await;
    sqlx::query("UPDATE password_resets SET expires_at = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_error(confirm(&app, login, &code, NEW_PASSWORD).await, 422, "reset_code_expired").await;

    // Three mails an hour: the fourth request is answered the same, and sends nothing.
    assert_eq!(ask(&app, login, &email).await.status(), 202);
    let code = next_code().await;
    assert_eq!(ask(&app, login, &email).await.status(), 202);
    assert_eq!(mailer.step(Utc::now()).await.unwrap().sent, 0);
    assert_eq!(audited(&app, &patient, "auth.password_reset.request", "denied").await, 1);

    // Through all of it the password never changed; the third code still works.
    assert_eq!(login_status(&app, login, PATIENT_PASSWORD).await, 200);
    assert!(audited(&app, &patient, "auth.password_reset", "denied").await >= 6);
    assert_eq!(confirm(&app, login, &code, NEW_PASSWORD).await.status(), 204);
    assert_eq!(login_status(&app, login, NEW_PASSWORD).await, 200);
}
