//! Notifications to patients against a real SMTP server (aiosmtpd, `pramana_tests::spawn_smtp`):
//! the verification mail carries its code; a consent request becomes an in-portal notification
//! and a mail; a kind switched off sends no mail; a server that is down is retried and the mail
//! arrives once it is up; one patient cannot read or mark another's notifications. The mailer's
//! step is driven with an explicit clock, so no test waits for a backoff.

use chrono::{DateTime, Utc};
use pramana_anchor_worker::Mailer;
use pramana_server::config::{SmtpSettings, SmtpTls};
use pramana_tests::{Patient, TestApp, assert_error, spawn_app, spawn_smtp, spawn_smtp_on};
use serde_json::{Value, json};

use super::consents::{hospital, request};

pub(super) fn settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".to_owned(),
        port,
        tls: SmtpTls::None,
        from: "Pramana <no-reply@pramana.test>".to_owned(),
        username: String::new(),
        password: None,
        portal_url: "https://portal.pramana.test".to_owned(),
        timeout_secs: 5,
        backoff_base_ms: 60_000,
        backoff_cap_secs: 3600,
        max_attempts: 5,
        poll_interval_ms: 10,
    }
}

async fn unread(app: &TestApp, token: &str) -> i64 {
    let r = app.get("/v1/patients/me/notifications/unread", Some(token)).await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["unread"].as_i64().unwrap()
}

async fn list(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app.get("/v1/patients/me/notifications", Some(token)).await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["items"].as_array().unwrap().clone()
}

async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> reqwest::Response {
    app.http.put(app.url(path)).bearer_auth(token).json(body).send().await.unwrap()
}

/// The six-digit code in a verification mail.
fn code_in(mail: &str) -> String {
    let at = mail.find("code is ").expect("the mail states the code") + "code is ".len();
    mail[at..at + 6].to_owned()
}

/// Gives `patient` a verified address through the API and the real mail.
pub(super) async fn verified_email(
    app: &TestApp,
    mailer: &Mailer,
    smtp: &pramana_tests::Smtp,
    patient: &Patient,
) -> String {
    // The id's random end: UUIDv7s made in one millisecond share their start.
    let email = format!("p{}@example.in", &patient.id[patient.id.len() - 12..]);
    let r = put(app, "/v1/patients/me/email", &patient.access, &json!({"email": email})).await;
    assert_eq!(r.status(), 202);
    let before = smtp.messages().len();
    assert_eq!(mailer.step(Utc::now()).await.unwrap().sent, 1);
    let mail = smtp.messages().get(before).cloned().expect("the verification mail arrived");
    let r = app.post("/v1/patients/me/email/verify", Some(&patient.access), &json!({"code": code_in(&mail)})).await;
    assert_eq!(r.status(), 200);
    email
}

#[tokio::test]
async fn the_verification_mail_carries_the_code_and_only_that_code_verifies() {
    let smtp = spawn_smtp().await.unwrap();
    let app = spawn_app().await;
    let mailer = Mailer::new(app.pool.clone(), &settings(smtp.port)).unwrap();
    let patient = app.new_patient().await;

    let r = put(&app, "/v1/patients/me/email", &patient.access, &json!({"email": "not an address"})).await;
    assert_error(r, 422, "invalid_email").await;
    let r = app.post("/v1/patients/me/email/verify", Some(&patient.access), &json!({"code": "123456"})).await;
    assert_error(r, 422, "no_code_pending").await;

    let r = put(&app, "/v1/patients/me/email", &patient.access, &json!({"email": "asha@example.in"})).await;
    assert_eq!(r.status(), 202);
    let view: Value = r.json().await.unwrap();
    assert_eq!(view, json!({"email": "asha@example.in", "verified": false, "code_pending": true}));
    assert_eq!(mailer.step(Utc::now()).await.unwrap().sent, 1);
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("X-Envelope-To: asha@example.in"), "{}", mails[0]);
    assert!(mails[0].contains("https://portal.pramana.test/"), "the mail links to the portal");
    let code = code_in(&mails[0]);
    assert!(code.bytes().all(|b| b.is_ascii_digit()), "{code}");
    // The code is not kept in the outbox once delivered.
    let bodies: Vec<String> = sqlx::query_scalar("SELECT body FROM mail_outbox").fetch_all(&app.pool).await.unwrap();
    assert!(bodies.iter().all(|b| !b.contains(&code)));

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let r = app.post("/v1/patients/me/email/verify", Some(&patient.access), &json!({"code": wrong})).await;
    assert_error(r, 422, "invalid_code").await;
    let r = app.post("/v1/patients/me/email/verify", Some(&patient.access), &json!({"code": code})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["verified"], true);
    // The code is spent.
    let r = app.post("/v1/patients/me/email/verify", Some(&patient.access), &json!({"code": code})).await;
    assert_error(r, 422, "no_code_pending").await;

    // An expired code is refused with its own code, and wrong guesses void a code.
    let r = put(&app, "/v1/patients/me/email", &patient.access, &json!({"email": "asha2@example.in"})).await;
    assert_eq!(r.status(), 202);
    for _ in 0..5 {
        let r = app.post("/v1/patients/me/email/verify", Some(&patient.access), &json!({"code": "abcdef"})).await;
        assert_error(r, 422, "invalid_code").await;
    }
    let r = app.post("/v1/patients/me/email/verify", Some(&patient.access), &json!({"code": "000000"})).await;
    assert_error(r, 422, "code_expired").await;
    let r = put(&app, "/v1/patients/me/email", &patient.access, &json!({"email": "asha3@example.in"})).await;
    assert_eq!(r.status(), 202);
    sqlx::query("UPDATE patient_emails SET code_expires_at = now() - interval '1 minute'")
        .execute(&app.pool)
        .await
        .unwrap();
    let r = app.post("/v1/patients/me/email/verify", Some(&patient.access), &json!({"code": "000000"})).await;
    assert_error(r, 422, "code_expired").await;

    // Codes are rate-limited: five an hour.
    for i in 0..2 {
        let r =
            put(&app, "/v1/patients/me/email", &patient.access, &json!({"email": format!("x{i}@example.in")})).await;
        assert_eq!(r.status(), 202);
    }
    let r = put(&app, "/v1/patients/me/email", &patient.access, &json!({"email": "y@example.in"})).await;
    assert_error(r, 429, "rate_limited").await;
}

