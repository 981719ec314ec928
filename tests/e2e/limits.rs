//! Rate limits: logins per account (staff behind one NAT address do not lock each other out,
//! while one account's guesses are cut off), and every other route per authenticated subject or,
//! without a valid token, per client IP; a 429 is `rate_limited` with `Retry-After`.

use pramana_tests::{PATIENT_PASSWORD, TestApp, assert_error, spawn_app_with};
use pramana_wire::LoginRequest;
use serde_json::json;

/// The shipped defaults for the login limits (server/src/config.rs), so these tests show what a
/// deployment gets.
fn default_login_limits() -> serde_json::Value {
    json!({"rate_limit": {
        "login_per_account_per_minute": 5,
        "login_per_account_burst": 10,
        "auth_per_ip_per_minute": 120,
        "auth_per_ip_burst": 60,
    }})
}

async fn login_status(app: &TestApp, login: &str, password: &str) -> reqwest::Response {
    let body = LoginRequest { login: login.to_owned(), password: password.to_owned(), refresh_cookie: false };
    app.http.post(app.url("/v1/auth/login")).json(&body).send().await.unwrap()
}

/// Asserts a 429 `rate_limited` with a `Retry-After` of whole seconds, at least 1; returns it.
async fn assert_rate_limited(r: reqwest::Response) -> u64 {
    let retry_after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    assert_error(r, 429, "rate_limited").await;
    let secs: u64 = retry_after.expect("a Retry-After header").parse().expect("whole seconds");
    assert!(secs >= 1, "{secs}");
    secs
}

#[tokio::test]
async fn many_accounts_log_in_from_one_address_while_one_accounts_guesses_are_cut_off() {
    let app = spawn_app_with(default_login_limits()).await;
    // Twelve staff behind one NAT address each register and log in (every request from
    // 127.0.0.1): more than the old per-IP burst of 10.
    let mut staff = Vec::new();
    for _ in 0..12 {
        staff.push(app.new_patient().await);
    }
    for p in &staff[..11] {
        let r = login_status(&app, p.abha.as_digits(), PATIENT_PASSWORD).await;
        assert_eq!(r.status(), 200, "a second login for each account is fine");
    }

    // Someone guesses one account's password: within the burst of ten attempts (its login
    // above was the first) the answer is 401, then 429 — for the right password and the
    // account's other spellings too.
    let victim = staff.last().unwrap();
    let mut refused = 0;
    let limited = loop {
        let r = login_status(&app, victim.abha.as_digits(), "not-the-password-1").await;
        if r.status() == 429 {
            break r;
        }
        assert_error(r, 401, "unauthorized").await;
        refused += 1;
        assert!(refused <= 10, "no limit after {refused} wrong passwords");
    };
    assert!(refused >= 9, "limited after only {refused} wrong passwords");
    let secs = assert_rate_limited(limited).await;
    assert!(secs <= 12, "one attempt per 12 s at 5 a minute: {secs}");
    assert_rate_limited(login_status(&app, victim.abha.as_digits(), PATIENT_PASSWORD).await).await;
    assert_rate_limited(login_status(&app, &victim.abha.hyphenated(), PATIENT_PASSWORD).await).await;

    // The other accounts, from the same address, are unaffected.
    for p in &staff[..3] {
        let r = login_status(&app, p.abha.as_digits(), PATIENT_PASSWORD).await;
        assert_eq!(r.status(), 200);
    }
    // And the victim's existing session still works (only logins are limited per account).
    assert_eq!(app.get("/v1/patients/me", Some(&victim.access)).await.status(), 200);
}

#[tokio::test]
async fn other_routes_are_limited_per_subject_and_anonymous_callers_per_address() {
    let app = spawn_app_with(json!({"rate_limit": {
        "per_subject_per_minute": 1,
        "per_subject_burst": 5,
        "per_ip_per_minute": 1,
        "per_ip_burst": 4,
    }}))
    .await;
    // The document says every operation may answer 429 with Retry-After.
    let openapi: serde_json::Value = app.http.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    for (path, item) in openapi["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let r429 = &op["responses"]["429"];
            assert!(r429["headers"]["Retry-After"].is_object(), "{method} {path}: {r429}");
        }
    }
    let a = app.new_claimed_patient().await;
    let b = app.new_claimed_patient().await;
    for _ in 0..5 {
        assert_eq!(app.get("/v1/patients/me", Some(&a.access)).await.status(), 200);
    }
    let secs = assert_rate_limited(app.get("/v1/patients/me", Some(&a.access)).await).await;
    assert!(secs <= 60, "{secs}");
    assert_rate_limited(app.get("/v1/keys", Some(&a.access)).await).await;
    // Another subject from the same address has its own quota.
    for _ in 0..5 {
        assert_eq!(app.get("/v1/patients/me", Some(&b.access)).await.status(), 200);
    }

    // Without a valid token the caller is limited per address (the document above was its
    // first request): a forged token is no way out.
    for _ in 0..3 {
        assert_error(app.get("/v1/patients/me", Some("not-a-token")).await, 401, "unauthorized").await;
    }
    assert_rate_limited(app.get("/v1/patients/me", Some("not-a-token")).await).await;
    assert_rate_limited(app.get("/v1/chain", None).await).await;
    // Health checks are never limited.
    assert_eq!(app.get("/healthz", None).await.status(), 200);
}
