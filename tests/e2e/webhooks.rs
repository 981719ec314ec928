//! Signed consent webhooks: a hospital registers an endpoint and gets a secret once; grants,
//! revocations, denials and expiries reach a real local HTTP receiver, signed as docs/webhooks.md
//! says (checked here with an independent HMAC); failed deliveries are retried on a growing
//! schedule and logged; several deliverers never send one attempt twice; roles, URLs and
//! hospitals' logs are kept apart. The deliverer's step is driven with an explicit clock, so no
//! test waits for a backoff.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use alloy::primitives::Address;
use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use pramana_anchor_worker::{Deliverer, DeliveryStep};
use pramana_core::HiType;
use pramana_core::chain::eip712::ConsentSigner;
use pramana_server::config::WebhookSettings;
use pramana_tests::{Patient, TestApp, assert_error, register_x25519, spawn_app, spawn_app_with};
use serde_json::{Value, json};

use super::consents::grants::{CONTRACT, register_eth, sign_grant, sign_revoke};
use super::consents::request;

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    event_id: String,
    event_type: String,
    signature: String,
    body: Vec<u8>,
}

/// A local webhook endpoint that records every request and answers with the scripted
/// statuses in turn, then 200.
#[derive(Debug, Clone)]
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

async fn spawn_receiver(script: &[u16]) -> Receiver {
    let got = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(Mutex::new(script.iter().copied().collect::<VecDeque<u16>>()));
    let (log, answers) = (got.clone(), script);
    let handler = move |headers: axum::http::HeaderMap, body: axum::body::Bytes| {
        let (log, answers) = (log.clone(), answers.clone());
        async move {
            let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
            log.lock().unwrap().push(Received {
                event_id: h("pramana-event-id"),
                event_type: h("pramana-event-type"),
                signature: h("pramana-signature"),
                body: body.to_vec(),
            });
            let status = answers.lock().unwrap().pop_front().unwrap_or(200);
            axum::http::StatusCode::from_u16(status).unwrap()
        }
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks/pramana", listener.local_addr().unwrap());
    let router = axum::Router::new().route("/hooks/pramana", axum::routing::post(handler));
    tokio::spawn(async move { axum::serve(listener, router).await });
    Receiver { url, got }
}

/// Verifies `Pramana-Signature: t=<t>,v1=<hex>` exactly as docs/webhooks.md tells receivers
/// to: HMAC-SHA256 keyed with the whole secret over `"<t>.<raw body>"`. Returns `t`.
fn verify_signature(secret: &str, header: &str, body: &[u8]) -> i64 {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = Some(v.to_owned()),
            Some(("v1", v)) => v1 = Some(v.to_owned()),
            _ => {}
        }
    }
    let (t, v1) = (t.expect("t in the signature header"), v1.expect("v1 in the signature header"));
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&hex::decode(v1).expect("hex signature")).expect("the signature verifies with the secret");
    t.parse().unwrap()
}

fn settings(max_attempts: u32) -> WebhookSettings {
    WebhookSettings {
        allow_http: true,
        timeout_secs: 5,
        backoff_base_ms: 1000,
        backoff_cap_secs: 3600,
        max_attempts,
        concurrency: 8,
        poll_interval_ms: 10,
    }
}

fn deliverer(app: &TestApp) -> Deliverer {
    Deliverer::new(app.pool.clone(), &settings(20)).unwrap()
}

/// Sets the hospital's endpoint; returns the secret.
async fn set_webhook(app: &TestApp, token: &str, url: &str) -> String {
    let r = app.http.put(app.url("/v1/hospitals/me/webhook")).bearer_auth(token).json(&json!({"url": url}));
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["url"], url);
    let secret = body["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_") && secret.len() >= 6 + 43, "{secret}");
    secret
}