#[tokio::test]
async fn a_consent_request_is_a_notification_in_the_portal_and_a_mail() {
    let smtp = spawn_smtp().await.unwrap();
    let app = spawn_app().await;
    let mailer = Mailer::new(app.pool.clone(), &settings(smtp.port)).unwrap();
    let patient = app.new_patient().await;
    let email = verified_email(&app, &mailer, &smtp, &patient).await;
    // Verifying the ABHA number was itself a notification.
    assert_eq!(list(&app, &patient.access).await[0]["kind"], "abha_verified");
    let r = app.post("/v1/patients/me/notifications/read", Some(&patient.access), &json!({})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(unread(&app, &patient.access).await, 0);

    let (hosp, hosp_id) = hospital(&app, "IN2710000001").await;
    let r = app.post("/v1/consents", Some(&hosp), &request(&patient.abha.hyphenated())).await;
    assert_eq!(r.status(), 201);
    let consent: Value = r.json().await.unwrap();
    assert_eq!(unread(&app, &patient.access).await, 1);
    let items = list(&app, &patient.access).await;
    assert_eq!(items[0]["kind"], "consent_requested");
    assert_eq!(items[0]["subject_id"], consent["id"]);
    assert_eq!(items[0]["hospital_name"], "City Hospital");
    assert!(items[0]["read_at"].is_null());
    assert_ne!(hosp_id, "");

    let before = smtp.messages().len();
    assert_eq!(mailer.step(Utc::now()).await.unwrap().sent, 1);
    let mails = smtp.messages();
    assert_eq!(mails.len(), before + 1);
    let mail = &mails[before];
    assert!(mail.contains(&format!("X-Envelope-To: {email}")), "{mail}");
    assert!(mail.contains("Subject: New consent request"), "{mail}");
    assert!(mail.contains("City Hospital"), "{mail}");
    assert!(mail.contains("https://portal.pramana.test/"), "{mail}");
    // No health data: neither the purpose nor the record types.
    for secret in ["CAREMGT", "DiagnosticReport", "Prescription"] {
        assert!(!mail.contains(secret), "the mail names {secret}");
    }

    let id = items[0]["id"].as_str().unwrap();
    let r = app.post(&format!("/v1/patients/me/notifications/{id}/read"), Some(&patient.access), &json!({})).await;
    assert_eq!(r.status(), 200);
    assert!(r.json::<Value>().await.unwrap()["read_at"].is_string());
    assert_eq!(unread(&app, &patient.access).await, 0);

    // Pages, newest first.
    let r = app.get("/v1/patients/me/notifications?limit=1", Some(&patient.access)).await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"][0]["id"], id);
    let next = page["next"].as_str().unwrap();
    let r = app.get(&format!("/v1/patients/me/notifications?limit=1&before={next}"), Some(&patient.access)).await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["items"][0]["kind"], "abha_verified");
    let r = app.get("/v1/patients/me/notifications?limit=0", Some(&patient.access)).await;
    assert_error(r, 422, "invalid_limit").await;
}

#[tokio::test]
async fn a_kind_switched_off_sends_no_mail_but_stays_in_the_portal() {
    let smtp = spawn_smtp().await.unwrap();
    let app = spawn_app().await;
    let mailer = Mailer::new(app.pool.clone(), &settings(smtp.port)).unwrap();
    let patient = app.new_patient().await;
    verified_email(&app, &mailer, &smtp, &patient).await;

    let path = "/v1/patients/me/notifications/preferences";
    let r = put(&app, path, &patient.access, &json!({"email": {"new_device": false}})).await;
    assert_error(r, 422, "invalid_kind").await;
    let r = put(&app, path, &patient.access, &json!({"email": {"consent_requested": false}})).await;
    assert_eq!(r.status(), 200);
    let prefs: Value = r.json().await.unwrap();
    assert_eq!(prefs["email"]["consent_requested"], false);
    assert_eq!(prefs["email"]["document_added"], true);
    let r = app.get(path, Some(&patient.access)).await;
    assert_eq!(r.json::<Value>().await.unwrap(), prefs);

    let before = smtp.messages().len();
    let (hosp, _) = hospital(&app, "IN2710000002").await;
    let r = app.post("/v1/consents", Some(&hosp), &request(&patient.abha.hyphenated())).await;
    assert_eq!(r.status(), 201);
    assert_eq!(list(&app, &patient.access).await[0]["kind"], "consent_requested");
    assert_eq!(mailer.step(Utc::now()).await.unwrap().sent, 0);
    assert_eq!(smtp.messages().len(), before, "no mail for a kind switched off");
    let queued: i64 = sqlx::query_scalar("SELECT count(*) FROM mail_outbox WHERE kind = 'consent_requested'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(queued, 0);
}

#[tokio::test]
async fn mail_to_a_server_that_is_down_is_retried_and_arrives_once_it_is_up() {
    let app = spawn_app().await;
    let port = pramana_tests::free_port().unwrap();
    let mailer = Mailer::new(app.pool.clone(), &settings(port)).unwrap();
    let patient = app.new_patient().await;
    // A verified address, set directly: the server that would carry the code is down.
    sqlx::query("INSERT INTO patient_emails (patient_id, email, verified_at, updated_at) VALUES ($1::uuid, 'down@example.in', now(), now())")
        .bind(&patient.id)
        .execute(&app.pool)
        .await
        .unwrap();
    let (hosp, _) = hospital(&app, "IN2710000003").await;
    let r = app.post("/v1/consents", Some(&hosp), &request(&patient.abha.hyphenated())).await;
    assert_eq!(r.status(), 201);

    let now = Utc::now();
    let step = mailer.step(now).await.unwrap();
    assert_eq!((step.sent, step.retrying), (0, 1));
    let (retry_at, error): (DateTime<Utc>, Option<String>) =
        sqlx::query_as("SELECT next_attempt_at, last_error FROM mail_outbox WHERE state = 'pending'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(retry_at > now);
    assert_eq!(error.as_deref(), Some("connect_failed"));

    let smtp = spawn_smtp_on(port).await.unwrap();
    assert_eq!(mailer.step(now).await.unwrap().sent, 0, "not due before its retry time");
    assert_eq!(mailer.step(retry_at).await.unwrap().sent, 1);
    let mails = smtp.messages();
    assert_eq!(mails.len(), 1);
    assert!(mails[0].contains("X-Envelope-To: down@example.in"));
    assert!(mails[0].contains("Subject: New consent request"));
    let state: String = sqlx::query_scalar("SELECT state FROM mail_outbox").fetch_one(&app.pool).await.unwrap();
    assert_eq!(state, "delivered");
    assert_eq!(mailer.step(retry_at + chrono::Duration::days(1)).await.unwrap().sent, 0, "sent once");
}

#[tokio::test]
async fn a_patient_cannot_read_or_mark_another_patients_notifications() {
    let app = spawn_app().await;
    let asha = app.new_patient().await;
    let ravi = app.new_patient().await;
    let (hosp, _) = hospital(&app, "IN2710000004").await;
    let r = app.post("/v1/consents", Some(&hosp), &request(&asha.abha.hyphenated())).await;
    assert_eq!(r.status(), 201);
    let mine = list(&app, &asha.access).await;
    let id = mine[0]["id"].as_str().unwrap();
    let unread_before = unread(&app, &asha.access).await;

    // Ravi's list and count hold only his own; marking Asha's is a 404, as for an unknown id.
    let theirs = list(&app, &ravi.access).await;
    assert!(theirs.iter().all(|n| n["id"] != id));
    let r = app.post(&format!("/v1/patients/me/notifications/{id}/read"), Some(&ravi.access), &json!({})).await;
    assert_error(r, 404, "not_found").await;
    let r = app.post("/v1/patients/me/notifications/read", Some(&ravi.access), &json!({})).await;
    assert_eq!(r.status(), 200);
    // Asha's paging cursor used by Ravi shows him nothing of hers.
    let r = app.get(&format!("/v1/patients/me/notifications?before={id}"), Some(&ravi.access)).await;
    assert_eq!(r.json::<Value>().await.unwrap()["items"], json!([]));
    assert_eq!(unread(&app, &asha.access).await, unread_before, "Asha's stay unread");

    // A hospital has no notifications to read.
    let r = app.get("/v1/patients/me/notifications", Some(&hosp)).await;
    assert_error(r, 403, "forbidden").await;
}