async fn deliveries(app: &TestApp, token: &str) -> Value {
    let r = app.get("/v1/hospitals/me/webhook/deliveries", Some(token)).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn next_attempt_at(app: &TestApp) -> DateTime<Utc> {
    sqlx::query_scalar("SELECT next_attempt_at FROM webhook_events WHERE state = 'pending'")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// An app that accepts signed grants (the contract's address is only the EIP-712 domain here)
/// and http:// endpoints; a patient and a hospital, both with keys, and the hospital's request.
struct Granting {
    app: TestApp,
    patient: Patient,
    signer: ConsentSigner,
    hosp: String,
    consent: Value,
}

async fn granting() -> Granting {
    let app = spawn_app_with(json!({"chain": {"contract_address": CONTRACT}, "webhooks": {"allow_http": true}})).await;
    let patient = app.new_patient().await;
    let signer = ConsentSigner::random();
    register_eth(&app, &patient.access, signer.address()).await;
    let (hosp, _) = app.new_hospital("IN2710000001").await;
    register_eth(&app, &hosp, Address::repeat_byte(0x42)).await;
    register_x25519(&app, &hosp).await;
    let consent: Value =
        app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
    Granting { app, patient, signer, hosp, consent }
}

impl Granting {
    async fn grant(&self) {
        let now = Utc::now().timestamp() as u64;
        let body =
            sign_grant(&self.signer, &self.consent, Address::repeat_byte(0x42), &[HiType::DiagnosticReport], now);
        let r = self.app.post(&format!("/v1/consents/{}/grant", self.id()), Some(&self.patient.access), &body).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }

    async fn revoke(&self) {
        let body = sign_revoke(&self.signer, &self.consent, Utc::now().timestamp() as u64);
        let r = self.app.post(&format!("/v1/consents/{}/revoke", self.id()), Some(&self.patient.access), &body).await;
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }

    /// The grant's `data_erase_at` as stored (microseconds).
    async fn stored_erase_at(&self) -> DateTime<Utc> {
        sqlx::query_scalar("SELECT data_erase_at FROM consents WHERE id = $1::uuid")
            .bind(self.id())
            .fetch_one(&self.app.pool)
            .await
            .unwrap()
    }

    fn id(&self) -> &str {
        self.consent["id"].as_str().unwrap()
    }
}

#[tokio::test]
async fn a_grant_is_delivered_signed_retried_until_accepted_and_a_revocation_follows() {
    let g = granting().await;
    let app = &g.app;
    let receiver = spawn_receiver(&[500, 500]).await;
    let secret = set_webhook(app, &g.hosp, &receiver.url).await;
    let shown: Value = app.get("/v1/hospitals/me/webhook", Some(&g.hosp)).await.json().await.unwrap();
    assert_eq!(shown["url"], receiver.url);
    assert!(shown.get("secret").is_none(), "the secret is shown only once: {shown}");

    g.grant().await;
    let (d1, d2) = (deliverer(app), deliverer(app));

    // Two deliverers step at the same instant: the one due event goes out once.
    let now = Utc::now();
    let (a, b) = tokio::join!(d1.step(now), d2.step(now));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.retrying + b.retrying, 1, "{a:?} {b:?}");
    assert_eq!(receiver.got().len(), 1);
    let t1 = next_attempt_at(app).await;
    assert!(t1 > now, "the retry is scheduled later");
    // Not due yet: nothing is sent.
    assert_eq!(d1.step(now).await.unwrap(), DeliveryStep::default());
    assert_eq!(receiver.got().len(), 1);

    assert_eq!(d1.step(t1).await.unwrap().retrying, 1);
    let t2 = next_attempt_at(app).await;
    assert!(t2 > t1, "backoff grows");
    assert!(t2 - t1 > t1 - now, "the second delay is longer than the first (doubling, jitter in the upper half)");
    assert_eq!(d2.step(t2).await.unwrap().delivered, 1);
    assert_eq!(d1.step(t2 + Duration::hours(1)).await.unwrap(), DeliveryStep::default(), "delivered is final");

    let got = receiver.got();
    assert_eq!(got.len(), 3);
    let times: Vec<i64> = got.iter().map(|r| verify_signature(&secret, &r.signature, &r.body)).collect();
    assert_eq!(times, [now.timestamp(), t1.timestamp(), t2.timestamp()], "t is the time of sending");
    for r in &got {
        assert_eq!(r.event_type, "consent.granted");
        assert_eq!(r.event_id, got[0].event_id, "retries carry the same event id");
        assert_eq!(r.body, got[0].body, "and the same body");
    }
    let body: Value = serde_json::from_slice(&got[0].body).unwrap();
    assert_eq!(body["id"], got[0].event_id);
    assert_eq!(body["type"], "consent.granted");
    let c = &body["consent"];
    assert_eq!(c["id"], g.id());
    assert_eq!(c["status"], "GRANTED");
    assert_eq!(c["hi_types"], json!(["DiagnosticReport"]), "the granted (narrowed) scope");
    assert_eq!(c["date_range"], json!({"from": "2025-01-01", "to": "2026-01-31"}));
    assert_eq!(c["chain_consent_id"], g.consent["chain_consent_id"]);
    let erase: DateTime<Utc> = c["data_erase_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(erase, g.stored_erase_at().await);
    assert!(body.get("patient_id").is_none() && c.get("patient_abha_number").is_none(), "no personal data");

    // The delivery log: three attempts, the first two answered 500.
    let log = deliveries(app, &g.hosp).await;
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(log[0]["event_id"], got[0].event_id);
    assert_eq!(log[0]["event_type"], "consent.granted");
    assert_eq!(log[0]["state"], "delivered");
    assert_eq!(log[0]["attempts"], 3);
    assert!(log[0]["next_attempt_at"].is_null());
    assert!(log[0]["delivered_at"].is_string());
    let attempts = log[0]["attempt_log"].as_array().unwrap();
    let statuses: Vec<&Value> = attempts.iter().map(|a| &a["status_code"]).collect();
    assert_eq!(statuses, [&json!(500), &json!(500), &json!(200)]);
    let starts: Vec<DateTime<Utc>> =
        attempts.iter().map(|a| a["started_at"].as_str().unwrap().parse().unwrap()).collect();
    assert!(starts[0] < starts[1] && starts[1] < starts[2]);
    let outcomes: Vec<&Value> = attempts.iter().map(|a| &a["outcome"]).collect();
    assert_eq!(outcomes, [&json!("http_error"), &json!("http_error"), &json!("delivered")]);
    for a in attempts {
        let ms = a["duration_ms"].as_i64().unwrap();
        assert_eq!(ms % 1000, 0, "durations are shown in whole seconds: {a}");
        assert!(a.get("error").is_none(), "no error text: {a}");
    }

    // A revocation follows the same way.
    g.revoke().await;
    assert_eq!(d1.step(Utc::now()).await.unwrap().delivered, 1);
    let got = receiver.got();
    let last = got.last().unwrap();
    assert_eq!(last.event_type, "consent.revoked");
    verify_signature(&secret, &last.signature, &last.body);
    let body: Value = serde_json::from_slice(&last.body).unwrap();
    assert_eq!(body["consent"]["status"], "REVOKED");
    let log = deliveries(app, &g.hosp).await;
    assert_eq!(log[0]["event_type"], "consent.revoked", "newest first");
    assert_eq!(log[1]["event_type"], "consent.granted");
}

#[tokio::test]
async fn an_expiry_is_announced_exactly_once() {
    let g = granting().await;
    let app = &g.app;
    let receiver = spawn_receiver(&[]).await;
    let secret = set_webhook(app, &g.hosp, &receiver.url).await;
    g.grant().await;
    let (d1, d2) = (deliverer(app), deliverer(app));
    assert_eq!(d1.step(Utc::now()).await.unwrap().delivered, 1);

    // After data_erase_at, two deliverers scan at once: one event, one delivery.
    let erase = g.stored_erase_at().await;
    let later = erase + Duration::seconds(1);
    let (a, b) = tokio::join!(d1.step(later), d2.step(later));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.expired_recorded + b.expired_recorded, 1, "{a:?} {b:?}");
    for _ in 0..3 {
        d1.step(later + Duration::days(1)).await.unwrap();
        d2.step(later + Duration::days(2)).await.unwrap();
    }
    let got = receiver.got();
    let types: Vec<&str> = got.iter().map(|r| r.event_type.as_str()).collect();
    assert_eq!(types, ["consent.granted", "consent.expired"]);
    let expired = &got[1];
    verify_signature(&secret, &expired.signature, &expired.body);
    let body: Value = serde_json::from_slice(&expired.body).unwrap();
    assert_eq!(body["consent"]["status"], "EXPIRED");
    let occurred: DateTime<Utc> = body["occurred_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(occurred, erase, "an expiry happened at data_erase_at");
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_events WHERE event_type = 'consent.expired'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(n, 1);
}

#[tokio::test]
async fn without_a_webhook_nothing_is_recorded_and_only_hospitals_set_valid_urls() {
    // Production defaults: https only.
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let (hosp, _) = app.new_hospital("IN2710000001").await;
    let c: Value =
        app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
    let deny = format!("/v1/consents/{}/deny", c["id"].as_str().unwrap());
    assert_eq!(app.post(&deny, Some(&patient.access), &json!({})).await.status(), 200);
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM webhook_events").fetch_one(&app.pool).await.unwrap();
    assert_eq!(events, 0, "no endpoint, no event");
    assert_eq!(deliveries(&app, &hosp).await, json!([]));
    assert_error(app.get("/v1/hospitals/me/webhook", Some(&hosp)).await, 404, "not_found").await;

    let admin = app.admin_token().await;
    let put = |token: String, body: Value| {
        let app = &app;
        async move { app.http.put(app.url("/v1/hospitals/me/webhook")).bearer_auth(token).json(&body).send().await.unwrap() }
    };
    let before = app.table_counts().await;
    for token in [&patient.access, &admin] {
        assert_error(put(token.clone(), json!({"url": "https://h.example/x"})).await, 403, "forbidden").await;
        assert_error(app.get("/v1/hospitals/me/webhook", Some(token)).await, 403, "forbidden").await;
        assert_error(app.get("/v1/hospitals/me/webhook/deliveries", Some(token)).await, 403, "forbidden").await;
        let r = app.http.delete(app.url("/v1/hospitals/me/webhook")).bearer_auth(token).send().await.unwrap();
        assert_error(r, 403, "forbidden").await;
    }
    for bad in [
        "http://his.example/hooks",
        "not a url",
        "ftp://his.example/",
        "https://user:pw@his.example/",
        "https://127.0.0.1/hooks",
        "https://169.254.169.254/latest/meta-data",
    ] {
        let err = assert_error(put(hosp.clone(), json!({"url": bad})).await, 422, "invalid_url").await;
        assert_eq!(err["field"], "url");
    }
    assert_error(put(hosp.clone(), json!({"uri": "https://his.example/"})).await, 422, "invalid_body").await;
    let r = app.get("/v1/hospitals/me/webhook/deliveries?limit=0", Some(&hosp)).await;
    assert_error(r, 422, "invalid_limit").await;
    assert_eq!(app.table_counts().await, before, "refused requests stored nothing");

    let openapi: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    for method in ["put", "get", "delete"] {
        assert!(openapi["paths"]["/v1/hospitals/me/webhook"][method].is_object(), "{method}");
    }
    assert!(openapi["paths"]["/v1/hospitals/me/webhook/deliveries"]["get"].is_object());
}

#[tokio::test]
async fn hospitals_see_only_their_own_deliveries_and_can_rotate_remove_and_give_up() {
    let app = spawn_app_with(json!({"webhooks": {"allow_http": true}})).await;
    let patient = app.new_patient().await;
    let (a, _) = app.new_hospital("IN2710000001").await;
    let (b, _) = app.new_hospital("IN2710000002").await;
    let ok = spawn_receiver(&[]).await;
    let down = spawn_receiver(&[500, 503, 500]).await;
    let secret_a = set_webhook(&app, &a, &ok.url).await;
    set_webhook(&app, &b, &down.url).await;
    let deny = |token: String| {
        let (app, patient) = (&app, &patient);
        async move {
            let c: Value =
                app.post("/v1/consents", Some(&token), &request(patient.abha.as_digits())).await.json().await.unwrap();
            let id = c["id"].as_str().unwrap().to_owned();
            let r = app.post(&format!("/v1/consents/{id}/deny"), Some(&patient.access), &json!({})).await;
            assert_eq!(r.status(), 200);
            id
        }
    };
    let consent_a = deny(a.clone()).await;
    let consent_b = deny(b.clone()).await;

    // B's receiver keeps failing: after max_attempts (2 here) the delivery is given up.
    let d = Deliverer::new(app.pool.clone(), &settings(2)).unwrap();
    let now = Utc::now();
    let first = d.step(now).await.unwrap();
    assert_eq!((first.delivered, first.retrying), (1, 1));
    let retry_at: DateTime<Utc> =
        sqlx::query_scalar("SELECT next_attempt_at FROM webhook_events WHERE state = 'pending'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(d.step(retry_at).await.unwrap().failed, 1);
    assert_eq!(d.step(retry_at + Duration::days(1)).await.unwrap(), DeliveryStep::default(), "failed is final");
    // The operator sees B failing (two failed attempts, one delivery given up), A not.
    let admin = app.client_as(&app.admin_token().await);
    let health = admin.platform_health().await.unwrap();
    assert_eq!((health.webhooks.failed_24h, health.webhooks.failing_hospitals), (1, 1), "{health:?}");
    assert_eq!(health.hours.iter().map(|h| h.webhook_failed_attempts).sum::<i64>(), 2);
    let failed: Vec<(bool, i64)> = admin
        .admin_hospitals()
        .await
        .unwrap()
        .iter()
        .filter(|h| h.webhook)
        .map(|h| (h.webhook, h.failed_webhook_deliveries))
        .collect();
    assert_eq!(failed, [(true, 0), (true, 1)]);

    let log_a = deliveries(&app, &a).await;
    let log_b = deliveries(&app, &b).await;
    assert_eq!(log_a.as_array().unwrap().len(), 1);
    assert_eq!(log_a[0]["consent_id"], consent_a);
    assert_eq!(log_a[0]["event_type"], "consent.denied");
    assert_eq!(log_a[0]["state"], "delivered");
    assert_eq!(log_b.as_array().unwrap().len(), 1);
    assert_eq!(log_b[0]["consent_id"], consent_b, "each hospital sees only its own");
    assert_eq!(log_b[0]["state"], "failed");
    assert_eq!(log_b[0]["attempts"], 2);
    let statuses: Vec<&Value> = log_b[0]["attempt_log"].as_array().unwrap().iter().map(|a| &a["status_code"]).collect();
    assert_eq!(statuses, [&json!(500), &json!(503)]);
    let got = ok.got();
    assert_eq!(got.len(), 1);
    verify_signature(&secret_a, &got[0].signature, &got[0].body);
    assert_eq!(down.got().len(), 2);

    // Rotation: a new secret, the same registration; the old secret no longer signs.
    let before: Value = app.get("/v1/hospitals/me/webhook", Some(&a)).await.json().await.unwrap();
    let rotated = set_webhook(&app, &a, &ok.url).await;
    assert_ne!(rotated, secret_a);
    let after: Value = app.get("/v1/hospitals/me/webhook", Some(&a)).await.json().await.unwrap();
    assert_eq!(after["created_at"], before["created_at"]);
    deny(a.clone()).await;
    assert_eq!(d.step(Utc::now()).await.unwrap().delivered, 1);
    let last = ok.got().pop().unwrap();
    verify_signature(&rotated, &last.signature, &last.body);

    // Removal: pending deliveries are cancelled and nothing new is recorded.
    deny(a.clone()).await;
    let r = app.http.delete(app.url("/v1/hospitals/me/webhook")).bearer_auth(&a).send().await.unwrap();
    assert_eq!(r.status(), 204);
    let r = app.http.delete(app.url("/v1/hospitals/me/webhook")).bearer_auth(&a).send().await.unwrap();
    assert_error(r, 404, "not_found").await;
    assert_error(app.get("/v1/hospitals/me/webhook", Some(&a)).await, 404, "not_found").await;
    deny(a.clone()).await;
    assert_eq!(d.step(Utc::now()).await.unwrap(), DeliveryStep::default());
    let log_a = deliveries(&app, &a).await;
    let states: Vec<&str> = log_a.as_array().unwrap().iter().map(|e| e["state"].as_str().unwrap()).collect();
    assert_eq!(states, ["cancelled", "delivered", "delivered"], "the denial after removal recorded nothing");
    assert_eq!(ok.got().len(), 2);

    // Paging: newest first, `before` continues.
    let r = app.get("/v1/hospitals/me/webhook/deliveries?limit=2", Some(&a)).await;
    let page: Value = r.json().await.unwrap();
    assert_eq!(page.as_array().unwrap().len(), 2);
    let cursor = page[1]["event_id"].as_str().unwrap();
    let r = app.get(&format!("/v1/hospitals/me/webhook/deliveries?limit=2&before={cursor}"), Some(&a)).await;
    let rest: Value = r.json().await.unwrap();
    assert_eq!(rest.as_array().unwrap().len(), 1);
    assert_eq!(rest[0]["event_id"], log_a[2]["event_id"]);
}

#[tokio::test]
async fn a_worker_that_stops_mid_attempt_delays_the_retry_and_leaves_an_open_log_entry() {
    let app = spawn_app_with(json!({"webhooks": {"allow_http": true}})).await;
    let patient = app.new_patient().await;
    let (hosp, _) = app.new_hospital("IN2710000001").await;
    let receiver = spawn_receiver(&[]).await;
    let secret = set_webhook(&app, &hosp, &receiver.url).await;
    let c: Value =
        app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
    let deny = format!("/v1/consents/{}/deny", c["id"].as_str().unwrap());
    assert_eq!(app.post(&deny, Some(&patient.access), &json!({})).await.status(), 200);

    // A worker claims the event and dies before sending (or before recording the answer).
    let now = Utc::now();
    let claimed = pramana_server::store::webhooks::claim_next_events(&app.pool, now, 35.0, 8).await.unwrap();
    assert_eq!(claimed.len(), 1);
    let d = deliverer(&app);
    assert_eq!(d.step(now + Duration::seconds(34)).await.unwrap(), DeliveryStep::default(), "still leased");
    assert!(receiver.got().is_empty());
    // Once the lease has run out, another worker retries it.
    assert_eq!(d.step(now + Duration::seconds(35)).await.unwrap().delivered, 1);
    let got = receiver.got();
    assert_eq!(got.len(), 1);
    verify_signature(&secret, &got[0].signature, &got[0].body);
    let log = deliveries(&app, &hosp).await;
    assert_eq!(log[0]["state"], "delivered");
    assert_eq!(log[0]["attempts"], 2);
    let attempts = log[0]["attempt_log"].as_array().unwrap();
    assert!(attempts[0]["finished_at"].is_null() && attempts[0]["status_code"].is_null(), "the lost attempt");
    assert!(attempts[0]["outcome"].is_null());
    assert_eq!(attempts[1]["status_code"], 200);
}

#[tokio::test]
async fn the_running_worker_delivers_beside_anchoring() {
    let p = pramana_tests::spawn_platform().await;
    let app = &p.app;
    let patient = app.new_patient().await;
    let (hosp, hosp_id) = app.new_hospital("IN2710000001").await;
    let receiver = spawn_receiver(&[503]).await;
    // This platform's API accepts only https endpoints; register the local receiver directly.
    sqlx::query("INSERT INTO webhook_endpoints (hospital_id, url, secret) VALUES ($1::uuid, $2, 'whsec_direct')")
        .bind(&hosp_id)
        .bind(&receiver.url)
        .execute(&app.pool)
        .await
        .unwrap();
    let c: Value =
        app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
    let deny = format!("/v1/consents/{}/deny", c["id"].as_str().unwrap());
    assert_eq!(app.post(&deny, Some(&patient.access), &json!({})).await.status(), 200);

    // The worker connects to loopback only in development (allow_http).
    let worker =
        p.worker(json!({"webhooks": {"poll_interval_ms": 10, "backoff_base_ms": 1, "allow_http": true}})).await;
    let port = worker.health_port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let handle = tokio::spawn(worker.run_until_stopped(async {
        let _ = stopped.await;
    }));
    for _ in 0..500 {
        if receiver.got().len() >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let got = receiver.got();
    assert_eq!(got.len(), 2, "a 503, then a retry that is accepted");
    verify_signature("whsec_direct", &got[1].signature, &got[1].body);
    assert_eq!(got[1].event_type, "consent.denied");
    let metrics = app.http.get(format!("http://127.0.0.1:{port}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(metrics.contains("webhook_deliveries_total"), "{metrics}");
    stop.send(()).unwrap();
    handle.await.unwrap().unwrap();
}

/// Points the hospital's endpoint at `url` directly in the database, as an endpoint registered
/// before its name was re-pointed (DNS) would be: the API refuses such URLs at registration.
async fn set_endpoint_directly(app: &TestApp, hospital_id: &str, url: &str) {
    sqlx::query(
        "INSERT INTO webhook_endpoints (hospital_id, url, secret) VALUES ($1::uuid, $2, 'whsec_direct')
         ON CONFLICT (hospital_id) DO UPDATE SET url = EXCLUDED.url",
    )
    .bind(hospital_id)
    .bind(url)
    .execute(&app.pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn deliveries_to_loopback_and_other_special_addresses_are_refused_on_every_attempt() {
    // Production settings: https only, no local addresses.
    let app = spawn_app().await;
    let patient = app.new_patient().await;
    let (hosp, hosp_id) = app.new_hospital("IN2710000001").await;
    let receiver = spawn_receiver(&[]).await;
    let port = receiver.url.split(':').nth(2).unwrap().split('/').next().unwrap().to_owned();
    let by_name = format!("http://localhost:{port}/hooks/pramana");
    let r = app.http.put(app.url("/v1/hospitals/me/webhook")).bearer_auth(&hosp);
    let r = r.json(&json!({"url": format!("https://localhost:{port}/hooks/pramana")})).send().await.unwrap();
    assert_error(r, 422, "invalid_url").await;

    // The name passed registration once and now resolves to 127.0.0.1 (and ::1): the worker's
    // resolver keeps no address, so nothing is sent, and the log says only `refused_address`.
    set_endpoint_directly(&app, &hosp_id, &by_name).await;
    let c: Value =
        app.post("/v1/consents", Some(&hosp), &request(patient.abha.as_digits())).await.json().await.unwrap();
    let deny = format!("/v1/consents/{}/deny", c["id"].as_str().unwrap());
    assert_eq!(app.post(&deny, Some(&patient.access), &json!({})).await.status(), 200);
    let production = WebhookSettings { allow_http: false, ..settings(20) };
    let d = Deliverer::new(app.pool.clone(), &production).unwrap();
    let now = Utc::now();
    assert_eq!(d.step(now).await.unwrap().retrying, 1);

    // An IP literal never reaches a resolver: it is checked before sending, on every attempt.
    for literal in [
        format!("http://127.0.0.1:{port}/hooks/pramana"),
        format!("http://[::ffff:127.0.0.1]:{port}/hooks/pramana"),
        "http://169.254.169.254/latest/meta-data".to_owned(),
    ] {
        set_endpoint_directly(&app, &hosp_id, &literal).await;
        let due = next_attempt_at(&app).await;
        assert_eq!(d.step(due).await.unwrap().retrying, 1, "{literal}");
    }
    assert!(receiver.got().is_empty(), "the receiver was never called");

    let log = deliveries(&app, &hosp).await;
    assert_eq!(log[0]["state"], "pending");
    let attempts = log[0]["attempt_log"].as_array().unwrap();
    assert_eq!(attempts.len(), 4);
    for a in attempts {
        assert_eq!(a["outcome"], "refused_address", "{a}");
        assert!(a["status_code"].is_null() && a.get("error").is_none(), "{a}");
        assert_eq!(a["duration_ms"].as_i64().unwrap() % 1000, 0, "{a}");
    }

    // The same endpoint by name is reachable in development (allow_http admits loopback), so
    // the refusals above were the address filter's.
    set_endpoint_directly(&app, &hosp_id, &by_name).await;
    let development = Deliverer::new(app.pool.clone(), &settings(20)).unwrap();
    let due = next_attempt_at(&app).await;
    assert_eq!(development.step(due).await.unwrap().delivered, 1);
    assert_eq!(receiver.got().len(), 1);
    let log = deliveries(&app, &hosp).await;
    assert_eq!(log[0]["attempt_log"][4]["outcome"], "delivered");
}
